"""Battery check on the real `dumpsys battery` / `dumpsys batterystats` captures."""

from __future__ import annotations

import time

import pytest
from conftest import CAPTURES, capture_rows, require_captures
from fakes import undecorated
from hypothesis import given
from hypothesis import strategies as st

from traomay.checks import battery
from traomay.checks.battery_service import parse_battery_service
from traomay.core.results import Status, Unknown

U = Unknown  # "any Unknown" in the expectations below

# folder -> (level, status, health, voltage mV, temperature °C, charge counter mAh, unit)
BATTERY_FACTS = {
    "asus-padfone_s_T00N-6.0.1": (97, 2, 2, 4342, 24.5, U, U),
    "google-pixel_sailfish-10": (100, 5, 2, 4401, 26.2, 2761.287, "uAh"),
    "meizu-MX6-7.1.1": (100, 2, 2, 4292, 30.0, U, U),  # prints "Charge counter: 0"
    "samsung-unknown_Exynos_5000mAh-unknown": (100, 5, 2, 4378, 33.7, 5000.0, "uAh"),
    "samsung-unknown_LLB2018-unknown": (100, 5, 2, 4312, 30.9, 2967.0, "uAh"),
    "smartron-tphoneE_T5911-8.1.0": (74, 2, 2, 4113, 24.5, 3007.502, "uAh"),
    "sunmi-T2s_LITE-9": (58, 2, 2, 3952, 25.0, 1083.381, "uAh"),
    "vivo-X9_PD1616-7.1.2": (55, 3, 2, 3817, 26.7, U, U),
    # HyperOS prints mAh in "Charge counter"
    "xiaomi-redmi_note14_4G_tanzanite-unknown": (80, 2, 2, 4228, 36.4, 4274.0, "mAh"),
}

# folder -> (estimated, last learned, min learned, max learned) mAh
STATS_FACTS = {
    "google-pixel_sailfish-10": (2793, U, 2812, 2812),
    "meizu-MX6-7.1.1": (3000, U, U, U),
    "smartron-tphoneE_T5911-8.1.0": (4000, U, 4092, 4092),
    "sunmi-T2s_LITE-9": (1000, U, 2878, 2878),
    "vivo-X9_PD1616-7.1.2": (3000, U, U, U),
    "xiaomi-redmi_k80pro_miro-15": (5603, 5661, 5661, 5661),
}

# folder -> expected status of the battery check on dumpsys battery (+ batterystats if any)
EXPECTED_STATUS = {
    "asus-padfone_s_T00N-6.0.1": Status.NEEDS_OPERATOR,  # soh 0, no counter: drain test
    "google-pixel_sailfish-10": Status.PASS,  # learned 2812 mAh -> ~7 h
    "meizu-MX6-7.1.1": Status.NEEDS_OPERATOR,  # only "Estimated" (not used), counter 0
    "samsung-unknown_Exynos_5000mAh-unknown": Status.PASS,
    "samsung-unknown_LLB2018-unknown": Status.PASS,
    "smartron-tphoneE_T5911-8.1.0": Status.PASS,
    "sunmi-T2s_LITE-9": Status.PASS,
    "vivo-X9_PD1616-7.1.2": Status.NEEDS_OPERATOR,
    "xiaomi-redmi_note14_4G_tanzanite-unknown": Status.PASS,
}


def _same(actual, expected):
    if expected is U:
        return isinstance(actual, Unknown)
    if isinstance(expected, float):
        return actual == pytest.approx(expected)
    return actual == expected


def _sections(folder: str) -> dict[str, str]:
    out = {}
    for key, file in (("battery", "dumpsys_battery.txt"), ("batterystats",
                                                             "dumpsys_batterystats.txt")):
        path = CAPTURES / folder / file
        if path.is_file():
            out[key] = path.read_text(encoding="utf-8", errors="replace")
    return out


