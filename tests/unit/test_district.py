"""A district's inventory, made by merging its stations': it gets their events, runs,
results, intakes and certificates, never their households and allocations (personal data).
What stations did to a phone after it was handed over (a return, a hand-over elsewhere)
must still hold there, whatever order the copies arrive in. Cases found by review."""

from __future__ import annotations

from allocation_cases import add_phone as allocatable_phone
from allocation_cases import holdings as phones_held
from allocation_cases import household, register
from outputs_world import KEY
from outputs_world import add_phone as inspected_phone

from traomay.core.campaign import TEMPLATES, load_campaign
from traomay.inventory.allocation import allocate
from traomay.inventory.allocation_policy import Policy
from traomay.inventory.handover import AllocationRefused, record_handover, return_phone
from traomay.inventory.merge import merge
from traomay.inventory.store import Inventory
from traomay.outputs import certificate
from traomay.outputs.report import weekly

RECIPIENT = "Nguyễn Thị Thử Nghiệm"
FINISHED = {"restored": [], "not_restored": [], "adb_disabled": True,
            "still_test_harness": False}


def phone(inv: Inventory, serial: str, stage: str = "finalized") -> int:
    rec = inv.record_seen({"brand": "samsung", "manufacturer": "samsung", "model": "SM-A105F",
                           "marketing_name": "Galaxy A10", "android_version": "11",
                           "sdk": 30, "serial": serial, "abis": ["arm64-v8a"],
                           "imeis": []}, [f"serial-{serial}"])
    inv.set_device_fields(rec.id, stage=stage, verdict="pass")
    return rec.id


def erase_and_finalize(inv: Inventory, device_id: int) -> None:
    """What a station's session records for a Settings erase and a finished finalize."""
    inv.add_event(device_id, "erased", {"method": "settings_factory_reset"})
    inv.add_event(device_id, "finalize", FINISHED)
    inv.set_device_fields(device_id, stage="finalized")


def here(inv: Inventory, serial: str) -> int:
    return inv.db.execute("SELECT id FROM devices WHERE serial = ?", [serial]).fetchone()[0]


def holdings(inv: Inventory) -> list[tuple[int, str, str]]:
    return inv.db.execute("SELECT a.device_id, h.code, a.state FROM allocations a "
                          "JOIN households h ON h.id = a.household_id").fetchall()


def test_a_phone_handed_over_again_elsewhere_is_not_allocated_whatever_the_order(tmp_path):
    """Returned at S1, erased, finalized and handed over at S2; the district hears S2
    before S1: the return (S1) does not close S2's hand-over."""
    for order in ("s2 first", "s1 first"):
        folder = tmp_path / order.replace(" ", "-")
        with Inventory(folder / "s1.sqlite", station="S1", key=KEY) as s1, \
                Inventory(folder / "s2.sqlite", station="S2", key=KEY) as s2, \
                Inventory(folder / "d.sqlite", station="D", key=KEY) as district:
            register(s1, household("LU-001"))
            first = phone(s1, "X1")
            allocate(s1, Policy(), by="a")
            record_handover(s1, first, "LU-001", recipient=RECIPIENT, by="Lan")
            return_phone(s1, first, reason="Màn hình hỏng", by="Lan")
            second = phone(s2, "X1", stage="inspected")
            erase_and_finalize(s2, second)
            register(s2, household("LU-777"))
            allocate(s2, Policy(), by="a")
            record_handover(s2, second, "LU-777", recipient=RECIPIENT, by="Mai")
            for station in ((s2, s1) if order == "s2 first" else (s1, s2)):
                merge(district, station.path)
            register(district, household("LU-900"))
            allocate(district, Policy(), by="Huyện")
            assert holdings(district) == [], order


def test_a_district_allocation_waiting_is_released_when_a_station_hands_the_phone_over(
        tmp_path):
    with Inventory(tmp_path / "s1.sqlite", station="S1", key=KEY) as s1, \
            Inventory(tmp_path / "d.sqlite", station="D", key=KEY) as district:
        given = phone(s1, "X1")
        merge(district, s1.path)
        register(district, household("LU-900"))
        allocate(district, Policy(), by="Huyện")
        x = here(district, "X1")
        assert holdings(district) == [(x, "LU-900", "allocated")]
        register(s1, household("LU-001"))
        allocate(s1, Policy(), by="a")
        record_handover(s1, given, "LU-001", recipient=RECIPIENT, by="Lan")
        merge(district, s1.path)
        try:
            record_handover(district, x, "LU-900", recipient=RECIPIENT, by="Huyện")
        except AllocationRefused as refused:
            assert "another household's hands" in refused.message.msgid
        else:
            raise AssertionError("handed over a phone already in LU-001's hands")
        allocate(district, Policy(), by="Huyện")
        assert [state for _d, _c, state in holdings(district)] == ["released"]


