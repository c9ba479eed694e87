"""Allocation in the inventory: passing, finalized phones given to the households in line
(the rules: :mod:`~traomay.inventory.allocation_policy`, the plan:
:mod:`~traomay.inventory.allocation_plan`), each allocation stored with the rule that put it
there (when, by whom, the rule), and every later step in the ``allocation_log`` audit
trail (release; hand-over, undo and return: :mod:`~traomay.inventory.handover`).

A phone is available when it passed and is finalized (``devices.verdict = 'pass'`` and
``devices.stage = 'finalized'``: the phone session keeps both up to date) and has no
allocation that is current (``allocated`` or ``handed_over``); in an inventory that merged
other stations', also no hand-over event there that was not undone or returned. One run
is one transaction: two stations allocating at once are served one after the other.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from traomay.core.msg import Msg
from traomay.inventory.allocation_plan import (
    HOUSEHOLD_INELIGIBLE,
    OUTRANKED,
    PHONE_UNAVAILABLE,
    Pending,
    Plan,
    Standing,
    places,
    plan,
)
from traomay.inventory.allocation_policy import (
    InLine,
    Policy,
    Tier,
    ineligible_reason,
    line_query,
    tier_of,
)
from traomay.inventory.handover import merged_hands
from traomay.inventory.households import Household, household_by_code, natural_key
from traomay.inventory.store import Inventory, utc_now
from traomay.inventory.uids import random_uids

CURRENT = ("allocated", "handed_over")
RELEASE_REASONS: Mapping[str, str] = {
    PHONE_UNAVAILABLE: "The phone no longer passes or is no longer finalized.",
    HOUSEHOLD_INELIGIBLE: "The household is no longer eligible.",
    OUTRANKED: "Households before it in line took the phones.",
}


class Change(NamedTuple):
    """One allocation made or released by a run, as the volunteer sees it."""

    action: str  # allocated | released
    device_id: int
    household_code: str
    unit: str
    tier: int
    round: int
    phone: str
    reason: Msg | None = None


@dataclass(frozen=True)
class AllocationRun:
    dry_run: bool
    changes: tuple[Change, ...]  # releases first, then new allocations (see ``detail``)
    allocated: int
    released: int
    kept: int
    in_line: int  # eligible households
    waiting: int  # eligible households still without a phone
    unused_phones: int  # passing phones no household waits for


def phone_label(brand: Any, marketing_name: Any, model: Any) -> str:
    """"Samsung Galaxy A10 (SM-A105F)": what the public list and the form call a phone."""
    brand_text = str(brand or "").strip()
    name = str(marketing_name or "").strip()
    model_text = str(model or "").strip()
    label = name or model_text
    if brand_text and not label.casefold().startswith(brand_text.casefold()):
        label = f"{brand_text.capitalize()} {label}".strip()
    if model_text and name and model_text.casefold() not in name.casefold():
        label += f" ({model_text})"
    return label


# -- reading ----------------------------------------------------------------------------------
def registered_households(inventory: Inventory) -> list[Household]:
    """Every registered household without its personal data (what allocation reads)."""
    rows = inventory.db.execute(
        "SELECT id, code, unit, poverty, merit, social_policy, prior_device, adults "
        "FROM households").fetchall()
    return [Household(code, "", unit or "", poverty, bool(merit), bool(social), bool(prior),
                      int(adults or 0), id=int(hid))
            for hid, code, unit, poverty, merit, social, prior, adults in rows]


@dataclass
class _State:
    line: list[InLine]  # eligible households, first in line first
    held: Counter[int]
    pending: list[Pending]
    available: set[int]
    free: list[int]

    def standings(self) -> list[Standing]:
        held = self.held
        # Plain tuples in Standing's order (id, rank, capacity, held): 100 000 of them.
        return [(hid, rank, cap, held[hid])  # type: ignore[misc]
                for rank, (hid, _tier, cap, _p, _a) in enumerate(self.line, start=1)]


def _state(inventory: Inventory, policy: Policy) -> _State:
    db = inventory.db
    # No personal data: the allocation never needs it.
    tiers = {t.number: t for t in policy.tiers}
    sql, params = line_query(policy)
    line = [(hid, tiers[tier], cap, prior == 1, adults)
            for hid, tier, cap, prior, adults in db.execute(sql, params).fetchall()]
    held = Counter({int(h): int(n) for h, n in db.execute(
        "SELECT household_id, count(*) FROM allocations WHERE state = 'handed_over' "
        "GROUP BY household_id").fetchall()})
    pending = [Pending(a, h, d, r or 1) for a, h, d, r in db.execute(
        "SELECT id, household_id, device_id, round FROM allocations "
        "WHERE state = 'allocated'").fetchall()]
    # A phone in a household's hands by another station's hand-over (a district has their
    # events, never their allocations) is not available: a pending allocation of it here
    # is released.
    own = {r[0] for r in db.execute(
        "SELECT device_id FROM allocations WHERE state = 'handed_over'")}
    elsewhere = set(merged_hands(inventory)) - own
    available = {r[0] for r in db.execute(
        "SELECT id FROM devices WHERE stage = 'finalized' AND verdict = 'pass'").fetchall()
                 if r[0] not in elsewhere}
    taken = {r[0] for r in db.execute(
        "SELECT device_id FROM allocations WHERE state IN ('allocated', 'handed_over')")}
    return _State(line, held, pending, available, sorted(available - taken))


def _codes_and_units(inventory: Inventory, ids: set[int]) -> dict[int, tuple[str, str]]:
    """Household code and neighbourhood of the households ``ids``."""
    if len(ids) > 500:
        rows = inventory.db.execute("SELECT id, code, unit FROM households").fetchall()
    else:
        rows = inventory.db.execute(
            f"SELECT id, code, unit FROM households WHERE id IN ({', '.join('?' * len(ids))})",
            sorted(ids)).fetchall() if ids else []
    return {hid: (code, unit or "") for hid, code, unit in rows if hid in ids}


def _phone_labels(inventory: Inventory, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    out = {}
    rows = inventory.db.execute("SELECT id, brand, marketing_name, model FROM devices")
    for dev_id, brand, name, model in rows.fetchall():
        if dev_id in ids:
            out[int(dev_id)] = phone_label(brand, name, model)
    return out


# -- allocate ---------------------------------------------------------------------------------
def rule_json(tier: Tier, rank: int, in_line_count: int, round_: int, prior: bool,
              adults: int, capacity: int, run: str) -> dict[str, Any]:
    """Why an allocation was made, as stored with it (``allocations.rule``): the tier and its
    name, the place in line of how many, the household's phone number (1, 2, ...), the
    facts that placed it, and the run (the ``allocate`` event with that ``run`` holds the
    settings in force: campaign.yaml's ``allocation:``)."""
    return {"tier": tier.number, "tier_label": tier.label,
            "label_is_msgid": tier.label_is_msgid, "in_line": in_line_count, "run": run,
            "rank": rank, "round": round_, "already_received": prior, "adults": adults,
            "capacity": capacity}


def _rule_text(tier: Tier, rank: int, in_line_count: int, round_: int, prior: bool,
               adults: int, capacity: int, run: str, cache: dict[int, str]) -> str:
    # json.dumps of rule_json, the part shared by a tier made once (a province: 50 000).
    head = cache.get(tier.number)
    if head is None:
        whole = rule_json(tier, 0, in_line_count, 0, prior, adults, capacity, run)
        head = json.dumps({k: whole[k] for k in ("tier", "tier_label", "label_is_msgid",
                                                  "in_line", "run")},
                          ensure_ascii=False, separators=(",", ":"))[:-1]
        cache[tier.number] = head
    return (f'{head},"rank":{rank},"round":{round_},'
            f'"already_received":{"true" if prior else "false"},"adults":{adults},'
            f'"capacity":{capacity}}}')


def allocate(inventory: Inventory, policy: Policy, *, dry_run: bool = False,
             by: str = "", detail: int | None = None) -> AllocationRun:
    """Give the available phones to the households in line (see the module docstring of
    :mod:`~traomay.inventory.allocation_plan`). ``dry_run``: compute and show, change
    nothing. Running it again with nothing changed changes nothing. ``detail``: describe at
    most this many changes in ``changes`` (None: all; the counts are always whole)."""

    def run() -> AllocationRun:
        state = _state(inventory, policy)
        standings = state.standings()
        the_plan = plan(standings, state.pending, state.free, state.available)
        changes = _changes(inventory, state, the_plan, detail)
        if not dry_run and the_plan.changes:
            _write(inventory, state, the_plan, policy, by or inventory.station)
        return AllocationRun(dry_run, changes, len(the_plan.new), len(the_plan.release),
                             len(the_plan.keep), len(standings), the_plan.waiting,
                             len(the_plan.unused_phones))

    if dry_run:
        return inventory._read(run)  # noqa: SLF001 - the inventory package's own transaction
    return inventory._write(run)  # noqa: SLF001


def _changes(inventory: Inventory, state: _State, the_plan: Plan,
             detail: int | None) -> tuple[Change, ...]:
    releases = the_plan.release[:detail]
    news = the_plan.new[:None if detail is None else max(0, detail - len(releases))]
    # The phones' names only for a normal run's few changes: a first run of a whole
    # province is 50 000 rows nobody reads on a screen.
    ids = {r.device_id for r in releases} | {n.device_id for n in news}
    labels = _phone_labels(inventory, ids) if len(ids) <= 2000 else {}
    pending = {p.allocation_id: p for p in state.pending}
    tiers = {line[0]: line[1].number for line in state.line} if ids else {}
    households = _codes_and_units(inventory, {pending[r.allocation_id].household_id
                                              for r in releases}
                                  | {n.household_id for n in news})
    out = []
    for r in releases:
        p = pending[r.allocation_id]
        code, unit = households[p.household_id]
        out.append(Change("released", r.device_id, code, unit, tiers.get(p.household_id, 0),
                          p.round, labels.get(r.device_id, ""), Msg(RELEASE_REASONS[r.reason])))
    for n in news:
        code, unit = households[n.household_id]
        out.append(Change("allocated", n.device_id, code, unit, tiers[n.household_id], n.round,
                          labels.get(n.device_id, "")))
    return tuple(out)


def _write(inventory: Inventory, state: _State, the_plan: Plan, policy: Policy,
           by: str) -> None:
    db = inventory.db
    now = utc_now()
    station = inventory.station
    uids = iter(random_uids(len(the_plan.release) + len(the_plan.new) + 1))
    run = next(uids)
    log: list[tuple[Any, ...]] = []
    pending = {p.allocation_id: p for p in state.pending}
    db.conn.executemany(
        "UPDATE allocations SET state = 'released', closed_at = ?, closed_by = ?, "
        "closed_reason = ? WHERE id = ?",
        [(now, by, r.reason, r.allocation_id) for r in the_plan.release])
    for r in the_plan.release:
        log.append((next(uids), r.allocation_id, r.device_id,
                    pending[r.allocation_id].household_id, now, station, "released", by, "",
                    json.dumps({"reason_code": r.reason})))
    where = {line[0]: line for line in state.line}
    count = len(state.line)
    next_id = int(db.execute("SELECT coalesce(max(id), 0) FROM allocations").fetchone()[0]) + 1
    rows = []
    cache: dict[int, str] = {}
    for allocation_id, n in enumerate(the_plan.new, start=next_id):
        _hid, tier, cap, prior, adults = where[n.household_id]
        rule = _rule_text(tier, n.rank, count, n.round, prior, adults, cap, run, cache)
        # The allocation's row is the record of this step (when, by whom, the rule): the
        # log holds the steps after it (a province's first run writes 50 000 rows, not
        # twice as many).
        rows.append((allocation_id, next(uids), n.device_id, n.household_id, "allocated",
                     tier.number, n.round, rule, station, now, by))
    db.conn.executemany(
        "INSERT INTO allocations (id, uid, device_id, household_id, state, tier, round, rule, "
        "station, allocated_at, allocated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.conn.executemany(
        "INSERT INTO allocation_log (uid, allocation_id, device_id, household_id, at, station, "
        "action, by, reason, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", log)
    inventory._event(None, "allocate", {  # noqa: SLF001
        "run": run, "allocated": len(the_plan.new), "released": len(the_plan.release),
        "kept": len(the_plan.keep), "waiting": the_plan.waiting, "by": by,
        "policy": policy.to_json(), "tiers": [
            {"tier": t.number, "name": t.label, "poverty": sorted(t.poverty),
             "merit": t.merit, "social_policy": t.social_policy} for t in policy.tiers]},
        now)


# -- explain ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LogEntry:
    at: str
    action: str  # allocated | released | handed_over | handover_undone | returned
    by: str
    reason: str  # a person's words (undo, return)
    device_id: int
    phone: str
    why: Msg | None = None  # the rule's reason (a release)


@dataclass(frozen=True)
class Explanation:
    """Where a household stands and why (no personal data)."""

    household: Household
    tier: Tier | None
    ineligible: Msg | None
    rank: int | None  # place in line (1: first)
    in_line: int
    capacity: int
    phones_ahead: int | None  # phones still needed before its next one (None: served)
    current: tuple[dict[str, Any], ...]  # its allocations in force (rule included)
    history: tuple[LogEntry, ...]


def explain(inventory: Inventory, code: str, policy: Policy) -> Explanation:
    """Why household ``code`` has (or has not) a phone: its tier or why it is not eligible,
    its place in line, the rule stored with each allocation, and the whole audit trail."""
    household = household_by_code(inventory, code)
    hid = household.id or 0

    def read() -> Explanation:
        state = _state(inventory, policy)
        standings = [Standing(*s) for s in state.standings()]
        rank = next((s.rank for s in standings if s.household_id == hid), None)
        standing = standings[rank - 1] if rank else None
        ahead = None
        filled = Counter(p.household_id for p in state.pending)
        if standing is not None and standing.held + filled[hid] < standing.capacity:
            ahead = 0
            moved = [Standing(s.household_id, s.rank, s.capacity, s.held + filled[s.household_id])
                     for s in standings]
            for place, _round in places(moved):
                if place.household_id == hid:
                    break
                ahead += 1
            ahead = max(0, ahead - len(state.free))
        cur = inventory.db.execute(
            "SELECT a.id, a.device_id, a.state, a.tier, a.round, a.rule, a.allocated_at, "
            "a.handed_over_at, d.brand, d.marketing_name, d.model FROM allocations a "
            "JOIN devices d ON d.id = a.device_id WHERE a.household_id = ? AND a.state IN "
            "('allocated', 'handed_over') ORDER BY a.id", [hid])
        cols = [c[0] for c in cur.description]
        current = []
        for row in cur.fetchall():
            rec = dict(zip(cols, row, strict=True))
            rec["rule"] = json.loads(rec["rule"] or "{}")
            rec["phone"] = phone_label(rec.pop("brand"), rec.pop("marketing_name"),
                                       rec.pop("model"))
            current.append(rec)
        history = tuple(_log_entries(inventory, "household_id", hid))
        return Explanation(household, tier_of(household, policy),
                           ineligible_reason(household, policy), rank, len(standings),
                           standing.capacity if standing else 0, ahead, tuple(current),
                           history)

    return inventory._read(read)  # noqa: SLF001


def _log_entries(inventory: Inventory, column: str, value: int) -> list[LogEntry]:
    """The audit trail of a household or a phone (``column``: household_id | device_id):
    each allocation's own row (allocated: when, by whom) and its later steps in
    ``allocation_log``, oldest first."""
    assert column in ("household_id", "device_id")
    rows = inventory.db.execute(
        "SELECT t.at, t.action, t.by, t.reason, t.data, t.device_id, d.brand, "
        "d.marketing_name, d.model FROM ("
        "SELECT allocated_at AS at, 'allocated' AS action, allocated_by AS by, '' AS reason, "
        "'' AS data, device_id, id AS allocation_id, 0 AS seq FROM allocations "
        f"WHERE {column} = ? UNION ALL "
        "SELECT at, action, by, reason, data, device_id, allocation_id, id AS seq "
        f"FROM allocation_log WHERE {column} = ?) t "
        "LEFT JOIN devices d ON d.id = t.device_id ORDER BY t.at, t.seq, t.allocation_id",
        [value, value]).fetchall()
    out = []
    for at, action, by, reason, data, device_id, brand, name, model in rows:
        try:
            code = (json.loads(data or "{}") or {}).get("reason_code")
        except (ValueError, AttributeError):
            code = None
        why = Msg(RELEASE_REASONS[code]) if code in RELEASE_REASONS else None
        out.append(LogEntry(str(at), str(action), str(by or ""), str(reason or ""),
                            int(device_id or 0), phone_label(brand, name, model), why))
    return out


def phone_history(inventory: Inventory, device_id: int) -> list[LogEntry]:
    """Every allocation step of one phone, oldest first."""
    return inventory._read(lambda: _log_entries(  # noqa: SLF001
        inventory, "device_id", device_id))


# -- the public list --------------------------------------------------------------------------
@dataclass(frozen=True)
class PublicRow:
    """One line of the list posted at the commune office: no name, no ID or phone number."""

    household_code: str
    unit: str
    tier: int
    tier_label: str
    tier_label_is_msgid: bool
    phone: str
    state: str  # allocated | handed_over


def public_list(inventory: Inventory) -> list[PublicRow]:
    """The allocations in force, by tier then household code."""
    def read() -> list[PublicRow]:
        rows = inventory.db.execute(
            "SELECT h.code, h.unit, a.tier, a.rule, a.state, d.brand, d.marketing_name, "
            "d.model FROM allocations a JOIN households h ON h.id = a.household_id "
            "JOIN devices d ON d.id = a.device_id WHERE a.state IN ('allocated', "
            "'handed_over')").fetchall()
        out = []
        for code, unit, tier, rule, state, brand, name, model in rows:
            data = json.loads(rule or "{}")
            out.append(PublicRow(str(code), str(unit or ""), int(tier or 0),
                                 str(data.get("tier_label") or ""),
                                 bool(data.get("label_is_msgid")),
                                 phone_label(brand, name, model), str(state)))
        return sorted(out, key=lambda r: (r.tier, natural_key(r.household_code)))

    return inventory._read(read)  # noqa: SLF001


# -- the households, as allocation sees them --------------------------------------------------
@dataclass(frozen=True)
class HouseholdLine:
    household: Household  # with personal data only when asked
    tier: int | None
    rank: int | None  # place in line (None: not eligible)
    ineligible: Msg | None
    allocated: int  # phones allocated, not handed over yet
    handed_over: int  # phones in the household's hands


def household_lines(inventory: Inventory, policy: Policy, *,
                    personal: bool = False) -> list[HouseholdLine]:
    """Every registered household with its tier, place in line and phones, in household-code
    order. Names, phone and ID numbers only with ``personal``."""
    from traomay.inventory.households import all_households

    households = all_households(inventory) if personal else sorted(
        inventory._read(lambda: registered_households(inventory)),  # noqa: SLF001
        key=lambda h: natural_key(h.code))

    def read() -> dict[tuple[int, str], int]:
        return {(int(h), str(s)): int(n) for h, s, n in inventory.db.execute(
            "SELECT household_id, state, count(*) FROM allocations WHERE state IN "
            "('allocated', 'handed_over') GROUP BY household_id, state").fetchall()}

    counts = inventory._read(read)  # noqa: SLF001
    ranks = inventory._read(lambda: {  # noqa: SLF001
        row[0]: i for i, row in enumerate(inventory.db.execute(*line_query(policy)), start=1)})
    out = []
    for h in households:
        tier = tier_of(h, policy)
        hid = h.id or 0
        out.append(HouseholdLine(h, tier.number if tier else None, ranks.get(hid),
                                 ineligible_reason(h, policy), counts.get((hid, "allocated"), 0),
                                 counts.get((hid, "handed_over"), 0)))
    return out
