"""Many processes writing to one inventory at once, as one `traomay inspect` per phone on a
hub does. Counts what reached the file (not what the writers believe), checks integrity.

    .venv/bin/python benchmarks/inventory_writers.py [--processes 16] [--writes 200]

Each process cycles record_seen (a new phone), record_seen (one phone every process shares,
plus an alias), record_run (12 results, ~16 kB of raw output), add_event. Every write adds
exactly one event, so writes lost = attempted - events in the file. Exits 1 if any is lost.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKS = ("battery", "charging", "camera", "wifi", "cellular", "gps", "bluetooth",
          "touchscreen", "accounts", "origin", "appearance", "compatibility")


def worker(db: str, me: int, writes: int) -> None:
    from traomay.core.errors import InventoryError
    from traomay.core.msg import Msg
    from traomay.core.results import CheckResult, Status
    from traomay.inventory.store import Inventory

    ident = {"brand": "samsung", "model": "SM-A105F", "serial": f"S{me}", "abis": ["arm64-v8a"]}
    raw = {name: f"{name}: " + "level: 87\n" * 200 for name in CHECKS[:8]}
    print("ready", flush=True)
    sys.stdin.readline()
    failed, latencies = 0, []
    with Inventory(db, station=f"station-{me}") as inv:
        dev = None
        for i in range(writes):
            t = time.perf_counter()
            try:
                op = i % 4
                if op == 0:
                    dev = inv.record_seen(ident, [f"w{me}-{i}"]).id
                elif op == 1:
                    inv.record_seen(ident, ["shared-phone", f"alias-w{me}-{i}"])
                elif op == 2:
                    results = [CheckResult(c, Status.PASS, Msg("ok"), {"i": i}) for c in CHECKS]
                    inv.record_run(dev, "inspect", "t0", results, raw, 40)
                else:
                    inv.add_event(dev, "note", {"i": i})
            except InventoryError:
                failed += 1
            latencies.append(time.perf_counter() - t)
    print(json.dumps({"failed": failed, "latencies": latencies}), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=16)
    parser.add_argument("--writes", type=int, default=200, help="writes per process")
    parser.add_argument("--db", type=Path, help="inventory file (default: a fresh temp file)")
    parser.add_argument("--worker", nargs=3, metavar=("DB", "INDEX", "WRITES"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), int(args.worker[2]))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "inventory.sqlite"
        before = _events(db)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        procs = [subprocess.Popen(
            [sys.executable, __file__, "--worker", str(db), str(i), str(args.writes)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
            for i in range(args.processes)]
        for p in procs:  # all imported and waiting: start them together
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        start = time.perf_counter()
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outs = [p.communicate()[0] for p in procs]
        elapsed = time.perf_counter() - start
        reports = []
        for p, out in zip(procs, outs, strict=True):
            try:
                reports.append(json.loads(out.strip().splitlines()[-1]))
            except (IndexError, ValueError):
                reports.append({"failed": args.writes, "latencies": []})
                print(f"a writer died (exit {p.returncode})", file=sys.stderr)
        attempted = args.processes * args.writes
        conn = sqlite3.connect(db)
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        conn.close()
        written = _events(db) - before
        lost = attempted - written
        latencies = sorted(x for r in reports for x in r["latencies"])

    print(f"processes:        {args.processes}")
    print(f"writes attempted: {attempted}")
    print(f"writes lost:      {lost}  (writers reported {sum(r['failed'] for r in reports)} "
          "failed)")
    print(f"integrity_check:  {integrity}")
    print(f"elapsed:          {elapsed:.2f} s ({attempted / elapsed:.0f} writes/s)")
    if latencies:
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(f"write latency:    median {statistics.median(latencies) * 1000:.1f} ms, "
              f"p99 {p99 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    return 0 if lost == 0 and integrity == "ok" else 1


def _events(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM events").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
