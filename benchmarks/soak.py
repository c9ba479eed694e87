"""Soak run: the station on a simulated hub for N seconds while random faults happen.

    .venv/bin/python benchmarks/soak.py --seconds 120 [--phones 12] [--seed 1]

The station runs in its own process; a simulated volunteer answers its board, does the
physical steps, and takes each finished phone off the hub, its port then getting the next
donated phone. Meanwhile, at random: a cable is pulled mid-command, mid-install or mid-push
(back after a while), answers are slow, garbled or cut, an install fails for storage, a
phone asks "Allow USB debugging?" again, a USB hiccup drops the connection (adb reconnects
under the same transport), the volunteer pulls a cable, the hub loses power (four phones at
once), the station process is killed (SIGKILL) and started again.

At the end the inventory is compared with what the phones went through (their own state:
erased or not, apps installed, USB debugging switched off by finalize): one record per
phone, each of those facts recorded, events in the order of the flow. Printed: phones
processed, faults injected, records lost (must be 0).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import signal
import sqlite3
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from station_rig import (  # noqa: E402
    PASSING,
    Bench,
    BenchVolunteer,
    MeteredPhone,
    RemoteBoard,
    start_station,
)

from traomay.inventory.store import Inventory  # noqa: E402
from traomay.provision.identify import IDENTIFY_SECTIONS, identity_from_sections  # noqa: E402
from traomay.provision.station.board import Row  # noqa: E402
from traomay.simulator.faults import (  # noqa: E402
    DropDuring,
    Garble,
    Glitch,
    InstallFails,
    Slow,
    Unauthorized,
)
from traomay.simulator.latency import CommandLatency  # noqa: E402

# Profiles on the hub: those that pass, and some that are set aside or wait for something.
PROFILES = (*PASSING, "samsung-galaxy-s8", "vivo-y85a", "oppo-a5s", "nokia-1-plus")
SECTIONS = ("battery", "camera", "accounts", "telephony", "storage_df", "getprop")
OPTIONS = {"operator": "soak", "touch_timeout": 30, "call_timeout": 20, "wait_back": 120,
           "recheck_every": 1.0, "poll": 0.5}


@dataclasses.dataclass
class Donated:
    """One phone that went through the hub (its port, when it was taken off)."""

    phone: MeteredPhone
    port: int
    finished: bool = False


class Soak:
    def __init__(self, bench: Bench, seconds: float, rng: random.Random) -> None:
        self.bench, self.seconds, self.rng = bench, seconds, rng
        self.sim = bench.sim
        self.donated = [Donated(p, i) for i, p in enumerate(bench.phones)]
        self.on_port = list(self.donated)  # what is on each port now
        self.copies = len(bench.phones)
        self.faults = {"wire": 0, "pulled": 0, "hub_drop": 0, "station_killed": 0}
        self.lock = threading.Lock()
        self.busy_ports: set[int] = set()
        self.taken_off: set[int] = set()  # transports whose finished phone was taken off
        self.stop_faults = threading.Event()
        self.stop = threading.Event()
        self.board: RemoteBoard | None = None
        self.proc = None

    # -- the station, killed and started again ------------------------------------------------
    def start_station(self) -> None:
        self.proc = start_station(self.bench.server.port, self.bench.work / "inventory.sqlite",
                                  self.bench.manifest.path, self.bench.work / "logs", OPTIONS)
        self.board = RemoteBoard(self.proc)
        self.board_ref.board = self.board

    # -- the volunteer: finished phones off, the next donated phone on ------------------------
    def before_act(self, row: Row, index: int) -> bool:
        if index in self.busy_ports:
            return True
        if row.state in ("done", "set_aside"):
            with self.lock:
                if index in self.busy_ports or row.transport_id in self.taken_off:
                    return True
                self.busy_ports.add(index)
                self.taken_off.add(row.transport_id)
            threading.Thread(target=self.next_phone, args=(index,), daemon=True).start()
            return True
        return False

    def next_phone(self, index: int) -> None:
        try:
            self.sim.unplug(index)
            self.on_port[index].finished = True
            if self.stop_faults.is_set():
                return  # winding down: the port stays empty
            with self.lock:  # each donated phone is another unit (own serial, IMEI)
                number, self.copies = self.copies, self.copies + 1
            profile = PROFILES[number % len(PROFILES)]
            phone = MeteredPhone.from_profile(profile, copy=number // len(PROFILES))
            phone.latency = self.bench.phones[0].latency
            donated = Donated(phone, index)
            self.donated.append(donated)
            self.on_port[index] = donated
            self.sim.act(index, lambda _old, server: setattr(server, "phone", phone))
            self.volunteer.phones[self.sim.addresses[index]] = phone
            time.sleep(0.3)
            self.sim.replug(index)
        finally:
            with self.lock:
                self.busy_ports.discard(index)

    # -- faults -------------------------------------------------------------------------------
    def inject(self) -> None:
        last_kill = time.monotonic()
        while not self.stop_faults.wait(self.rng.uniform(0.3, 1.2)):
            index = self.rng.randrange(len(self.on_port))
            plan = self.bench.plans[index]
            choice = self.rng.random()
            back = self.rng.uniform(0.2, 2.0)
            if time.monotonic() - last_kill > 15 and choice < 0.2:
                self.kill_station()
                last_kill = time.monotonic()
            elif choice < 0.25:
                plan.add(DropDuring("shell", come_back_after=back,
                                    at=self.rng.choice(["start", "output"])))
            elif choice < 0.35:
                plan.add(DropDuring("install", come_back_after=back,
                                    at=self.rng.choice(["data", "output"]),
                                    after_bytes=self.rng.randrange(0, 500_000)))
            elif choice < 0.45:
                plan.add(Slow(self.rng.uniform(0.2, 1.5), times=self.rng.randrange(1, 4)))
            elif choice < 0.55:
                plan.add(Garble(section=self.rng.choice(SECTIONS),
                                how=self.rng.choice(["garbage", "cut"]), come_back_after=back))
            elif choice < 0.6:
                plan.add(InstallFails("INSUFFICIENT_STORAGE"))
            elif choice < 0.65:
                plan.add(Glitch(self.rng.choice(["shell", "install"]),
                                at=self.rng.choice(["start", "output"])))
            elif choice < 0.7:
                plan.add(Unauthorized(), DropDuring("shell", come_back_after=back))
            elif choice < 0.85:
                self.pull(index, back)
            elif choice < 0.9:
                self.hub_drop()
        self.faults["wire"] = sum(p.fired for p in self.bench.plans)

    def pull(self, index: int, seconds: float) -> None:
        with self.lock:
            if index in self.busy_ports:
                return
            self.busy_ports.add(index)
        try:
            self.sim.unplug(index)
            self.faults["pulled"] += 1
            time.sleep(seconds)
            self.sim.replug(index)
        finally:
            with self.lock:
                self.busy_ports.discard(index)

    def hub_drop(self) -> None:
        ports = self.rng.sample(range(len(self.on_port)), min(4, len(self.on_port)))
        with self.lock:
            if self.busy_ports & set(ports):
                return
            self.busy_ports.update(ports)
        try:
            for index in ports:
                self.sim.unplug(index)
            self.faults["hub_drop"] += 1
            time.sleep(self.rng.uniform(0.5, 2.0))
            for index in ports:
                self.sim.replug(index)
        finally:
            with self.lock:
                self.busy_ports.difference_update(ports)

    def kill_station(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.faults["station_killed"] += 1
        self.start_station()

    # -- the run ------------------------------------------------------------------------------
    def run(self) -> None:
        self.board_ref = _BoardRef()
        self.start_station()
        self.volunteer = BenchVolunteer(self.board_ref, self.sim,
                                        dict(zip(self.sim.addresses, self.bench.phones,
                                                 strict=True)),
                                        self.stop, before_act=self.before_act)
        self.volunteer.start()
        injector = threading.Thread(target=self.inject, daemon=True)
        injector.start()
        time.sleep(self.seconds)
        self.stop_faults.set()  # no more faults: let the phones on the hub finish
        injector.join(30)
        for plan in self.bench.plans:
            for fault in plan.faults:
                if hasattr(fault, "times"):
                    fault.times = fault.fired  # what did not fire yet never will
        deadline = time.monotonic() + 180
        rows: tuple = ()
        while time.monotonic() < deadline:
            rows = self.board.snapshot().rows if self.board else ()
            waiting = [d for d in self.on_port if not d.finished]
            if not waiting and not self.busy_ports:
                break
            time.sleep(0.5)
        self.stop.set()
        try:
            self.proc.stdin.close()
            self.proc.wait(30)
        except Exception:  # noqa: BLE001 - it is being shut down anyway
            self.proc.kill()
        self.leftover = [d for d in self.on_port if not d.finished]
        self.rows = rows
        self.ports = self.sim.ports


class _BoardRef:
    """The volunteer reads whichever station process runs now."""

    board: RemoteBoard | None = None

    def snapshot(self):
        return self.board.snapshot() if self.board else type("S", (), {"rows": ()})()

    def answer(self, transport_id: int, value, question=None) -> bool:
        return self.board.answer(transport_id, value) if self.board else False


# -- what the inventory must hold ------------------------------------------------------------

def keys_of(phone: MeteredPhone) -> list[str]:
    sections = {}
    for name, command in IDENTIFY_SECTIONS.items():
        out = phone.shell.run(command)
        sections[name] = (out.stdout + out.stderr).decode("utf-8", "replace")
    return identity_from_sections(sections).candidate_keys()


def audit(db: Path, donated: list[Donated], manifest_packages: set[str]) -> tuple[int, list]:
    """Records lost: what a phone went through that its record lacks (or no record, or two
    phones in one); and the duplicates."""
    lost: list[tuple[str, str]] = []
    with Inventory(db, read_only=True) as inv:
        devices = inv.devices()
        ids: dict[int, str] = {}
        for d in donated:
            phone = d.phone
            name = phone.profile.name
            device_id = inv.find_device_id(keys_of(phone))
            if device_id is None:
                if phone.commands:  # it answered the station: it must be on record
                    lost.append((name, "no record"))
                continue
            if device_id in ids:
                lost.append((name, f"shares record {device_id} with {ids[device_id]}"))
            ids[device_id] = name
            kinds = [e["kind"] for e in inv.events(device_id)]
            outcomes = [json.loads(e["data"]).get("outcomes", []) for e in inv.events(device_id)
                        if e["kind"] == "install"]
            erased_here = phone.get_setting("secure", "android_id") != _original_aid(phone)
            if erased_here and "erase_requested" not in kinds:
                lost.append((name, "erased, but no erase request on record"))
            if d.finished and erased_here and "erased" not in kinds and \
                    "erase_unverified" not in kinds:
                lost.append((name, "erased, never verified on record"))
            installed = manifest_packages & {p for p, a in phone.apps.items() if not a.system}
            ok = {o["package"] for run in outcomes for o in run
                  if o["status"] in ("installed", "skipped")}
            if d.finished and installed - ok:
                lost.append((name, f"apps on the phone not on record: {installed - ok}"))
            if phone.get_setting("global", "adb_enabled") == "0" and "finalize" not in kinds:
                lost.append((name, "finalized (USB debugging off), no finalize on record"))
            order = [kinds.index(k) for k in ("erase_requested", "erased", "install",
                                              "finalize") if k in kinds]
            if order != sorted(order):
                lost.append((name, f"events out of order: {kinds}"))
            for k in ("erased", "finalize"):
                if kinds.count(k) > 1:
                    lost.append((name, f"{k} recorded {kinds.count(k)} times"))
        extra = len(devices) - len(ids)
        if extra > 0:
            lost.append(("inventory", f"{extra} records of no phone (duplicates)"))
    with sqlite3.connect(db) as conn:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            lost.append(("inventory", "integrity_check failed"))
    return len(lost), lost


def _original_aid(phone: MeteredPhone) -> str:
    import hashlib

    return hashlib.sha256(phone.profile.name.encode()).hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--phones", type=int, default=12, help="ports on the hub")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency-scale", type=float, default=0.3,
                        help="phones' command latencies x this (1: realistic)")
    parser.add_argument("--keep", type=Path, help="keep the inventory and logs in this folder")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    latency = CommandLatency(scale=args.latency_scale)
    phones = []
    for i in range(args.phones):
        phone = MeteredPhone.from_profile(PROFILES[i % len(PROFILES)], copy=0)
        phone.latency = latency
        phones.append(phone)
    started = time.monotonic()
    with Bench(phones, sizes_mb=(1.0, 0.5), work=args.keep) as bench:
        soak = Soak(bench, args.seconds, rng)
        soak.run()
        packages = {a.package for a in bench.manifest.apps}
        count, lost = audit(bench.work / "inventory.sqlite", soak.donated, packages)
    finished = sum(d.finished for d in soak.donated)
    wire = sum(soak.faults.values())
    print(f"soak: {args.seconds:.0f} s of faults, {time.monotonic() - started:.0f} s in all, "
          f"{args.phones} ports, seed {args.seed}")
    print(f"phones processed: {finished} (taken off the hub finished), "
          f"{len(soak.leftover)} still on the hub unfinished")
    print(f"faults injected: {wire} ({', '.join(f'{k} {v}' for k, v in soak.faults.items())})")
    print(f"records lost: {count}")
    for name, why in lost:
        print(f"  {name}: {why}")
    for d in soak.leftover:
        rows = [r for r in soak.rows if r.adb_serial.endswith(f":{soak.ports[d.port]}")]
        print(f"  unfinished: {d.phone.profile.name} on port {d.port}: " + "; ".join(
            f"{r.state}/{r.stage}/{r.action.msgid[:60] if r.action else ''}" for r in rows))
    sys.exit(1 if count else 0)


if __name__ == "__main__":
    main()
