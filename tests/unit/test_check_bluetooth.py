"""Bluetooth check: the real bluetooth_manager dumps, numeric states, and the active step."""

from __future__ import annotations

import json

import pytest
from fakes import undecorated
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import capture_rows, require_captures
from traomay.checks import bluetooth
from traomay.core.results import Status, Unknown

ROWS = capture_rows("dumpsys_bluetooth_manager.txt")

# folder -> (state, enabled, decision). Meizu Flyme 7.1 prints "state: STATE_ON"; the
# vivo X9 7.1 dump is 9 lines with "enabled: false / state: OFF".
EXPECTED = {
    "google-pixel_sailfish-10": ("ON", True, "pass"),
    "meizu-MX6-7.1.1": ("ON", True, "pass"),
    "smartron-tphoneE_T5911-8.1.0": ("ON", True, "pass"),
    "sunmi-T2s_LITE-9": ("ON", True, "pass"),
    "vivo-X9_PD1616-7.1.2": ("OFF", False, "error"),
}


@pytest.mark.parametrize(("folder", "path"), ROWS, ids=[f for f, _ in ROWS])
def test_parse_real_bluetooth_dump(folder, path):
    require_captures()
    state, enabled, decision = EXPECTED[folder]
    getprop = (path.parent / "getprop.txt").read_text(encoding="utf-8")
    facts = bluetooth.parse({"bluetooth": path.read_text(encoding="utf-8"), "getprop": getprop})
    assert (facts.state, facts.enabled) == (state, enabled)
    result = bluetooth.evaluate(facts, {})
    assert result.status.value == decision
    json.dumps(result.to_json())
    assert "aa:bb:cc" not in json.dumps(result.to_json())


def test_every_capture_has_an_expectation():
    require_captures()
    assert {f for f, _ in ROWS} == set(EXPECTED)


@pytest.mark.parametrize(("line", "state"), [
    ("state: 12", "ON"), ("state: 10", "OFF"), ("state: 15", "BLE_ON"),
    ("state: TURNING_ON", "TURNING_ON"), ("state: STATE_OFF", "OFF"),
])
def test_state_forms(line, state):
    facts = bluetooth.parse({"bluetooth": f"Bluetooth Status\n  enabled: true\n  {line}\n"})
    assert facts.state == state


def test_never_enabled_and_garbage():
    facts = bluetooth.parse({"bluetooth": "Bluetooth never enabled!\n"})
    assert facts.never_enabled and facts.state == "OFF"
    facts = bluetooth.parse({"bluetooth": "Bluetooth Status\n  state: 99\n"})
    assert isinstance(facts.state, Unknown)
    assert bluetooth.evaluate(facts, {}).status is Status.ERROR
    # "State: ON" further down (AdapterProperties) is not the manager's status line
    facts = bluetooth.parse({"bluetooth": "Something\n\nAdapterProperties\n  State: ON\n"})
    assert isinstance(facts.state, Unknown)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["bluetooth", "getprop"]), st.text()))
def test_parse_never_raises(sections):
    bluetooth.evaluate(undecorated(bluetooth.parse)(sections), {})


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["Bluetooth Status", "  enabled: true", "  state: 12",
                                 "  state: ", "state: STATE_", "", "x"])))
def test_parse_never_raises_on_shuffled_lines(lines):
    bluetooth.evaluate(undecorated(bluetooth.parse)({"bluetooth": "\n".join(lines)}), {})


@pytest.mark.parametrize("block", [
    "Bluetooth Status\n  state: ON\n  name: x\n",  # mutation "drop": enabled line gone
    "Bluetooth Status\n  enabled: false\n  state: ON\n",  # turning off, or damaged
    "Bluetooth Status\n  enabled: true\n  enabled: false\n  state: ON\n",  # first of two
])
def test_on_counts_only_with_enabled_true(block):
    facts = bluetooth.parse({"bluetooth": block})
    assert isinstance(facts.state, Unknown)
    assert bluetooth.evaluate(facts, {}).status is Status.ERROR
