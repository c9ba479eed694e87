"""Deciding what to do with one app on one phone: install, skip, or refuse (pure).

Also the pure parsers for the phone facts it needs (``df /data``, ``dumpsys package PKG``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from traomay.apps.apk import ApkInfo
from traomay.apps.manifest import AppEntry
from traomay.checks.compatibility import android_version_for_sdk
from traomay.checks.storage import parse_df
from traomay.core.msg import Msg

# Room an install needs beyond the APK bytes [INF]: the staged copy in /data/app plus
# extracted native libraries and compiled code. Twice the APK size plus 50 MB is a guess on
# the safe side; a phone that still runs out answers INSTALL_FAILED_INSUFFICIENT_STORAGE.
STORAGE_FACTOR = 2
STORAGE_MARGIN = 50 * 1024 * 1024
SPLIT_MIN_SDK = 21  # install sessions (install-create) exist since Android 5.0


class PlanAction(str, Enum):
    INSTALL = "install"
    SKIP = "skip"  # the same or a newer version is installed: push nothing
    REFUSE = "refuse"


@dataclass(frozen=True)
class PhoneFacts:
    sdk: int | None  # ro.build.version.sdk; None = unknown
    abis: tuple[str, ...] = ()  # ro.product.cpu.abilist; () = unknown
    free_bytes: int | None = None  # free space on /data; None = unknown


@dataclass(frozen=True)
class InstallPlan:
    app: str
    package: str
    action: PlanAction
    reason: Msg
    version_code: int | None
    installed_version: int | None
    files: tuple[ApkInfo, ...] = ()  # install order: base first, then splits
    needed_bytes: int = 0

    @property
    def is_split(self) -> bool:
        return len(self.files) > 1

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


def plan_install(app: AppEntry, apk_infos: Sequence[ApkInfo], phone: PhoneFacts,
                 installed_version: int | None) -> InstallPlan:
    def plan(action: PlanAction, reason: Msg, files: Sequence[ApkInfo] = (),
             needed: int = 0) -> InstallPlan:
        return InstallPlan(app.name, app.package, action, reason, app.version_code,
                           installed_version, tuple(files), needed)

    def refuse(reason: Msg) -> InstallPlan:
        return plan(PlanAction.REFUSE, reason)

    name = {"app": app.name}
    if not app.pinned or not apk_infos:
        return refuse(Msg("{app} is not pinned yet: put its APK files in the apks folder and "
                          "run 'traomay manifest pin'.", name))
    pinned = {f.sha256: f.path for f in app.files}
    for info in apk_infos:
        if info.file_sha256 not in pinned:
            return refuse(Msg("{app}: {file} is not the pinned file (its SHA-256 differs). "
                              "Get the right file, or pin the new one.",
                              {**name, "file": str(info.path)}))
        if not info.signature_verified:  # read_apk refuses these; never install one
            return refuse(Msg("{app}: the signature of {file} could not be verified. Do not "
                              "install it.", {**name, "file": str(info.path)}))
        if info.signer_sha256 != app.signer_sha256:
            return refuse(Msg("{app}: {file} is signed by a different publisher than pinned. "
                              "Do not install it.", {**name, "file": str(info.path)}))
        if app.expected_signer_sha256 and info.signer_sha256 != app.expected_signer_sha256:
            return refuse(Msg("{app}: {file} is not signed by the publisher the district "
                              "expects ({expected}). Do not install it.",
                              {**name, "file": str(info.path),
                               "expected": app.expected_signer_sha256}))
        if info.package != app.package or info.version_code != app.version_code:
            return refuse(Msg("{app}: {file} is not the app the manifest describes.",
                              {**name, "file": str(info.path)}))
    missing = sorted(set(pinned) - {i.file_sha256 for i in apk_infos})
    bases = [i for i in apk_infos if not i.is_split]
    if missing or len(bases) != 1:
        return refuse(Msg("{app}: some of its APK files are missing; run 'traomay manifest "
                          "check'.", name))
    version = {**name, "version": app.version_code, "installed": installed_version}
    if installed_version is not None and installed_version >= (app.version_code or 0):
        if installed_version == app.version_code:
            return plan(PlanAction.SKIP, Msg("{app} version {version} is already installed.",
                                             version))
        return plan(PlanAction.SKIP, Msg("A newer {app} (version {installed}) is already "
                                         "installed; left as it is.", version))
    min_sdk = max([i.min_sdk for i in apk_infos] + [app.min_sdk or 1])
    if phone.sdk is not None and phone.sdk < min_sdk:
        return refuse(Msg("This phone is too old for {app} (needs Android {version} or newer).",
                          {**name, "version": android_version_for_sdk(min_sdk)}))
    files = _files_for_phone(bases[0], apk_infos, phone.abis)
    native = {abi for f in files for abi in f.abis}
    if phone.abis and native and not native & set(phone.abis):
        return refuse(Msg("{app} has no version for this phone's processor ({abis}).",
                          {**name, "abis": ",".join(phone.abis)}))
    if len(files) > 1 and phone.sdk is not None and phone.sdk < SPLIT_MIN_SDK:
        return refuse(Msg("This phone is too old for {app} (needs Android {version} or newer).",
                          {**name, "version": android_version_for_sdk(SPLIT_MIN_SDK)}))
    needed = STORAGE_FACTOR * sum(f.size for f in files) + STORAGE_MARGIN
    if phone.free_bytes is not None and phone.free_bytes < needed:
        return refuse(Msg("Not enough free storage for {app}: it needs about {need} MB, the "
                          "phone has {free} MB free. Delete files or apps and try again.",
                          {**name, "need": _mb(needed), "free": _mb(phone.free_bytes)}))
    if installed_version is None:
        reason = Msg("Install {app} version {version}.", version)
    else:
        reason = Msg("Update {app} from version {installed} to {version}.", version)
    return plan(PlanAction.INSTALL, reason, files, needed)


def _files_for_phone(base: ApkInfo, infos: Sequence[ApkInfo],
                     phone_abis: Sequence[str]) -> list[ApkInfo]:
    """Base first, then splits by name; ABI config splits for other processors are left out
    (``config.x86`` on an ARM phone would only cost space)."""
    splits = sorted((i for i in infos if i.is_split), key=lambda i: i.split_name or "")
    if phone_abis:
        kept = [s for s in splits if not (s.abis and (s.split_name or "").startswith("config.")
                                          and not set(s.abis) & set(phone_abis))]
        if any(s.abis for s in kept) or not any(s.abis for s in splits) or base.abis:
            splits = kept
    return [base, *splits]


def _mb(n: int) -> int:
    return max(0, round(n / (1024 * 1024)))


# -- phone facts (pure parsers) --------------------------------------------------------------


def parse_df_free(text: str) -> int | None:
    """Free bytes on /data from ``df /data``; None if the output is not understood.

    The storage check's parser (:func:`traomay.checks.storage.parse_df`: toybox, toolbox and
    pre-2.3 toolbox shapes, cut or self-contradictory rows refused), so the install
    pre-check and the check read df the same way.
    """
    return parse_df(text)[1]


def parse_installed_version(text: str, package: str) -> int | None:
    """versionCode of ``package`` from ``dumpsys package PKG``; None if not installed.

    AOSP Settings.dumpPackageLPr prints ``Package [pkg] (hash):`` then ``versionCode=N
    minSdk=..``. An updated system app is listed again under "Hidden system packages:" with
    the factory version: that section is ignored.
    """
    section = ""
    in_package = False
    for line in text.splitlines():
        if line and not line[0].isspace():
            section = line.strip()
            in_package = False
            continue
        stripped = line.strip()
        if stripped.startswith("Package ["):
            in_package = (stripped.startswith(f"Package [{package}]")
                          and not section.startswith("Hidden system packages"))
            continue
        if in_package:
            match = re.search(r"\bversionCode=(\d+)", stripped)
            if match:
                return int(match.group(1))
    return None


def parse_abis(abilist: str, abi: str = "", abi2: str = "") -> tuple[str, ...]:
    """ro.product.cpu.abilist (Android 5+), else ro.product.cpu.abi/abi2 (older)."""
    values = abilist.split(",") if abilist.strip() else [abi, abi2]
    return tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
