"""The station under faults, through the real adb server (issue 10, item 5).

Each test carries simulated phones through the whole hand-over flow while something goes
wrong on the wire (traomay.simulator.faults: a cable pulled mid-command, mid-install, during
the reboot; an answer garbled or cut; an install refused for storage; "Allow USB
debugging?" first) or at the station (the volunteer pulls the cable at a person's step; a
hub loses power; the station process is killed). Afterwards the inventory must hold what
the phones went through: one record per phone, every step once, nothing lost.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from traomay.checks.registry import CHECK_ORDER, REGISTRY
from traomay.core.errors import DeviceTimeout
from traomay.core.msg import Msg
from traomay.core.results import Status
from traomay.demo.demo import demo_config, demo_manifest
from traomay.demo.volunteer import SimulatedVolunteer
from traomay.inventory.store import Inventory
from traomay.provision.station.board import Ask, Row
from traomay.provision.station.runner import HUB_PROBLEM, Station
from traomay.provision.station.worker import StationOptions
from traomay.simulator.faults import (
    DropDuring,
    FaultPlan,
    Garble,
    Glitch,
    InstallFails,
    Slow,
    Unauthorized,
)
from traomay.simulator.phone import Phone
from traomay.simulator.profile import load_profile

HERE = Path(__file__).resolve().parent
# The order of the hand-over flow (plan.StepKind values).
FLOW = ("inspect", "appearance", "origin", "touch", "call", "remove_account",
        "maker_account", "erase", "verify_erase", "install", "recheck", "finalize", "done")
PASSING = ("samsung-galaxy-a55", "samsung-galaxy-s24", "samsung-galaxy-s9",
           "realme-gt-neo2t", "vivo-iqoo-z6", "xiaomi-redmi-10-2022",
           "xiaomi-redmi-note8pro", "xiaomi-redmi-note10")
FINAL = ("done", "set_aside")


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """One set of stand-in APKs for the module (a restarted station must see the same)."""
    folder = tmp_path_factory.mktemp("campaign")
    manifest = demo_manifest(folder)
    return folder, manifest, demo_config(manifest)


class FaultyVolunteer(SimulatedVolunteer):
    """The simulated volunteer, who also: pulls a phone's cable when its row reaches
    ``unplug_at`` (once, for ``away`` seconds); fixes what a waiting check asks for (takes
    the phone to a window, plugs a wall charger, switches Bluetooth on); can be paused."""

    def __init__(self, *args, unplug_at: str | None = None, away: float = 0.5,
                 erase_bounce: bool = False, erase_back: bool = True, **kw) -> None:
        super().__init__(*args, settle_waiting_checks=True, **kw)
        self.unplug_at, self.away = unplug_at, away
        self.erase_bounce, self.erase_back = erase_bounce, erase_back
        self.paused = threading.Event()
        self.pulled: list[str] = []  # stages where the cable was pulled

    def _act(self, row: Row) -> None:
        if self.paused.is_set():
            return
        index = self._index(row.adb_serial)
        if index is None:
            return
        if self.unplug_at and row.stage == self.unplug_at and not self.pulled and \
                row.state in ("person", "working"):
            self.pulled.append(row.stage)
            self.sim.unplug(index)
            time.sleep(self.away)
            self.sim.replug(index)
            return
        super()._act(row)

    def _plug_back(self, index: int) -> None:
        if not self.erase_back:
            return  # the phone never comes back
        if self.erase_bounce:  # a loose cable: it shows up for a moment, then is gone again
            self.sim.replug(index)
            time.sleep(0.05)
            self.sim.unplug(index)
            time.sleep(self.away)
        super()._plug_back(index)


@dataclasses.dataclass
class Run:
    seconds: float
    rows: tuple[Row, ...]
    notices: tuple[Msg, ...]
    devices: list[dict]
    events: dict[int, list[dict]]
    logs: dict[int, list[dict]]
    volunteer: FaultyVolunteer
    db: Path
    addresses: dict[int, str]  # id(phone) -> its simulated USB port (adb serial)

    def seen_on(self, device_id: int) -> set[str]:
        """The adb serials (simulated ports) this record was seen on."""
        return {json.loads(e["data"]).get("adb_serial", "") for e in self.events[device_id]
                if e["kind"] == "seen"}

    def device_of(self, phone: Phone) -> dict:
        address = self.addresses[id(phone)]
        found = [d for d in self.devices if address in self.seen_on(d["id"])]
        assert len(found) == 1, f"{phone.profile.name}: {len(found)} records"
        assert self.seen_on(found[0]["id"]) == {address}, "two phones in one record"
        return found[0]


def run_station(rig, tmp_path, campaign, *, timeout: float = 60.0, during=None,
                options: dict | None = None, **volunteer) -> Run:
    """The station (not --once) until every phone is finished or ``timeout``; ``during``
    (if given) runs in a thread beside it with the station and the volunteer."""
    folder, _manifest, config = campaign
    db = tmp_path / "inventory.sqlite"
    with Inventory(db, station="faults") as inv:
        station = Station(rig.hub, inv, config, StationOptions(**{
            "operator": "Lan", "touch_timeout": 20, "call_timeout": 8, "wait_back": 60,
            "recheck_every": 0.5, "poll": 0.5, "logs_dir": tmp_path / "logs",
            **(options or {})}))
        vol = FaultyVolunteer(station.board, rig.sim,
                              dict(zip(rig.sim.addresses, rig.phones, strict=True)),
                              station.stop, **volunteer)
        vol.start()
        started = time.monotonic()
        if during is not None:
            threading.Thread(target=during, args=(station, vol), daemon=True).start()

        def finished() -> bool:
            rows = station.board.snapshot().rows
            return sum(r.state in FINAL for r in rows) >= len(rig.phones) or \
                time.monotonic() - started > timeout

        result = station.run(until=finished)
        devices = inv.devices()
        events = {d["id"]: inv.events(d["id"]) for d in devices}
    logs = {}
    for path in (tmp_path / "logs" / "phones").glob("*.log"):
        if path.stem.isdigit():
            logs[int(path.stem)] = [json.loads(line) for line in
                                    path.read_text(encoding="utf-8").splitlines()]
    return Run(result.seconds, result.snapshot.rows, result.snapshot.notices, devices, events,
               logs, vol, db, addresses_of(rig))


def addresses_of(rig) -> dict[int, str]:
    return {id(p): a for p, a in zip(rig.phones, rig.sim.addresses, strict=True)}


def kinds(events: list[dict]) -> list[str]:
    return [e["kind"] for e in events]


def completed_steps(log: list[dict]) -> list[str]:
    return [line["step"] for line in log if line["what"] == "step"
            and line["outcome"] in ("next", "finished")]


def install_outcomes(events: list[dict]) -> list[list[dict]]:
    return [json.loads(e["data"])["outcomes"] for e in events if e["kind"] == "install"]


def assert_went_through(run: Run, phone: Phone) -> dict:
    """What the phone went through is in the inventory, once, in order."""
    device = run.device_of(phone)
    events = run.events[device["id"]]
    ks = kinds(events)
    name = phone.profile.name
    assert device["stage"] == "finalized" and device["verdict"] == "pass", (name, device)
    assert ks.count("inspect") == 1, (name, ks)  # the first inspection, recorded once
    assert ks.count("erased") == 1 and ks.count("finalize") == 1, (name, ks)
    order = [ks.index(k) for k in ("inspect", "erase_requested", "erased", "install",
                                   "finalize")]
    assert order == sorted(order), (name, ks)
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and [e["at"] for e in events] == sorted(e["at"] for e in events)
    # Each app installed at most once; a later run finds it current and pushes nothing.
    runs = install_outcomes(events)
    for app in {o["app"] for outcomes in runs for o in outcomes}:
        mine = [o for outcomes in runs for o in outcomes if o["app"] == app]
        assert sum(o["status"] == "installed" for o in mine) <= 1, (name, app, mine)
        assert mine[-1]["status"] in ("installed", "skipped"), (name, app, mine)
        assert all(o["bytes_pushed"] == 0 for o in mine if o["status"] == "skipped")
    # What the phone itself says matches: its apps, its adb switched off, its account gone.
    assert phone.get_setting("global", "adb_enabled") == "0", name
    assert not [a for a in phone.accounts if a.type == "com.google"], name
    manifest_packages = {o["package"] for outcomes in runs for o in outcomes}
    assert manifest_packages <= set(phone.apps), (name, manifest_packages)
    # No step completed twice (a step interrupted by the cable is done again, once).
    steps = [s for s in completed_steps(run.logs[device["id"]]) if s != "recheck"]
    assert len(steps) == len(set(steps)), (name, steps)
    return device


def resumed_at(run: Run, device: dict) -> list[str | None]:
    """The first step logged on each transport of this phone, in order (None: it went away
    before finishing one)."""
    firsts: list[str | None] = []
    waiting = False
    for line in run.logs[device["id"]]:
        if line["what"] == "seen":
            firsts.append(None)
            waiting = True
        elif line["what"] == "step" and waiting:
            firsts[-1] = line["step"]
            waiting = False
    return firsts


# -- a cable pulled at every step of the flow --------------------------------------------------

# step -> (profile, the fault plan or None, the volunteer's options, where it must resume)
AT_EVERY_STEP = {
    "inspect": ("samsung-galaxy-a55",
                lambda: [DropDuring("shell", contains="dumpsys batterystats")], {}, "inspect"),
    "appearance": ("samsung-galaxy-a55", None, {"unplug_at": "appearance"}, "appearance"),
    "touch": ("samsung-galaxy-a55", None, {"unplug_at": "touch"}, "touch"),
    "call": ("samsung-galaxy-a55", None, {"unplug_at": "call"}, "call"),
    "remove_account": ("samsung-galaxy-s9", None, {"unplug_at": "remove_account"},
                       "remove_account"),
    "erase_wait": ("samsung-galaxy-a55", None, {"erase_bounce": True, "erase_seconds": 1.0},
                   "verify_erase"),
    # request_erase and verify_erase both list the user apps: the second one is the verify
    "verify_erase": ("samsung-galaxy-a55",
                     lambda: [DropDuring("shell", contains="pm list packages -3", skip=1)],
                     {}, "verify_erase"),
    # a USB hiccup: the connection drops, adb reconnects under the same transport id
    "usb_glitch": ("samsung-galaxy-a55",
                   lambda: [Glitch("shell", contains="dumpsys batterystats")], {}, "inspect"),
    "install": ("samsung-galaxy-a55", lambda: [DropDuring("install", after_bytes=1000)], {},
                "install"),
    # the phone installed the first app, its "Success" never came back
    "install_answer": ("samsung-galaxy-a55", lambda: [DropDuring("install", at="output")], {},
                       "install"),
    # an old phone without `cmd`: adb push, then pm install
    "push": ("vivo-v15", lambda: [DropDuring("push", after_bytes=1000)], {}, "install"),
    # storage full at the first app; the recheck installs it again, its cable is pulled
    # (2 install services before it: the refused app and the other one)
    "recheck": ("samsung-galaxy-a55",
                lambda: [InstallFails("INSUFFICIENT_STORAGE"), DropDuring("install", skip=2)],
                {}, "recheck"),
    "finalize": ("samsung-galaxy-a55",
                 lambda: [DropDuring("shell", contains="ota_disable_automatic_update 0")], {},
                 "finalize"),
}


def _phone(profile: str) -> Phone:
    if profile == "vivo-v15":  # as an Android 6 phone would: no `cmd`, installs by push
        base = load_profile(profile)
        return Phone(dataclasses.replace(base, features=tuple(
            f for f in base.features if f not in ("cmd", "abb_exec"))))
    return Phone.from_profile(profile)


@pytest.mark.parametrize("step", list(AT_EVERY_STEP))
def test_unplugged_at_a_step_resumes_there(sim_hub, tmp_path, campaign, step):
    profile, faults, volunteer, resume = AT_EVERY_STEP[step]
    plan = FaultPlan(*(faults() if faults else []))
    phone = _phone(profile)
    rig = sim_hub(phone, faults=[plan])
    run = run_station(rig, tmp_path, campaign, **volunteer)
    (row,) = [r for r in run.rows if r.state not in ("gone",)]
    assert row.state == "done", (row, run.notices)
    assert plan.fired >= 1 or run.volunteer.pulled or step == "erase_wait", plan.faults
    device = assert_went_through(run, phone)
    assert len(run.devices) == 1  # one record through every unplug
    assert resume in resumed_at(run, device)[1:], resumed_at(run, device)
    events = run.events[device["id"]]
    if step == "install_answer":
        # The first app was on the phone already: found current, nothing pushed again.
        ((first, second),) = install_outcomes(events)
        assert first["status"] == "skipped" and first["bytes_pushed"] == 0
        assert second["status"] == "installed" and second["bytes_pushed"] > 0
        assert len(plan.services("install")) == 2  # one install service per app, in all
    if step == "recheck":
        runs = install_outcomes(events)
        assert [o["status"] for o in runs[0]] == ["failed", "installed"]
        assert runs[0][0]["failure_code"] == "INSTALL_FAILED_INSUFFICIENT_STORAGE"
        assert [o["status"] for o in runs[-1]] == ["installed", "skipped"]
    if step == "usb_glitch":
        seen = [line["transport"] for line in run.logs[device["id"]] if line["what"] == "seen"]
        assert seen[0] == seen[1]  # the same transport, a new worker
    if step == "push":
        assert all(o["route"] == "push" for o in install_outcomes(events)[0])
        assert plan.services("push")


# -- the station process killed mid-batch ----------------------------------------------------

class RemoteBoard:
    """The board of a station in another process (station_driver.py), for the volunteer."""

    def __init__(self) -> None:
        self._rows: tuple[Row, ...] = ()
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def attach(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._proc, self._rows = proc, ()
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            try:
                data = json.loads(line)
            except ValueError:
                continue
            rows = tuple(Row(
                r["transport_id"], r["adb_serial"], number=r["number"], state=r["state"],
                stage=r["stage"], verdict=r["verdict"],
                action=Msg(r["action"]["msgid"], r["action"]["args"]) if r["action"] else None,
                ask=Ask(r["ask"], Msg(""), ()) if r["ask"] else None) for r in data["rows"])
            with self._lock:
                if self._proc is proc:
                    self._rows = rows

    def snapshot(self):
        with self._lock:
            return type("Snap", (), {"rows": self._rows})()

    def answer(self, transport_id: int, value, question=None) -> bool:
        # ``question`` (the one read) has no identity across processes: the driver's board
        # answers the question it asks now.
        with self._lock:
            proc = self._proc
        if proc is None or proc.poll() is not None:
            return False
        try:
            proc.stdin.write(f"{transport_id} {json.dumps(value)}\n")
            proc.stdin.flush()
        except (OSError, ValueError):
            return False
        return True


def _driver(adb_port: int, db: Path, manifest: Path, logs: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(HERE / "station_driver.py"), str(adb_port), str(db),
         str(manifest), str(logs)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True, env={**os.environ, "TRAOMAY_LANG": "en"})


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_station_killed_mid_batch_and_restarted(sim_hub, adb_server, tmp_path, campaign):
    folder, manifest, _config = campaign
    phones = [Phone.from_profile(p) for p in PASSING]
    rig = sim_hub(*phones)
    db, logs = tmp_path / "inventory.sqlite", tmp_path / "logs"
    board, stop = RemoteBoard(), threading.Event()
    volunteer = FaultyVolunteer(board, rig.sim, dict(zip(rig.sim.addresses, phones,
                                                         strict=True)), stop)
    volunteer.start()

    def stages() -> list[str]:
        return [r.stage for r in board.snapshot().rows if r.number is not None]

    kills = []
    try:
        # 1: killed while phones are between their inspection and their erase
        proc = _driver(adb_server.port, db, manifest.path, logs)
        board.attach(proc)
        assert _wait(lambda: any(s in ("touch", "call", "erase") for s in stages()), 60)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        kills.append(sorted(stages()))
        # 2: killed while some phones install or finish and others still wait
        proc = _driver(adb_server.port, db, manifest.path, logs)
        board.attach(proc)
        assert _wait(lambda: any(s in ("install", "finalize") for s in stages()), 60)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        kills.append(sorted(stages()))
        # 3: runs to the end
        proc = _driver(adb_server.port, db, manifest.path, logs)
        board.attach(proc)
        finished = _wait(lambda: sum(r.state == "done" for r in board.snapshot().rows)
                         >= len(phones), 90)
        proc.stdin.close()
        proc.wait(30)
    finally:
        stop.set()
        for p in (proc,):
            if p.poll() is None:
                p.kill()
    assert finished, board.snapshot().rows
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Inventory(db, read_only=True) as inv:
        devices = inv.devices()
        events = {d["id"]: inv.events(d["id"]) for d in devices}
    assert len(devices) == len(phones), kills
    run = Run(0.0, (), (), devices, events, {}, volunteer, db, addresses_of(rig))
    for phone in phones:
        device = run.device_of(phone)
        ks = kinds(events[device["id"]])
        assert device["stage"] == "finalized" and device["verdict"] == "pass", ks
        assert ks.count("erased") == 1 and ks.count("finalize") == 1, ks
        # An app installed once at most; the station killed after the phone installed it
        # but before the record: the next run finds it current and pushes nothing.
        runs = install_outcomes(events[device["id"]])
        for app in {o["app"] for outcomes in runs for o in outcomes}:
            mine = [o for outcomes in runs for o in outcomes if o["app"] == app]
            assert sum(o["status"] == "installed" for o in mine) <= 1, (phone.profile.name, runs)
            assert mine[-1]["status"] in ("installed", "skipped")
            assert all(o["bytes_pushed"] == 0 for o in mine if o["status"] == "skipped")
        assert {o["package"] for o in runs[-1]} <= set(phone.apps)
        assert phone.get_setting("global", "adb_enabled") == "0"


# -- phones that report the same serial ------------------------------------------------------

def test_same_serial_phones_keep_separate_records(sim_hub, tmp_path, campaign):
    phones = [Phone.from_profile("nokia-1-plus"), Phone.from_profile("masstel-max-10"),
              Phone.from_profile("nokia-1-plus", copy=1)]
    assert len({p.props["ro.serialno"] for p in phones}) == 1  # 0123456789ABCDEF, all three
    rig = sim_hub(*phones)
    run = run_station(rig, tmp_path, campaign)
    assert len(run.devices) == 3
    # Each record holds one phone only (seen on its own port), through the erase.
    devices = [run.device_of(phone) for phone in phones]
    assert len({d["id"] for d in devices}) == 3
    assert all(d["serial"] == "0123456789ABCDEF" for d in devices)
    for phone, device in zip(phones, devices, strict=True):
        assert kinds(run.events[device["id"]]).count("erased") == 1
        if phone.profile.name == "masstel-max-10":  # its worn port drains on any charger
            assert device["verdict"] == "fail"
        else:
            assert_went_through(run, phone)


# -- a hub that loses power -------------------------------------------------------------------

def test_hub_drop_is_one_notice_and_phones_resume(sim_hub, tmp_path, campaign):
    phones = [Phone.from_profile(p) for p in PASSING[:4]]
    rig = sim_hub(*phones)

    def pull_the_hub(station, volunteer) -> None:
        volunteer.paused.set()  # everyone waits at their first question
        _wait(lambda: sum(r.stage == "appearance" for r in station.board.snapshot().rows)
              == 4, 30)
        for index in range(4):  # within 0.2 s
            rig.sim.unplug(index)
        time.sleep(1.5)
        for index in range(4):
            rig.sim.replug(index)
        volunteer.paused.clear()

    run = run_station(rig, tmp_path, campaign, during=pull_the_hub)
    hub_notices = [n for n in run.notices if n.msgid == HUB_PROBLEM.msgid]
    assert len(hub_notices) == 1, run.notices
    for phone in phones:
        device = assert_went_through(run, phone)
        assert resumed_at(run, device)[1] == "appearance"


# -- unauthorized, then allowed ---------------------------------------------------------------

def test_unauthorized_then_allowed(sim_hub, tmp_path, campaign):
    phone = Phone.from_profile("samsung-galaxy-a55")
    plan = FaultPlan(Unauthorized())
    rig = sim_hub(phone, faults=[plan])
    assert rig.hub.list_phones()[0].state == "unauthorized"
    run = run_station(rig, tmp_path, campaign)
    assert plan.fired == 1
    allowed = [what for _a, what in run.volunteer.actions if what == "allow"]
    assert allowed  # the row asked for "Allow", the volunteer tapped it
    assert_went_through(run, phone)


def test_allowed_by_itself_after_a_while(sim_hub, tmp_path, campaign):
    phone = Phone.from_profile("samsung-galaxy-s24")
    rig = sim_hub(phone, faults=[FaultPlan(Unauthorized(allow_after=1.0),
                                           Slow(0.05, what="shell"))])
    run = run_station(rig, tmp_path, campaign)
    assert_went_through(run, phone)


# -- garbled and cut answers ------------------------------------------------------------------

@pytest.mark.parametrize("profile", ["samsung-galaxy-a55", "xiaomi-redmi-note7"])
def test_garbled_sections_never_pass(sim_hub, tmp_path, campaign, profile):
    """Junk where a check's sections were (and getprop, which every check reads): that check
    is never a pass."""
    plan = FaultPlan()
    rig = sim_hub(profile, faults=[plan])
    with Inventory(tmp_path / "inv.sqlite") as inv:
        session = rig.session(inv, 0, campaign[2])
        clean = {r.name: r.status for r in session.inspect(active=False).results}
        assert clean["battery"] is Status.PASS and clean["accounts"] is Status.PASS
        for name in CHECK_ORDER:
            sections = [*REGISTRY[name].commands, "getprop"]
            plan.add(*[Garble(section=s, how="garbage") for s in sections])
            (result,) = session.inspect([name], active=False).results
            assert result.status is not Status.PASS, (name, result)
            assert all(f.fired == 1 for f in plan.faults[-len(sections):]), name


def test_garbled_inspection_is_read_again_not_passed(sim_hub, tmp_path, campaign):
    """Through the station: the first inspection's battery answer is junk; the battery is
    not passed on it, the phone waits for it, and a clean reading later passes it."""
    phone = Phone.from_profile("samsung-galaxy-a55")
    plan = FaultPlan(Garble(section="battery", how="garbage"))
    rig = sim_hub(phone, faults=[plan])
    run = run_station(rig, tmp_path, campaign)
    assert plan.fired == 1
    device = assert_went_through(run, phone)
    with Inventory(run.db, read_only=True) as inv:
        statuses = [r[0] for r in inv.db.execute(
            "SELECT status FROM check_results WHERE device_id = ? AND check_name = 'battery' "
            "ORDER BY id", [device["id"]]).fetchall()]
    assert statuses[0] == "error" and statuses[-1] == "pass", statuses


def test_answer_cut_mid_inspection_records_nothing_then_resumes(sim_hub, tmp_path, campaign):
    phone = Phone.from_profile("samsung-galaxy-a55")
    plan = FaultPlan(Garble(section="camera", how="cut", come_back_after=0.5))
    rig = sim_hub(phone, faults=[plan])
    run = run_station(rig, tmp_path, campaign)
    assert plan.fired == 1
    device = assert_went_through(run, phone)
    assert resumed_at(run, device)[:2] == [None, "inspect"]


# -- the reset's reboot (traomay reset): late, or never back ------------------------------------

def test_reset_reboot_late_and_never(sim_hub, tmp_path, campaign):
    late = FaultPlan(DropDuring("reboot", come_back_after=2.0))
    never = FaultPlan(DropDuring("reboot", come_back_after=None))
    rig = sim_hub("samsung-galaxy-a55", "samsung-galaxy-s24", faults=[late, never])
    with Inventory(tmp_path / "inv.sqlite") as inv:
        first = rig.session(inv, 0, campaign[2])
        started = time.monotonic()
        outcome = first.reset(timeout=20)
        assert outcome.method == "testharness" and time.monotonic() - started >= 2.0
        assert late.fired == 1
        second = rig.session(inv, 1, campaign[2])
        with pytest.raises(DeviceTimeout):
            second.reset(timeout=3)
        assert never.fired == 1
        assert "reset" not in kinds(inv.events(second.device_id))  # nothing claimed
        assert "reset" in kinds(inv.events(first.device_id))
        assert len(inv.devices()) == 2
