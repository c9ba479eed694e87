"""One phone's inspection with its read-only sections run one after another in one shell
call, or all at once as background jobs (traomay.device.batch, the concurrent form), on
simulated phones answering with realistic latencies (simulator/latency.py).

    .venv/bin/python benchmarks/batch_forms.py [--repeat 3]

Printed per profile: seconds for the read-only collection alone and for the whole
inspection (with the active probes: camera, Wi-Fi, Bluetooth, GPS), in each form.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from traomay.checks.registry import CHECK_ORDER  # noqa: E402
from traomay.demo.demo import demo_config, demo_manifest  # noqa: E402
from traomay.device.adb import free_port, private_adb_server  # noqa: E402
from traomay.inventory.store import Inventory  # noqa: E402
from traomay.provision.inspect import run_checks  # noqa: E402
from traomay.provision.session import PhoneSession  # noqa: E402
from traomay.simulator.hub import SimulatedHub  # noqa: E402
from traomay.simulator.latency import REALISTIC  # noqa: E402
from traomay.simulator.phone import Phone  # noqa: E402

PROFILES = ("samsung-galaxy-a55", "xiaomi-redmi-note7", "oppo-a5s", "nokia-1-plus")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="traomay-batch-"))
    config = demo_config(demo_manifest(work / "campaign"))
    phones = [Phone.from_profile(p) for p in PROFILES]
    for phone in phones:
        phone.latency = REALISTIC
    print(f"{'profile':22} {'read-only seq':>13} {'concurrent':>10} {'inspect seq':>11} "
          f"{'concurrent':>10}")
    with private_adb_server(work / "adb", free_port(18537)) as server, \
            SimulatedHub(phones, adb_port=server.port) as sim, \
            Inventory(work / "inv.sqlite") as inv:
        hub = server.hub()
        for index, profile in enumerate(PROFILES):
            listing = hub.wait_for(lambda p, a=sim.addresses[index]: p.serial == a and p.ready,
                                   10)
            session = PhoneSession.open(hub, inv, listing, config)
            times: dict[tuple[str, bool], list[float]] = {}
            for _ in range(args.repeat):
                for concurrent in (False, True):
                    session.link.background_jobs = None if concurrent else False
                    started = time.perf_counter()
                    run_checks(session.link, CHECK_ORDER, config.criteria, active=False)
                    times.setdefault(("read", concurrent), []).append(
                        time.perf_counter() - started)
                    session.link.background_jobs = None if concurrent else False
                    started = time.perf_counter()
                    session.inspect()
                    times.setdefault(("all", concurrent), []).append(
                        time.perf_counter() - started)
            cells = [statistics.median(times[(k, c)]) for k in ("read", "all")
                     for c in (False, True)]
            print(f"{profile:22} {cells[0]:13.2f} {cells[1]:10.2f} {cells[2]:11.2f} "
                  f"{cells[3]:10.2f}", flush=True)


if __name__ == "__main__":
    main()
