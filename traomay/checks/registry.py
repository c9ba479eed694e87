"""The one registry of checks: the only place that knows a check's order, its label, the
verdict criterion it decides, its default criteria, which raw outputs must never be kept
(privacy) and whether a person takes part.

Adding a check = its module (traomay/checks/<name>.py, satisfying
:class:`~traomay.checks.base.CheckModule`), one entry below, its tests, its catalog strings
and the simulator's data. Nothing else: the inspection, the verdict, ``--only``, the
criteria loader, the raw-output redaction and the screens all read this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traomay.checks import (
    accounts,
    appearance,
    battery,
    bluetooth,
    camera,
    cellular,
    charging,
    compatibility,
    gps,
    origin,
    storage,
    touchscreen,
    wifi,
)
from traomay.checks.base import CheckModule
from traomay.core.msg import N_


@dataclass(frozen=True)
class CheckSpec:
    """One registered check."""

    module: CheckModule
    label: str  # msgid: the check's name on screen
    criterion: str  # msgid: the acceptance criterion its latest result decides
    private_sections: frozenset[str] = frozenset()  # raw outputs never kept (owner's data)
    person: bool = False  # a person takes part (looks, touches, calls, decides)

    @property
    def name(self) -> str:
        return self.module.NAME

    @property
    def commands(self) -> Mapping[str, str]:
        return self.module.COMMANDS

    @property
    def default_criteria(self) -> Mapping[str, Any]:
        return self.module.DEFAULT_CRITERIA


# In the order an inspection runs them. The criteria follow the Lai Uyên plan 04-KH/BTC
# §III.3 (mission.md): origin, can run the apps, appearance, calls/4G, Wi-Fi, Bluetooth,
# GPS, charging, battery > 4 h, cameras, touchscreen, previous account gone.
CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(origin, N_("Origin"), N_("Known brand, origin clear"), person=True),
    CheckSpec(compatibility, N_("Can run the apps"), N_("Can run VNeID and the required apps")),
    # From Android 8 the diskstats dump lists every app the donor installed, with sizes.
    CheckSpec(storage, N_("Storage"), N_("Enough storage for the apps"),
              private_sections=frozenset({"diskstats"})),
    CheckSpec(battery, N_("Battery"), N_("Battery lasts more than 4 hours"), person=True),
    CheckSpec(charging, N_("Charging"), N_("Charges")),
    CheckSpec(camera, N_("Cameras"), N_("Front and rear cameras work")),
    # Wi-Fi dumps hold saved networks, SSIDs and BSSIDs (they can locate the donor's home).
    CheckSpec(wifi, N_("Wi-Fi"), N_("Wi-Fi works"),
              private_sections=frozenset({"wifi", "wifi_scanner", "wifi_scan", "wifi_status"})),
    # The Bluetooth dump names paired devices and the adapter (often the owner's name).
    CheckSpec(bluetooth, N_("Bluetooth"), N_("Bluetooth works"),
              private_sections=frozenset({"bluetooth"})),
    CheckSpec(gps, N_("GPS"), N_("GPS works"), private_sections=frozenset({"location"})),
    CheckSpec(cellular, N_("Calls and 4G"), N_("Receives calls, 4G works"), person=True),
    CheckSpec(touchscreen, N_("Touchscreen"), N_("Touchscreen works"), person=True),
    CheckSpec(appearance, N_("Appearance"), N_("Screen not cracked, back not bulging"),
              person=True),
    # Account and user names: only counts per account type are kept.
    CheckSpec(accounts, N_("Previous owner's account"),
              N_("Previous owner's account removed (or reset)"),
              private_sections=frozenset({"accounts"})),
)

REGISTRY: Mapping[str, CheckSpec] = {spec.name: spec for spec in CHECKS}
CHECK_ORDER: tuple[str, ...] = tuple(REGISTRY)

# The one verdict criterion no check module decides: the manifest's apps are installed
# (recorded by the install step under this name).
APPS = "apps"
APPS_LABEL = N_("Apps")
APPS_CRITERION = N_("Required apps installed")

# Every criterion of the verdict, in order: (name, label msgid, criterion msgid).
VERDICT_CRITERIA: tuple[tuple[str, str, str], ...] = (
    *((spec.name, spec.label, spec.criterion) for spec in CHECKS),
    (APPS, APPS_LABEL, APPS_CRITERION),
)

# What each check is called on screen (translated when shown); the key stays the name.
CHECK_LABELS: Mapping[str, str] = {name: label for name, label, _c in VERDICT_CRITERIA}

# Raw outputs never kept for audit, whatever check asked for them.
PRIVATE_SECTIONS: frozenset[str] = frozenset().union(
    *(spec.private_sections for spec in CHECKS))


def spec(name: str) -> CheckSpec:
    return REGISTRY[name]
