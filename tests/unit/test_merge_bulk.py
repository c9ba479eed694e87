"""Issue 12's merge at a district's scale is set-based (ids given in SQL, SQLite's per-row
foreign-key lookups off for its one transaction): what that way of merging could get wrong.
A phone at several stations comes in once with each station's records once, through any
chain of merges; an event pointing at a run merged before finds that run; a merge that
fails leaves nothing and the connection as it was; a write of another program waits for
the merge and is kept."""

from __future__ import annotations

import json
import threading

import pytest
from outputs_world import add_phone, open_inventory
from test_merge import snapshot

from traomay.inventory import merge as merge_module
from traomay.inventory.integrity import check
from traomay.inventory.merge import merge
from traomay.inventory.store import Inventory


@pytest.fixture()
def three(tmp_path):
    """Stations A, B and C of one campaign. A has R58M1 and R58MAB (also at B); B has
    R58MAB, R58MBC (also at C) and R58M2; C has R58MBC and R58M3."""
    a = open_inventory(tmp_path / "a" / "inventory.sqlite", station="Xã A")
    b = open_inventory(tmp_path / "b" / "inventory.sqlite", station="Xã B")
    c = open_inventory(tmp_path / "c" / "inventory.sqlite", station="Xã C")
    add_phone(a, "R58M1")
    add_phone(a, "R58MAB")
    add_phone(b, "R58MAB", fail="battery")
    add_phone(b, "R58MBC")
    add_phone(b, "R58M2")
    add_phone(c, "R58MBC", fail="gps")
    add_phone(c, "R58M3")
    yield a, b, c
    for inv in (a, b, c):
        inv.close()


def count(inv: Inventory, sql: str, args: list | None = None) -> int:
    return int(inv.db.execute(sql, args or []).fetchone()[0])


def test_a_chain_of_merges_brings_each_record_once(three):
    a, b, c = three
    first = merge(a, b.path)
    assert (first.phones_new, first.phones_matched) == (2, 1)
    assert first.results == 3 * 14 and first.runs == 3
    # the phone of A and B: one phone, its own run and B's, each once
    ab = a.resolve_device("R58MAB")
    assert count(a, "SELECT count(*) FROM runs WHERE device_id = ?", [ab]) == 2
    assert count(a, "SELECT count(*) FROM check_results WHERE device_id = ?", [ab]) == 28
    assert a.device(ab)["verdict"] == "fail"  # B's battery result is the newest
    # C shares R58MBC with B (not with A): matched by its device key, not a new phone
    second = merge(a, c.path)
    assert (second.phones_new, second.phones_matched) == (1, 1)
    bc = a.resolve_device("R58MBC")
    assert count(a, "SELECT count(*) FROM devices") == 5
    assert count(a, "SELECT count(*) FROM runs WHERE device_id = ?", [bc]) == 2
    assert {e["station"] for e in a.events(bc)} == {"Xã B", "Xã C"}
    assert a.device(bc)["verdict"] == "fail"  # C's gps result is the newest
    once = snapshot(a)
    # C's records reach A a second time through B: nothing is brought twice
    merge(b, c.path)
    again = merge(a, b.path)
    assert (again.phones_new, again.runs, again.results) == (0, 0, 0)
    assert again.events == 1  # B's record of its own merge of C, nothing else
    assert not merge(a, c.path).changed
    after = snapshot(a)
    assert {t: len(rows) for t, rows in after.items() if t != "events"} \
        == {t: len(rows) for t, rows in once.items() if t != "events"}
    uids = [r[0] for r in a.db.execute("SELECT uid FROM events").fetchall()]
    # B's record of its merge of C, and A's record of this merge
    assert len(uids) == len(set(uids)) == len(once["events"]) + 2
    assert check(a).ok, check(a).problems


def test_new_phones_and_runs_get_the_ids_after_the_highest_here(three):
    a, b, _c = three
    highest = count(a, "SELECT max(id) FROM devices")
    highest_run = count(a, "SELECT max(id) FROM runs")
    merge(a, b.path)
    # B's phones new here, in B's order, right after A's
    assert [a.resolve_device(s) for s in ("R58MBC", "R58M2")] == [highest + 1, highest + 2]
    runs = a.db.execute("SELECT id, device_id FROM runs WHERE id > ? ORDER BY id",
                        [highest_run]).fetchall()
    assert [r[0] for r in runs] == [highest_run + 1, highest_run + 2, highest_run + 3]
    # every result of a run here belongs to the phone of that run; events point at it
    for run_id, device_id in runs:
        assert count(a, "SELECT count(*) FROM check_results WHERE run_id = ? AND "
                        "device_id = ?", [run_id, device_id]) == 14
        inspect = [e for e in a.events(device_id) if e["kind"] == "inspect"
                   and json.loads(e["data"])["run_id"] == run_id]
        assert len(inspect) == 1
    # the next phone seen here follows them
    assert add_phone(a, "R58M9") == highest + 3
    assert check(a).ok, check(a).problems


def test_an_event_pointing_at_a_run_merged_before_finds_it_here(three):
    a, b, _c = three
    merge(a, b.path)
    at_b = b.resolve_device("R58M2")
    run_b = count(b, "SELECT id FROM runs WHERE device_id = ?", [at_b])
    b.add_event(at_b, "note", {"run_id": run_b, "text": "màn hình trầy"})
    report = merge(a, b.path)
    assert (report.events, report.runs) == (1, 0)
    here = a.resolve_device("R58M2")
    note = next(e for e in a.events(here) if e["kind"] == "note")
    run_here = json.loads(note["data"])["run_id"]
    assert a.db["runs"].get(run_here)["device_id"] == here
    assert run_here != run_b  # A's own runs came first


def test_a_merge_that_fails_leaves_nothing_and_the_connection_as_it_was(three, monkeypatch):
    a, b, _c = three
    before = snapshot(a)

    def broken() -> str:  # called once the phones, runs, results and events are in
        raise RuntimeError("the disk was pulled out")

    monkeypatch.setattr(merge_module, "utc_now", broken)
    with pytest.raises(RuntimeError):
        merge(a, b.path)
    assert snapshot(a) == before
    assert a.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert "other" not in [r[1] for r in a.db.execute("PRAGMA database_list").fetchall()]
    assert a.db.execute("SELECT name FROM temp.sqlite_master").fetchall() == []
    monkeypatch.undo()
    assert merge(a, b.path).phones_new == 2
    assert a.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert check(a).ok, check(a).problems


def test_a_write_of_another_program_during_the_merge_waits_and_is_kept(three, monkeypatch):
    a, b, _c = three
    other = open_inventory(a.path, station="Xã A")  # another program's connection
    phone = a.resolve_device("R58M1")
    started, wrote = threading.Event(), threading.Event()
    verdicts = merge_module._verdicts

    def slow_verdicts(inventory):  # the merge holds the write lock here
        started.set()
        assert not wrote.wait(0.5), "a write got in during the merge"
        return verdicts(inventory)

    monkeypatch.setattr(merge_module, "_verdicts", slow_verdicts)

    def writer() -> None:
        started.wait(10)
        other.add_event(phone, "note", {"text": "pin phồng"})
        wrote.set()

    thread = threading.Thread(target=writer)
    thread.start()
    report = merge(a, b.path)
    thread.join(30)
    other.close()
    assert wrote.is_set() and report.phones_new == 2
    assert [e["kind"] for e in a.events(phone)].count("note") == 1
    assert count(a, "SELECT count(*) FROM devices") == 4
    assert check(a).ok, check(a).problems
