"""Allocation: the tiers in order, one phone per household before any second, the same
result when run twice, the rule kept with each allocation, a public list without personal
data."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.allocation_cases import add_phone, holdings, household, register
from traomay.core.campaign import TEMPLATES, load_campaign
from traomay.core.errors import BadInputError
from traomay.inventory.allocation import allocate, explain, household_lines, public_list
from traomay.inventory.allocation_plan import OUTRANKED, PHONE_UNAVAILABLE
from traomay.inventory.allocation_policy import Policy, policy_from
from traomay.inventory.household_csv import read_households_file
from traomay.inventory.households import import_households
from traomay.inventory.store import Inventory
from traomay.inventory.uids import random_uids
from traomay.outputs.allocation_docs import write_public_list

# One household per tier, listed in reverse order, plus two that get nothing.
TIERED = (
    household("H-9", "near_poor", prior=True),  # tier 4, already received a device
    household("H-8", "near_poor"),  # tier 4
    household("H-7", "poor"),  # tier 3
    household("H-6", "near_poor", social=True),  # tier 2
    household("H-5", "poor", merit=True, social=True),  # tier 1 (merit first)
    household("H-2", "none", merit=True),  # not poor: no tier
    household("H-1", "poor", adults=0),  # every adult has a smartphone
)


@pytest.fixture()
def inv(tmp_path):
    with Inventory(tmp_path / "inventory.sqlite", station="Điểm 1") as inventory:
        yield inventory


def _snapshot(inv):
    return (inv.db.execute("SELECT id, uid, device_id, household_id, state, rule FROM "
                           "allocations ORDER BY id").fetchall(),
            inv.db.execute("SELECT count(*) FROM allocation_log").fetchone()[0])


def test_tier_order_is_respected(inv):
    register(inv, *TIERED)
    phones = [add_phone(inv) for _ in range(5)]
    run = allocate(inv, Policy())
    assert [(c.household_code, c.tier) for c in run.changes] == [
        ("H-5", 1), ("H-6", 2), ("H-7", 3), ("H-8", 4), ("H-9", 4)]
    assert [c.device_id for c in run.changes] == phones  # oldest phone first
    assert run.in_line == 5 and run.waiting == 0


def test_fewer_phones_go_to_the_first_tiers(inv):
    register(inv, *TIERED)
    add_phone(inv)
    add_phone(inv)
    allocate(inv, Policy())
    assert sorted(holdings(inv)) == ["H-5", "H-6"]


def test_already_received_comes_after_every_other_household(inv):
    register(inv, household("P-1", "poor", merit=True, prior=True), household("P-2",
                                                                              "near_poor"))
    add_phone(inv)
    allocate(inv, Policy())
    assert list(holdings(inv)) == ["P-2"]


def test_already_received_options(inv):
    register(inv, household("P-1", "poor", merit=True, prior=True), household("P-2", "poor"),
             household("P-3", "near_poor"))
    add_phone(inv)
    allocate(inv, Policy(already_received="last_in_tier"))
    assert list(holdings(inv)) == ["P-1"]  # tier 1 still comes before tier 3
    excluded = Policy(already_received="excluded")
    assert explain(inv, "P-1", excluded).ineligible is not None
    allocate(inv, excluded)  # P-1 is no longer eligible: its phone goes to P-2
    assert list(holdings(inv)) == ["P-2"]


def test_order_within_a_tier(inv):
    register(inv, household("LU-10", adults=1), household("LU-2", adults=1),
             household("LU-3", adults=3))
    add_phone(inv)
    assert allocate(inv, Policy(), dry_run=True).changes[0].household_code == "LU-2"
    most = Policy(order_in_tier="most_adults_first")
    assert allocate(inv, most, dry_run=True).changes[0].household_code == "LU-3"
    assert holdings(inv) == {}  # dry runs change nothing


def test_one_phone_per_household_before_any_second(inv):
    register(inv, household("A-1", merit=True, adults=3), household("A-2", adults=2),
             household("A-3", "near_poor", adults=1))
    for _ in range(5):
        add_phone(inv)
    run = allocate(inv, Policy())
    assert [(c.household_code, c.round) for c in run.changes] == [
        ("A-1", 1), ("A-2", 1), ("A-3", 1), ("A-1", 2), ("A-2", 2)]
    add_phone(inv)
    add_phone(inv)
    allocate(inv, Policy())
    assert {k: len(v) for k, v in holdings(inv).items()} == {"A-1": 3, "A-2": 2, "A-3": 1}
    assert allocate(inv, Policy()).unused_phones == 1  # one per adult without a smartphone


def test_per_household_cap(inv):
    register(inv, household("A-1", adults=3))
    for _ in range(3):
        add_phone(inv)
    allocate(inv, Policy(per_household=1))
    assert len(holdings(inv)["A-1"]) == 1


def test_only_passing_finalized_phones(inv):
    register(inv, household("A-1", adults=3))
    add_phone(inv, passed=False)
    add_phone(inv, finalized=False)
    good = add_phone(inv)
    allocate(inv, Policy())
    assert holdings(inv) == {"A-1": [good]}


def test_allocate_twice_is_allocate_once(inv):
    register(inv, *TIERED)
    for _ in range(3):
        add_phone(inv)
    allocate(inv, Policy())
    before = _snapshot(inv)
    again = allocate(inv, Policy())
    assert not again.changes and again.kept == 3
    assert _snapshot(inv) == before


def test_a_household_before_in_line_takes_a_pending_phone(inv):
    register(inv, household("A-1", "near_poor"), household("A-2", "near_poor"))
    first, second = add_phone(inv), add_phone(inv)
    allocate(inv, Policy())
    from traomay.inventory.handover import record_handover

    record_handover(inv, first, "A-1", recipient="Người Nhận")
    register(inv, household("A-0", "poor", merit=True))  # registered late, tier 1
    run = allocate(inv, Policy())
    assert [(c.action, c.household_code, c.device_id) for c in run.changes] == [
        ("released", "A-2", second), ("allocated", "A-0", second)]
    assert run.changes[0].reason.msgid.startswith("Households before it")
    assert holdings(inv) == {"A-0": [second], "A-1": [first]}  # handed over: never moved
    reasons = inv.db.execute("SELECT closed_reason FROM allocations WHERE state = 'released'"
                             ).fetchall()
    assert reasons == [(OUTRANKED,)]


def test_a_phone_that_fails_later_is_released(inv):
    register(inv, household("A-1"), household("A-2"))
    phone = add_phone(inv)
    allocate(inv, Policy())
    inv.set_device_fields(phone, verdict="fail")  # rechecked: the battery no longer lasts
    run = allocate(inv, Policy())
    assert [c.action for c in run.changes] == ["released"]
    assert inv.db.execute("SELECT closed_reason FROM allocations").fetchone()[0] == \
        PHONE_UNAVAILABLE
    assert holdings(inv) == {}


def test_the_rule_is_stored_and_explained(inv):
    register(inv, *TIERED)
    phone = add_phone(inv)
    allocate(inv, Policy(), by="Cán bộ Đoàn")
    found = explain(inv, "h-5", Policy())
    (current,) = found.current
    assert current["device_id"] == phone
    rule = current["rule"]
    assert (rule["tier"], rule["rank"], rule["in_line"], rule["round"]) == (1, 1, 5, 1)
    assert rule["tier_label"].startswith("Poor or near-poor household, family of people")
    assert [(e.action, e.by) for e in found.history] == [("allocated", "Cán bộ Đoàn")]
    waiting = explain(inv, "H-8", Policy())
    assert (waiting.rank, waiting.phones_ahead) == (4, 2)  # H-6 and H-7 come first
    assert explain(inv, "H-2", Policy()).ineligible.msgid == \
        "Not a poor or near-poor household."


def test_the_public_list_has_no_personal_data(inv, tmp_path):
    parsed = read_households_file(TEMPLATES / "households-sample.csv")
    import_households(inv, parsed.households, "sample.csv")
    for _ in range(8):
        add_phone(inv)
    allocate(inv, Policy())
    rows = public_list(inv)
    assert len(rows) == 8 and rows[0].household_code == "LU-001"
    personal = {v for h in parsed.households for v in (h.head_name, h.contact_phone,
                                                       h.national_id) if v}
    csv_path, count = write_public_list(inv, tmp_path / "list.csv")
    text = csv_path.read_text(encoding="utf-8-sig")
    assert count == 8 and "LU-001" in text and "Khu phố Đồng Sơn" in text
    assert not [v for v in personal if v in text]
    assert next(csv.reader(text.splitlines()))[:3] == ["STT", "Mã hộ", "Khu phố"]
    pdf_path, _n = write_public_list(inv, tmp_path / "list.pdf")
    from pypdf import PdfReader

    pdf_text = "".join(p.extract_text() for p in PdfReader(pdf_path).pages)
    assert "DANH SÁCH HỘ ĐƯỢC NHẬN ĐIỆN THOẠI" in pdf_text and "LU-001" in pdf_text
    assert not [v for v in personal if v in pdf_text]


def test_household_lines_show_personal_data_only_when_asked(inv):
    register(inv, household("A-1", phone="0912345678", national_id="074090000001"))
    plain = household_lines(inv, Policy())[0].household
    assert (plain.head_name, plain.contact_phone, plain.national_id) == ("", "", "")
    asked = household_lines(inv, Policy(), personal=True)[0].household
    assert (asked.contact_phone, asked.national_id) == ("0912345678", "074090000001")


def test_campaign_yaml_allocation_section(tmp_path):
    assert policy_from({}) == Policy()
    # The template's commented example, uncommented, is a valid policy.
    text = (TEMPLATES / "campaign.yaml").read_text(encoding="utf-8")
    example = "\n".join(line[2:] if line.startswith("# ") else line[1:]
                        for line in text[text.index("# allocation:"):].splitlines())
    policy = policy_from(yaml.safe_load(example)["allocation"])
    assert [t.label for t in policy.tiers][0] == "Hộ nghèo/cận nghèo, gia đình có công"
    assert policy.per_household == 2 and load_campaign(TEMPLATES / "campaign.yaml")
    # A campaign with its own tiers: poor households of a social-policy family first.
    own = policy_from({"tiers": [{"name": "Chính sách", "poverty": "poor",
                                  "social_policy": True},
                                 {"name": "Còn lại", "poverty": ["poor", "near_poor"]}]})
    with Inventory(tmp_path / "i.sqlite", station="s") as inv:
        register(inv, household("A-1", merit=True), household("A-2", social=True))
        add_phone(inv)
        assert allocate(inv, own).changes[0].household_code == "A-2"


@pytest.mark.parametrize(("section", "words"), [
    ({"tier": []}, "allocation.tier"),
    ({"tiers": []}, "allocation.tiers"),
    ({"tiers": [{"name": "x", "poverty": ["rich"]}]}, "poverty"),
    ({"tiers": [{"name": "x", "poverty": "poor", "merit": "yes"}]}, "merit"),
    ({"tiers": [{"poverty": "poor"}]}, "name"),
    ({"already_received": "first"}, "already_received"),
    ({"order_in_tier": "random"}, "order_in_tier"),
    ({"per_household": 0}, "per_household"),
])
def test_allocation_section_mistakes_are_named(section, words):
    with pytest.raises(BadInputError) as err:
        policy_from(section, Path("campaign.yaml"))
    assert words in err.value.message.plain() and err.value.exit_code == 5


def test_uids_are_version_7_and_distinct():
    import uuid

    ids = random_uids(1000) + random_uids(1000)
    assert len(set(ids)) == 2000
    assert {uuid.UUID(i).version for i in ids} == {7}
    assert ids[:1000] == sorted(ids[:1000])


_households = st.lists(st.tuples(st.sampled_from(["poor", "near_poor", "none"]),
                                 st.booleans(), st.booleans(), st.booleans(),
                                 st.integers(0, 3)), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(listed=_households, phones=st.integers(0, 15), late=_households)
def test_no_second_phone_while_an_eligible_household_has_none(tmp_path_factory, listed,
                                                              phones, late):
    path = tmp_path_factory.mktemp("prop") / "inventory.sqlite"
    with Inventory(path, station="s") as inv:
        register(inv, *[household(f"A-{i}", p, merit=m, social=s, prior=r, adults=a)
                        for i, (p, m, s, r, a) in enumerate(listed)])
        for _ in range(phones):
            add_phone(inv)
        allocate(inv, Policy())
        register(inv, *[household(f"B-{i}", p, merit=m, social=s, prior=r, adults=a)
                        for i, (p, m, s, r, a) in enumerate(late)])
        allocate(inv, Policy())
        held = {k: len(v) for k, v in holdings(inv).items()}
        lines = household_lines(inv, Policy())
        eligible = [line.household.code for line in lines if line.rank]
        assert sum(held.values()) == min(phones, sum(line.household.adults for line in lines
                                                     if line.rank))
        if any(held.get(code, 0) == 0 for code in eligible):
            assert max(held.values(), default=0) <= 1
        by_rank = sorted((line for line in lines if line.rank), key=lambda x: x.rank)
        got = [held.get(line.household.code, 0) > 0 for line in by_rank]
        assert got == sorted(got, reverse=True)  # served households come first in line
        before = _snapshot(inv)
        assert not allocate(inv, Policy()).changes and _snapshot(inv) == before


_policies = st.builds(
    Policy, already_received=st.sampled_from(["last", "last_in_tier", "excluded"]),
    order_in_tier=st.sampled_from(["household_code", "most_adults_first"]),
    per_household=st.none() | st.integers(1, 3))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(listed=_households, policy=_policies, codes=st.lists(
    st.from_regex(r"[A-Za-zĐđ]{1,3}-?[0-9]{1,3}", fullmatch=True), min_size=12, max_size=12,
    unique_by=lambda c: c.casefold()))
def test_the_query_and_the_rules_agree(tmp_path_factory, listed, policy, codes):
    """The line SQLite computes for a province (line_query) is the line the pure rules give
    (ranked) for every setting of campaign.yaml."""
    from traomay.inventory.allocation_policy import line_query, ranked
    from traomay.inventory.households import all_households

    path = tmp_path_factory.mktemp("line") / "inventory.sqlite"
    with Inventory(path, station="s") as inv:
        register(inv, *[household(codes[i], p, merit=m, social=s, prior=r, adults=a)
                        for i, (p, m, s, r, a) in enumerate(listed)])
        by_sql = [(hid, tier, cap) for hid, tier, cap, _p, _a in
                  inv.db.execute(*line_query(policy)).fetchall()]
        by_rules = [(p.household.id, p.tier.number, p.capacity)
                    for p in ranked(all_households(inv), policy)]
        assert by_sql == by_rules
