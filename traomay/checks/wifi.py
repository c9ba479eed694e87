"""Wi-Fi: does the radio see at least one network (or is it connected)?

Passive facts come from ``dumpsys wifi`` (every version; vendors add a lot: the vivo X9 7.1
dump embeds a 3.5k-line logcat), ``dumpsys wifiscanner`` (the scan cache on 9+, where
``dumpsys wifi`` has no scan table) and, on 11+, ``cmd wifi status`` /
``cmd wifi list-scan-results``. Only counts are kept: no SSID or BSSID (they can locate
the donor's home).

:func:`run_active` turns Wi-Fi on when it is off, asks for a scan (11+), waits for results
and turns Wi-Fi back off when the check turned it on.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from traomay.checks.base import ResultMaker, never_raises, section_text
from traomay.checks.props import parse_getprop, sdk_int
from traomay.core.results import CheckResult, ShellRunner, Status, Unknown, known

NAME = "wifi"

COMMANDS: dict[str, str] = {
    "wifi": "dumpsys wifi",
    "wifi_scanner": "dumpsys wifiscanner",
    "wifi_status": "cmd wifi status",  # 11+; older phones print an error: ignored
    "wifi_scan": "cmd wifi list-scan-results",
}

DEFAULT_CRITERIA: Mapping[str, Any] = {
    "min_networks": 1,
    "accept_logged_scans": True,
    "scan_timeout_s": 30.0,
    "poll_interval_s": 3.0,
}


@dataclass(frozen=True)
class Facts:
    enabled: bool | Unknown
    connected: bool | Unknown
    networks_seen: int | Unknown  # distinct BSSIDs in the freshest scan table found
    logged_networks_found: int | None = None  # "SCAN_RESULTS_EVENT ... found=N" (7.x-8.x)
    sdk: int | None = None
    turned_on_by_check: bool = False
    enable_failed: bool = False


_MAC = r"[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}"
_SCAN_HEADER = re.compile(r"^\s*BSSID\s+Frequency\b")
_SCAN_ROW = re.compile(r"^\s*(" + _MAC + r")\s+(\d{3,5})\s")
_STATE_LINE = re.compile(r"^\s*Wi-?Fi is (enabled|disabled|enabling|disabling)\b",
                         re.IGNORECASE | re.MULTILINE)
_STATUS_CONNECTED = re.compile(r"^\s*Wifi is (connected to|not connected)", re.MULTILINE)
_NETINFO = re.compile(r"^\s*mNetworkInfo \[type: WIFI.*?state: ([A-Z_]+)/", re.MULTILINE)
_SUPPLICANT = re.compile(r"^\s*mWifiInfo:? \[?SSID: .*?Supplicant state: ([A-Z_]+)",
                         re.MULTILINE)
_FOUND = re.compile(r"SCAN_RESULTS_EVENT.*?\bfound=(\d+)")


def scan_bssids(text: str) -> set[str] | None:
    """BSSIDs in every scan table of ``text`` (a header line naming BSSID and Frequency,
    then rows), or None when there is no scan-results block at all."""
    if not isinstance(text, str):
        return None
    found: set[str] | None = None
    in_table = False
    for line in text.splitlines():
        if _SCAN_HEADER.match(line):
            in_table, found = True, found if found is not None else set()
            continue
        # "No scan results" (11+ cmd), or an empty cache under "Latest scan results:" (the
        # header row is printed only when there are rows).
        if re.match(r"^\s*(No scan results|Latest scan results:)", line):
            found = found if found is not None else set()
            continue
        if in_table:
            row = _SCAN_ROW.match(line)
            if row:
                found.add(row.group(1).lower())  # type: ignore[union-attr]
            else:
                in_table = False
    return found


@never_raises("Wi-Fi dump", lambda u: Facts(u, u, u))
def parse(sections: Mapping[str, str]) -> Facts:
    dump, status = section_text(sections, "wifi"), section_text(sections, "wifi_status")
    sdk = sdk_int(parse_getprop(section_text(sections, "getprop")))

    enabled: bool | Unknown = Unknown("no 'Wi-Fi is enabled/disabled' line in the Wi-Fi dump")
    for source in (status, dump):
        match = _STATE_LINE.search(source)
        if match:
            enabled = match.group(1).lower() in ("enabled", "enabling")
            break

    connected: bool | Unknown = Unknown("no connection state in the Wi-Fi dump")
    match = _STATUS_CONNECTED.search(status)
    if match:
        connected = match.group(1) == "connected to"
    else:
        net = _NETINFO.search(dump)
        sup = _SUPPLICANT.search(dump)
        if net:
            connected = net.group(1) == "CONNECTED"
        elif sup:
            connected = sup.group(1) == "COMPLETED"
    if enabled is False and isinstance(connected, Unknown):
        connected = False

    seen: set[str] | None = None
    for key in ("wifi_scan", "wifi_scanner", "wifi"):
        bssids = scan_bssids(section_text(sections, key))
        if bssids is not None:
            seen = (seen or set()) | bssids
    networks: int | Unknown = (
        len(seen) if seen is not None else Unknown("no scan results table in the Wi-Fi dumps")
    )
    counts = [int(n) for n in _FOUND.findall(dump)]
    return Facts(enabled, connected, networks,
                 logged_networks_found=counts[-1] if counts else None, sdk=sdk)


# -- evaluate ---------------------------------------------------------------------------


def evaluate(facts: Facts, criteria: Mapping[str, Any]) -> CheckResult:
    c = {**DEFAULT_CRITERIA, **criteria}
    need = int(c["min_networks"])
    m = {
        "enabled": facts.enabled if known(facts.enabled) else None,
        "connected": facts.connected if known(facts.connected) else None,
        "networks_seen": facts.networks_seen if known(facts.networks_seen) else None,
        "logged_networks_found": facts.logged_networks_found,
        "turned_on_by_check": facts.turned_on_by_check,
    }
    if facts.connected is True:
        return _result(Status.PASS, "Wi-Fi works: connected to a network", m)
    if isinstance(facts.networks_seen, int) and facts.networks_seen >= need:
        return _result(Status.PASS, "Wi-Fi works: {count} networks seen", m,
                       count=facts.networks_seen)
    logged = facts.logged_networks_found
    if c["accept_logged_scans"] and logged is not None and logged >= need:
        return _result(Status.PASS, "Wi-Fi works: its last scan found {count} networks", m,
                       count=logged)
    if facts.enable_failed:
        return _result(Status.FAIL, "Wi-Fi does not turn on", m)
    if facts.enabled is True and isinstance(facts.networks_seen, int):
        return _result(Status.NEEDS_OPERATOR, "Wi-Fi is on but found {count} networks: turn "
                       "on a Wi-Fi hotspot near the phone, then check again", m,
                       count=facts.networks_seen)
    if facts.enabled is False:
        return _result(Status.ERROR, "Wi-Fi is off, so it could not be tested yet", m)
    reasons = [f.reason for f in (facts.enabled, facts.networks_seen) if isinstance(f, Unknown)]
    return _result(Status.ERROR, "Could not tell whether Wi-Fi works: {reason}", m,
                   reason="; ".join(reasons) or "no scan result yet")


_result = ResultMaker(NAME)


# -- active step ------------------------------------------------------------------------


def run_active(
    shell: ShellRunner,
    facts: Facts,
    criteria: Mapping[str, Any],
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Facts:
    """Turn Wi-Fi on if needed, scan, wait up to ``scan_timeout_s`` for results, restore.

    Returns new facts (never raises for odd output; shell errors propagate after the
    original Wi-Fi state was restored)."""
    c = {**DEFAULT_CRITERIA, **criteria}
    if evaluate(facts, c).status is Status.PASS:
        return facts
    modern = facts.sdk is not None and facts.sdk >= 30  # `cmd wifi` scan commands: 11+
    was_off = facts.enabled is False
    turned_on = False
    try:
        if was_off:
            shell.shell("cmd wifi set-wifi-enabled enabled" if modern else "svc wifi enable",
                        timeout=15.0)
            turned_on = True
        latest = facts
        deadline = clock() + float(c["scan_timeout_s"])
        scan_requested = False
        while True:
            latest = _read_now(shell, facts.sdk, modern)
            if latest.enabled is True and modern and not scan_requested:
                shell.shell("cmd wifi start-scan", timeout=15.0)
                scan_requested = True
            elif evaluate(latest, c).status is Status.PASS:
                break
            if clock() >= deadline:
                break
            sleep(float(c["poll_interval_s"]))
        # Only a state READ as off is a failure; an unreadable state stays "unknown".
        result = replace(latest, turned_on_by_check=turned_on,
                         enable_failed=turned_on and latest.enabled is False)
    except BaseException:
        if turned_on:
            _quietly(lambda: _turn_off(shell, modern))
        raise
    if turned_on:
        _turn_off(shell, modern)
    return result


def _read_now(shell: ShellRunner, sdk: int | None, modern: bool) -> Facts:
    if modern:
        sections = {"wifi_status": shell.shell("cmd wifi status", timeout=15.0).output,
                    "wifi_scan": shell.shell("cmd wifi list-scan-results", timeout=15.0).output}
    else:
        sections = {"wifi": shell.shell("dumpsys wifi", timeout=30.0).output,
                    "wifi_scanner": shell.shell("dumpsys wifiscanner", timeout=30.0).output}
    # Forget the batched capture's logged scans: only what the radio does now counts.
    return replace(parse(sections), sdk=sdk, logged_networks_found=None)


def _turn_off(shell: ShellRunner, modern: bool) -> None:
    shell.shell("cmd wifi set-wifi-enabled disabled" if modern else "svc wifi disable",
                timeout=15.0)


def _quietly(action: Callable[[], object]) -> None:
    try:
        action()
    except Exception:  # restoring is best effort while another error is on its way
        pass
