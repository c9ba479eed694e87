"""Battery: is it healthy, and will it last more than 4 hours after a full charge?

Reads ``dumpsys battery`` (state, health code, vendor health fields), the header of
``dumpsys batterystats`` (learned capacity) and, where the vendor allows it, sysfs
(full-charge and design capacity, cycle count). The runtime is an *estimate*:
full-charge capacity (mAh) ÷ an assumed average current (criteria.yaml). When the capacity
cannot be read, or the estimate is close to the limit, a timed drain test decides
(:func:`drain_estimate`, :func:`evaluate_drain`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traomay.checks.base import ResultMaker

# DrainTest, drain_estimate and evaluate_drain are re-exported for the CLI (battery-test).
from traomay.checks.battery_drain import DrainTest as DrainTest
from traomay.checks.battery_drain import drain_estimate as drain_estimate
from traomay.checks.battery_drain import evaluate_drain as evaluate_drain
from traomay.checks.battery_service import BatteryState, parse_battery_service
from traomay.core.msg import N_
from traomay.core.results import CheckResult, Status, Unknown, known

NAME = "battery"

_SYSFS = "/sys/class/power_supply/battery"
COMMANDS: dict[str, str] = {
    "battery": "dumpsys battery",
    "batterystats": "dumpsys batterystats",
    # One "name=value" line per file so a denied file cannot shift the others.
    "battery_sysfs": (
        "for f in charge_full charge_full_design cycle_count; do "
        f'echo "$f=$(cat {_SYSFS}/$f 2>&1)"; done'
    ),
}

DEFAULT_CRITERIA: Mapping[str, Any] = {
    "min_hours": 4.0,
    "typical_current_ma": 400.0,
    "pass_margin": 1.25,
    "fail_fraction": 0.5,
    "hours_at_full_health": 10.0,
    "min_plausible_capacity_mah": 500,
    "max_plausible_capacity_mah": 20000,
    "min_level_for_counter": 20,
    "drain_min_minutes": 30,
    "drain_min_drop_percent": 5,
}

# BatteryManager.BATTERY_HEALTH_* (health HAL V1_0 Constants)
HEALTH_NAMES = {
    1: "unknown", 2: "good", 3: "overheat", 4: "dead", 5: "over_voltage",
    6: "unspecified_failure", 7: "cold",
}
FAILED_HEALTH = frozenset({3, 4, 5, 6})
# One whole sentence per failed health, so each is translated whole (not a word inside).
FAILED_HEALTH_MSGIDS = {
    3: N_("The battery overheats (health: overheat): the battery must be replaced"),
    4: N_("The battery is dead (health: dead): the battery must be replaced"),
    5: N_("The battery voltage is too high (health: over_voltage): the battery must be "
          "replaced"),
    6: N_("The battery reports a failure (health: unspecified_failure): the battery must be "
          "replaced"),
}

# Only the first lines after this header are needed (the whole dump can be >1 MB).
_STATS_HEADER = "Statistics since last charge:"
_STATS_WINDOW = 4000
_STATS_LINE = re.compile(
    r"^\s*(Estimated|Last learned|Min learned|Max learned) battery capacity:\s*([\d.]+)\s*mAh",
    re.MULTILINE,
)
_SYSFS_LINE = re.compile(r"^(charge_full|charge_full_design|cycle_count)=(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class BatteryStatsCapacity:
    estimated_mah: float | Unknown
    last_learned_mah: float | Unknown
    min_learned_mah: float | Unknown
    max_learned_mah: float | Unknown


@dataclass(frozen=True)
class SysfsBattery:
    charge_full_mah: float | Unknown
    design_mah: float | Unknown
    cycle_count: int | Unknown


@dataclass(frozen=True)
class Facts:
    state: BatteryState
    stats: BatteryStatsCapacity
    sysfs: SysfsBattery
    drain: DrainTest | None = None  # added by the battery-test CLI (with_operator_input)


def with_operator_input(facts: Facts, data: object) -> Facts:
    """Hook for traomay.provision.inspect: a DrainTest, or a dict with level_start, level_end and
    minutes. Anything unusable leaves the facts unchanged."""
    if isinstance(data, Mapping):
        try:
            data = DrainTest(int(data["level_start"]), int(data["level_end"]),
                             float(data["minutes"]))
        except (KeyError, TypeError, ValueError):
            return facts
    return dataclasses.replace(facts, drain=data) if isinstance(data, DrainTest) else facts


def parse(sections: Mapping[str, str]) -> Facts:
    """Pure; never raises. Missing sections give Unknown fields."""
    return Facts(
        state=parse_battery_service(_text(sections, "battery")),
        stats=parse_batterystats(_text(sections, "batterystats")),
        sysfs=parse_sysfs(_text(sections, "battery_sysfs")),
    )


def _text(sections: Mapping[str, str], key: str) -> str | None:
    try:
        value = sections.get(key)
    except Exception:  # an odd mapping must not break parse()
        return None
    return value if isinstance(value, str) else None


def parse_batterystats(text: str | None) -> BatteryStatsCapacity:
    """The capacity lines of ``dumpsys batterystats`` (printed only when > 0)."""
    if not text:
        why = Unknown("no batterystats output")
        return BatteryStatsCapacity(why, why, why, why)
    start = text.find(_STATS_HEADER)
    if start < 0:  # a filtered (grep) output has no header: scan the beginning only
        start = max(0, text.find("battery capacity:") - 200)
    window = text[start : start + _STATS_WINDOW]
    found: dict[str, float] = {}
    for match in _STATS_LINE.finditer(window):
        try:
            found.setdefault(match.group(1), float(match.group(2)))
        except ValueError:
            continue
    missing = Unknown("not printed by batterystats (the phone does not report it)")
    values: dict[str, float | Unknown] = {
        k: found.get(k, missing)
        for k in ("Estimated", "Last learned", "Min learned", "Max learned")}
    low, last, high = (values[k] for k in ("Min learned", "Last learned", "Max learned"))
    # BatteryStatsImpl keeps min <= last <= max of the same learned values: a last learned
    # capacity outside them is a damaged figure, not the battery's.
    if (isinstance(last, float) and isinstance(low, float) and isinstance(high, float)
            and not low <= last <= high):
        bad = Unknown("learned capacities do not agree (min <= last <= max)")
        values = {**values, "Last learned": bad, "Min learned": bad, "Max learned": bad}
    return BatteryStatsCapacity(
        *(values[k] for k in ("Estimated", "Last learned", "Min learned", "Max learned")))


def parse_sysfs(text: str | None) -> SysfsBattery:
    """``name=value`` lines from COMMANDS["battery_sysfs"]; values in µAh."""
    values: dict[str, int | Unknown] = {}
    for match in _SYSFS_LINE.finditer(text or ""):
        key, raw = match.group(1), match.group(2).strip()
        if key in values:  # the loop prints each file once: a second line is damage
            values[key] = Unknown(f"sysfs {key}: printed twice")
        elif re.fullmatch(r"-?[0-9]{1,12}", raw):
            values[key] = int(raw)
        else:
            reason = "permission denied" if "denied" in raw.lower() else "not readable"
            values[key] = Unknown(f"sysfs {key}: {reason}")
    absent = Unknown("sysfs not read")

    def mah(key: str) -> float | Unknown:
        value = values.get(key, absent)
        if isinstance(value, Unknown):
            return value
        return value / 1000 if value > 0 else Unknown(f"sysfs {key} is {value}")

    cycles = values.get("cycle_count", absent)
    if isinstance(cycles, int) and cycles < 0:
        cycles = Unknown("sysfs cycle_count is negative")
    full, design = mah("charge_full"), mah("charge_full_design")
    # A new cell may hold a little more than its design capacity, never a quarter more.
    if isinstance(full, float) and isinstance(design, float) and full > 1.25 * design:
        full = Unknown(f"sysfs charge_full ({full:.0f} mAh) far above the design capacity")
    return SysfsBattery(full, design, cycles)


# -- estimate ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RuntimeEstimate:
    hours: float
    method: str  # how the hours were derived (stored with the result)
    capacity_mah: float | None
    health_percent: float | None


def health_percent(facts: Facts) -> tuple[float, str] | None:
    """State of health (%) and where it came from, or None."""
    s = facts.state
    for value, source in (
        (s.samsung_asoc, "samsung mSavedBatteryAsoc"),
        (s.samsung_bsoh, "samsung mSavedBatteryBsoh"),
        (s.asus_soh, "asus soh"),
    ):
        if isinstance(value, int) and 0 < value <= 120:  # -1 / 0 mean "not supported"
            return float(value), source
    full, design = facts.sysfs.charge_full_mah, facts.sysfs.design_mah
    if known(full) and known(design) and design:
        return round(100 * full / design, 1), "sysfs charge_full / charge_full_design"
    return None


def full_charge_capacity(facts: Facts, criteria: Mapping[str, Any]) -> tuple[float, str] | None:
    """Capacity of the battery as it is now (mAh, worn), best source first."""
    low = float(criteria["min_plausible_capacity_mah"])
    high = float(criteria["max_plausible_capacity_mah"])
    candidates: list[tuple[Any, str]] = [
        (facts.sysfs.charge_full_mah, "sysfs charge_full"),
        (facts.stats.last_learned_mah, "batterystats last learned capacity"),
        (facts.stats.min_learned_mah, "batterystats min learned capacity"),
    ]
    s = facts.state
    if (
        known(s.charge_counter_mah) and known(s.level) and known(s.scale)
        and s.scale > 0 and s.level > 0
        and s.level >= int(criteria["min_level_for_counter"])
    ):
        # What BatteryStatsImpl itself does for "Estimated battery capacity".
        candidates.append(
            (s.charge_counter_mah * s.scale / s.level, "charge counter / battery level")
        )
    for value, source in candidates:
        if isinstance(value, (int, float)) and low <= value <= high:
            return float(value), source
    return None


def estimate_runtime(facts: Facts, criteria: Mapping[str, Any]) -> RuntimeEstimate | Unknown:
    health = health_percent(facts)
    capacity = full_charge_capacity(facts, criteria)
    health_value = health[0] if health else None
    if capacity is not None:
        current = float(criteria["typical_current_ma"])
        return RuntimeEstimate(
            hours=round(capacity[0] / current, 2),
            method=f"{capacity[1]} ({capacity[0]:.0f} mAh) / {current:g} mA typical use",
            capacity_mah=round(capacity[0], 1),
            health_percent=health_value,
        )
    if health is not None:
        per_full = float(criteria["hours_at_full_health"])
        return RuntimeEstimate(
            hours=round(health[0] / 100 * per_full, 2),
            method=f"{health[1]} ({health[0]:g}%) x {per_full:g} h at 100% health",
            capacity_mah=None,
            health_percent=health_value,
        )
    return Unknown("neither battery capacity nor battery health can be read on this phone")


# -- evaluate ---------------------------------------------------------------------------


def evaluate(facts: Facts, criteria: Mapping[str, Any]) -> CheckResult:
    c = {**DEFAULT_CRITERIA, **criteria}
    s = facts.state
    m: dict[str, Any] = _measurements(facts)
    if not s.recognised:
        if facts.drain is not None:
            return evaluate_drain(facts.drain, c)
        return _result(Status.ERROR, "Could not read the battery state: {reason}", m,
                       reason=s.why_unrecognised)
    if s.updates_stopped:
        return _result(Status.NEEDS_OPERATOR, "Battery readings are simulated by an earlier test: "
                       "run 'adb shell dumpsys battery reset', then check again", m)
    if s.present is False:
        return _result(Status.FAIL, "No battery detected", m)
    if isinstance(s.health, int) and s.health in FAILED_HEALTH:
        return _result(Status.FAIL, FAILED_HEALTH_MSGIDS[s.health], m,
                       health=HEALTH_NAMES[s.health])
    # BatteryService prints health and present on every version: without them a dead or
    # missing battery cannot be ruled out, whatever the capacity says.
    for value in (s.health, s.present):
        if isinstance(value, Unknown):
            return _result(Status.ERROR, "Could not read the battery state: {reason}", m,
                           reason=value.reason)
    if s.health == 7:
        return _result(Status.NEEDS_OPERATOR, "Battery reports it is too cold: let the phone "
                       "warm to room temperature, then check again", m)
    if facts.drain is not None:  # a measured drain beats any estimate
        drained = evaluate_drain(facts.drain, c)
        return CheckResult(NAME, drained.status, drained.summary, {**m, **drained.measurements})
    estimate = estimate_runtime(facts, c)
    if isinstance(estimate, Unknown):
        m["estimate_unknown_reason"] = estimate.reason
        return _result(Status.NEEDS_OPERATOR, "Battery capacity cannot be read on this phone: "
                       "run the battery drain test", m)
    m.update(estimated_hours=estimate.hours, estimate_method=estimate.method,
             full_charge_capacity_mah=estimate.capacity_mah)
    minimum = float(c["min_hours"])
    args = {"hours": estimate.hours, "minimum": minimum}
    if estimate.hours >= minimum * float(c["pass_margin"]):
        return _result(Status.PASS, "Battery should last about {hours} h (minimum {minimum} h)",
                       m, **args)
    if estimate.hours < minimum * float(c["fail_fraction"]):
        return _result(Status.FAIL, "Battery would last only about {hours} h "
                       "(minimum {minimum} h): the battery is worn out", m, **args)
    return _result(Status.NEEDS_OPERATOR, "Battery estimate of {hours} h is close to the "
                   "{minimum} h minimum: run the battery drain test", m, **args)


_result = ResultMaker(NAME)


def _measurements(facts: Facts) -> dict[str, Any]:
    s, st, fs = facts.state, facts.stats, facts.sysfs
    health = health_percent(facts)
    raw = {
        "level_percent": s.level_percent,
        "health_code": s.health,
        "health": HEALTH_NAMES.get(s.health) if isinstance(s.health, int) else s.health,
        "status_code": s.status,
        "voltage_mv": s.voltage_mv,
        "temperature_c": s.temperature_c,
        "technology": s.technology,
        "charge_counter_mah": s.charge_counter_mah,
        "charge_counter_unit": s.charge_counter_unit,
        "samsung_asoc_percent": s.samsung_asoc,
        "samsung_bsoh_percent": s.samsung_bsoh,
        "samsung_battery_usage_raw": s.samsung_usage,  # unit uncertain (see android-facts.md)
        "asus_soh": s.asus_soh,
        "estimated_capacity_mah": st.estimated_mah,
        "learned_capacity_mah": st.last_learned_mah,
        "min_learned_capacity_mah": st.min_learned_mah,
        "max_learned_capacity_mah": st.max_learned_mah,
        "sysfs_charge_full_mah": fs.charge_full_mah,
        "sysfs_design_capacity_mah": fs.design_mah,
        "cycle_count": fs.cycle_count,
        "health_percent": health[0] if health else None,
        "health_percent_source": health[1] if health else None,
    }
    return {k: (None if isinstance(v, Unknown) else v) for k, v in raw.items()}
