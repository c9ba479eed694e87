"""What benchmarks/station.py and benchmarks/soak.py share: a private adb server, simulated
phones with realistic command latencies behind one USB bus, the station in its own process
(benchmarks/station_driver.py, as on a real station PC) and a simulated volunteer who reads
its board and does the physical steps on the phones.

Every phone records what it spent: seconds answering commands (its latency model, with
background jobs overlapping), seconds of a person's gestures (the touch grid's swipe), the
time it was away for its erase, and the APK bytes it received. From those the ideal
makespan is computed (see :func:`ideal`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from traomay.apps.manifest import Manifest, load_manifest, pin  # noqa: E402
from traomay.core.campaign import MANIFEST_FILE, TEMPLATES  # noqa: E402
from traomay.core.msg import Msg  # noqa: E402
from traomay.demo.apkfactory import build_apk, make_signer  # noqa: E402
from traomay.demo.volunteer import SimulatedVolunteer  # noqa: E402
from traomay.device.adb import AdbServer, free_port, private_adb_server  # noqa: E402
from traomay.provision.station.board import Ask, Row  # noqa: E402
from traomay.simulator.faults import FaultPlan, SharedBandwidth, UsbBus  # noqa: E402
from traomay.simulator.hub import SimulatedHub  # noqa: E402
from traomay.simulator.latency import REALISTIC, CommandLatency  # noqa: E402
from traomay.simulator.phone import Phone  # noqa: E402
from traomay.simulator.phone_api import ShellOutcome  # noqa: E402

HERE = Path(__file__).resolve().parent
# Profiles that go through the whole hand-over flow (passed, finalized) when the volunteer
# does their part; one of them has a Google account to remove.
PASSING = ("samsung-galaxy-a55", "samsung-galaxy-s24", "samsung-galaxy-s9",
           "realme-gt-neo2t", "vivo-iqoo-z6", "xiaomi-redmi-10-2022",
           "xiaomi-redmi-note8pro", "xiaomi-redmi-note10")
USB2_BYTES_PER_S = 35e6


# -- the campaign's apps ---------------------------------------------------------------------

def make_manifest(folder: Path, sizes_mb: tuple[float, float]) -> Manifest:
    """Stand-ins of VNeID and Bình Dương Số of the given sizes (incompressible filler),
    pinned into a copy of the shipped apk_manifest.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MANIFEST_FILE
    path.write_text((TEMPLATES / MANIFEST_FILE).read_text(encoding="utf-8"), encoding="utf-8")
    signer = make_signer("traomay benchmark stand-in")
    staging = folder / "district"
    vneid = build_apk(staging, package="com.vnid", version_code=2011, min_sdk=21, signer=signer,
                      name="vneid.apk", filler=os.urandom(int(sizes_mb[0] * 1e6)))
    bds = build_apk(staging, package="vn.gov.binhduong.dichvu.standin", version_code=3,
                    min_sdk=21, signer=signer, name="bds.apk",
                    filler=os.urandom(int(sizes_mb[1] * 1e6)))
    pin(path, [vneid])
    pin(path, [bds], name="Bình Dương Số")
    shutil.rmtree(staging, ignore_errors=True)
    return load_manifest(path)


# -- phones that keep account of their time ----------------------------------------------------

