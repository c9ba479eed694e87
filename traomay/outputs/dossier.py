"""Everything the inventory knows about one phone, gathered for its documents: identity,
the verdict line by line, the apps installed, the erasure, who took part, the intake."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from traomay.inventory.intake import Intake, intake_of
from traomay.inventory.store import Inventory
from traomay.inventory.verdict import Verdict, compute_verdict

# Measurements in which a check records the person who took part.
_PERSON_KEYS = ("who", "confirmed_by", "decided_by", "by")


@dataclass(frozen=True)
class AppLine:
    name: str
    package: str
    status: str  # installed | skipped (already current) | refused | failed
    version: int | None


@dataclass(frozen=True)
class Erasure:
    """The factory reset the station did (the ``reset`` event)."""

    at: str
    method: str  # testharness | manual
    crypto_type: str  # ro.crypto.type after the reset: file | block | "" (unknown)
    security_patch: str
    accounts_after: int | None
    forced: bool

    @property
    def cryptographic(self) -> bool:
        """File-based encryption: the reset destroys the keys, so the data left in flash
        cannot be read (a cryptographic erase). Android 10+ phones must use FBE."""
        return self.crypto_type == "file"


@dataclass(frozen=True)
class Dossier:
    device: dict[str, Any]
    verdict: Verdict
    apps: tuple[AppLine, ...]
    erasure: Erasure | None
    people: tuple[str, ...]
    intake: Intake | None

    @property
    def device_id(self) -> int:
        return int(self.device["id"])

    @property
    def checked_at(self) -> str:
        """When the last criterion was recorded."""
        return max((line.at or "" for line in self.verdict.lines), default="")


def _json(text: str | None) -> dict[str, Any]:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def gather(inventory: Inventory, device_id: int) -> Dossier:
    """The phone's dossier (DeviceNotInInventory when there is no such id)."""
    device = inventory.device(device_id)
    latest = inventory.latest_results(device_id)
    verdict = compute_verdict(latest)
    events = inventory.events(device_id)
    apps: tuple[AppLine, ...] = ()
    erasure = None
    forced_reset = False
    for event in events:  # oldest first: the last of each kind wins
        data = _json(event.get("data"))
        if event["kind"] == "install":
            apps = tuple(
                AppLine(str(o.get("app") or ""), str(o.get("package") or ""),
                        str(o.get("status") or ""),
                        o.get("installed_version") if isinstance(
                            o.get("installed_version"), int) else None)
                for o in data.get("outcomes") or [] if isinstance(o, dict))
        elif event["kind"] == "reset_forced":
            forced_reset = True
        elif event["kind"] == "reset":
            after = data.get("accounts_after")
            erasure = Erasure(str(event["at"]), str(data.get("method") or ""),
                              str(data.get("crypto_type") or ""),
                              str(data.get("security_patch") or ""),
                              after if isinstance(after, int) else None,
                              bool(data.get("forced")) or forced_reset)
    people: list[str] = []
    for row in latest.values():
        for key in _PERSON_KEYS:
            value = (row.get("measurements") or {}).get(key)
            if isinstance(value, str) and value.strip() and value.strip() not in people:
                people.append(value.strip())
    return Dossier(device, verdict, apps, erasure, tuple(people),
                   intake_of(inventory, device_id))
