"""Wi-Fi: does the radio see at least one network (or is it connected)?

Passive facts come from ``dumpsys wifi`` (every version; vendors add a lot: the vivo X9 7.1
dump embeds a 3.5k-line logcat), ``dumpsys wifiscanner`` (the scan cache on 9+, where
``dumpsys wifi`` has no scan table) and, on 11+, ``cmd wifi status`` /
``cmd wifi list-scan-results``. Only counts are kept: no SSID or BSSID (they can locate
the donor's home).

The active step (turn Wi-Fi on, scan, restore) is traomay.probes.wifi_scan.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traomay.checks.base import ResultMaker, never_raises, section_text
from traomay.checks.props import parse_getprop, sdk_int
from traomay.core.results import CheckResult, Status, Unknown, known

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
    not_commanded: str = ""  # why the phone refused our command to turn Wi-Fi on


_MAC = r"[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}"
_SCAN_HEADER = re.compile(r"^\s*BSSID\s+Frequency\b")
_SCAN_ROW = re.compile(r"^\s*(" + _MAC + r")\s+(\d{3,5})\s")
_STATE_LINE = re.compile(r"^\s*Wi-?Fi is (enabled|disabled|enabling|disabling)\b",
                         re.IGNORECASE | re.MULTILINE)
_STATUS_CONNECTED = re.compile(r"^\s*Wifi is (connected to|not connected)", re.MULTILINE)
_NETINFO = re.compile(r"^\s*mNetworkInfo \[type: WIFI.*?state: ([A-Z_]+)/", re.MULTILINE)
_SUPPLICANT = re.compile(r"^\s*mWifiInfo:? \[?SSID: .*?Supplicant state: ([A-Z_]+)",
                         re.MULTILINE)
_FOUND = re.compile(r"SCAN_RESULTS_EVENT.*?\bfound=(\d{1,9})\b")
_MAX_LOGGED_FOUND = 1000


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
    # A scan finds tens of networks, a few hundred in a city centre; a count beyond that is a
    # damaged log line, and then no logged count is trusted.
    counts = [int(n) for n in _FOUND.findall(dump)]
    logged = counts[-1] if counts and max(counts) <= _MAX_LOGGED_FOUND else None
    return Facts(enabled, connected, networks, logged_networks_found=logged, sdk=sdk)


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
    if facts.not_commanded:
        return _result(Status.NEEDS_OPERATOR, "Could not turn Wi-Fi on by command ({reason}): "
                       "turn it on in Settings, then check again", m, reason=facts.not_commanded)
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
