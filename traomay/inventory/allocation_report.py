"""Allocation totals by neighbourhood and tier, for the monthly report (allocation is reported
monthly: mission.md).

Months are calendar months in Vietnam's time (UTC+7). Per neighbourhood and tier: the
eligible households and those still waiting (as the list and campaign.yaml stand now), the
phones allocated and not handed over yet, the phones handed over during the month and up to
its end, the phones returned during the month, and the phones the households hold now. A
hand-over undone is not counted; a phone returned stays counted as handed over (it was).
Allocations are counted under the tier they were made in.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone

from traomay.core.errors import UsageError
from traomay.core.msg import Msg
from traomay.inventory.allocation_policy import Policy, line_query
from traomay.inventory.households import fold, natural_key
from traomay.inventory.store import Inventory

VN_TZ = timezone(timedelta(hours=7), "ICT")


@dataclass
class TotalsLine:
    unit: str
    tier: int  # 0: the household is in no tier now (its phones are still counted)
    eligible: int = 0
    waiting: int = 0
    allocated: int = 0  # not handed over yet
    handed_over_month: int = 0
    handed_over_to_date: int = 0
    returned_month: int = 0
    held: int = 0  # handed over and not returned


COUNTS = tuple(f.name for f in fields(TotalsLine) if f.name not in ("unit", "tier"))


@dataclass(frozen=True)
class MonthlyTotals:
    month: str  # YYYY-MM
    lines: tuple[TotalsLine, ...]

    @property
    def total(self) -> TotalsLine:
        line = TotalsLine("", 0)
        for name in COUNTS:
            setattr(line, name, sum(getattr(x, name) for x in self.lines))
        return line


def month_bounds(month: str | None, now: datetime | None = None) -> tuple[str, str, str]:
    """``YYYY-MM`` (None: this month in Vietnam) -> (label, start, end) with start and end
    as the inventory's UTC timestamps. UsageError for anything else."""
    if month is None:
        today = (now or datetime.now(timezone.utc)).astimezone(VN_TZ)
        year, mon = today.year, today.month
    else:
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", month.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise UsageError(Msg("'{month}' is not a month: write it as YYYY-MM, for example "
                                 "2026-05.", {"month": month[:20]}))
        year, mon = int(match.group(1)), int(match.group(2))
    start = datetime(year, mon, 1, tzinfo=VN_TZ)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=VN_TZ)

    def utc(value: datetime) -> str:
        return value.astimezone(timezone.utc).isoformat(timespec="milliseconds")

    return f"{year:04d}-{mon:02d}", utc(start), utc(end)


def monthly_totals(inventory: Inventory, policy: Policy, month: str | None = None) -> \
        MonthlyTotals:
    """The totals of ``month`` (YYYY-MM; None: this month)."""
    label, start, end = month_bounds(month)

    def read() -> MonthlyTotals:
        lines: dict[tuple[str, int], TotalsLine] = {}

        def line(unit: str, tier: int) -> TotalsLine:
            return lines.setdefault((unit, tier), TotalsLine(unit, tier))

        current: defaultdict[int, int] = defaultdict(int)
        for (hid,) in inventory.db.execute(
                "SELECT household_id FROM allocations WHERE state IN ('allocated', "
                "'handed_over')").fetchall():
            current[int(hid)] += 1
        units = dict(inventory.db.execute("SELECT id, unit FROM households").fetchall())
        for hid, tier, *_rest in inventory.db.execute(*line_query(policy)).fetchall():
            entry = line(str(units[hid] or ""), int(tier))
            entry.eligible += 1
            if not current[hid]:
                entry.waiting += 1
        rows = inventory.db.execute(
            "SELECT h.unit, a.tier, a.state, a.handed_over_at, a.closed_at FROM allocations a "
            "JOIN households h ON h.id = a.household_id WHERE a.state != 'released'")
        for unit, tier, state, handed_at, closed_at in rows.fetchall():
            entry = line(str(unit or ""), int(tier or 0))
            if state == "allocated":
                entry.allocated += 1
                continue
            if handed_at and handed_at < end:
                entry.handed_over_to_date += 1
                entry.handed_over_month += handed_at >= start
            if state == "handed_over":
                entry.held += 1
            elif state == "returned" and closed_at and start <= closed_at < end:
                entry.returned_month += 1
        ordered = sorted(lines.values(), key=lambda x: (natural_key(fold(x.unit)), x.tier))
        return MonthlyTotals(label, tuple(ordered))

    return inventory._read(read)  # noqa: SLF001 - the inventory package's own transaction
