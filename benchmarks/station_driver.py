"""The station in its own process, for benchmarks/station.py and benchmarks/soak.py.

    python benchmarks/station_driver.py ADB_PORT INVENTORY MANIFEST LOGS OPTIONS_JSON

Runs ``Station`` on the adb server at ADB_PORT (StationOptions from OPTIONS_JSON). Its board
goes to stdout as JSON lines (at most one every 50 ms, as a screen redraws); a person's
answers come on stdin as ``TID JSON`` lines. First line ``{"start": {...}}`` (resident
memory once loaded); when stdin closes, a last line ``{"end": {...}}`` with its CPU time
and its peak resident memory while it ran.
"""

from __future__ import annotations

import json
import resource
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from traomay.apps.manifest import load_manifest  # noqa: E402
from traomay.demo.demo import demo_config  # noqa: E402
from traomay.device.adb import AdbHub  # noqa: E402
from traomay.inventory.store import Inventory  # noqa: E402
from traomay.provision.station.board import Board  # noqa: E402
from traomay.provision.station.runner import Station  # noqa: E402
from traomay.provision.station.worker import StationOptions  # noqa: E402

_out = threading.Lock()


def emit(data: dict) -> None:
    with _out:
        sys.stdout.write(json.dumps(data) + "\n")
        sys.stdout.flush()


def rss_kb() -> int:
    """Resident memory now (Linux: /proc/self/statm), else the peak so far."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * resource.getpagesize() // 1024
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class PeakRss:
    """Resident memory sampled every 0.2 s while the station runs (its peak)."""

    def __init__(self) -> None:
        self.peak = rss_kb()
        self.stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self.stop.wait(0.2):
            self.peak = max(self.peak, rss_kb())


def row_json(row) -> dict:
    action = row.action
    return {"transport_id": row.transport_id, "adb_serial": row.adb_serial,
            "number": row.number, "state": row.state, "stage": row.stage,
            "verdict": row.verdict,
            "action": None if action is None else {
                "msgid": action.msgid, "args": {k: str(v) for k, v in action.args.items()}},
            "ask": None if row.ask is None else row.ask.kind}


def publish(board: Board, stop: threading.Event) -> None:
    last = ""
    while not stop.is_set():
        snap = board.snapshot()
        line = json.dumps({"rows": [row_json(r) for r in snap.rows],
                           "notices": [n.msgid for n in snap.notices]})
        if line != last:
            emit(json.loads(line))
            last = line
        with board.changed:
            board.changed.wait(0.5)
        time.sleep(0.05)


def answers(station: Station) -> None:
    for line in sys.stdin:
        tid, _, value = line.strip().partition(" ")
        if tid.isdigit():
            station.board.answer(int(tid), json.loads(value))
    station.stop.set()


def main() -> None:
    port, db, manifest_path, logs, options = sys.argv[1:6]
    manifest = load_manifest(Path(manifest_path))
    emit({"start": {"rss_kb": rss_kb()}})
    peak = PeakRss()
    with Inventory(Path(db), station="bench") as inventory:
        station = Station(AdbHub(port=int(port)), inventory, demo_config(manifest),
                          StationOptions(logs_dir=Path(logs) if logs != "-" else None,
                                         **json.loads(options)))
        threading.Thread(target=publish, args=(station.board, station.stop),
                         daemon=True).start()
        threading.Thread(target=answers, args=(station,), daemon=True).start()
        station.run()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak.stop.set()
    emit({"end": {"cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_kb": peak.peak}})


if __name__ == "__main__":
    main()