@pytest.mark.parametrize(("folder", "path"), capture_rows("dumpsys_battery.txt"),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_dumpsys_battery_capture(folder, path):
    require_captures()
    state = parse_battery_service(path.read_text(encoding="utf-8"))
    assert state.recognised and not state.updates_stopped
    expected = BATTERY_FACTS[folder]
    actual = (state.level, state.status, state.health, state.voltage_mv, state.temperature_c,
              state.charge_counter_mah, state.charge_counter_unit)
    assert all(_same(a, e) for a, e in zip(actual, expected, strict=True)), (actual, expected)
    assert state.present is True and state.scale == 100


@pytest.mark.parametrize(("folder", "path"), capture_rows("dumpsys_batterystats.txt"),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_batterystats_capture(folder, path):
    require_captures()
    text = path.read_text(encoding="utf-8", errors="replace")
    started = time.perf_counter()
    stats = battery.parse_batterystats(text)
    elapsed = time.perf_counter() - started
    actual = (stats.estimated_mah, stats.last_learned_mah, stats.min_learned_mah,
              stats.max_learned_mah)
    assert all(_same(a, e) for a, e in zip(actual, STATS_FACTS[folder], strict=True)), actual
    assert elapsed < 0.05, f"batterystats parse took {elapsed * 1000:.1f} ms"


@pytest.mark.parametrize("folder", sorted(EXPECTED_STATUS))
def test_evaluate_on_captures(folder):
    require_captures()
    result = battery.evaluate(battery.parse(_sections(folder)), battery.DEFAULT_CRITERIA)
    assert result.status is EXPECTED_STATUS[folder], result.summary
    assert result.name == "battery"
    if result.status is Status.PASS:
        assert result.measurements["estimated_hours"] > 4 * 1.25
        assert result.measurements["estimate_method"]


def test_samsung_vendor_fields():
    require_captures()
    modern = parse_battery_service(
        (CAPTURES / "samsung-unknown_Exynos_5000mAh-unknown/dumpsys_battery.txt").read_text())
    assert (modern.samsung_asoc, modern.samsung_bsoh, modern.samsung_usage) == (98, 100, 24903)
    old = parse_battery_service(
        (CAPTURES / "samsung-unknown_LLB2018-unknown/dumpsys_battery.txt").read_text())
    assert (old.samsung_asoc, old.samsung_usage) == (96, 132)
    facts = battery.parse({"battery": (CAPTURES / "samsung-unknown_LLB2018-unknown"
                                       / "dumpsys_battery.txt").read_text()})
    assert battery.health_percent(facts) == (96.0, "samsung mSavedBatteryAsoc")


def test_pixel_uses_learned_capacity():
    require_captures()
    result = battery.evaluate(battery.parse(_sections("google-pixel_sailfish-10")), {})
    assert result.measurements["full_charge_capacity_mah"] == 2812
    assert result.measurements["estimated_hours"] == pytest.approx(2812 / 400, abs=0.01)
    assert "learned" in result.measurements["estimate_method"]


def test_asus_soh_zero_is_unsupported():
    require_captures()
    facts = battery.parse(_sections("asus-padfone_s_T00N-6.0.1"))
    assert facts.state.asus_soh == 0 and battery.health_percent(facts) is None


# -- inline edge cases ------------------------------------------------------------------

ANDROID15_ONE_SPACE = """Current Battery Service state:
 AC powered: false
 USB powered: true
 status: 2
 health: 2
 present: true
 level: 40
 scale: 100
 Charge counter: 1600000
 voltage: 3900
 temperature: 300
"""


def test_any_indentation_and_order():
    state = parse_battery_service(ANDROID15_ONE_SPACE)
    assert (state.level, state.status, state.charge_counter_mah) == (40, 2, 1600.0)
    facts = battery.parse({"battery": ANDROID15_ONE_SPACE})
    capacity = battery.full_charge_capacity(facts, battery.DEFAULT_CRITERIA)
    assert capacity == (4000.0, "charge counter / battery level")


@pytest.mark.parametrize(("health", "status"), [(3, Status.FAIL), (4, Status.FAIL),
                                                (5, Status.FAIL), (6, Status.FAIL),
                                                (7, Status.NEEDS_OPERATOR)])
def test_bad_health_codes(health, status):
    text = ANDROID15_ONE_SPACE.replace("health: 2", f"health: {health}")
    assert battery.evaluate(battery.parse({"battery": text}), {}).status is status


@pytest.mark.parametrize(("damage", "why"), [
    # mutation "drop": the health line gone; a dead battery could hide behind a capacity
    (lambda t: t.replace(" health: 2\n", ""), "'health' not printed"),
    # mutation "number": a health code Android does not define
    (lambda t: t.replace("health: 2", "health: 99999999999999999999"), "'health'"),
    (lambda t: t.replace("health: 2", "health: -2"), "'health' is out of range"),
    # mutation "drop": present gone
    (lambda t: t.replace(" present: true\n", ""), "'present' not printed"),
    # a key printed twice with different values (one copy damaged): neither is trusted
    (lambda t: t + " health: 4\n", "printed twice"),
])
def test_health_and_presence_must_be_read_to_pass(damage, why):
    good = battery.parse({"battery": ANDROID15_ONE_SPACE})
    assert battery.evaluate(good, {}).status is Status.PASS  # 4000 mAh / 400 mA = 10 h
    result = battery.evaluate(battery.parse({"battery": damage(ANDROID15_ONE_SPACE)}), {})
    assert result.status is Status.ERROR
    assert why in result.summary.args["reason"]


@pytest.mark.parametrize(("text", "level"), [
    (ANDROID15_ONE_SPACE.replace("level: 40", "level: 400"), "above the scale"),
    (ANDROID15_ONE_SPACE.replace("scale: 100", "scale: 0"), "'scale' is out of range"),
])
def test_impossible_level_is_no_capacity_evidence(text, level):
    state = parse_battery_service(text)
    assert level in (state.level.reason if isinstance(state.level, Unknown)
                     else state.scale.reason)
    capacity = battery.full_charge_capacity(battery.parse({"battery": text}),
                                            battery.DEFAULT_CRITERIA)
    assert capacity is None  # the charge-counter estimate needs a real level


def test_learned_capacity_outside_min_and_max_is_not_used():
    # mutation "number" on "Last learned": 1800 -> 18007 would be out of the plausible
    # range anyway; 1800 -> 3800 is plausible but above the max learned: damaged.
    stats = ("  Last learned battery capacity: 3800 mAh\n"
             "  Min learned battery capacity: 1700 mAh\n"
             "  Max learned battery capacity: 1900 mAh\n")
    facts = battery.parse({"battery": ANDROID15_ONE_SPACE, "batterystats": stats})
    assert isinstance(facts.stats.last_learned_mah, Unknown)
    capacity = battery.full_charge_capacity(facts, battery.DEFAULT_CRITERIA)
    assert capacity == (4000.0, "charge counter / battery level")


def test_sysfs_charge_full_far_above_design_is_not_used():
    facts = battery.parse({"battery": ANDROID15_ONE_SPACE, "battery_sysfs": (
        "charge_full=31000000\ncharge_full_design=4000000\ncycle_count=512\n")})
    assert "far above the design" in facts.sysfs.charge_full_mah.reason
    twice = battery.parse_sysfs("charge_full=3100000\ncharge_full=9100000\n")
    assert "printed twice" in twice.charge_full_mah.reason


def test_updates_stopped_is_not_trusted():
    text = ANDROID15_ONE_SPACE.replace("state:\n", "state:\n  (UPDATES STOPPED -- use 'reset' "
                                       "to restart)\n")
    result = battery.evaluate(battery.parse({"battery": text}), {})
    assert result.status is Status.NEEDS_OPERATOR and "reset" in result.summary.msgid


def test_not_present_fails():
    text = ANDROID15_ONE_SPACE.replace("present: true", "present: false")
    assert battery.evaluate(battery.parse({"battery": text}), {}).status is Status.FAIL


def test_worn_battery_fails_and_borderline_asks_for_drain_test():
    worn = battery.parse({"battery": ANDROID15_ONE_SPACE,
                          "batterystats": "  Min learned battery capacity: 700 mAh\n"})
    assert battery.evaluate(worn, {}).status is Status.FAIL  # 700/400 = 1.75 h < 2 h
    border = battery.parse({"battery": ANDROID15_ONE_SPACE,
                            "batterystats": "  Last learned battery capacity: 1800 mAh\n"})
    assert battery.evaluate(border, {}).status is Status.NEEDS_OPERATOR  # 4.5 h < 5 h


def test_sysfs_values_and_denied():
    facts = battery.parse({"battery": ANDROID15_ONE_SPACE, "battery_sysfs": (
        "charge_full=3100000\ncharge_full_design=4000000\ncycle_count=512\n")})
    assert facts.sysfs.charge_full_mah == 3100 and facts.sysfs.cycle_count == 512
    assert battery.health_percent(facts) == (77.5, "sysfs charge_full / charge_full_design")
    denied = battery.parse_sysfs(
        "charge_full=cat: /sys/class/power_supply/battery/charge_full: Permission denied\n")
    assert "permission denied" in denied.charge_full_mah.reason


def test_bracketed_and_unsupported_samsung_values():
    text = ANDROID15_ONE_SPACE + "  mSavedBatteryAsoc: -1\n  mSavedBatteryBsoh: [91]\n"
    facts = battery.parse({"battery": text})
    assert facts.state.samsung_asoc == -1
    assert battery.health_percent(facts) == (91.0, "samsung mSavedBatteryBsoh")


@pytest.mark.parametrize("text", ["", "Can't find service: battery", "\x00\x01garbage"])
def test_unreadable_is_error(text):
    result = battery.evaluate(battery.parse({"battery": text}), {})
    assert result.status is Status.ERROR and result.summary.args["reason"]


# -- drain test -------------------------------------------------------------------------

def test_drain_estimate():
    assert battery.drain_estimate(100, 90, 60) == pytest.approx(10.0)
    assert battery.drain_estimate(80, 60, 30) == pytest.approx(2.5)
    for bad in ((50, 50, 60), (50, 60, 60), (100, 90, 0), (120, 90, 60)):
        with pytest.raises(ValueError):
            battery.drain_estimate(*bad)


@pytest.mark.parametrize(("test", "status"), [
    (battery.DrainTest(100, 90, 60), Status.PASS),  # 10 h
    (battery.DrainTest(100, 70, 60), Status.FAIL),  # 3.3 h
    (battery.DrainTest(100, 98, 60), Status.NEEDS_OPERATOR),  # drop too small
    (battery.DrainTest(100, 80, 10), Status.NEEDS_OPERATOR),  # too short
])
def test_evaluate_drain(test, status):
    result = battery.evaluate_drain(test, {})
    assert result.status is status
    if status is Status.PASS:
        assert result.measurements["estimate_method"].startswith("drain test")


# -- never raises -----------------------------------------------------------------------

@given(st.dictionaries(st.sampled_from(["battery", "batterystats", "battery_sysfs", "x"]),
                       st.text()))
def test_parse_never_raises(sections):
    facts = undecorated(battery.parse)(sections)
    battery.evaluate(facts, battery.DEFAULT_CRITERIA)


@given(st.lists(st.sampled_from(["level", "status", "health", "scale", "Charge counter",
                                 "present", "AC powered", "voltage", "temperature", "soh",
                                 "mSavedBatteryAsoc"]), max_size=8),
       st.lists(st.text(max_size=12), max_size=8))
def test_parse_never_raises_on_key_value_noise(keys, values):
    text = "Current Battery Service state:\n" + "\n".join(
        f"  {k}: {v}" for k, v in zip(keys, values, strict=False))
    battery.evaluate(undecorated(battery.parse)({"battery": text}), {})


# -- operator input hook (traomay.provision.inspect) --------------------------------------------

def test_drain_input_overrides_estimate():
    facts = battery.parse({"battery": ANDROID15_ONE_SPACE})
    drained = battery.with_operator_input(
        facts, {"level_start": 100, "level_end": 70, "minutes": 60})
    result = battery.evaluate(drained, {})
    assert result.status is Status.FAIL  # 3.3 h measured
    assert result.measurements["level_percent"] == 40  # the dumpsys facts are kept too
    assert battery.with_operator_input(facts, {"level_start": "x"}) is facts


def test_drain_input_without_dumpsys():
    facts = battery.with_operator_input(battery.parse({}), battery.DrainTest(100, 90, 60))
    assert battery.evaluate(facts, {}).status is Status.PASS


def test_drain_defaults_match_battery_defaults():
    from traomay.checks.battery_drain import DRAIN_DEFAULTS
    for key, value in DRAIN_DEFAULTS.items():
        assert battery.DEFAULT_CRITERIA[key] == value
