"""The district's scale: an inventory of 100 000 phones with their events, check runs,
results and intakes, and the time of what the district does with it.

Timed (target: at most 2 s each on a 2-core machine):
- ``export csv`` of 100 000 phones;
- the weekly report (mẫu 3) on 100 000 phones, CSV and PDF;
- ``traomay list`` (the newest 50, the default) and the list of every phone;
- merging two 50 000-phone inventories (5 000 phones seen at both stations), merging
  the same again (nothing new), and merging the station's next week (1 000 new phones).

Run: ``.venv/bin/python benchmarks/inventory.py [--phones 100000]``. The inventories are
generated with bulk inserts into the real schema (Inventory creates and migrates it); the
timed parts are the library calls the commands make (and the ``list`` command itself).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from traomay.checks.registry import VERDICT_CRITERIA  # noqa: E402
from traomay.core.campaign import TEMPLATES, load_campaign  # noqa: E402
from traomay.inventory.campaign_key import keyed  # noqa: E402
from traomay.inventory.store import Inventory  # noqa: E402

KEY = bytes(range(32))
MODELS = [("samsung", "SM-A105F", "Galaxy A10"), ("OPPO", "CPH2127", "OPPO A53"),
          ("Xiaomi", "M2006C3LG", "Redmi 9A"), ("vivo", "V2026", "vivo Y12s"),
          ("samsung", "SM-A325F", "Galaxy A32"), ("realme", "RMX3085", "realme 8")]
SUMMARY = json.dumps({"msgid": "Battery lasts about {hours} h", "args": {"hours": 9}})
RAW = zlib.compress(json.dumps({"battery": "level: 100\nscale: 100\n" * 8}).encode(), 6)


def iso(t: datetime) -> str:
    return t.isoformat(timespec="milliseconds")


def generate(path: Path, first: int, count: int, station: str, seed: int, *,
             id_base: int = 0) -> None:
    """Phones ``first`` .. ``first + count - 1`` (the same number is the same phone at any
    station: its serial key is the same HMAC). ``id_base``: the phones (and their runs) are
    added after that many already in the file (a station's later weeks)."""
    rng = random.Random(seed)
    Inventory(path, station=station, key=KEY).close()  # schema, migrations, vocabulary
    units = [u.name for u in load_campaign(TEMPLATES / "campaign.yaml").donor_units]
    start = datetime(2024, 6, 3, 1, 0, tzinfo=timezone.utc)
    devices, keys, events, runs, results, intakes = [], [], [], [], [], []
    run_id = id_base  # at most one run per phone here
    for i, n in enumerate(range(first, first + count), start=id_base + 1):
        brand, model, name = MODELS[n % len(MODELS)]
        seen = start + timedelta(minutes=rng.randrange(0, 8 * 7 * 24 * 60))
        r = rng.random()
        verdict = "pass" if r < 0.7 else "fail" if r < 0.9 else "incomplete"
        stage = {"pass": "installed", "fail": "inspected", "incomplete": "identified"}[verdict]
        plain = f"serial-{n:016x}"
        devices.append((i, keyed(KEY, plain), brand, brand, model, name, "a", "11", 30,
                        "arm64-v8a", f"R58M{n:08d}", 1, iso(seen), iso(seen + timedelta(hours=1)),
                        station, stage, verdict, str(uuid.UUID(int=rng.getrandbits(128))),
                        "adb"))
        keys.append((keyed(KEY, plain), i, iso(seen), "identify"))
        keys.append((keyed(KEY, f"aid-{n:016x}"), i, iso(seen), "identify"))
        at = iso(seen + timedelta(minutes=5))
        events.append((i, station, iso(seen), "seen", '{"created": true}',
                       str(uuid.UUID(int=rng.getrandbits(128)))))
        if rng.random() < 0.9:
            uid = str(uuid.UUID(int=rng.getrandbits(128)))
            intakes.append((uid, i, station, iso(seen), "BN-" + uid[:8].upper(),
                            f"Người tặng {n}", "0912345678", units[n % len(units)], "adb", "",
                            "Lan"))
            events.append((i, station, iso(seen), "intake", "{}",
                           str(uuid.UUID(int=rng.getrandbits(128)))))
        if verdict == "incomplete":
            continue
        run_id += 1
        runs.append((run_id, i, station, "inspect", iso(seen), at, 1, RAW,
                     str(uuid.UUID(int=rng.getrandbits(128)))))
        events.append((i, station, at, "inspect", json.dumps({"run_id": run_id}),
                       str(uuid.UUID(int=rng.getrandbits(128)))))
        failing = rng.choice(VERDICT_CRITERIA)[0] if verdict == "fail" else None
        for check, _label, _criterion in VERDICT_CRITERIA:
            status = "fail" if check == failing else "pass"
            results.append((run_id, i, check, status, SUMMARY, '{"hours": 9}', at,
                            "Pin dùng được khoảng 9 giờ"))
        if verdict == "pass":
            events.append((i, station, at, "reset", json.dumps(
                {"method": "testharness", "crypto_type": "file", "accounts_after": 0}),
                str(uuid.UUID(int=rng.getrandbits(128)))))
            if rng.random() < 0.5:  # handed over (the report counts these), a tenth undone
                given = iso(seen + timedelta(days=rng.randrange(1, 14)))
                allocation = {"allocation_uid": str(uuid.UUID(int=rng.getrandbits(128))),
                              "household_code": f"HH-{n:06d}"}
                events.append((i, station, given, "handover", json.dumps(allocation),
                               str(uuid.UUID(int=rng.getrandbits(128)))))
                if rng.random() < 0.1:
                    events.append((i, station, given, "handover_undone", json.dumps(allocation),
                                   str(uuid.UUID(int=rng.getrandbits(128)))))
    conn = Inventory(path, station=station, key=KEY)
    db = conn.db.conn
    db.execute("BEGIN IMMEDIATE")
    db.executemany("INSERT INTO devices(id, device_key, brand, manufacturer, model, "
                   "marketing_name, device, android_version, sdk, abis, serial, imei_count, "
                   "first_seen, last_seen, station, stage, verdict, uid, entry) VALUES "
                   "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", devices)
    db.executemany("INSERT INTO device_keys(key, device_id, added_at, reason) VALUES (?,?,?,?)",
                   keys)
    db.executemany("INSERT INTO events(device_id, station, at, kind, data, uid) "
                   "VALUES (?,?,?,?,?,?)", events)
    db.executemany("INSERT INTO runs(id, device_id, station, kind, started_at, finished_at, "
                   "round_trips, raw_outputs, uid) VALUES (?,?,?,?,?,?,?,?,?)", runs)
    db.executemany("INSERT INTO check_results(run_id, device_id, check_name, status, summary, "
                   "measurements, at, summary_vi) VALUES (?,?,?,?,?,?,?,?)", results)
    db.executemany("INSERT INTO intakes(uid, device_id, station, at, receipt_no, donor_name, "
                   "donor_phone, donor_unit, condition, note, received_by) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?,?)", intakes)
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def timed(label: str, fn, table: list[tuple[str, float, float]]) -> object:  # type: ignore[no-untyped-def]
    """Wall-clock and this process's CPU time (the CPU time says how much of the wall time
    was this work when other programs share the two cores)."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    table.append((label, time.perf_counter() - t0, time.process_time() - c0))
    print(f"  {label}: {table[-1][1]:.2f} s (CPU {table[-1][2]:.2f} s)", flush=True)
    return out


def calibration() -> float:
    """Seconds for 10 million additions in pure Python: about 0.4 s on an idle core of a
    2 GHz server of this class; more means the machine is busy with other work."""
    t0, total = time.perf_counter(), 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - t0


def _child(cmd: list[str], env: dict[str, str]) -> None:
    """Run a command; its CPU time is added to ours (os.times children) by timed()."""
    before = os.times()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
    after = os.times()
    _CHILD_CPU.append(after.children_user + after.children_system
                      - before.children_user - before.children_system)


_CHILD_CPU: list[float] = []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phones", type=int, default=100_000)
    args = parser.parse_args()
    from traomay.inventory.merge import merge
    from traomay.outputs import export, report

    work = Path(tempfile.mkdtemp(prefix="traomay-bench-"))
    table: list[tuple[str, float, float]] = []
    print(f"calibration: {calibration():.2f} s for 10M additions; load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    try:
        big = work / "district" / "inventory.sqlite"
        big.parent.mkdir()
        t0 = time.perf_counter()
        generate(big, 0, args.phones, "Điểm tiếp nhận 1", 1)
        print(f"generated {args.phones} phones in {time.perf_counter() - t0:.1f} s "
              f"({big.stat().st_size / 1e6:.0f} MB)", flush=True)
        (big.parent / "campaign.key").write_text(KEY.hex() + "\n")
        campaign = load_campaign(TEMPLATES / "campaign.yaml")
        with Inventory(big, station="district", read_only=True, key=KEY) as inv:
            timed(f"export csv, {args.phones} phones",
                  lambda: export.write_csv(inv, work / "out.csv"), table)
            timed(f"export json, {args.phones} phones",
                  lambda: export.write_json(inv, work / "out.json"), table)
            timed(f"weekly report (CSV + PDF), {args.phones} phones",
                  lambda: report.write_weekly(inv, campaign, work, "2024-W26"), table)
            timed("list: newest 50 (library)",
                  lambda: export.rows(inv, export.Selection(limit=50)), table)
            timed(f"list: all {args.phones} (library)",
                  lambda: export.rows(inv, export.Selection()), table)
        env = {**os.environ, "TRAOMAY_DB": str(big), "TRAOMAY_CAMPAIGN": str(big.parent),
               "COLUMNS": "160"}
        cli = [sys.executable, "-m", "traomay", "--db", str(big), "list"]
        timed("traomay list (the command, newest 50; CPU: the child's)",
              lambda: _child(cli, env), table)
        table[-1] = (table[-1][0], table[-1][1], _CHILD_CPU[-1])
        half = args.phones // 2
        a, b = work / "a" / "inventory.sqlite", work / "b" / "inventory.sqlite"
        a.parent.mkdir()
        b.parent.mkdir()
        overlap = half // 10
        generate(a, 0, half, "Xã A", 2)
        generate(b, half - overlap, half, "Xã B", 3)
        with Inventory(a, station="district", key=KEY) as inv:
            first = timed(f"merge {half} phones into {half} ({overlap} at both)",
                          lambda: merge(inv, b), table)
            again = timed("merge the same again (nothing new)", lambda: merge(inv, b), table)
            # What the district does every week: the station's new copy, with its new phones.
            week = half // 50
            generate(b, 2 * half, week, "Xã B", 4, id_base=half)
            later = timed(f"merge the station's next week ({week} new phones, {half} known)",
                          lambda: merge(inv, b), table)
            phones = inv.db.execute("SELECT count(*) FROM devices").fetchone()[0]
        print(f"  merged: {first.phones_new} new, {first.phones_matched} matched, "  # type: ignore[attr-defined]
              f"{first.results} results; again changed={again.changed}; "  # type: ignore[attr-defined]
              f"next week {later.phones_new} new, {later.results} results; "  # type: ignore[attr-defined]
              f"{phones} phones", flush=True)
        print(f"\ncalibration at the end: {calibration():.2f} s; load average "
              f"{os.getloadavg()[0]:.1f}")
        print("\n| operation | wall s | CPU s |\n|---|---|---|")
        for label, seconds, cpu in table:
            print(f"| {label} | {seconds:.2f} | {cpu:.2f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
