"""Issue 12: merging stations' inventories, and an inventory from before issue 12 migrated
without loss."""

from __future__ import annotations

import json
import sqlite3

import pytest
from outputs_world import KEY, add_phone, campaign, open_inventory
from sqlite_utils import Database

from traomay.core.errors import InventoryError, UsageError
from traomay.core.msg import Msg
from traomay.inventory import migrations
from traomay.inventory.campaign_key import key_check, keyed
from traomay.inventory.intake import Donation, record_intake
from traomay.inventory.integrity import check
from traomay.inventory.merge import merge
from traomay.inventory.store import Inventory
from traomay.outputs import certificate

TABLES = ("devices", "device_keys", "events", "runs", "check_results", "intakes",
          "certificates")


def snapshot(inv: Inventory) -> dict[str, list[tuple]]:
    """Every row of every table (ids included)."""
    return {t: inv.db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in TABLES}


@pytest.fixture()
def stations(tmp_path):
    """Station A and station B of one campaign; phone R58M-SHARED seen at both (it passed
    at A, failed at B later); B has its own phones, intakes and a certificate."""
    a = open_inventory(tmp_path / "a" / "inventory.sqlite", station="Xã A")
    b = open_inventory(tmp_path / "b" / "inventory.sqlite", station="Xã B")
    add_phone(a, "R58M1")
    shared_a = add_phone(a, "R58MSHARED")
    record_intake(a, shared_a, Donation("An", "Hội Nông dân"), campaign())
    b_only = add_phone(b, "R58M2")
    record_intake(b, b_only, Donation("Bình", "Đoàn Thanh niên"), campaign())
    certificate.issue(b, b_only, tmp_path / "b.pdf")
    shared_b = add_phone(b, "R58MSHARED", fail="battery")
    record_intake(b, shared_b, Donation("Chi", "Hội Chữ thập đỏ"), campaign())
    add_phone(b, "R58M3", fail="gps")
    yield a, b
    a.close()
    b.close()


def test_merge_brings_the_other_station_in_once(stations, tmp_path):
    a, b = stations
    report = merge(a, b.path)
    assert (report.phones_new, report.phones_matched) == (2, 1)
    assert a.db["devices"].count == 4  # the shared phone is one phone
    shared = a.resolve_device("R58MSHARED")
    # its verdict now comes from the newest result of each criterion (B's, later)
    assert a.device(shared)["verdict"] == "fail"
    assert [(c.device_id, c.here, c.there, c.there_station, c.now) for c in report.conflicts] \
        == [(shared, "pass", "fail", "Xã B", "fail")]
    assert report.intake_conflicts == (shared,)
    # every event keeps its station; events pointing at a run point at its new id here
    b_phone = a.resolve_device("R58M2")
    events = a.events(b_phone)
    assert {e["station"] for e in events} == {"Xã B"}
    inspect = next(e for e in events if e["kind"] == "inspect")
    run_id = json.loads(inspect["data"])["run_id"]
    assert a.db["runs"].get(run_id)["device_id"] == b_phone
    assert a.db.execute("SELECT count(*) FROM check_results WHERE run_id = ?",
                        [run_id]).fetchone()[0] == 14
    # B's certificate verifies at A
    payload = a.db.execute("SELECT payload FROM certificates").fetchone()[0]
    assert certificate.verify(a, payload).outcome is certificate.Verification.GENUINE
    assert check(a).ok, check(a).problems


def test_merge_twice_is_merge_once(stations):
    a, b = stations
    first = merge(a, b.path)
    once = snapshot(a)
    second = merge(a, b.path)
    assert not second.changed and second.phones_new == 0
    assert snapshot(a) == once
    assert [e["kind"] for e in a.db["events"].rows_where("device_id IS NULL")] == ["merge"]
    assert first.changed


