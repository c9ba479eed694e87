"""A small inventory made through the real store (issue 12's tests): phones with every
criterion recorded, a reset and an install, as the phone session records them."""

from __future__ import annotations

from pathlib import Path

from traomay.checks.registry import VERDICT_CRITERIA
from traomay.core.campaign import TEMPLATES, Campaign, load_campaign
from traomay.core.msg import Msg
from traomay.core.results import CheckResult, Status
from traomay.inventory.store import Inventory
from traomay.inventory.verdict import compute_verdict

KEY = bytes(range(32))
STATION = "Điểm tiếp nhận 1"


def campaign() -> Campaign:
    return load_campaign(TEMPLATES / "campaign.yaml")


def identity(serial: str, model: str = "SM-A105F", imeis: tuple[str, ...] = ()) -> dict:
    return {"brand": "samsung", "manufacturer": "samsung", "model": model,
            "marketing_name": "Galaxy A10", "device": "a10", "android_version": "11",
            "sdk": 30, "serial": serial, "abis": ["arm64-v8a"], "imeis": list(imeis)}


def open_inventory(path: Path, station: str = STATION) -> Inventory:
    return Inventory(path, station=station, key=KEY)


def add_phone(inv: Inventory, serial: str, *, fail: str | None = None,
              model: str = "SM-A105F", crypto: str = "file", reset: bool = True,
              keys: list[str] | None = None) -> int:
    """A phone inspected on every criterion (``fail``: that one fails), reset and given
    the apps; its stored verdict and stage as the session leaves them."""
    dev = inv.record_seen(identity(serial, model), keys or [f"serial-{serial}"]).id
    results = []
    for key, _label, _criterion in VERDICT_CRITERIA:
        status = Status.FAIL if key == fail else Status.PASS
        if key == fail == "battery":  # the battery check's own sentence
            summary = Msg("Battery would last only about {hours} h (minimum {minimum} h)",
                          {"hours": 2.5, "minimum": 4})
        else:
            summary = Msg("ok")
        measurements = {"who": "Nguyễn Thị Lan"} if key == "appearance" else {}
        results.append(CheckResult(key, status, summary, measurements))
    inv.record_run(dev, "inspect", "t0", results, {"battery": "level: 100"}, 1)
    if reset:
        inv.add_event(dev, "reset", {"method": "testharness", "forced": False,
                                     "google_accounts_before": 0, "accounts_after": 0,
                                     "crypto_type": crypto, "security_patch": "2024-05-01"})
    inv.add_event(dev, "install", {"outcomes": [
        {"app": "VNeID", "package": "com.vnid", "status": "installed",
         "installed_version": 2041}]})
    verdict = compute_verdict(inv.latest_results(dev)).verdict
    inv.set_device_fields(dev, verdict=verdict, stage="installed")
    return dev