class MeteredPhone(Phone):
    """A simulated phone that adds up what it spent (see the module docstring)."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.busy_s = 0.0  # answering commands
        self.gesture_s = 0.0  # a person's swipes (streamed getevent)
        self.away_s = 0.0  # unplugged for the erase (the volunteer adds it)
        self.apk_bytes = 0  # streamed into installs
        self.commands = 0
        self.install_busy_s = 0.0  # answering install commands (on-phone install time)
        self.busy_before_install_s = 0.0  # answering commands before the first install
        self.tail_s = 0.0  # the last install's on-phone time and what followed it

    def run(self, command: str, stdin: bytes = b"") -> ShellOutcome:
        out = super().run(command, stdin)
        self.commands += 1
        self.busy_s += out.seconds
        is_install = " install" in command and "package" in command or "pm install" in command
        if is_install:
            self.install_busy_s += out.seconds
            self.apk_bytes += len(stdin)
            self.tail_s = out.seconds
        elif self.apk_bytes == 0:
            self.busy_before_install_s += out.seconds
        else:
            self.tail_s += out.seconds
        return out

    def stream(self, command: str) -> Iterator[tuple[float, bytes]] | None:
        chunks = super().stream(command)
        if chunks is None:
            return None

        def metered() -> Iterator[tuple[float, bytes]]:
            for delay, data in chunks:
                self.gesture_s += delay
                yield delay, data

        return metered()


def make_phones(n: int, latency: CommandLatency | None = REALISTIC,
                profiles: tuple[str, ...] = PASSING) -> list[MeteredPhone]:
    phones = []
    for i in range(n):
        phone = MeteredPhone.from_profile(profiles[i % len(profiles)], copy=i // len(profiles))
        phone.latency = latency
        phones.append(phone)
    return phones


# -- the station's board, from its process -----------------------------------------------------

class RemoteBoard:
    """The board of the station process, as the volunteer reads it."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.rows: tuple[Row, ...] = ()
        self.notices: list[str] = []
        self.start: dict[str, Any] | None = None
        self.started_at: float | None = None
        self.end: dict[str, Any] | None = None
        self.changed = threading.Event()
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if "start" in data:
                self.start, self.started_at = data["start"], time.monotonic()
                continue
            if "end" in data:
                self.end = data["end"]
                continue

            rows = tuple(Row(
                r["transport_id"], r["adb_serial"], number=r["number"], state=r["state"],
                stage=r["stage"], verdict=r["verdict"],
                action=Msg(r["action"]["msgid"], r["action"]["args"]) if r["action"] else None,
                ask=Ask(r["ask"], Msg(""), ()) if r["ask"] else None) for r in data["rows"])
            with self._lock:
                self.rows, self.notices = rows, data["notices"]
            self.changed.set()

    def snapshot(self) -> Any:
        with self._lock:
            return type("Snap", (), {"rows": self.rows, "notices": tuple(self.notices)})()

    def answer(self, transport_id: int, value: Any, question: Any = None) -> bool:
        if self.proc.poll() is not None:
            return False
        try:
            self.proc.stdin.write(f"{transport_id} {json.dumps(value)}\n")
            self.proc.stdin.flush()
        except (OSError, ValueError):
            return False
        return True


def start_station(adb_port: int, db: Path, manifest: Path, logs: Path | None,
                  options: dict[str, Any]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(HERE / "station_driver.py"), str(adb_port), str(db),
         str(manifest), str(logs) if logs else "-", json.dumps(options)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "TRAOMAY_LANG": "en"})


# -- the volunteer -----------------------------------------------------------------------------

class BenchVolunteer(SimulatedVolunteer):
    """The demo's simulated volunteer, who also settles waiting checks (takes the phone to a
    window, plugs a wall charger, switches Bluetooth on) and measures how long each phone
    was away for its erase. ``before_act(row, index)`` may do something else first (the
    soak run's faults); returning True skips the usual action this round."""

    def __init__(self, *args: Any, before_act: Callable[[Row, int], bool] | None = None,
                 **kw: Any) -> None:
        super().__init__(*args, settle_waiting_checks=True, **kw)
        self.before_act = before_act
        self._indices = {a: i for i, a in enumerate(self.sim.addresses)}  # ports stay

    def _index(self, address: str) -> int | None:
        return self._indices.get(address)

    def _act(self, row: Row) -> None:
        index = self._index(row.adb_serial)
        if index is None:
            return
        if self.before_act is not None and self.before_act(row, index):
            return
        super()._act(row)

    def _erase(self, index: int, address: str) -> None:
        started = time.monotonic()
        super()._erase(index, address)
        phone = self.phones[address]
        if isinstance(phone, MeteredPhone):
            phone.away_s += time.monotonic() - started


# -- one run -----------------------------------------------------------------------------------

@dataclasses.dataclass
class Hub:
    """Phones on a bus, attached to a private adb server."""

    server: AdbServer
    sim: SimulatedHub
    phones: list[MeteredPhone]
    plans: list[FaultPlan]
    bus: UsbBus


