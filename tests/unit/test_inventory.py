
import pytest

from traomay.core.errors import InventoryError
from traomay.core.msg import Msg
from traomay.core.results import CheckResult, Status
from traomay.inventory.store import Inventory


def _ident(serial="ABC123", model="SM-A105F"):
    return {"brand": "samsung", "manufacturer": "samsung", "model": model,
            "marketing_name": "Galaxy A10", "device": "a10", "android_version": "11",
            "sdk": 30, "serial": serial, "abis": ["arm64-v8a"], "imeis": []}


def test_migrations_create_schema_and_are_idempotent(tmp_path):
    path = tmp_path / "inv.sqlite"
    Inventory(path, station="s1").close()
    inv = Inventory(path, station="s1")
    tables = set(inv.db.table_names())
    assert {"devices", "device_keys", "events", "runs", "check_results"} <= tables
    inv.close()


def test_seen_twice_is_one_device_with_two_events(tmp_path):
    with Inventory(tmp_path / "i.sqlite", station="xa-lai-uyen") as inv:
        a = inv.record_seen(_ident(), ["serial-1"])
        b = inv.record_seen(_ident(), ["serial-1", "imei-2"])
        assert a.id == b.id and a.created and not b.created
        assert [e["kind"] for e in inv.events(a.id)] == ["seen", "seen"]
        assert inv.events(a.id)[0]["station"] == "xa-lai-uyen"
        # the alias added on the second sighting finds the phone alone
        assert inv.find_device_id(["imei-2"]) == a.id


def test_different_keys_are_different_devices(tmp_path):
    with Inventory(tmp_path / "i.sqlite") as inv:
        a = inv.record_seen(_ident("0123456789ABCDEF"), ["aid-1"])
        b = inv.record_seen(_ident("0123456789ABCDEF"), ["aid-2"])
        assert a.id != b.id
        assert len(inv.devices()) == 2


def test_hostile_strings_are_stored_verbatim_not_executed(tmp_path):
    evil = "x'); DROP TABLE devices; --"
    with Inventory(tmp_path / "i.sqlite") as inv:
        rec = inv.record_seen(_ident(model=evil), [evil])
        assert inv.device(rec.id)["model"] == evil
        assert "devices" in inv.db.table_names()


def test_run_and_latest_results(tmp_path):
    with Inventory(tmp_path / "i.sqlite") as inv:
        dev = inv.record_seen(_ident(), ["k"]).id
        r1 = [CheckResult("battery", Status.FAIL, Msg("low {x}", {"x": 1}), {"hours": 2.5}),
              CheckResult("camera", Status.PASS, Msg("ok"), {})]
        inv.record_run(dev, "inspect", "t0", r1, {"battery": "level: 5"}, round_trips=1)
        r2 = [CheckResult("battery", Status.PASS, Msg("good"), {"hours": 9})]
        run2 = inv.record_run(dev, "recheck", "t1", r2, {"battery": "level: 100"}, 1)
        latest = inv.latest_results(dev)
        assert latest["battery"]["status"] == "pass"
        assert latest["camera"]["status"] == "pass"
        assert latest["battery"]["measurements"] == {"hours": 9}
        assert inv.raw_outputs(run2) == {"battery": "level: 100"}


def test_failed_write_leaves_nothing_half_written(tmp_path):
    with Inventory(tmp_path / "i.sqlite") as inv:
        dev = inv.record_seen(_ident(), ["k"]).id
        before = inv.db["runs"].count, inv.db["check_results"].count
        bad = [CheckResult("battery", Status.PASS, Msg("ok"), {}), object()]
        with pytest.raises(AttributeError):
            inv.record_run(dev, "inspect", "t0", bad, {}, 1)  # type: ignore[list-item]
        assert (inv.db["runs"].count, inv.db["check_results"].count) == before


def test_unwritable_path_gives_inventory_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InventoryError):
        Inventory(blocker / "sub" / "inv.sqlite")


def test_not_a_database_gives_inventory_error(tmp_path):
    p = tmp_path / "garbage.sqlite"
    p.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(InventoryError):
        Inventory(p)


def test_unknown_phone_raises_the_core_device_not_in_inventory(tmp_path):
    from traomay.core.errors import DeviceNotInInventory, ExitCode

    with Inventory(tmp_path / "i.sqlite") as inv, pytest.raises(DeviceNotInInventory) as err:
        inv.resolve_device("NOPE")
    assert err.value.exit_code == ExitCode.NO_DEVICE


def test_busy_is_recognised_with_and_without_sqlite_error_codes(tmp_path):
    import sqlite3

    from traomay.inventory.store import _is_busy

    # Python 3.10 has no sqlite_errorcode: the message is all there is.
    assert _is_busy(sqlite3.OperationalError("database is locked"))
    assert not _is_busy(sqlite3.OperationalError("no such table: devices"))
    db = tmp_path / "i.sqlite"
    Inventory(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(db, isolation_level=None, timeout=0)
    with pytest.raises(sqlite3.OperationalError) as err:
        other.execute("BEGIN IMMEDIATE")
    holder.execute("ROLLBACK")
    holder.close()
    other.close()
    assert _is_busy(err.value)
