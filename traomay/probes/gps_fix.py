"""GPS probe: turn location on if it is off, ask for GPS, wait for satellite evidence, and
put the location setting back.

Nothing in the shell makes the GNSS chip search unless an app asks: ``start_command`` (a map
intent from criteria.yaml) does that when a map app is installed. Indoors the wait usually
ends with "take the phone to a window" (needs a person), never a failure.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from traomay.checks import gps
from traomay.core.polling import Clock, Sleep, poll_until
from traomay.core.results import ShellRunner
from traomay.probes.radios import CommandRefused, radio_session


def safe_start_command(command: str) -> bool:
    """Only one plain ``am start ...`` line from criteria.yaml is sent to the phone: no
    second command, pipe, substitution or redirection."""
    return command.startswith("am start ") and not any(ch in command for ch in ";&|`$<>\n\\")


def location_command(sdk: int | None, on: bool, mode: int | None) -> str:
    if sdk is not None and sdk >= 30:  # LocationManagerService shell command: 11+
        return f"cmd location set-location-enabled {'true' if on else 'false'}"
    if sdk is not None and sdk < 28:  # 8.x and older: the per-provider setting
        return f"settings put secure location_providers_allowed {'+' if on else '-'}gps"
    # 9-10 (and unknown): location_mode is translated by SettingsProvider
    restore = mode if mode is not None and 0 <= mode <= 3 else 0
    return f"settings put secure location_mode {3 if on else restore}"


def run(shell: ShellRunner, facts: gps.Facts, criteria: Mapping[str, Any], *,
        clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> gps.Facts:
    c = {**gps.DEFAULT_CRITERIA, **criteria}
    if facts.gnss_present is False or gps.satellite_evidence(facts, c):
        return facts
    sdk, mode = facts.sdk, facts.location_mode

    def read() -> gps.Facts:
        sections = {"location": shell.shell("dumpsys location", timeout=30.0).output}
        return replace(gps.parse(sections), sdk=sdk, location_mode=mode)

    try:
        with radio_session(shell, location_command(sdk, True, mode),
                           location_command(sdk, False, mode),
                           needed=facts.gps_enabled is False) as radio:
            start = str(c.get("start_command") or "")
            if safe_start_command(start):
                shell.shell(start, timeout=15.0)  # "No Activity found" is harmless
            polled = poll_until(read, lambda f: gps.satellite_evidence(f, c) is not None,
                                float(c["fix_timeout_s"]), float(c["poll_interval_s"]),
                                clock=clock, sleep=sleep)
    except CommandRefused as refused:
        return replace(facts, not_commanded=refused.reason)
    return replace(polled.value, turned_location_on=radio.turned_on)
