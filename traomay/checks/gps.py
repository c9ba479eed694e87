"""GPS: is there GNSS hardware, and has it seen satellites?

Reads ``dumpsys location`` in both layouts seen on phones: the old "Current Location
Manager state:" (Android 5-11; ``gps Internal State:`` or ``gps provider:`` blocks, the
``GNSS_KPI`` counters from 9) and the 12+ "Location Manager State:" with per-provider
blocks (``last location=Location[gps ...]``, ``enabled=true``). Plus
``settings get secure location_mode`` (0 off, 1 GPS only, 2 battery saving = no GPS,
3 high accuracy; 9+ report only 0 or 3).

Satellite evidence is any of: TTFF reports > 0, CN0 and sv-status reports > 0, or a
last-known ``Location[gps ...]`` from this boot (``et=`` is time since boot, and the
cache is in memory, so any such fix happened since the phone started). No evidence means
"take the phone to a window", never a failure; no GNSS provider at all is a failure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traomay.checks.base import ResultMaker, never_raises
from traomay.checks.props import parse_getprop, sdk_int
from traomay.core.results import CheckResult, Status, Unknown, known

NAME = "gps"

COMMANDS: dict[str, str] = {
    "location": "dumpsys location",
    "location_mode": "settings get secure location_mode",
}

DEFAULT_CRITERIA: Mapping[str, Any] = {
    "max_fix_age_s": 0,  # 0 = any fix since boot counts; else only fixes this recent
    "fix_timeout_s": 120.0,
    "poll_interval_s": 5.0,
    # Something must ask for GPS or the chip stays idle; this opens a map app if one is
    # installed (harmless "No Activity found" otherwise). A helper APK can replace it.
    "start_command": "am start -a android.intent.action.VIEW -d geo:0,0?z=15",
}


@dataclass(frozen=True)
class Facts:
    gnss_present: bool | Unknown
    gps_enabled: bool | Unknown  # location on, in a mode that uses GPS
    ttff_reports: int | None = None
    cn0_reports: int | None = None
    sv_status_reports: int | None = None
    counters_problem: str = ""  # why the GNSS counters are no evidence ("" when they are)
    gps_fix_since_boot: bool = False
    fix_age_s: float | None = None  # when the dump gives the current elapsed time
    satellites_in_fix: int | None = None
    sdk: int | None = None
    location_mode: int | None = None
    turned_location_on: bool = False
    not_commanded: str = ""  # why the phone refused our command to turn location on


_HEADER = re.compile(r"^\s*(Current )?Location Manager [Ss]tate:", re.MULTILINE)
_GNSS_SIGNS = (
    re.compile(r"^\s*gps provider:", re.MULTILINE),
    re.compile(r"^\s*gps Internal State:", re.MULTILINE),
    re.compile(r"^\s*GNSS_KPI_START", re.MULTILINE),
    re.compile(r"^\s*GNSS Hardware Model Name:", re.MULTILINE),
    re.compile(r"m(?:Top)?(?:Hal|Engine)Capabilities=0x", re.MULTILINE),
    re.compile(r"^\s{4}gps:\s*$", re.MULTILINE),  # "Active Records by Provider:" entry
)
# GnssMetrics.dumpGnssMetricsAsText (Android 9+): counters between GNSS_KPI_START and
# GNSS_KPI_END. "TTFF mean (sec)" is printed only when the TTFF count is above 0, and
# "Top 4 Avg CN0 mean (dB-Hz)" only when the CN0 count is: each count must agree with its
# mean line, so one damaged digit cannot turn "no satellites" into evidence.
_KPI_BLOCK = re.compile(r"^[ \t]*GNSS_KPI_START[ \t]*$(.*?)^[ \t]*GNSS_KPI_END[ \t]*$",
                        re.MULTILINE | re.DOTALL)
_COUNTERS = {
    "ttff": re.compile(r"^\s*Number of TTFF reports:[ \t]*(\S*)[ \t]*$", re.MULTILINE),
    "cn0": re.compile(r"^\s*Number of CN0 reports:[ \t]*(\S*)[ \t]*$", re.MULTILINE),
    "sv": re.compile(r"^\s*Total number of sv status messages processed:[ \t]*(\S*)[ \t]*$",
                     re.MULTILINE),
    "location": re.compile(r"^\s*Number of location reports:[ \t]*(\S*)[ \t]*$",
                           re.MULTILINE),
}
_MEANS = {
    # counter -> (its mean line, the range a real mean lies in)
    "ttff": (re.compile(r"^\s*TTFF mean \(sec\):[ \t]*(\S*)[ \t]*$", re.MULTILINE),
             (0.0, 86400.0)),
    "cn0": (re.compile(r"^\s*Top 4 Avg CN0 mean \(dB-Hz\):[ \t]*(\S*)[ \t]*$",
                       re.MULTILINE), (0.0, 100.0)),
}
# The counters are Java ints; one GNSS session a second for a year is 3e7. Beyond that
# a counter is damaged, not evidence.
_MAX_COUNTER = 100_000_000
# Location.toString prints " mock" for a fix from a mock provider (a fake-GPS app): no
# satellite evidence, so such a fix is skipped.
_GPS_FIX = re.compile(r"Location\[gps\s+(?![^\]]*\bmock\b)[^\]]*?\bet=\+?([0-9dhms]+)")
_SATELLITES = re.compile(r"satellites=(\d+)")
_ELAPSED = re.compile(r"Current Elapsed Time:\s*\+?([0-9dhms]+)")
_DURATION = re.compile(r"(\d+)(d|h|ms|m|s)")
_LOCATION_FLAG = re.compile(r"^\s*Location (?:mode|setting):\s*(true|false)\s*$",
                            re.IGNORECASE | re.MULTILINE)
# 12+ with a second user (work profile, Pixel 13/14): one line per user under the header,
# "Location Setting:" then "[u0] true" / "[u10] true". User 0 is the phone's owner.
_LOCATION_FLAG_USER0 = re.compile(r"^\s*Location (?:mode|setting):\s*\n\s*\[u0\]\s*(true|false)",
                                  re.IGNORECASE | re.MULTILINE)


def parse_duration(text: str) -> float | None:
    """Android TimeUtils.formatDuration text ("+7d20h23m26s360ms") to seconds."""
    parts = _DURATION.findall(text or "")
    if not parts or "".join(n + u for n, u in parts) != text.lstrip("+"):
        return None
    scale = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(int(n) * scale[u] for n, u in parts)


def _gps_block(text: str) -> str:
    """Lines of the gps provider's own block (old "gps provider:"/"gps Internal State:" or
    12+ "gps provider:"), up to the next provider block."""
    match = re.search(r"^(\s*)gps (?:provider|Internal State):\s*$", text, re.MULTILINE)
    if not match:
        return ""
    rest = text[match.end():]
    end = re.search(r"^\s*(passive|network|fused)( provider:| Internal State)", rest,
                    re.MULTILINE)
    return rest[: end.start()] if end else rest


@never_raises("location dump", lambda u: Facts(u, u))
def parse(sections: Mapping[str, str]) -> Facts:
    get = sections.get if isinstance(sections, Mapping) else (lambda _k: None)
    text = get("location")
    text = text if isinstance(text, str) else ""
    getprop = get("getprop")
    sdk = sdk_int(parse_getprop(getprop)) if isinstance(getprop, str) else None
    mode_text = get("location_mode")
    mode_text = mode_text.strip() if isinstance(mode_text, str) else ""
    mode = int(mode_text) if len(mode_text) == 1 and mode_text in "0123456789" else None

    if not _HEADER.search(text):
        reason = "no 'Location Manager state' header in the location dump"
        return Facts(Unknown(reason), _enabled_from_mode(mode, reason), sdk=sdk,
                     location_mode=mode)
    present: bool | Unknown = (any(p.search(text) for p in _GNSS_SIGNS)
                               or bool(_GPS_FIX.search(text)))
    if not present and not _looks_complete(text):
        present = Unknown("no GPS provider in a location dump that looks cut short")

    counters, counters_problem = read_kpi(text)

    fixes = [parse_duration(et) for et in _GPS_FIX.findall(text)]
    fixes_known = [f for f in fixes if f is not None]
    elapsed_match = _ELAPSED.search(text)
    elapsed = parse_duration(elapsed_match.group(1)) if elapsed_match else None
    age = (elapsed - max(fixes_known)) if (elapsed is not None and fixes_known) else None
    sats = [int(s) for s in _SATELLITES.findall(" ".join(
        m.group(0) for m in re.finditer(r"Location\[gps [^\n]*", text)))]

    return Facts(
        gnss_present=present,
        gps_enabled=_gps_enabled(text, mode),
        ttff_reports=counters["ttff"],
        cn0_reports=counters["cn0"],
        sv_status_reports=counters["sv"],
        counters_problem=counters_problem,
        gps_fix_since_boot=bool(fixes),
        fix_age_s=round(age, 3) if age is not None and age >= 0 else None,
        satellites_in_fix=max(sats) if sats else None,
        sdk=sdk,
        location_mode=mode,
    )


def read_kpi(text: str) -> tuple[dict[str, int | None], str]:
    """The GNSS_KPI counters (largest of each over the blocks), and why they cannot be
    used ("" when they can): a block cut short, a counter that is not a plausible count, a
    count that disagrees with its mean line. Unusable counters are no evidence at all."""
    counters: dict[str, int | None] = dict.fromkeys(_COUNTERS)
    blocks = [m.group(1) for m in _KPI_BLOCK.finditer(text)]
    outside = _KPI_BLOCK.sub("", text)
    if any(p.search(outside) for p in _COUNTERS.values()) or "GNSS_KPI_START" in outside:
        return counters, "the GNSS counters are cut short or outside their block"
    for block in blocks:
        values: dict[str, int] = {}
        for key, pattern in _COUNTERS.items():
            found = pattern.findall(block)
            if len(found) > 1:
                return counters, f"two '{key}' counters in one GNSS block"
            if not found:
                continue
            raw = found[0]
            if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or int(raw) > _MAX_COUNTER:
                # (the value is not quoted: the location dump is private, see registry)
                return counters, f"impossible GNSS counter ({key})"
            values[key] = int(raw)
        for key, (pattern, (low, high)) in _MEANS.items():
            count, means = values.get(key), pattern.findall(block)
            if count is None:
                continue
            if count == 0 and means:
                return counters, f"GNSS {key} count 0 but a mean is printed"
            if count > 0:
                mean = _float(means[0]) if len(means) == 1 else None
                if mean is None or not low <= mean <= high:
                    return counters, f"GNSS {key} count {count} without a plausible mean"
        if "location" in values and values.get("ttff", 0) > values["location"]:
            return counters, "more GNSS first fixes than location reports"
        for key, value in values.items():
            counters[key] = max(value, counters[key] or 0)
    return counters, ""


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value else None  # NaN is not a mean


def _looks_complete(text: str) -> bool:
    """A dump without GPS counts as "no GNSS" only if other providers AND a later section
    are there (a cut-off dump must not fail a phone)."""
    others = re.search(r"^\s*(network|fused)( provider:| Internal State)", text, re.MULTILINE)
    later = re.search(r"^\s*(Historical|Event Log|Geofence|Enabled Providers)", text,
                      re.MULTILINE)
    return bool(others and later)


def _enabled_from_mode(mode: int | None, reason: str) -> bool | Unknown:
    if mode is None:
        return Unknown(reason)
    return mode in (1, 3)  # 2 = battery saving: network location only, GPS off


def _gps_enabled(text: str, mode: int | None) -> bool | Unknown:
    block = _gps_block(text)
    flag = re.search(r"^\s*(?:useable|enabled)=(true|false)", block, re.MULTILINE)
    if flag:  # the provider's own state (Android 10 "useable=", 12+ "enabled=")
        return flag.group(1) == "true"
    if mode is not None:
        return _enabled_from_mode(mode, "")
    overall = _LOCATION_FLAG.search(text) or _LOCATION_FLAG_USER0.search(text)
    if overall and overall.group(1).lower() == "false":
        return False
    providers = re.search(r"^\s*Enabled Providers:\s*\n((?:\s{4,}\S+\s*\n)*)", text,
                          re.MULTILINE)
    if providers:  # 5.x-9: gps is listed only while its provider is on
        return "gps" in providers.group(1).split()
    return Unknown("the location dump does not say whether GPS is on")


# -- evaluate ---------------------------------------------------------------------------


def satellite_evidence(facts: Facts, criteria: Mapping[str, Any]) -> str | None:
    """Why we believe the GNSS receiver works ("ttff", "cn0", "fix"), or None."""
    c = {**DEFAULT_CRITERIA, **criteria}
    if not facts.counters_problem:
        if (facts.ttff_reports or 0) > 0:
            return "ttff"
        if (facts.cn0_reports or 0) > 0 and (facts.sv_status_reports or 0) > 0:
            return "cn0"
    if facts.gps_fix_since_boot:
        max_age = float(c["max_fix_age_s"])
        if max_age <= 0 or (facts.fix_age_s is not None and facts.fix_age_s <= max_age):
            return "fix"
    return None


def evaluate(facts: Facts, criteria: Mapping[str, Any]) -> CheckResult:
    c = {**DEFAULT_CRITERIA, **criteria}
    evidence = satellite_evidence(facts, c)
    m = {
        "gnss_present": facts.gnss_present if known(facts.gnss_present) else None,
        "gps_enabled": facts.gps_enabled if known(facts.gps_enabled) else None,
        "ttff_reports": facts.ttff_reports, "cn0_reports": facts.cn0_reports,
        "sv_status_reports": facts.sv_status_reports,
        "gps_fix_since_boot": facts.gps_fix_since_boot, "fix_age_s": facts.fix_age_s,
        "satellites_in_fix": facts.satellites_in_fix, "evidence": evidence,
    }
    if facts.gnss_present is False:
        return _result(Status.FAIL, "This phone has no GPS", m)
    if isinstance(facts.gnss_present, Unknown):
        return _result(Status.ERROR, "Could not tell whether the phone has GPS: {reason}", m,
                       reason=facts.gnss_present.reason)
    if evidence:
        return _result(Status.PASS, "GPS works: satellites were received", m)
    if facts.counters_problem:
        return _result(Status.ERROR, "Could not tell whether GPS works: {reason}", m,
                       reason=facts.counters_problem)
    if facts.not_commanded:
        return _result(Status.NEEDS_OPERATOR, "Could not turn location on by command "
                       "({reason}): turn on Location in Settings, then check again", m,
                       reason=facts.not_commanded)
    return _result(Status.NEEDS_OPERATOR, "No satellites received yet: take the phone to a "
                   "window or outdoors, then check again", m)


_result = ResultMaker(NAME)