def test_a_station_clock_set_right_between_its_finalize_and_the_return(tmp_path):
    """One station's events are ordered by its own log, not its clock: its clock ran a year
    ahead when it finalized the phone, was set right, then the phone came back."""
    with Inventory(tmp_path / "s1.sqlite", station="S1", key=KEY) as s1, \
            Inventory(tmp_path / "d.sqlite", station="D", key=KEY) as district:
        register(s1, household("LU-001"))
        x = phone(s1, "X1", stage="inspected")
        erase_and_finalize(s1, x)
        with s1.db.conn:
            s1.db.conn.execute("UPDATE events SET at = '2099-03-01T00:00:00.000+00:00' "
                               "WHERE kind IN ('erased', 'finalize')")
        allocate(s1, Policy(), by="a")
        record_handover(s1, x, "LU-001", recipient=RECIPIENT, by="Lan")
        merge(district, s1.path)
        return_phone(s1, x, reason="Màn hình hỏng", by="Lan")
        merge(district, s1.path)
        assert district.device(here(district, "X1"))["stage"] == "inspected"


def test_a_certificate_arriving_after_the_return_is_revoked(tmp_path):
    """S2 certified the phone; S1 handed it over and took it back, then merged S2."""
    with Inventory(tmp_path / "s1.sqlite", station="S1", key=KEY) as s1, \
            Inventory(tmp_path / "s2.sqlite", station="S2", key=KEY) as s2, \
            Inventory(tmp_path / "d.sqlite", station="D", key=KEY) as district:
        certified = inspected_phone(s2, "R58RET2")
        s2.set_device_fields(certified, stage="finalized")
        issued = certificate.issue(s2, certified, tmp_path / "c2.pdf")
        register(s1, household("LU-001"))
        x = inspected_phone(s1, "R58RET2")
        s1.set_device_fields(x, stage="finalized")
        allocate(s1, Policy(), by="a")
        record_handover(s1, x, "LU-001", recipient=RECIPIENT, by="Lan")
        return_phone(s1, x, reason="hỏng", by="Lan")
        merge(s1, s2.path)
        merge(district, s2.path)
        merge(district, s1.path)
        for inv in (s1, district):
            checked = certificate.verify(inv, str(issued.path))
            assert checked.outcome is certificate.Verification.REVOKED
            assert "returned by its household" in checked.reason.msgid


def test_the_district_report_counts_the_hand_overs_of_a_merged_station(tmp_path):
    """The district merges a station's inventory: its events come, its households and
    allocations (personal data) stay at the station; the hand-over still counts there."""
    key = bytes(range(32))
    campaign = load_campaign(TEMPLATES / "campaign.yaml")
    xa, huyen = tmp_path / "xa" / "inventory.sqlite", tmp_path / "huyen" / "inventory.sqlite"
    with Inventory(xa, station="Xã A", key=key) as station, \
            Inventory(huyen, station="Huyện", key=key) as district:
        register(station, household("LU-001"))
        handed, kept = allocatable_phone(station), allocatable_phone(station)
        allocate(station, Policy(), by="Ban phân bổ")
        record_handover(station, handed, "LU-001", recipient=RECIPIENT, by="Lan")
        merge(district, station.path)
        assert district.db["devices"].count == 2 and kept
        assert district.db["allocations"].count == 0 and district.db["households"].count == 0
        assert weekly(district, campaign).total.handed_over == 1
        assert weekly(station, campaign).total.handed_over == 1
        # Households registered at the district too: the phone in a household's hands is
        # not allocated again, the other one is.
        register(district, household("HU-001"), household("HU-002"))
        allocate(district, Policy(), by="Huyện")
        given = {d for phones in phones_held(district).values() for d in phones}
        uid_of = {r[0]: r[1] for r in district.db.execute("SELECT id, uid FROM devices")}
        assert [uid_of[d] for d in given] == [station.device(kept)["uid"]]


def test_a_phone_returned_at_its_station_is_not_shown_ready_at_the_district(tmp_path):
    """Merging keeps a phone's furthest stage, but a return sends it back to be erased and
    finalized again: the district follows the return, then the phone's new finalize, and
    merging again writes nothing."""
    key = bytes(range(32))
    xa, huyen = tmp_path / "xa" / "inventory.sqlite", tmp_path / "huyen" / "inventory.sqlite"
    with Inventory(xa, station="Xã A", key=key) as station, \
            Inventory(huyen, station="Huyện", key=key) as district:
        register(station, household("LU-001"))
        phone = allocatable_phone(station)
        allocate(station, Policy(), by="Ban phân bổ")
        record_handover(station, phone, "LU-001", recipient=RECIPIENT, by="Lan")
        merge(district, station.path)
        here = district.db.execute("SELECT id FROM devices WHERE uid = ?",
                                   [station.device(phone)["uid"]]).fetchone()[0]
        assert district.device(here)["stage"] == "finalized"
        return_phone(station, phone, reason="Màn hình hỏng", by="Lan")
        merge(district, station.path)
        assert district.device(here)["stage"] == "inspected"
        before = list(district.db.conn.iterdump())
        assert not merge(district, station.path).changed
        assert list(district.db.conn.iterdump()) == before  # nothing written
        # Erased and finalized again at the station: ready again at the district.
        erase_and_finalize(station, phone)
        merge(district, station.path)
        assert district.device(here)["stage"] == "finalized"
