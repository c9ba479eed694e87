"""Who comes first: the priority tiers and the order of the households (pure).

The default is the national smartphone programme's (Thông tư 14/2022/TT-BTTTT) and Bắc Kạn's
2023 order, for adults in poor or near-poor households who have no smartphone:

1. poor or near-poor household, family of people with merit to the revolution;
2. poor or near-poor household, social-policy family;
3. other poor household;
4. other near-poor household.

A household is in the first tier whose conditions it meets; a household in no tier, or with
no adult without a smartphone, gets no phone. Households that already received a device from
a public programme (the national smartphone/tablet programme, "Sóng và máy tính cho em") come
after every household that did not (``already_received: last``), or after the others of their
own tier (``last_in_tier``), or not at all (``excluded``). Within a tier the order is the
household code as a person reads it (LU-2 before LU-10: the commune's own list), or the most
adults without a smartphone first (``order_in_tier: most_adults_first``, then the code).

A campaign changes these in campaign.yaml's ``allocation:`` section (commented example in
``traomay/templates/campaign.yaml``); :func:`policy_from` validates it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from traomay.core.errors import BadInputError
from traomay.core.msg import N_, Msg
from traomay.inventory.households import POVERTY, Household, natural_key


@dataclass(frozen=True)
class Tier:
    number: int
    label: str  # an English msgid (built-in tiers) or the campaign's own words
    poverty: frozenset[str]
    merit: bool | None = None  # None: either
    social_policy: bool | None = None
    label_is_msgid: bool = False

    def holds(self, poverty: str, merit: bool, social_policy: bool) -> bool:
        return (poverty in self.poverty
                and (self.merit is None or merit == self.merit)
                and (self.social_policy is None or social_policy == self.social_policy))


_POOR = frozenset({"poor", "near_poor"})
DEFAULT_TIERS: tuple[Tier, ...] = (
    Tier(1, N_("Poor or near-poor household, family of people with merit to the revolution"),
         _POOR, merit=True, label_is_msgid=True),
    Tier(2, N_("Poor or near-poor household, social-policy family"), _POOR,
         social_policy=True, label_is_msgid=True),
    Tier(3, N_("Other poor household"), frozenset({"poor"}), label_is_msgid=True),
    Tier(4, N_("Other near-poor household"), frozenset({"near_poor"}), label_is_msgid=True),
)
ALREADY_RECEIVED = ("last", "last_in_tier", "excluded")
ORDER_IN_TIER = ("household_code", "most_adults_first")


@dataclass(frozen=True)
class Policy:
    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    already_received: str = "last"
    order_in_tier: str = "household_code"
    per_household: int | None = None  # None: one per adult without a smartphone

    def to_json(self) -> dict[str, Any]:
        return {"tiers": len(self.tiers), "already_received": self.already_received,
                "order_in_tier": self.order_in_tier, "per_household": self.per_household}


@dataclass(frozen=True)
class Placement:
    """Where an eligible household stands."""

    household: Household
    tier: Tier
    capacity: int  # how many phones it may get


@functools.lru_cache(maxsize=64)
def _tier_table(policy: Policy) -> dict[tuple[str, bool, bool], Tier | None]:
    """The tier of every combination of category, merit and social policy (12 of them): a
    household's tier is then one dictionary look-up, whatever the number of tiers."""
    return {(poverty, merit, social): next((t for t in policy.tiers
                                            if t.holds(poverty, merit, social)), None)
            for poverty in POVERTY for merit in (False, True) for social in (False, True)}


def tier_of(household: Household, policy: Policy) -> Tier | None:
    return _tier_table(policy).get((household.poverty, household.merit,
                                    household.social_policy))


def ineligible_reason(household: Household, policy: Policy) -> Msg | None:
    """Why the household gets no phone under ``policy`` (None: it is eligible)."""
    if tier_of(household, policy) is None:
        if household.poverty == "none":
            return Msg("Not a poor or near-poor household.")
        return Msg("In none of the priority tiers of campaign.yaml.")
    if household.adults <= 0:
        return Msg("Every adult of the household already has a smartphone.")
    if household.prior_device and policy.already_received == "excluded":
        return Msg("Already received a device from a public programme (excluded by "
                   "campaign.yaml).")
    return None


# A household as the allocation reads it: (id, code, poverty, merit, social_policy,
# prior_device, adults, code order). Tuples, not objects: a province has 100 000
# households. The code order is natural_key(code) (stored with the household).
Facts = tuple[int, str, str, bool, bool, bool, int, str]
# An eligible household in line: (id, tier, capacity, already received, adults).
InLine = tuple[int, Tier, int, bool, int]


def _order_key(policy: Policy, tier: int, prior: bool, adults: int, order: str,
               hid: int) -> tuple[Any, ...]:
    head = (prior, tier) if policy.already_received == "last" else (tier, prior)
    return (*head, -adults if policy.order_in_tier == "most_adults_first" else 0, order, hid)


def in_line(rows: Iterable[Facts], policy: Policy) -> list[InLine]:
    """The eligible households, first in line first (the documented order; last, the order
    they were registered in)."""
    table = _tier_table(policy)
    excluded = policy.already_received == "excluded"
    cap = policy.per_household
    keyed = []
    for hid, _code, poverty, merit, social, prior, adults, order in rows:
        tier = table.get((poverty, bool(merit), bool(social)))
        if tier is None or adults <= 0 or (prior and excluded):
            continue
        keyed.append((_order_key(policy, tier.number, bool(prior), adults, order, hid),
                      (hid, tier, adults if cap is None else min(adults, cap), bool(prior),
                       adults)))
    keyed.sort(key=lambda pair: pair[0])
    return [item for _key, item in keyed]


