"""Inspection cost through Google's real adb server (private port and HOME), on simulated
phones: adb shell round trips and wall time per phone, batched vs one call per command, and
a whole hub inspected at once vs one phone after another.

    .venv/bin/python benchmarks/inspection.py [--phones 32]

Prints ratios. Simulated phones answer at loopback speed, so the times measure the toolkit
and adb, not USB or the phones.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from traomay.checks.registry import CHECK_ORDER  # noqa: E402
from traomay.device.adb import free_port, private_adb_server  # noqa: E402
from traomay.provision.inspect import _sections_for, run_checks  # noqa: E402
from traomay.simulator.hub import SimulatedHub  # noqa: E402
from traomay.simulator.phone import Phone  # noqa: E402
from traomay.simulator.profile import list_profiles  # noqa: E402

READ_ONLY = list(CHECK_ORDER)


def read_only_batched(link) -> float:
    t = time.perf_counter()
    run_checks(link, READ_ONLY, {}, active=False)
    return time.perf_counter() - t


def read_only_one_call_each(link) -> tuple[float, int]:
    sections = _sections_for(READ_ONLY)
    t = time.perf_counter()
    for command in sections.values():
        link.shell(command)
    return time.perf_counter() - t, len(sections)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phones", type=int, default=32)
    args = parser.parse_args()
    profiles = list_profiles()
    names = [profiles[i % len(profiles)] for i in range(args.phones)]
    with tempfile.TemporaryDirectory() as home, \
            private_adb_server(Path(home), free_port(18037)) as server, \
            SimulatedHub([Phone.from_profile(n) for n in names], adb_port=server.port):
        hub = server.hub()
        links = [hub.link(p) for p in hub.list_phones()]
        one = links[0]
        batched = [read_only_batched(one) for _ in range(10)]
        single = [read_only_one_call_each(one) for _ in range(10)]
        n_cmds = single[0][1]
        b, s = statistics.median(batched), statistics.median(t for t, _ in single)
        print(f"read-only inspection of one phone: batched 1 adb call {b*1000:.0f} ms; "
              f"{n_cmds} calls {s*1000:.0f} ms; ratio {s/b:.1f}x")
        t = time.perf_counter()
        for link in links[:8]:
            run_checks(link, READ_ONLY, {}, active=False)
        sequential8 = time.perf_counter() - t
        trips_before = [link.round_trips for link in links]
        t = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(links)) as pool:
            list(pool.map(lambda link: run_checks(link, READ_ONLY, {}, active=False), links))
        parallel = time.perf_counter() - t
        per_phone_seq = sequential8 / 8
        ideal = per_phone_seq  # all phones at once, if nothing were shared
        trips = [link.round_trips - b for link, b in zip(links, trips_before, strict=True)]
        print(f"{len(links)} phones read-only inspection at once: {parallel:.2f} s; one phone "
              f"alone {per_phone_seq:.2f} s; sequential estimate "
              f"{per_phone_seq*len(links):.2f} s; "
              f"speed-up {per_phone_seq*len(links)/parallel:.1f}x; "
              f"efficiency vs ideal makespan {ideal/parallel:.0%} (2 cores)")
        print(f"adb shell calls per phone for the read-only part: {min(trips)}-{max(trips)} "
              f"({n_cmds} command sections batched)")


if __name__ == "__main__":
    main()