class Bench:
    """``with Bench(phones, ...) as bench: result = bench.run_station(options)``."""

    def __init__(self, phones: list[MeteredPhone], *, sizes_mb: tuple[float, float],
                 bandwidth: float = USB2_BYTES_PER_S, work: Path | None = None) -> None:
        self.phones = phones
        self.sizes_mb = sizes_mb
        self.bus = UsbBus(bandwidth)
        self.plans = [FaultPlan(SharedBandwidth(self.bus)) for _ in phones]
        self.work = work or Path(tempfile.mkdtemp(prefix="traomay-bench-"))
        self._owned = work is None
        self._stack: list[Any] = []

    def __enter__(self) -> Bench:
        self.manifest = make_manifest(self.work / "campaign", self.sizes_mb)
        server_cm = private_adb_server(self.work / "adbhome", free_port(17037))
        self.server = server_cm.__enter__()
        self._stack.append(server_cm)
        self.sim = SimulatedHub(self.phones, adb_port=self.server.port, faults=self.plans)
        self.sim.start(timeout=60.0)
        self._stack.append(self.sim)
        return self

    def __exit__(self, *exc: object) -> None:
        for item in reversed(self._stack):
            item.__exit__(None, None, None)
        if self._owned:
            shutil.rmtree(self.work, ignore_errors=True)

    def run_station(self, options: dict[str, Any], *, timeout: float = 600.0,
                    before_act: Callable[[Row, int], bool] | None = None,
                    done: Callable[[RemoteBoard], bool] | None = None,
                    logs: bool = True, erase_seconds: float = 2.0) -> dict[str, Any]:
        """The station from start until every phone is finished (or ``done(board)``), then
        its process is ended; what was measured."""
        db = self.work / "inventory.sqlite"
        proc = start_station(self.server.port, db, self.manifest.path,
                             self.work / "logs" if logs else None, options)
        board = RemoteBoard(proc)
        stop = threading.Event()
        volunteer = BenchVolunteer(board, self.sim, dict(zip(self.sim.addresses, self.phones,
                                                            strict=True)), stop,
                                   before_act=before_act, erase_seconds=erase_seconds)
        volunteer.start()
        finished = done or (lambda b: sum(r.state in ("done", "set_aside")
                                          for r in b.snapshot().rows) >= len(self.phones))
        deadline = time.monotonic() + timeout
        ended = None
        while time.monotonic() < deadline:
            board.changed.wait(0.2)
            board.changed.clear()
            if board.started_at is not None and finished(board):
                ended = time.monotonic()
                break
            if proc.poll() is not None:
                break
        stop.set()
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        time.sleep(0.2)  # the last line (the process's own figures)
        return {"makespan": (ended - board.started_at) if ended and board.started_at else None,
                "board": board, "db": db, "volunteer": volunteer,
                "start": board.start or {}, "end": board.end or {}}


# -- the ideal ---------------------------------------------------------------------------------

def ideal(phones: list[MeteredPhone], rate: float) -> dict[str, float]:
    """The makespan with no host overhead, from the phones' own accounts (lower bounds).

    Per phone, its critical path: the seconds it spent answering commands + a person's
    gestures + away for its erase + its APK bytes at the whole bus's speed. ``ideal`` (the
    brief's bound): the longest of those, or all APK bytes over the bus, whichever is more.
    ``ordered`` is still a lower bound but knows the flow's order: no APK byte can go before
    the first phone is erased (the erase wipes the apps), and after the bus carried the
    last byte, that phone still installs it and finishes (at least the shortest such tail):
    first ready + all bytes / rate + shortest tail."""
    crit = [p.busy_s + p.gesture_s + p.away_s + p.apk_bytes / rate for p in phones]
    pre = [p.busy_before_install_s + p.gesture_s + p.away_s for p in phones if p.apk_bytes]
    tails = [p.tail_s for p in phones if p.apk_bytes]
    bandwidth = sum(p.apk_bytes for p in phones) / rate
    ordered = min(pre) + bandwidth + min(tails) if pre else 0.0
    return {"per_phone_max": max(crit), "per_phone_mean": sum(crit) / len(crit),
            "bandwidth": bandwidth, "ideal": max(max(crit), bandwidth),
            "ordered": max(max(crit), ordered)}
