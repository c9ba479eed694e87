"""Compatibility: can this phone run every required app of the manifest (VNeID, Bình Dương
Số, ...)? Decided from getprop before any install is tried (mission.md, criterion 2).

Criteria come from apk_manifest.yaml at run time: ``{"required_apps": [{"name", "min_sdk",
"abis"}]}``; with no required app known, the check cannot decide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traomay.checks.base import never_raises, section_text
from traomay.checks.props import first_prop, parse_getprop, sdk_checked
from traomay.core.msg import Msg
from traomay.core.results import CheckResult, Status, Unknown

NAME = "compatibility"
COMMANDS: dict[str, str] = {}  # getprop is always collected
# Nothing to set in criteria.yaml: the required apps come from apk_manifest.yaml at run
# time, as {"required_apps": [{"name", "min_sdk", "abis"}]}.
DEFAULT_CRITERIA: Mapping[str, Any] = {}

# API level -> the Android version people know (android.os.Build.VERSION_CODES).
ANDROID_VERSION_OF_SDK = {
    21: "5.0", 22: "5.1", 23: "6.0", 24: "7.0", 25: "7.1", 26: "8.0", 27: "8.1", 28: "9",
    29: "10", 30: "11", 31: "12", 32: "12L", 33: "13", 34: "14", 35: "15", 36: "16",
}


def android_version_for_sdk(sdk: int) -> str:
    return ANDROID_VERSION_OF_SDK.get(sdk, f"API {sdk}")


@dataclass(frozen=True)
class Facts:
    sdk: int | Unknown
    abis: tuple[str, ...] | Unknown


# What ro.product.cpu.abilist may hold (Android's ABIs, old and new).
KNOWN_ABIS = frozenset({"arm64-v8a", "armeabi-v7a", "armeabi", "x86", "x86_64", "mips",
                        "mips64", "riscv64"})


@never_raises("getprop text", lambda u: Facts(u, u))
def parse(sections: Mapping[str, str]) -> Facts:
    props = parse_getprop(section_text(sections, "getprop"))
    # The API level must agree with the Android version: a cut or one flipped digit must not
    # make an old phone look new enough.
    sdk = sdk_checked(props)
    # abilist (5.0+) lists every ABI; the older single ro.product.cpu.abi only the first, so
    # it is used only when there is no abilist at all.
    abilist = first_prop(props, "ro.product.cpu.abilist", "ro.product.cpu.abi")
    abis = tuple(a.strip() for a in abilist.split(",") if a.strip())
    odd = [a for a in abis if a not in KNOWN_ABIS]
    return Facts(
        sdk=sdk,
        abis=(Unknown("ro.product.cpu.abilist missing") if not abis else
              Unknown(f"unknown ABI {odd[0][:20]!r} in ro.product.cpu.abilist (cut or garbled)")
              if odd else abis),
    )


def evaluate(facts: Facts, criteria: Mapping[str, Any]) -> CheckResult:
    apps = list(criteria.get("required_apps") or [])
    measurements: dict[str, Any] = {
        "sdk": facts.sdk if isinstance(facts.sdk, int) else None,
        "abis": ",".join(facts.abis) if isinstance(facts.abis, tuple) else None,
    }
    if not apps:
        return CheckResult(NAME, Status.ERROR, Msg(
            "No required app in the manifest: cannot tell whether the phone can run them."),
            measurements)
    if isinstance(facts.sdk, Unknown):
        return CheckResult(NAME, Status.ERROR, Msg(
            "Android version unknown ({reason}).", {"reason": facts.sdk.reason}), measurements)
    for app in apps:
        min_sdk = int(app.get("min_sdk") or 0)
        if facts.sdk < min_sdk:
            return CheckResult(NAME, Status.FAIL, Msg(
                "This phone is too old for {app} (needs Android {version} or newer).",
                {"app": app.get("name", "?"), "version": android_version_for_sdk(min_sdk)}),
                {**measurements, "app": app.get("name"), "needs_sdk": min_sdk})
        wanted = tuple(app.get("abis") or ())
        if wanted and isinstance(facts.abis, Unknown):
            return CheckResult(NAME, Status.ERROR, Msg(
                "Processor type unknown ({reason}).", {"reason": facts.abis.reason}),
                measurements)
        if wanted and isinstance(facts.abis, tuple) and not set(wanted) & set(facts.abis):
            return CheckResult(NAME, Status.FAIL, Msg(
                "{app} has no version for this phone's processor ({abis}).",
                {"app": app.get("name", "?"), "abis": ",".join(facts.abis)}),
                {**measurements, "app": app.get("name")})
    return CheckResult(NAME, Status.PASS, Msg("Can run {apps}.", {
        "apps": ", ".join(str(a.get("name", "?")) for a in apps)}), measurements)
