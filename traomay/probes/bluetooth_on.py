"""Bluetooth probe: turn Bluetooth on, wait for state ON, turn it back off.

``cmd bluetooth_manager enable`` + ``wait-for-state:STATE_ON`` on 13+ (BluetoothShellCommand),
``svc bluetooth enable`` on 9-12. Android 8.x and older have neither (the 8.0 ``svc`` has no
bluetooth command), so a person turns it on in Settings.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from traomay.checks import bluetooth
from traomay.core.polling import Clock, Sleep, poll_until
from traomay.core.results import ShellRunner, Unknown, known
from traomay.probes.radios import CommandRefused, radio_session


def run(shell: ShellRunner, facts: bluetooth.Facts, criteria: Mapping[str, Any], *,
        clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> bluetooth.Facts:
    c = {**bluetooth.DEFAULT_CRITERIA, **criteria}
    if facts.state == "ON":
        return facts
    sdk = facts.sdk
    if sdk is not None and sdk < 28:
        return replace(facts, needs_manual_enable=True)
    before = _read_now(shell, sdk)  # the batched facts may be stale or unreadable
    if before.state == "ON" or isinstance(before.state, Unknown):
        return before  # already on (nothing to restore), or we cannot tell what to restore
    modern = sdk is not None and sdk >= 33
    on, off = (("cmd bluetooth_manager enable", "cmd bluetooth_manager disable") if modern
               else ("svc bluetooth enable", "svc bluetooth disable"))
    timeout = float(c["enable_timeout_s"])
    try:
        with radio_session(shell, on, off, needed=True):
            if modern:
                shell.shell("cmd bluetooth_manager wait-for-state:STATE_ON", timeout=timeout + 5)
            polled = poll_until(lambda: _read_now(shell, sdk), lambda f: f.state == "ON",
                                timeout, float(c["poll_interval_s"]), clock=clock, sleep=sleep)
    except CommandRefused as refused:
        return replace(before, not_commanded=refused.reason)
    latest = polled.value
    # Only a state READ as not ON is a failure; an unreadable one stays "unknown".
    return replace(latest, turned_on_by_check=True,
                   enable_failed=known(latest.state) and latest.state != "ON")


def _read_now(shell: ShellRunner, sdk: int | None) -> bluetooth.Facts:
    text = shell.shell("dumpsys bluetooth_manager", timeout=30.0).output
    return replace(bluetooth.parse({"bluetooth": text}), sdk=sdk)
