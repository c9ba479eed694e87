"""Charging: with a charger plugged in, does the battery take charge?

Reads ``dumpsys battery`` only (power source flags and the status code). During an
inspection the phone is usually on the station's USB hub, so "USB powered" is normal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traomay.checks.base import ResultMaker
from traomay.checks.battery_service import BatteryState, parse_battery_service
from traomay.core.results import CheckResult, Status, Unknown

NAME = "charging"

COMMANDS: dict[str, str] = {"battery": "dumpsys battery"}

DEFAULT_CRITERIA: Mapping[str, Any] = {
    "fail_when_discharging_on_wall_charger": True,
}

STATUS_NAMES = {1: "unknown", 2: "charging", 3: "discharging", 4: "not_charging", 5: "full"}


@dataclass(frozen=True)
class Facts:
    state: BatteryState

    @property
    def sources(self) -> tuple[str, ...]:
        s = self.state
        flags = (("ac", s.ac_powered), ("usb", s.usb_powered),
                 ("wireless", s.wireless_powered), ("dock", s.dock_powered))
        return tuple(name for name, value in flags if value is True)


def parse(sections: Mapping[str, str]) -> Facts:
    """Pure; never raises."""
    try:
        text = sections.get("battery")
    except Exception:
        text = None
    return Facts(parse_battery_service(text if isinstance(text, str) else None))


def evaluate(facts: Facts, criteria: Mapping[str, Any]) -> CheckResult:
    c = {**DEFAULT_CRITERIA, **criteria}
    s = facts.state
    m = _measurements(facts)
    if not s.recognised:
        return _result(Status.ERROR, "Could not read the battery state: {reason}", m,
                       reason=s.why_unrecognised)
    if s.updates_stopped:
        return _result(Status.NEEDS_OPERATOR, "Battery readings are simulated by an earlier test: "
                       "run 'adb shell dumpsys battery reset', then check again", m)
    plugged = s.plugged
    if isinstance(plugged, Unknown) or isinstance(s.status, Unknown):
        return _result(Status.ERROR, "Could not tell whether the phone is charging: {reason}", m,
                       reason=(plugged if isinstance(plugged, Unknown) else s.status).reason)
    if not plugged:
        return _result(Status.NEEDS_OPERATOR, "Plug the charger in, then check again", m)
    source = "+".join(facts.sources)
    if s.status in (2, 5):
        return _result(Status.PASS, "Charging from {source}", m, source=source)
    if s.status == 4:
        # Android reports "not charging" when charging is paused on purpose: battery
        # protection limits (Samsung 80/85%, Xiaomi/OPPO night charging) or temperature.
        return _result(Status.NEEDS_OPERATOR, "Plugged in but charging is paused at {level}%: "
                       "turn off battery protection or let the phone cool, then check again", m,
                       level=s.level if isinstance(s.level, int) else "?")
    if s.status == 3:
        if s.ac_powered is True and c["fail_when_discharging_on_wall_charger"]:
            # A wall charger gives enough power; draining anyway means the port, cable
            # or charging circuit is faulty.
            return _result(Status.FAIL, "On a wall charger but the battery is draining: "
                           "try another cable; if it still drains, the charging port is faulty",
                           m)
        # USB ports, hubs and weak wireless pads may give less power than the phone uses.
        return _result(Status.NEEDS_OPERATOR, "Plugged in ({source}) but the battery is "
                       "draining: connect a wall charger, then check again", m, source=source)
    return _result(Status.ERROR, "The phone reports an unknown charging status ({status})", m,
                   status=s.status)


_result = ResultMaker(NAME)


def _measurements(facts: Facts) -> dict[str, Any]:
    s = facts.state
    current, voltage = s.max_charging_current_ua, s.max_charging_voltage_uv
    watts = None
    if isinstance(current, int) and isinstance(voltage, int) and current > 0 and voltage > 0:
        watts = round(current * voltage / 1e12, 1)
    raw = {
        "power_sources": ",".join(facts.sources),
        "status_code": s.status,
        "status": STATUS_NAMES.get(s.status) if isinstance(s.status, int) else None,
        "level_percent": s.level_percent,
        "max_charging_current_ma": current / 1000 if isinstance(current, int) else None,
        "max_charging_voltage_mv": voltage / 1000 if isinstance(voltage, int) else None,
        "max_charging_watts": watts,
    }
    return {k: (None if isinstance(v, Unknown) else v) for k, v in raw.items()}
