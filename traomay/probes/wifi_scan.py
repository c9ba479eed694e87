"""Wi-Fi probe: turn Wi-Fi on if it is off, ask for a scan (11+), wait for networks, and
turn Wi-Fi back off when we turned it on.

``cmd wifi set-wifi-enabled`` / ``start-scan`` / ``list-scan-results`` exist from Android 11
(WifiShellCommand, android-facts.md §4); older phones get ``svc wifi enable`` and the scan
the framework starts by itself when Wi-Fi comes on, read from ``dumpsys wifi`` /
``dumpsys wifiscanner``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from traomay.checks import wifi
from traomay.core.polling import Clock, Sleep, poll_until
from traomay.core.results import ShellRunner, Status
from traomay.probes.radios import CommandRefused, radio_session


def _commands(sdk: int | None) -> tuple[str, str]:
    if sdk is not None and sdk >= 30:
        return "cmd wifi set-wifi-enabled enabled", "cmd wifi set-wifi-enabled disabled"
    return "svc wifi enable", "svc wifi disable"


def run(shell: ShellRunner, facts: wifi.Facts, criteria: Mapping[str, Any], *,
        clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> wifi.Facts:
    """New facts after the scan (the batched capture's logged scans no longer count: only
    what the radio does now). Errors from the phone propagate after Wi-Fi was restored."""
    c = {**wifi.DEFAULT_CRITERIA, **criteria}
    if wifi.evaluate(facts, c).status is Status.PASS:
        return facts
    modern = facts.sdk is not None and facts.sdk >= 30
    on, off = _commands(facts.sdk)
    scan_requested = False

    def read() -> wifi.Facts:
        nonlocal scan_requested
        latest = _read_now(shell, facts.sdk, modern)
        if latest.enabled is True and modern and not scan_requested:
            shell.shell("cmd wifi start-scan", timeout=15.0)  # a refused scan just finds none
            scan_requested = True
        return latest

    try:
        with radio_session(shell, on, off, needed=facts.enabled is False) as radio:
            polled = poll_until(read, lambda f: wifi.evaluate(f, c).status is Status.PASS,
                                float(c["scan_timeout_s"]), float(c["poll_interval_s"]),
                                clock=clock, sleep=sleep)
    except CommandRefused as refused:
        return replace(facts, not_commanded=refused.reason)
    latest = polled.value
    # Only a state READ as off after we turned it on is a failure; unreadable stays unknown.
    return replace(latest, turned_on_by_check=radio.turned_on,
                   enable_failed=radio.turned_on and latest.enabled is False)


def _read_now(shell: ShellRunner, sdk: int | None, modern: bool) -> wifi.Facts:
    if modern:
        sections = {"wifi_status": shell.shell("cmd wifi status", timeout=15.0).output,
                    "wifi_scan": shell.shell("cmd wifi list-scan-results", timeout=15.0).output}
    else:
        sections = {"wifi": shell.shell("dumpsys wifi", timeout=30.0).output,
                    "wifi_scanner": shell.shell("dumpsys wifiscanner", timeout=30.0).output}
    return replace(wifi.parse(sections), sdk=sdk, logged_networks_found=None)
