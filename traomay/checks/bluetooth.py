"""Bluetooth: does the adapter reach state ON?

Reads the "Bluetooth Status" block at the top of ``dumpsys bluetooth_manager``:
``enabled: true|false`` and ``state: ON`` (``STATE_ON`` on Meizu Flyme 7.1, the numeric
``12`` on some older builds), or "Bluetooth never enabled!".

:func:`run_active` turns Bluetooth on when it is off and turns it back off afterwards:
``cmd bluetooth_manager enable`` + ``wait-for-state:STATE_ON`` on 13+, ``svc bluetooth
enable`` on 9-12. Android 8.x and older have neither (the 8.0 ``svc`` has no bluetooth
command), so a person turns it on in Settings.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from traomay.checks.base import ResultMaker, never_raises
from traomay.checks.props import parse_getprop, sdk_int
from traomay.core.results import CheckResult, ShellRunner, Status, Unknown, known

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
    state: str | Unknown = Unknown("no 'state:' line in the Bluetooth Status block")
    enabled: bool | Unknown = Unknown("no 'enabled:' line in the Bluetooth Status block")
    for line in lines[start + 1: start + 12]:  # the block is a handful of lines
        if not line.strip():
            break
        match = _ENABLED.match(line)
        if match and isinstance(enabled, Unknown):
            enabled = match.group(1).lower() == "true"
            continue
        match = _STATE.match(line)
        if match and isinstance(state, Unknown):
            value = match.group(1).upper()
            if value.isdigit():
                state = STATE_NAMES.get(int(value), Unknown(f"unknown numeric state {value}"))
            elif value in _KNOWN_STATES:
                state = value
            else:
                state = Unknown("unrecognised Bluetooth state")
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
    if facts.needs_manual_enable:
        return _result(Status.NEEDS_OPERATOR, "Turn Bluetooth on in Settings, then check again", m)
    if isinstance(facts.state, Unknown):
        return _result(Status.ERROR, "Could not tell whether Bluetooth works: {reason}", m,
                       reason=facts.state.reason)
    return _result(Status.ERROR, "Bluetooth is off, so it could not be tested yet", m)


_result = ResultMaker(NAME)


# -- active step ------------------------------------------------------------------------


def run_active(
    shell: ShellRunner,
    facts: Facts,
    criteria: Mapping[str, Any],
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Facts:
    """Turn Bluetooth on, wait for state ON (``enable_timeout_s``), then restore."""
    c = {**DEFAULT_CRITERIA, **criteria}
    if facts.state == "ON":
        return facts
    sdk = facts.sdk
    if sdk is not None and sdk < 28:
        return replace(facts, needs_manual_enable=True)
    before = _read_now(shell, sdk)  # the batched facts may be stale or unreadable
    if before.state == "ON" or isinstance(before.state, Unknown):
        return before  # already on (nothing to restore), or we cannot tell what to restore
    modern = sdk is not None and sdk >= 33  # BluetoothShellCommand: 13+
    turned_on = False
    try:
        if modern:
            shell.shell("cmd bluetooth_manager enable", timeout=15.0)
            turned_on = True
            shell.shell("cmd bluetooth_manager wait-for-state:STATE_ON",
                        timeout=float(c["enable_timeout_s"]) + 5.0)
        else:
            reply = shell.shell("svc bluetooth enable", timeout=15.0)
            if _svc_lacks_bluetooth(reply.output):
                return replace(before, needs_manual_enable=True)
            turned_on = True
        latest = facts
        deadline = clock() + float(c["enable_timeout_s"])
        while True:
            latest = _read_now(shell, sdk)
            if latest.state == "ON" or clock() >= deadline:
                break
            sleep(float(c["poll_interval_s"]))
        # Only a state READ as not ON is a failure; an unreadable one stays "unknown".
        result = replace(latest, turned_on_by_check=True,
                         enable_failed=known(latest.state) and latest.state != "ON")
    except BaseException:
        if turned_on:
            _quietly(lambda: _turn_off(shell, modern))
        raise
    if turned_on:
        _turn_off(shell, modern)
    return result


def _read_now(shell: ShellRunner, sdk: int | None) -> Facts:
    text = shell.shell("dumpsys bluetooth_manager", timeout=30.0).output
    return replace(parse({"bluetooth": text}), sdk=sdk)


def _svc_lacks_bluetooth(output: str) -> bool:
    """An old ``svc`` prints its usage (listing power, data, wifi, usb, nfc) for an
    unknown command instead of running it."""
    low = output.lower()
    return "usage" in low or "unknown" in low


def _turn_off(shell: ShellRunner, modern: bool) -> None:
    shell.shell("cmd bluetooth_manager disable" if modern else "svc bluetooth disable",
                timeout=15.0)


def _quietly(action: Callable[[], object]) -> None:
    try:
        action()
    except Exception:  # restoring is best effort while another error is on its way
        pass
