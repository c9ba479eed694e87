"""Bluetooth check: the real bluetooth_manager dumps, numeric states, and the active step."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import REPO, capture_rows, require_captures
from traomay.checks import bluetooth
from traomay.core.results import ShellResult, Status, Unknown

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


class FakePhone:
    def __init__(self, sdk: int, on: bool = False, works: bool = True, svc_has_bt: bool = True):
        self.sdk, self.on, self.works, self.svc_has_bt = sdk, on, works, svc_has_bt
        self.commands: list[str] = []

    def shell(self, command: str, timeout: float = 30.0) -> ShellResult:
        self.commands.append(command)
        if command == "dumpsys bluetooth_manager":
            state = "ON" if self.on else "OFF"
            return ShellResult(f"Bluetooth Status\n  enabled: {str(self.on).lower()}\n"
                               f"  state: {state}\n", 0)
        if command in ("svc bluetooth enable", "cmd bluetooth_manager enable"):
            if command.startswith("svc") and not self.svc_has_bt:
                return ShellResult("Available commands:\n    power\n    data\n    wifi\n"
                                   "Unknown command: bluetooth\n", 1)
            self.on = self.works
        if command in ("svc bluetooth disable", "cmd bluetooth_manager disable"):
            self.on = False
        return ShellResult("", 0)


def _clock():
    now = [0.0]

    def sleep(s):
        now[0] += s
    return sleep, (lambda: now[0])


@pytest.mark.parametrize(("sdk", "enable"), [(28, "svc bluetooth enable"),
                                             (31, "svc bluetooth enable"),
                                             (33, "cmd bluetooth_manager enable"),
                                             (35, "cmd bluetooth_manager enable")])
def test_active_turns_on_and_restores(sdk, enable):
    phone = FakePhone(sdk)
    sleep, clock = _clock()
    before = bluetooth.Facts("OFF", False, sdk=sdk)
    after = bluetooth.run_active(phone, before, {}, sleep=sleep, clock=clock)
    assert after.state == "ON" and after.turned_on_by_check
    assert bluetooth.evaluate(after, {}).status is Status.PASS
    assert enable in phone.commands
    assert phone.on is False  # restored
    if sdk >= 33:
        assert "cmd bluetooth_manager wait-for-state:STATE_ON" in phone.commands


def test_active_old_android_needs_a_person():
    phone = FakePhone(27)
    after = bluetooth.run_active(phone, bluetooth.Facts("OFF", False, sdk=27), {})
    assert after.needs_manual_enable and phone.commands == []
    result = bluetooth.evaluate(after, {})
    assert result.status is Status.NEEDS_OPERATOR
    assert "Settings" in result.summary.msgid


def test_active_unknown_sdk_with_old_svc_needs_a_person():
    phone = FakePhone(26, svc_has_bt=False)
    after = bluetooth.run_active(phone, bluetooth.Facts("OFF", False, sdk=None), {})
    assert bluetooth.evaluate(after, {}).status is Status.NEEDS_OPERATOR
    assert not any("disable" in c for c in phone.commands)


def test_active_broken_adapter_fails_after_timeout():
    phone = FakePhone(30, works=False)
    sleep, clock = _clock()
    after = bluetooth.run_active(phone, bluetooth.Facts("OFF", False, sdk=30),
                                 {"enable_timeout_s": 6.0}, sleep=sleep, clock=clock)
    assert after.enable_failed
    assert bluetooth.evaluate(after, {}).status is Status.FAIL
    assert clock() <= 8.0


def test_active_does_not_touch_bluetooth_that_is_already_on():
    phone = FakePhone(34, on=True)
    stale = bluetooth.Facts(Unknown("dump missing"), Unknown("dump missing"), sdk=34)
    after = bluetooth.run_active(phone, stale, {})
    assert after.state == "ON" and phone.commands == ["dumpsys bluetooth_manager"]


def test_active_restores_on_error():
    class Flaky(FakePhone):
        calls = 0

        def shell(self, command, timeout=30.0):
            if command == "dumpsys bluetooth_manager":
                self.calls += 1
                if self.calls == 2:
                    raise TimeoutError("adb timed out")
            return super().shell(command, timeout)

    phone = Flaky(31)
    with pytest.raises(TimeoutError):
        bluetooth.run_active(phone, bluetooth.Facts("OFF", False, sdk=31), {},
                             sleep=lambda s: None)
    assert phone.commands[-1] == "svc bluetooth disable" and phone.on is False


def test_defaults_documented_in_criteria_yaml():
    text = (REPO / "criteria.yaml").read_text(encoding="utf-8")
    assert dict(yaml.safe_load(text)["bluetooth"]) == dict(bluetooth.DEFAULT_CRITERIA)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["bluetooth", "getprop"]), st.text()))
def test_parse_never_raises(sections):
    bluetooth.evaluate(bluetooth.parse(sections), {})


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["Bluetooth Status", "  enabled: true", "  state: 12",
                                 "  state: ", "state: STATE_", "", "x"])))
def test_parse_never_raises_on_shuffled_lines(lines):
    bluetooth.evaluate(bluetooth.parse({"bluetooth": "\n".join(lines)}), {})
