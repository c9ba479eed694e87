"""One inventory shared by a station's worker threads: reads on connections of their own
(they never wait for a write), writes committed in groups (one sync to disk for all the
threads writing at that moment), each write still all or nothing."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from traomay.core.errors import InventoryError
from traomay.core.msg import Msg
from traomay.core.results import CheckResult, Status
from traomay.inventory.store import Inventory


def _device(inv: Inventory, n: int) -> int:
    return inv.record_seen({"brand": "b", "manufacturer": "m", "model": f"x{n}",
                            "serial": f"s{n}"}, [f"serial-{n}"], where={"transport_id": n}).id


def test_many_threads_write_and_nothing_is_lost(tmp_path):
    with Inventory(tmp_path / "inv.sqlite", station="t") as inv:
        ids = [_device(inv, n) for n in range(16)]
        errors: list[BaseException] = []

        def work(device_id: int) -> None:
            try:
                for k in range(10):
                    inv.record_run(device_id, "recheck", "2026-01-01T00:00:00Z",
                                   [CheckResult("battery", Status.PASS, Msg("ok"), {"k": k})],
                                   {"battery": "level: 80"}, 1)
                    inv.add_event(device_id, "step", {"k": k})
                    assert inv.latest_results(device_id)["battery"]["measurements"]["k"] == k
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        for device_id in ids:
            kinds = [e["kind"] for e in inv.events(device_id)]
            assert kinds.count("step") == 10 and kinds.count("recheck") == 10
    with sqlite3.connect(tmp_path / "inv.sqlite") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_failing_write_is_rolled_back_alone(tmp_path):
    with Inventory(tmp_path / "inv.sqlite", station="t") as inv:
        device_id = _device(inv, 1)
        started, release = threading.Event(), threading.Event()

        def slow() -> None:  # holds the writer while the others queue up behind it
            inv.db.execute("INSERT INTO events(device_id, station, at, kind, data) "
                           "VALUES (?, 't', 'x', 'slow', '{}')", [device_id])
            started.set()
            release.wait(5)

        def broken() -> None:
            inv.db.execute("INSERT INTO events(device_id, station, at, kind, data) "
                           "VALUES (?, 't', 'x', 'half', '{}')", [device_id])
            inv.db.execute("INSERT INTO no_such_table VALUES (1)")

        outcomes: dict[str, object] = {}

        def run(name: str, fn) -> None:
            try:
                outcomes[name] = inv._write(fn)  # noqa: SLF001 - the store's own transaction
            except InventoryError as exc:
                outcomes[name] = exc

        first = threading.Thread(target=run, args=("slow", slow))
        first.start()
        assert started.wait(5)
        queued = [threading.Thread(target=run, args=("broken", broken)),
                  threading.Thread(target=inv.add_event, args=(device_id, "fine", {}))]
        for t in queued:
            t.start()
        time.sleep(0.2)
        # A read does not wait for the write in progress (its own connection, WAL).
        t0 = time.monotonic()
        assert [e["kind"] for e in inv.events(device_id)].count("slow") == 0
        assert time.monotonic() - t0 < 1.0
        release.set()
        for t in [first, *queued]:
            t.join(10)
        assert isinstance(outcomes["broken"], InventoryError)
        kinds = [e["kind"] for e in inv.events(device_id)]
        assert "slow" in kinds and "fine" in kinds and "half" not in kinds


def test_nested_write_and_read_inside_a_write(tmp_path):
    with Inventory(tmp_path / "inv.sqlite", station="t") as inv:
        device_id = _device(inv, 1)

        def outer() -> int:
            inv.add_event(device_id, "inner", {})  # a write inside a write
            return len(inv.events(device_id))  # a read sees the write not yet committed

        assert inv._write(outer) >= 1  # noqa: SLF001
        assert "inner" in [e["kind"] for e in inv.events(device_id)]


def test_read_only_inventory_refuses_writes(tmp_path):
    with Inventory(tmp_path / "inv.sqlite", station="t") as inv:
        device_id = _device(inv, 1)
    with Inventory(tmp_path / "inv.sqlite", read_only=True) as ro:
        assert ro.device(device_id)["model"] == "x1"
        with pytest.raises(InventoryError):
            ro.add_event(device_id, "nope", {})
