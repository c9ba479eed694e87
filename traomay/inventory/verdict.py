"""A phone's overall acceptance verdict, from the latest result of each criterion.

The criteria follow the Lai Uyên plan 04-KH/BTC §III.3 in the seed's order (mission.md):
origin, compatibility, appearance, calls/4G, Wi-Fi, Bluetooth, GPS, charging, battery > 4 h,
cameras, touchscreen, previous account gone (or reset), required apps installed.
``pass`` only when all hold; ``fail`` lists every failing criterion; otherwise
``incomplete`` lists what is still waiting (for a person, or never run).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traomay.core.msg import N_, Msg

# (criterion key in the verdict, check name whose latest result decides it, label msgid)
VERDICT_CRITERIA: tuple[tuple[str, str, str], ...] = (
    ("origin", "origin", N_("Known brand, origin clear")),
    ("compatibility", "compatibility", N_("Can run VNeID and the required apps")),
    ("appearance", "appearance", N_("Screen not cracked, back not bulging")),
    ("cellular", "cellular", N_("Receives calls, 4G works")),
    ("wifi", "wifi", N_("Wi-Fi works")),
    ("bluetooth", "bluetooth", N_("Bluetooth works")),
    ("gps", "gps", N_("GPS works")),
    ("charging", "charging", N_("Charges")),
    ("battery", "battery", N_("Battery lasts more than 4 hours")),
    ("camera", "camera", N_("Front and rear cameras work")),
    ("touchscreen", "touchscreen", N_("Touchscreen works")),
    ("accounts", "accounts", N_("Previous owner's account removed (or reset)")),
    ("apps", "apps", N_("Required apps installed")),
)


@dataclass(frozen=True)
class CriterionLine:
    key: str
    label: Msg
    status: str  # pass | fail | needs_operator | error | skipped | missing
    summary: Msg | None
    at: str | None


@dataclass(frozen=True)
class Verdict:
    verdict: str  # pass | fail | incomplete
    lines: tuple[CriterionLine, ...]

    @property
    def failing(self) -> list[str]:
        return [line.key for line in self.lines if line.status == "fail"]

    @property
    def waiting(self) -> list[str]:
        return [line.key for line in self.lines if line.status not in ("pass", "fail")]


def compute_verdict(latest: Mapping[str, Mapping[str, Any]]) -> Verdict:
    """``latest``: check name -> {"status", "summary": Msg, "at"} (Inventory.latest_results)."""
    lines = []
    for key, check, label in VERDICT_CRITERIA:
        row = latest.get(check)
        if row is None:
            lines.append(CriterionLine(key, Msg(label), "missing", None, None))
        else:
            lines.append(CriterionLine(key, Msg(label), str(row["status"]), row.get("summary"),
                                       row.get("at")))
    if any(line.status == "fail" for line in lines):
        verdict = "fail"
    elif all(line.status == "pass" for line in lines):
        verdict = "pass"
    else:
        verdict = "incomplete"
    return Verdict(verdict, tuple(lines))
