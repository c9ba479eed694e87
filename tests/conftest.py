"""Shared fixtures: a private adb server (bundled binary, private port and HOME — never the
user's server on 5037) and the real captures folder."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest

# Tests never start an adb server through the CLI's normal path (which would use the user's
# HOME and, unless told otherwise, port 5037); they use the private server fixture below.
os.environ["TRAOMAY_NO_ADB_START"] = "1"
os.environ.setdefault("TRAOMAY_ADB_PORT", "1")  # nothing listens there: a stray call fails
# The per-user data folder (the default campaign folder, the demo's folder) is a private
# temporary folder for the whole run: no test reads or writes the user's own campaign.
_DATA_HOME = tempfile.mkdtemp(prefix="traomay-test-data-")
os.environ["XDG_DATA_HOME"] = os.environ["LOCALAPPDATA"] = _DATA_HOME
for _var in ("TRAOMAY_CAMPAIGN", "TRAOMAY_DB", "TRAOMAY_STATION"):
    os.environ.pop(_var, None)

REPO = Path(__file__).resolve().parents[1]
CAPTURES = REPO.parent / "shared" / "captures"
# The `traomay` commands the tests run as child processes compile traomay's sources into a
# cache of their own when the environment forbids bytecode beside the sources
# (PYTHONDONTWRITEBYTECODE, set on some CI machines): an installed traomay has its bytecode,
# and compiling ~90 modules again costs every command about 0.3 s of CPU.
if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
    os.environ.setdefault("PYTHONPYCACHEPREFIX", str(REPO / ".pytest-pycache"))
# A suite started in the background by a shell without job control (`make test &`) ignores
# SIGINT, and child processes inherit that: the tests that press Ctrl-C in a `traomay`
# command (as a volunteer does in a terminal) would wait for it forever.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
# pytest-xdist runs the suite in several processes ("gw0", "gw1", ...): each has its own adb
# server, on ports apart from the others'.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)


def capture_rows(file_name: str) -> list[tuple[str, Path]]:
    """(folder, path) for every capture named ``file_name`` listed in SOURCES.tsv."""
    sources = CAPTURES / "SOURCES.tsv"
    if not sources.is_file():
        return []
    with sources.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [(r["folder"], CAPTURES / r["folder"] / r["file"])
            for r in rows if r["file"] == file_name]


def require_captures() -> None:
    if not (CAPTURES / "SOURCES.tsv").is_file():
        pytest.skip(f"real captures not found at {CAPTURES} (they live in ../shared/captures)")


@pytest.fixture(scope="session")
def adb_server(tmp_path_factory):
    from traomay.device.adb import free_port, private_adb_server

    home = tmp_path_factory.mktemp("adbhome")
    with private_adb_server(home, free_port(16037 + 300 * _WORKER)) as server:
        yield server


def pytest_unconfigure(config):
    shutil.rmtree(_DATA_HOME, ignore_errors=True)


def pytest_report_header(config):
    if (CAPTURES / "SOURCES.tsv").is_file():
        return f"traomay: real captures from {CAPTURES}"
    return (f"traomay: real captures NOT found at {CAPTURES} (they live in ../shared/captures); "
            "the tests parametrized over them are skipped (\"got empty parameter set\")")


def pytest_collection_modifyitems(config, items):
    """Say plainly why capture-based tests skip when ../shared/captures is absent."""
    if (CAPTURES / "SOURCES.tsv").is_file():
        return
    reason = f"real captures not found at {CAPTURES} (they live in ../shared/captures)"
    for item in items:
        marker = item.get_closest_marker("skip")
        if marker and "empty parameter set" in str(marker.kwargs.get("reason", "")):
            item.add_marker(pytest.mark.skip(reason=reason), append=False)


# -- simulated hubs: one fixture factory for every end-to-end test --------------------------

class Rig:
    """Simulated phones attached to the private adb server, and the toolkit's view of them."""

    def __init__(self, sim, phones, hub):
        self.sim, self.phones, self.hub = sim, phones, hub

    def address(self, index: int = 0) -> str:
        return self.sim.addresses[index]

    def listing(self, index: int = 0, ready: bool = True, timeout: float = 15.0):
        """This phone's current line in ``adb devices`` (waits until it is there)."""
        address = self.address(index)
        found = self.hub.wait_for(lambda p: p.serial == address and (p.ready or not ready),
                                  timeout=timeout)
        assert found is not None, f"{address} not listed"
        return found

    def link(self, index: int = 0):
        return self.hub.link(self.listing(index))

    def session(self, inventory, index: int = 0, config=None):
        from traomay.provision.config import SessionConfig
        from traomay.provision.session import PhoneSession

        return PhoneSession.open(self.hub, inventory, self.listing(index),
                                 config or SessionConfig(criteria={}))


def _rig_factory(adb_server):
    from traomay.simulator.hub import SimulatedHub
    from traomay.simulator.phone import Phone

    started = []

    def start(*phones, unauthorized=(), faults=None) -> Rig:
        made = [p if not isinstance(p, str) else
                Phone.from_profile(p, authorized=(i not in unauthorized))
                for i, p in enumerate(phones)]
        sim = SimulatedHub(made, adb_port=adb_server.port, faults=faults).start()
        started.append(sim)
        return Rig(sim, made, adb_server.hub())

    return start, started


@pytest.fixture()
def sim_hub(adb_server):
    """``sim_hub("samsung-galaxy-a55", "oppo-a5s", unauthorized={1})`` -> Rig."""
    start, started = _rig_factory(adb_server)
    yield start
    for sim in started:
        sim.stop()


@pytest.fixture(scope="module")
def module_sim_hub(adb_server):
    """The same factory, for phones shared by a whole test module."""
    start, started = _rig_factory(adb_server)
    yield start
    for sim in started:
        sim.stop()


@pytest.fixture()
def cli(adb_server):
    """Run ``python -m traomay`` against the private adb server: cli(db, *args, lang=...)."""
    import subprocess
    import sys

    def run(db, *args, lang="en", timeout=120, env=None, cwd=None, stdin=None):
        full = dict(os.environ, TRAOMAY_ADB_PORT=str(adb_server.port), TRAOMAY_LANG=lang,
                    COLUMNS="200", **(env or {}))
        db_args = ["--db", str(db)] if db is not None else []
        return subprocess.run([sys.executable, "-m", "traomay", *db_args, *args],
                              capture_output=True, text=True, encoding="utf-8", env=full,
                              timeout=timeout, cwd=cwd, input=stdin)

    return run
