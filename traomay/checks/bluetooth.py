"""Bluetooth: does the adapter reach state ON?

Reads the "Bluetooth Status" block at the top of ``dumpsys bluetooth_manager``:
``enabled: true|false`` and ``state: ON`` (``STATE_ON`` on Meizu Flyme 7.1, the numeric
``12`` on some older builds), or "Bluetooth never enabled!".

The active step (turn Bluetooth on, wait for ON, restore) is traomay.probes.bluetooth_on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traomay.checks.base import ResultMaker, never_raises
from traomay.checks.props import parse_getprop, sdk_int
from traomay.core.results import CheckResult, Status, Unknown, known

NAME = "bluetooth"

COMMANDS: dict[str, str] = {"bluetooth": "dumpsys bluetooth_manager"}

DEFAULT_CRITERIA: Mapping[str, Any] = {
    "enable_timeout_s": 20.0,
    "poll_interval_s": 2.0,
}

# BluetoothAdapter.STATE_* (older builds print the number)
STATE_NAMES = {
    10: "OFF", 11: "TURNING_ON", 12: "ON", 13: "TURNING_OFF",
    14: "BLE_TURNING_ON", 15: "BLE_ON", 16: "BLE_TURNING_OFF",
}
_KNOWN_STATES = frozenset(STATE_NAMES.values())


@dataclass(frozen=True)
class Facts:
    state: str | Unknown  # "ON", "OFF", "TURNING_ON", "BLE_ON", ...
    enabled: bool | Unknown
    never_enabled: bool = False
    sdk: int | None = None
    turned_on_by_check: bool = False
    enable_failed: bool = False
    needs_manual_enable: bool = False  # Android 8.x and older: no shell command to enable
    not_commanded: str = ""  # why the phone refused our command to turn Bluetooth on


_ENABLED = re.compile(r"^\s*enabled:\s*(true|false)\s*$", re.IGNORECASE)
_STATE = re.compile(r"^\s*state:\s*(?:STATE_)?([A-Z_]+|\d+)\s*$", re.IGNORECASE)


@never_raises("Bluetooth dump", lambda u: Facts(u, u))
def parse(sections: Mapping[str, str]) -> Facts:
    text = sections.get("bluetooth") if isinstance(sections, Mapping) else None
    getprop = sections.get("getprop") if isinstance(sections, Mapping) else None
    sdk = sdk_int(parse_getprop(getprop)) if isinstance(getprop, str) else None
    if not isinstance(text, str) or not text.strip():
        reason = "the Bluetooth dump is missing"
        return Facts(Unknown(reason), Unknown(reason), sdk=sdk)
    if "Bluetooth never enabled!" in text:
        return Facts("OFF", False, never_enabled=True, sdk=sdk)
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "Bluetooth Status"), None)
    if start is None:
        reason = "no 'Bluetooth Status' block in the Bluetooth dump"
        return Facts(Unknown(reason), Unknown(reason), sdk=sdk)
    enabled_seen: list[str] = []
    state_seen: list[str] = []
    for line in lines[start + 1: start + 12]:  # the block is a handful of lines
        if not line.strip():
            break
        match = _ENABLED.match(line)
        if match:
            enabled_seen.append(match.group(1).lower())
            continue
        match = _STATE.match(line)
        if match:
            state_seen.append(match.group(1).upper())
    enabled: bool | Unknown = Unknown("no 'enabled:' line in the Bluetooth Status block")
    state: str | Unknown = Unknown("no 'state:' line in the Bluetooth Status block")
    # Each line is printed once: two different values mean damage, not a choice.
    if len(set(enabled_seen)) > 1 or len(set(state_seen)) > 1:
        reason = "the Bluetooth Status block says two different things"
        return Facts(Unknown(reason), Unknown(reason), sdk=sdk)
    if enabled_seen:
        enabled = enabled_seen[0] == "true"
    if state_seen:
        value = state_seen[0]
        if value.isascii() and value.isdigit():
            state = STATE_NAMES.get(int(value), Unknown(f"unknown numeric state {value}"))
        elif value in _KNOWN_STATES:
            state = value
        else:
            state = Unknown("unrecognised Bluetooth state")
    # BluetoothManagerService prints both lines on every version. "ON" counts only when
    # the service also says it is enabled: a lost or damaged "enabled:" line, or "enabled:
    # false" beside "ON" (turning off, or one of the two damaged), is no evidence.
    if state == "ON" and enabled is not True:
        state = Unknown("'state: ON' but the Bluetooth Status block does not say 'enabled: "
                        "true'")
    return Facts(state, enabled, sdk=sdk)


# -- evaluate ---------------------------------------------------------------------------


def evaluate(facts: Facts, criteria: Mapping[str, Any]) -> CheckResult:
    m = {
        "state": facts.state if known(facts.state) else None,
        "enabled": facts.enabled if known(facts.enabled) else None,
        "turned_on_by_check": facts.turned_on_by_check,
    }
    if facts.state == "ON":
        return _result(Status.PASS, "Bluetooth works: it turns on", m)
    if facts.enable_failed:
        return _result(Status.FAIL, "Bluetooth does not turn on", m)
    if facts.not_commanded:
        return _result(Status.NEEDS_OPERATOR, "Could not turn Bluetooth on by command "
                       "({reason}): turn it on in Settings, then check again", m,
                       reason=facts.not_commanded)
    if facts.needs_manual_enable:
        return _result(Status.NEEDS_OPERATOR, "Turn Bluetooth on in Settings, then check again", m)
    if isinstance(facts.state, Unknown):
        return _result(Status.ERROR, "Could not tell whether Bluetooth works: {reason}", m,
                       reason=facts.state.reason)
    return _result(Status.ERROR, "Bluetooth is off, so it could not be tested yet", m)


_result = ResultMaker(NAME)
