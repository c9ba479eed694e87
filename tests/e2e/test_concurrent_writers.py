"""Many stations' worth of processes on one inventory: 16 `traomay inspect` processes at
once, each on its own simulated phone, all recorded (none exits 7, none is lost)."""

from __future__ import annotations

import os
import subprocess
import sys

from traomay.inventory.store import Inventory
from traomay.simulator.phone import Phone


def test_sixteen_inspect_processes_all_recorded(sim_hub, adb_server, tmp_path):
    phones = [Phone.from_profile("samsung-galaxy-a55", copy=i) for i in range(16)]
    rig = sim_hub(*phones)
    db = tmp_path / "inv.sqlite"
    env = dict(os.environ, TRAOMAY_ADB_PORT=str(adb_server.port), TRAOMAY_LANG="en")
    # Only read-only checks: the point is the writes, not the radios' waits.
    only = "origin,compatibility,storage,battery,charging,accounts"
    procs = [subprocess.Popen([sys.executable, "-m", "traomay", "--db", str(db), "inspect",
                               address, "--only", only, "--json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for address in rig.sim.addresses]
    results = [(p.wait(timeout=240), p.stderr.read()) for p in procs]
    for proc in procs:
        proc.stdout.close()
        proc.stderr.close()
    assert all(code in (0, 1) for code, _err in results), results
    with Inventory(db) as inv:
        assert len(inv.devices()) == 16
        assert inv.db["runs"].count == 16
        assert inv.db["check_results"].count == 16 * len(only.split(","))
        assert inv.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
