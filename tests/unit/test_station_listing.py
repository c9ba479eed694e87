"""The station's reading of adb's list while a phone restarts for its erase: adb often lists
the transport "offline" for a moment before it leaves. That moment must not turn the row
into a problem, and the phone's departure must stay the expected one (the station waits for
it to come back), not "unplugged" (the demo ended early about 1 run in 4 on a busy machine).
"""

from __future__ import annotations

from traomay.device.adb import PhoneListing
from traomay.provision.station.board import Board
from traomay.provision.station.runner import HUB_PROBLEM, Station
from traomay.provision.station.worker import StationOptions

SERIAL = "127.0.0.1:40001"


def _station_at_erase(state: str = "person") -> Station:
    station = Station(None, None, None, StationOptions(once=True),  # type: ignore[arg-type]
                      board=Board())
    station._known[7] = PhoneListing(SERIAL, "device", 7, "Galaxy_S9")
    station.board.update(7, SERIAL, number=3, phone="samsung Galaxy S9", stage="erase",
                         state=state)
    return station


def test_offline_then_gone_while_waiting_for_the_erase_is_the_expected_departure():
    station = _station_at_erase()
    station._sync([PhoneListing(SERIAL, "offline", 7, "Galaxy_S9")])
    assert station.board.row(7).state == "waiting_back"
    station._sync([])
    row = station.board.row(7)
    assert row.state == "waiting_back" and row.action.msgid != "unplugged"
    assert not station._vanished  # not counted towards a hub problem
    assert not station._settled()  # --once waits for it to come back


def test_offline_while_the_station_works_on_the_phone_is_a_problem_then_unplugged():
    station = _station_at_erase(state="working")  # the erase not yet asked for
    station._sync([PhoneListing(SERIAL, "offline", 7, "Galaxy_S9")])
    assert station.board.row(7).state == "problem"
    station._sync([])
    assert station.board.row(7).state == "gone"


def test_phones_listed_offline_before_they_vanish_count_towards_a_hub_drop():
    station = Station(None, None, None, StationOptions(once=True),  # type: ignore[arg-type]
                      board=Board())
    serials = [f"127.0.0.1:4000{i}" for i in range(4)]
    for tid, serial in enumerate(serials, start=1):
        station._known[tid] = PhoneListing(serial, "device", tid, "A55")
        station.board.update(tid, serial, number=tid, stage="appearance", state="person")
    station._sync([PhoneListing(s, "offline", t, "A55") for t, s in enumerate(serials, 1)])
    station._sync([])
    notices = station.board.snapshot().notices
    assert [n.msgid for n in notices] == [HUB_PROBLEM.msgid]