def test_merge_both_ways_agrees(stations):
    a, b = stations
    merge(a, b.path)
    merge(b, a.path)
    uids = "SELECT uid FROM devices ORDER BY uid"
    assert a.db.execute(uids).fetchall() == b.db.execute(uids).fetchall()
    assert a.db["check_results"].count == b.db["check_results"].count
    back = merge(a, b.path)  # brings only B's record of its own merge
    assert (back.events, back.phones_new, back.runs) == (1, 0, 0)
    assert merge(a, b.path).changed is False


def test_merge_refuses_another_campaign_and_itself(stations, tmp_path):
    a, _b = stations
    with Inventory(tmp_path / "c" / "inventory.sqlite", station="Xã C") as other:  # own key
        add_phone(other, "R58M9")
    with pytest.raises(InventoryError):
        merge(a, tmp_path / "c" / "inventory.sqlite")
    with pytest.raises(UsageError):
        merge(a, a.path)
    with pytest.raises(UsageError):
        merge(a, tmp_path / "nowhere.sqlite")
    assert a.db["devices"].count == 2


# -- an inventory from before issue 12 -----------------------------------------------------
def test_an_old_inventory_is_migrated_without_loss(tmp_path):
    path = tmp_path / "old.sqlite"
    db = Database(sqlite3.connect(path, isolation_level=None))
    db.execute("BEGIN")
    migrations.migrations.apply(db, stop_before="m004_outputs")
    db.execute("COMMIT")
    key = keyed(KEY, "serial-1")
    summary = json.dumps(Msg("Battery would last only about {hours} h (minimum {minimum} h)",
                             {"hours": 2.5, "minimum": 4}).to_json())
    db.execute("INSERT INTO meta(key, value) VALUES ('key_check', ?)", [key_check(KEY)])
    db.execute("INSERT INTO devices(id, device_key, brand, manufacturer, model, serial, "
               "first_seen, last_seen, station, stage, verdict) VALUES (1, ?, 'samsung', "
               "'samsung', 'SM-A105F', 'R58M1', '2024-06-20T01:00:00.000+00:00', "
               "'2024-06-20T02:00:00.000+00:00', 'Xã A', 'inspected', 'fail')", [key])
    db.execute("INSERT INTO device_keys VALUES (?, 1, '2024-06-20', 'identify')", [key])
    db.execute("INSERT INTO runs(id, device_id, station, kind, started_at, finished_at, "
               "round_trips) VALUES (1, 1, 'Xã A', 'inspect', 't0', 't1', 1)")
    db.execute("INSERT INTO check_results(run_id, device_id, check_name, status, summary, "
               "measurements, at) VALUES (1, 1, 'battery', 'fail', ?, '{}', "
               "'2024-06-20T01:30:00.000+00:00')", [summary])
    db.execute("INSERT INTO events(device_id, station, at, kind, data) VALUES "
               "(1, 'Xã A', 't1', 'inspect', '{\"run_id\": 1}')")
    before = {t: db.execute(f"SELECT * FROM {t}").fetchall()
              for t in ("devices", "device_keys", "events", "runs", "check_results")}
    db.conn.close()

    with Inventory(path, station="Xã A", key=KEY) as inv:
        assert migrations.schema_state(inv.db).pending == ()
        for table, rows in before.items():
            after = inv.db.execute(f"SELECT * FROM {table}").fetchall()
            assert [r[:len(rows[0])] for r in after] == rows, table  # old columns unchanged
        assert inv.device(1)["entry"] == "adb" and len(inv.device(1)["uid"]) == 36
        assert inv.latest_results(1)["battery"]["status"] == "fail"
        vi = inv.db.execute("SELECT summary_vi FROM check_results").fetchone()[0]
        assert vi == "Pin chỉ dùng được khoảng 2.5 giờ (tối thiểu 4 giờ)"
        row = inv.db.execute('SELECT "Kết quả", "Kiểu máy" FROM phones').fetchone()
        assert row == ("Không đạt", "SM-A105F")
        assert check(inv).ok, check(inv).problems
