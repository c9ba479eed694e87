"""Charging check on the real `dumpsys battery` captures and inline edge cases."""

from __future__ import annotations

import pytest
from conftest import capture_rows, require_captures
from fakes import undecorated
from hypothesis import given
from hypothesis import strategies as st

from traomay.checks import charging
from traomay.core.results import Status

# folder -> (power sources, status code, expected result)
EXPECTED = {
    "asus-padfone_s_T00N-6.0.1": ("usb", 2, Status.PASS),
    "google-pixel_sailfish-10": ("usb", 5, Status.PASS),  # full on USB
    "meizu-MX6-7.1.1": ("usb", 2, Status.PASS),
    "samsung-unknown_Exynos_5000mAh-unknown": ("usb", 5, Status.PASS),
    "samsung-unknown_LLB2018-unknown": ("usb", 5, Status.PASS),
    "smartron-tphoneE_T5911-8.1.0": ("usb", 2, Status.PASS),
    "sunmi-T2s_LITE-9": ("usb", 2, Status.PASS),
    "vivo-X9_PD1616-7.1.2": ("", 3, Status.NEEDS_OPERATOR),  # unplugged: plug it in
    "xiaomi-redmi_note14_4G_tanzanite-unknown": ("ac", 2, Status.PASS),
}


@pytest.mark.parametrize(("folder", "path"), capture_rows("dumpsys_battery.txt"),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_capture(folder, path):
    require_captures()
    facts = charging.parse({"battery": path.read_text(encoding="utf-8")})
    sources, status_code, expected = EXPECTED[folder]
    assert ",".join(facts.sources) == sources
    assert facts.state.status == status_code
    result = charging.evaluate(facts, charging.DEFAULT_CRITERIA)
    assert result.status is expected
    assert result.measurements["power_sources"] == sources


def test_xiaomi_charger_power():
    require_captures()
    path = dict(capture_rows("dumpsys_battery.txt"))["xiaomi-redmi_note14_4G_tanzanite-unknown"]
    m = charging.evaluate(charging.parse({"battery": path.read_text()}), {}).measurements
    # Max charging current 12400000 µA x Max charging voltage 11000000 µV
    assert (m["max_charging_current_ma"], m["max_charging_voltage_mv"]) == (12400, 11000)
    assert m["max_charging_watts"] == pytest.approx(136.4)


def _text(ac: bool, usb: bool, status: int, level: int = 50) -> str:
    return (f"Current Battery Service state:\n  AC powered: {str(ac).lower()}\n"
            f"  USB powered: {str(usb).lower()}\n  Wireless powered: false\n"
            f"  status: {status}\n  health: 2\n  level: {level}\n  scale: 100\n")


@pytest.mark.parametrize(("ac", "usb", "status", "expected"), [
    (False, False, 3, Status.NEEDS_OPERATOR),  # not plugged
    (False, True, 2, Status.PASS),
    (True, False, 5, Status.PASS),
    (True, False, 3, Status.FAIL),  # wall charger but draining: faulty port/circuit
    (False, True, 3, Status.NEEDS_OPERATOR),  # USB hub may be too weak
    (False, True, 4, Status.NEEDS_OPERATOR),  # paused (protection limit / temperature)
    (False, True, 1, Status.ERROR),
])
def test_status_matrix(ac, usb, status, expected):
    result = charging.evaluate(charging.parse({"battery": _text(ac, usb, status)}), {})
    assert result.status is expected, result.summary


def test_wall_charger_rule_can_be_relaxed():
    facts = charging.parse({"battery": _text(True, False, 3)})
    relaxed = charging.evaluate(facts, {"fail_when_discharging_on_wall_charger": False})
    assert relaxed.status is Status.NEEDS_OPERATOR


@pytest.mark.parametrize("text", ["", "Permission Denial: can't dump", "level: x"])
def test_unreadable(text):
    assert charging.evaluate(charging.parse({"battery": text}), {}).status is Status.ERROR


def test_missing_section():
    assert charging.evaluate(charging.parse({}), {}).status is Status.ERROR


@given(st.dictionaries(st.sampled_from(["battery", "other"]), st.text()))
def test_parse_never_raises(sections):
    charging.evaluate(undecorated(charging.parse)(sections), charging.DEFAULT_CRITERIA)
