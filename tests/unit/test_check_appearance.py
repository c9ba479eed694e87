"""Appearance check: the operator's attestation."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traomay.checks import appearance
from traomay.core.results import Status


def _eval(sections, criteria=None):
    return appearance.evaluate(appearance.parse(sections), criteria or {})


def test_no_attestation_needs_operator():
    result = _eval({})
    assert result.status is Status.NEEDS_OPERATOR
    assert result.measurements == {"screen_ok": None, "back_ok": None, "who": None, "when": None}


def test_both_ok_passes_and_records_who():
    text = appearance.attestation_json(True, True, "Trần Thị B", "2026-11-22T09:30")
    result = _eval({"appearance": text})
    assert result.status is Status.PASS
    assert result.measurements["who"] == "Trần Thị B"
    assert json.loads(text)["who"] == "Trần Thị B"


@pytest.mark.parametrize(("screen", "back", "word"), [
    (False, True, "Screen"), (True, False, "swollen"), (False, False, "cracked")])
def test_any_not_ok_fails(screen, back, word):
    result = _eval({"appearance": appearance.attestation_json(screen, back, "A", "now")})
    assert result.status is Status.FAIL and word in result.summary.msgid


def test_one_answer_missing_needs_operator():
    result = _eval({"appearance": json.dumps({"screen_ok": True, "who": "A"})})
    assert result.status is Status.NEEDS_OPERATOR


def test_strings_are_not_answers():
    facts = appearance.parse({"appearance": json.dumps({"screen_ok": "yes", "back_ok": 1})})
    assert not isinstance(facts.screen_ok, bool) and not isinstance(facts.back_ok, bool)


def test_who_required_unless_criteria_say_otherwise():
    text = json.dumps({"screen_ok": True, "back_ok": True})
    assert _eval({"appearance": text}).status is Status.NEEDS_OPERATOR
    assert _eval({"appearance": text}, {"require_who": False}).status is Status.PASS


def test_dict_input():
    facts = appearance.parse_attestation({"screen_ok": True, "back_ok": False, "who": " A "})
    assert (facts.screen_ok, facts.back_ok, facts.who) == (True, False, "A")


@pytest.mark.parametrize("text", ["not json", "[1, 2]", "null", "{" * 5000])
def test_garbage_needs_operator(text):
    assert _eval({"appearance": text}).status is Status.NEEDS_OPERATOR


@given(st.text())
def test_parse_never_raises(text):
    _eval({"appearance": text})


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda c: st.lists(c) | st.dictionaries(st.text(), c), max_leaves=10))
def test_parse_never_raises_on_json_values(value):
    _eval({"appearance": json.dumps(value)})


def test_operator_input_hook_as_the_cli_sends_it():
    facts = appearance.parse({})
    # provision/cli_checks.py attest: {"screen_ok", "back_ok", "who"} (no "when")
    done = appearance.with_operator_input(facts, {"screen_ok": True, "back_ok": True,
                                                  "who": "Volunteer 1"})
    assert appearance.evaluate(done, {}).status is Status.PASS
    as_text = appearance.with_operator_input(facts, appearance.attestation_json(
        True, False, "A", "t"))
    assert appearance.evaluate(as_text, {}).status is Status.FAIL