def line_query(policy: Policy) -> tuple[str, list[Any]]:
    """The same line as :func:`in_line`, as one query on the ``households`` table: SQLite
    classifies and sorts a province's 100 000 households far faster than Python. Rows:
    (id, tier number, capacity, prior_device, adults). Parameters, never text, carry the
    campaign's values."""
    whens: list[str] = []
    params: list[Any] = []
    for tier in policy.tiers:
        cond = [f"poverty IN ({', '.join('?' * len(tier.poverty))})"]
        params += sorted(tier.poverty)
        for column, value in (("merit", tier.merit), ("social_policy", tier.social_policy)):
            if value is not None:
                cond.append(f"{column} = ?")
                params.append(int(value))
        whens.append(f"WHEN {' AND '.join(cond)} THEN {int(tier.number)}")
    case = f"CASE {' '.join(whens)} END"
    capacity = ("adults" if policy.per_household is None
                else f"min(adults, {int(policy.per_household)})")
    order = (["prior_device", "tier"] if policy.already_received == "last"
             else ["tier", "prior_device"])
    if policy.order_in_tier == "most_adults_first":
        order.append("adults DESC")
    excluded = " AND prior_device = 0" if policy.already_received == "excluded" else ""
    sql = (f"SELECT id, tier, {capacity}, prior_device, adults FROM (SELECT *, {case} AS tier "
           f"FROM households) WHERE tier IS NOT NULL AND adults > 0{excluded} "
           f"ORDER BY {', '.join(order)}, code_order, id")
    return sql, params


def facts(household: Household) -> Facts:
    return (household.id or 0, household.code, household.poverty, household.merit,
            household.social_policy, household.prior_device, household.adults,
            natural_key(household.code))


def ranked(households: Sequence[Household], policy: Policy) -> list[Placement]:
    """The eligible households as :class:`Placement`, first in line first."""
    by_id = {h.id or 0: h for h in households}
    if len(by_id) != len(households):  # households not from the inventory (no ids)
        by_id = {i: h for i, h in enumerate(households)}
        rows = [(i, *facts(h)[1:]) for i, h in by_id.items()]
    else:
        rows = [facts(h) for h in households]
    return [Placement(by_id[hid], tier, cap) for hid, tier, cap, _p, _a in in_line(rows, policy)]


# -- campaign.yaml's allocation: section ------------------------------------------------------
_KEYS = ("tiers", "already_received", "order_in_tier", "per_household")
_TIER_KEYS = ("name", "poverty", "merit", "social_policy")


def _refuse(path: Path | None, msgid: str, **args: Any) -> BadInputError:
    return BadInputError(Msg(msgid, {"file": str(path or "campaign.yaml"), **args}))


def policy_from(section: Mapping[str, Any], path: Path | None = None) -> Policy:
    """The allocation rules of campaign.yaml's ``allocation:`` section (empty: the
    defaults). Every mistake is a BadInputError naming the file and the key (exit 5)."""
    for key in section:
        if key not in _KEYS:
            raise _refuse(path, "In {file}: 'allocation.{key}' is not a known setting; check the "
                       "spelling.", key=str(key))
    tiers = DEFAULT_TIERS
    if "tiers" in section:
        raw = section["tiers"]
        if not isinstance(raw, list) or not 1 <= len(raw) <= 20:
            raise _refuse(path, "In {file}: 'allocation.tiers' must be a list of 1 to 20 tiers.")
        tiers = tuple(_tier(path, i, t) for i, t in enumerate(raw, start=1))
    choice = {}
    for key, allowed, default in (("already_received", ALREADY_RECEIVED, "last"),
                                  ("order_in_tier", ORDER_IN_TIER, "household_code")):
        value = section.get(key, default)
        if value not in allowed:
            raise _refuse(path, "In {file}: 'allocation.{key}' must be one of: {allowed}.",
                       key=key, allowed=", ".join(allowed))
        choice[key] = value
    cap = section.get("per_household")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int)
                            or not 1 <= cap <= 30):
        raise _refuse(path, "In {file}: 'allocation.per_household' must be a whole number from 1 "
                   "to 30 (leave it out for one phone per adult without a smartphone).")
    return Policy(tiers, choice["already_received"], choice["order_in_tier"], cap)


def _tier(path: Path | None, index: int, raw: Any) -> Tier:
    if not isinstance(raw, Mapping) or set(raw) - set(_TIER_KEYS):
        raise _refuse(path, "In {file}: tier {index} of 'allocation.tiers' must be {{name: ..., "
                   "poverty: [poor, near_poor], merit: true|false, social_policy: "
                   "true|false}}.", index=index)
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 120:
        raise _refuse(path, "In {file}: tier {index} of 'allocation.tiers' needs a name (at most "
                   "120 characters).", index=index)
    poverty = raw.get("poverty")
    if isinstance(poverty, str):
        poverty = [poverty]
    if not isinstance(poverty, list) or not poverty or any(p not in POVERTY for p in poverty):
        raise _refuse(path, "In {file}: tier {index} of 'allocation.tiers': 'poverty' must list "
                   "some of: {allowed}.", index=index, allowed=", ".join(POVERTY))
    flags = {}
    for key in ("merit", "social_policy"):
        value = raw.get(key)
        if value is not None and not isinstance(value, bool):
            raise _refuse(path, "In {file}: tier {index} of 'allocation.tiers': '{key}' must be "
                       "true or false (or left out: either).", index=index, key=key)
        flags[key] = value
    return Tier(index, name.strip(), frozenset(poverty), flags["merit"], flags["social_policy"])
