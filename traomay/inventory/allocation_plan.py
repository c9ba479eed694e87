"""Which phone goes to which household (pure): the allocation as a plan of changes.

The households in line come in priority order (:func:`traomay.inventory.allocation_policy.
ranked`). Phones are given in rounds: round 1 gives one phone to each household in that
order, round 2 a second phone to those that may have two (one per adult without a
smartphone, or campaign.yaml's ``per_household``), and so on; so no household gets a second
phone while an eligible household has none. A phone already handed over counts as its
household's phone of round 1 (then 2, ...). Phones are taken oldest inventory id first.

Allocations not handed over yet are kept when they are still among the places the phones
can fill; they are released (and their phones given again in the same run) when their phone
no longer passes or is no longer finalized, when the household is no longer eligible, or when
households before it in line (newly registered, or whose category changed) take the places.
So running the allocation again with nothing changed changes nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence, Set
from dataclasses import dataclass
from typing import NamedTuple

PHONE_UNAVAILABLE = "phone_unavailable"  # the phone no longer passes, or is not finalized
HOUSEHOLD_INELIGIBLE = "household_ineligible"  # off the list, or in no tier now
OUTRANKED = "outranked"  # households before it in line take the places


class Standing(NamedTuple):
    """An eligible household in line. :func:`plan` reads it by position, so a plain tuple
    (id, rank, capacity, held) does too: a province has 100 000 of them."""

    household_id: int
    rank: int  # 1: first in line
    capacity: int  # phones it may get in all
    held: int = 0  # phones handed over to it (and not returned)


class Pending(NamedTuple):
    """An allocation not handed over yet."""

    allocation_id: int
    household_id: int
    device_id: int
    round: int


class NewAllocation(NamedTuple):
    household_id: int
    device_id: int
    round: int  # 1: the household's first phone
    rank: int


class Release(NamedTuple):
    allocation_id: int
    device_id: int
    reason: str  # PHONE_UNAVAILABLE | HOUSEHOLD_INELIGIBLE | OUTRANKED


@dataclass(frozen=True)
class Plan:
    keep: tuple[int, ...]  # allocation ids left as they are
    release: tuple[Release, ...]
    new: tuple[NewAllocation, ...]
    unused_phones: tuple[int, ...]  # passing phones no household is waiting for
    waiting: int  # eligible households still without a phone after the plan

    @property
    def changes(self) -> bool:
        return bool(self.release or self.new)


def places(standings: Sequence[Standing], limit: int | None = None
           ) -> list[tuple[Standing, int]]:
    """The places a phone can fill, in order (at most ``limit``): (household, round), round
    by round, skipping the rounds a household's handed-over phones already fill."""
    # Plain indexes (0 id, 1 rank, 2 capacity, 3 held), list comprehensions: a province has
    # 100 000 households in line.
    out: list[tuple[Standing, int]] = []
    top = max((s[2] for s in standings), default=0)
    for round_ in range(1, top + 1):
        out += [(s, round_) for s in standings if s[2] >= round_ > s[3]]
        if limit is not None and len(out) >= limit:
            return out[:limit]
    return out


def plan(standings: Sequence[Standing], pending: Sequence[Pending], free_phones: Sequence[int],
         available: Set[int]) -> Plan:
    """The changes that give the phones to the households in line.

    ``standings``: eligible households in priority order; ``pending``: allocations not handed
    over yet; ``free_phones``: passing, finalized phones with no allocation; ``available``:
    every passing, finalized phone (a pending allocation whose phone is not in it is
    released)."""
    in_line = {s[0] for s in standings}
    release: list[Release] = []
    live: list[Pending] = []
    for p in sorted(pending, key=lambda p: (p.round, p.allocation_id)):
        if p.device_id not in available:
            release.append(Release(p.allocation_id, p.device_id, PHONE_UNAVAILABLE))
        elif p.household_id not in in_line:
            release.append(Release(p.allocation_id, p.device_id, HOUSEHOLD_INELIGIBLE))
        else:
            live.append(p)
    # Phones freed from households no longer eligible are given again in this run.
    freed = [r.device_id for r in release if r.device_id in available]
    supply = len(free_phones) + len(freed) + len(live)
    targets = places(standings, supply) if supply else []
    wanted = Counter(s[0] for s, _r in targets)
    keep: list[int] = []
    kept = Counter[int]()
    for p in live:  # lowest round first: a household keeps its first phones
        if kept[p.household_id] < wanted[p.household_id]:
            kept[p.household_id] += 1
            keep.append(p.allocation_id)
        else:
            release.append(Release(p.allocation_id, p.device_id, OUTRANKED))
    freed += [r.device_id for r in release if r.reason == OUTRANKED]
    phones = iter(sorted({*free_phones, *freed}))
    covered: defaultdict[int, int] = defaultdict(int)
    new: list[NewAllocation] = []
    for standing, round_ in targets:
        hid = standing[0]
        if kept and covered[hid] < kept[hid]:
            covered[hid] += 1
            continue
        device = next(phones, None)
        if device is None:
            break
        new.append(NewAllocation(hid, device, round_, standing[1]))
    served = {s[0] for s in standings if s[3]} | set(kept) | {n.household_id for n in new}
    return Plan(tuple(keep), tuple(release), tuple(new), tuple(phones),
                sum(1 for s in standings if s[0] not in served))
