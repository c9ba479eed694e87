"""The one registry: every check satisfies the protocol, has one name everywhere, and its
parser (undecorated) never raises on any text for any of its sections."""

from __future__ import annotations

import pytest
from fakes import undecorated
from hypothesis import given, settings
from hypothesis import strategies as st

from traomay.checks.base import CheckModule
from traomay.checks.registry import CHECK_LABELS, CHECKS, PRIVATE_SECTIONS, REGISTRY
from traomay.core.results import CheckResult, Status


@pytest.mark.parametrize("spec", CHECKS, ids=lambda s: s.name)
def test_every_check_satisfies_the_protocol(spec):
    assert isinstance(spec.module, CheckModule)
    assert spec.module.__name__ == f"traomay.checks.{spec.name}"  # one name everywhere
    assert spec.private_sections <= set(spec.commands)
    # A person takes part exactly where the check has the hook for their input.
    assert spec.person == hasattr(spec.module, "with_operator_input")
    assert spec.name in CHECK_LABELS


def test_names_are_unique_and_private_sections_collected():
    assert len(REGISTRY) == len(CHECKS)
    assert {"accounts", "wifi", "bluetooth", "location", "diskstats"} <= PRIVATE_SECTIONS


def _sections(spec):
    keys = sorted(set(spec.commands) | {"getprop"})
    return st.dictionaries(st.sampled_from(keys), st.text(max_size=400), max_size=len(keys))


@pytest.mark.parametrize("spec", CHECKS, ids=lambda s: s.name)
def test_parse_never_raises_and_evaluate_gives_a_result(spec):
    @settings(max_examples=60, deadline=None)
    @given(_sections(spec))
    def run(sections):
        facts = undecorated(spec.module.parse)(sections)
        result = spec.module.evaluate(facts, spec.default_criteria)
        assert isinstance(result, CheckResult) and result.name == spec.name
        assert isinstance(result.status, Status)

    run()
