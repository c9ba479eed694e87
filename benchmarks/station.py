"""Station throughput: N simulated phones carried through the whole hand-over flow at once.

    .venv/bin/python benchmarks/station.py --phones 1,8,16,32,64 [--apk-mb 12,6]

The phones answer with realistic latencies (simulator/latency.py: ``dumpsys battery`` 0.1 s,
``batterystats`` 2 s, the camera 0.5 s, an install 1 s + 25 MB/s on the phone), all APK bytes
share one USB 2.0 bus (35 MB/s for the whole hub), a simulated volunteer answers the board
and does the physical steps (the erase takes ``--erase-s`` away from the hub). The station
runs in its own process, as on a real station PC.

Printed per hub size: the measured makespan (station start to every phone finished), the
ideal makespan from the same latencies and bandwidth (station_rig.ideal: the longest phone's
critical path or all APK bytes over the bus; and "ordered", the same bound knowing that no
APK can go before the first erase is done and the last one must still be installed), their
ratios (efficiency), adb round trips (services the phones answered) and the station
process's memory per phone (its peak resident memory while running, less what it held once
loaded, over the number of phones).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from station_rig import (  # noqa: E402
    USB2_BYTES_PER_S,
    Bench,
    ideal,
    make_phones,
)

from traomay.simulator.latency import REALISTIC  # noqa: E402

HEADER = ("phones", "makespan s", "ideal s", "eff", "ordered s", "eff(ordered)", "bus s",
          "round trips", "rt/phone", "station MB/phone", "station CPU s", "done")


def one(n: int, args: argparse.Namespace) -> tuple:
    phones = make_phones(n, REALISTIC if not args.no_latency else None)
    for phone in phones:
        phone.touch_row_delay = args.touch_row_s
        phone.shell.jobs = not args.sequential  # a shell without jobs: sequential batches
    sizes = tuple(float(x) for x in args.apk_mb.split(","))
    with Bench(phones, sizes_mb=sizes, bandwidth=args.bandwidth_mb * 1e6) as bench:
        result = bench.run_station({
            "operator": "bench", "touch_timeout": 60, "call_timeout": 30, "wait_back": 120,
            "recheck_every": 2.0, "poll": args.poll}, timeout=args.timeout,
            erase_seconds=args.erase_s)
        db = result["db"]
        with sqlite3.connect(db) as conn:
            done = conn.execute("SELECT count(*) FROM devices WHERE stage = 'finalized'"
                                ).fetchone()[0]
        for phone in phones:
            phone.away_s = phone.away_s or 0.0
        best = ideal(phones, args.bandwidth_mb * 1e6)
        services = sum(len(plan.journal) for plan in bench.plans)
    makespan = result["makespan"]
    start, end = result["start"], result["end"]
    per_phone_mb = ((end["peak_rss_kb"] - start["rss_kb"]) / 1024 / n
                    if "peak_rss_kb" in end and "rss_kb" in start else float("nan"))
    eff = best["ideal"] / makespan if makespan else float("nan")
    eff_ordered = best["ordered"] / makespan if makespan else float("nan")
    return (n, _f(makespan), _f(best["ideal"]), _f(eff, 2), _f(best["ordered"]),
            _f(eff_ordered, 2), _f(best["bandwidth"]), services, _f(services / n, 0),
            _f(per_phone_mb, 2), _f(end.get("cpu_s")), f"{done}/{n}")


def _f(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    try:
        return f"{value:.{digits}f}"
    except (TypeError, ValueError):
        return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", default="1,8,16,32", help="hub sizes, comma-separated")
    parser.add_argument("--apk-mb", default="12,6",
                        help="sizes of the two stand-in APKs in MB (assumed, see README)")
    parser.add_argument("--bandwidth-mb", type=float, default=USB2_BYTES_PER_S / 1e6)
    parser.add_argument("--poll", type=float, default=0.5,
                        help="StationOptions.poll: how often a person's action is looked for")
    parser.add_argument("--touch-row-s", type=float, default=0.02,
                        help="seconds between touch rows (the volunteer's swipe)")
    parser.add_argument("--erase-s", type=float, default=2.0,
                        help="seconds a phone is away for its erase (the volunteer's part)")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--sequential", action="store_true",
                        help="batches one section after another, not as concurrent jobs")
    parser.add_argument("--no-latency", action="store_true", help="phones answer at once")
    args = parser.parse_args()
    rows = [one(int(n), args) for n in args.phones.split(",")]
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(HEADER)]
    print("  ".join(str(h).rjust(w) for h, w in zip(HEADER, widths, strict=True)))
    for row in rows:
        print("  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)), flush=True)


if __name__ == "__main__":
    main()
