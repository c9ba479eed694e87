"""A phone's overall acceptance verdict, from the latest result of each criterion.

The criteria are the registry's (traomay.checks.registry.VERDICT_CRITERIA): one per check,
from the Lai Uyên plan 04-KH/BTC §III.3 (mission.md), plus the required apps installed.
``pass`` only when all hold; ``fail`` lists every failing criterion; otherwise
``incomplete`` lists what is still waiting (for a person, or never run).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traomay.checks.registry import VERDICT_CRITERIA
from traomay.core.msg import Msg


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
    for key, _label, label in VERDICT_CRITERIA:
        row = latest.get(key)
        if row is None:
            lines.append(CriterionLine(key, Msg(label), "missing", None, None))
        else:
            lines.append(CriterionLine(key, Msg(label), str(row["status"]), row.get("summary"),
                                       row.get("at")))
    return Verdict(verdict_of({line.key: line.status for line in lines}), tuple(lines))


def verdict_of(statuses: Mapping[str, str]) -> str:
    """The verdict alone, from check name -> status of the latest result of each check (the
    rule of :func:`compute_verdict`, without its lines: for many phones at once)."""
    wanted = [statuses.get(key, "missing") for key, _label, _criterion in VERDICT_CRITERIA]
    if "fail" in wanted:
        return "fail"
    if all(status == "pass" for status in wanted):
        return "pass"
    return "incomplete"
