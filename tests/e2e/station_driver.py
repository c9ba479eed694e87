"""A station in its own process, for tests that kill it (SIGKILL) and start it again.

    python station_driver.py ADB_PORT INVENTORY MANIFEST LOGS

Runs ``Station`` (not --once) on the adb server at ADB_PORT with the campaign's
apk_manifest.yaml (already pinned: the APKs must stay the same across restarts). The board
goes to stdout as one JSON line per change; answers come on stdin as ``TID JSON`` lines
(the test's simulated volunteer reads the one and writes the other). Ends when stdin closes.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from traomay.apps.manifest import load_manifest
from traomay.demo.demo import demo_config
from traomay.device.adb import AdbHub
from traomay.inventory.store import Inventory
from traomay.provision.station.board import Board
from traomay.provision.station.runner import Station
from traomay.provision.station.worker import StationOptions


def row_json(row) -> dict:
    action = row.action
    return {"transport_id": row.transport_id, "adb_serial": row.adb_serial,
            "number": row.number, "state": row.state, "stage": row.stage,
            "verdict": row.verdict,
            "action": None if action is None else {"msgid": action.msgid,
                                                   "args": {k: str(v) for k, v in
                                                            action.args.items()}},
            "ask": None if row.ask is None else row.ask.kind}


def publish(board: Board, stop: threading.Event) -> None:
    last = ""
    while not stop.is_set():
        snap = board.snapshot()
        line = json.dumps({"rows": [row_json(r) for r in snap.rows],
                           "notices": [n.msgid for n in snap.notices]})
        if line != last:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
            last = line
        with board.changed:
            board.changed.wait(0.05)


def answers(station: Station) -> None:
    for line in sys.stdin:
        tid, _, value = line.strip().partition(" ")
        if tid.isdigit():
            station.board.answer(int(tid), json.loads(value))
    station.stop.set()  # stdin closed: the test is done with us


def main() -> None:
    port, db, manifest_path, logs = sys.argv[1:5]
    manifest = load_manifest(Path(manifest_path))
    with Inventory(Path(db), station="driver") as inventory:
        station = Station(AdbHub(port=int(port)), inventory, demo_config(manifest),
                          StationOptions(operator="driver", touch_timeout=20, call_timeout=8,
                                         wait_back=120, recheck_every=1.0, poll=0.5,
                                         logs_dir=Path(logs)))
        threading.Thread(target=publish, args=(station.board, station.stop),
                         daemon=True).start()
        threading.Thread(target=answers, args=(station,), daemon=True).start()
        station.run()


if __name__ == "__main__":
    main()
