"""Households and phones for the allocation tests.

A phone here is recorded the way the phone session records one (``record_seen``), then
given the two fields the session keeps up to date and the allocation reads:
``devices.stage`` and ``devices.verdict``."""

from __future__ import annotations

import itertools

from traomay.inventory.households import Household, import_households
from traomay.inventory.store import Inventory

_serials = itertools.count(1)


def household(code: str, poverty: str = "poor", *, merit: bool = False,
              social: bool = False, prior: bool = False, adults: int = 1,
              unit: str = "Khu phố Đồng Sơn", name: str = "Nguyễn Văn Mẫu",
              phone: str = "", national_id: str = "") -> Household:
    return Household(code, name, unit, poverty, merit, social, prior, adults, phone,
                     national_id)


def register(inv: Inventory, *households: Household) -> None:
    import_households(inv, households, "test.csv")


def add_phone(inv: Inventory, *, passed: bool = True, finalized: bool = True,
              model: str = "SM-A105F", apps: bool = False) -> int:
    n = next(_serials)
    rec = inv.record_seen({"brand": "samsung", "manufacturer": "samsung", "model": model,
                           "marketing_name": "Galaxy A10", "android_version": "11",
                           "sdk": 30, "serial": f"R58M{n:06d}", "abis": ["arm64-v8a"],
                           "imeis": []}, [f"serial-{n}"])
    inv.set_device_fields(rec.id, stage="finalized" if finalized else "installed",
                          verdict="pass" if passed else "fail")
    if apps:
        inv.add_event(rec.id, "install", {"outcomes": [
            {"app": "VNeID", "package": "com.vnid", "status": "installed",
             "installed_version": 312},
            {"app": "Bình Dương Số", "package": "vn.gov.binhduong", "status": "skipped",
             "installed_version": 20}]})
    return rec.id


def holdings(inv: Inventory) -> dict[str, list[int]]:
    """Household code -> the phones allocated or handed over to it."""
    rows = inv.db.execute(
        "SELECT h.code, a.device_id FROM allocations a JOIN households h "
        "ON h.id = a.household_id WHERE a.state IN ('allocated', 'handed_over') "
        "ORDER BY a.device_id").fetchall()
    out: dict[str, list[int]] = {}
    for code, device_id in rows:
        out.setdefault(code, []).append(device_id)
    return out
