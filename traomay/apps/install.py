"""Installing an app on a phone through a PhoneLink, the way ``adb install`` does it.

Routes (packages/modules/adb ``client/adb_install.cpp``, android-facts.md §10):
- phone advertises ``cmd`` (Android 7+): single APK streamed to ``cmd package install -S N``;
  split APKs through a session: ``install-create``, ``install-write ... -`` per file
  (streamed), ``install-commit``, and ``install-abandon`` on error;
- otherwise: push to /data/local/tmp, ``pm install -r`` (or the ``pm install-*`` session
  commands with the pushed paths), then remove the pushed files.
We never uninstall anything (adbutils' install() does on some failures, wiping the app's
data). Afterwards ``dumpsys package PKG`` must show the new versionCode.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from traomay.apps.apk import PACKAGE_RE
from traomay.apps.failures import failure_message, parse_failure
from traomay.apps.plan import (  # re-exported: the pipeline imports from here
    InstallPlan,
    PhoneFacts,
    PlanAction,
    parse_abis,
    parse_df_free,
    parse_installed_version,
    plan_install,
)
from traomay.core.errors import BadInputError, DeviceError
from traomay.core.msg import Msg
from traomay.core.results import ShellResult

__all__ = ["InstallOutcome", "InstallPlan", "InstallStatus", "PhoneFacts", "PlanAction",
           "install_app", "installed_version", "plan_install", "read_phone_facts"]

CHUNK = 1024 * 1024
REMOTE_DIR = "/data/local/tmp"
_SESSION = re.compile(r"\[(\d+)\]")


class InstallLink(Protocol):
    """What installing needs from traomay.device.adb.PhoneLink (fakes implement it in tests)."""

    def features(self) -> frozenset[str]: ...
    def shell(self, command: str, timeout: float = 30.0) -> ShellResult: ...
    def exec_out(self, command: str, payload: Any = (), timeout: float = 120.0) -> str: ...
    def push(self, data: bytes, remote: str, mode: int = 0o644) -> None: ...


class InstallStatus(str, Enum):
    INSTALLED = "installed"
    SKIPPED = "skipped"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True)
class InstallOutcome:
    app: str
    package: str
    status: InstallStatus
    message: Msg
    bytes_pushed: int = 0
    route: str = "none"  # stream | push | session-stream | session-push | none
    failure_code: str | None = None  # e.g. "INSTALL_FAILED_INSUFFICIENT_STORAGE"
    installed_version: int | None = None  # what dumpsys reports afterwards
    device_output: str = ""  # raw pm/cmd text, untrusted: for logs only

    @property
    def ok(self) -> bool:
        return self.status in (InstallStatus.INSTALLED, InstallStatus.SKIPPED)

    def to_json(self) -> dict[str, Any]:
        return {"app": self.app, "package": self.package, "status": self.status.value,
                "message": self.message.to_json(), "bytes_pushed": self.bytes_pushed,
                "route": self.route, "failure_code": self.failure_code,
                "installed_version": self.installed_version}


# -- phone facts ---------------------------------------------------------------------------
def installed_version(link: InstallLink, package: str) -> int | None:
    if not PACKAGE_RE.match(package):  # it goes into a command line
        raise BadInputError(Msg("'{package}' is not a valid package name.", {"package": package}))
    return parse_installed_version(link.shell(f"dumpsys package {package}").output, package)


def read_phone_facts(link: InstallLink) -> PhoneFacts:
    """SDK level, ABIs and free space on /data in one shell call."""
    out = link.shell("getprop ro.build.version.sdk; getprop ro.product.cpu.abilist; "
                     "getprop ro.product.cpu.abi; getprop ro.product.cpu.abi2; "
                     "echo __df__; df /data 2>&1").output
    head, _, df_text = out.partition("__df__")
    props = (head.splitlines() + ["", "", "", ""])[:4]
    sdk_text = props[0].strip()
    return PhoneFacts(
        sdk=int(sdk_text) if sdk_text.isdigit() and len(sdk_text) <= 3 else None,
        abis=parse_abis(props[1], props[2], props[3]),
        free_bytes=parse_df_free(df_text),
    )


# -- installing ----------------------------------------------------------------------------
@dataclass
class _Progress:
    pushed: int = 0
    outputs: list[str] = field(default_factory=list)

    def stream(self, path: Path) -> Iterator[bytes]:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                self.pushed += len(chunk)
                yield chunk


def install_app(link: InstallLink, plan: InstallPlan) -> InstallOutcome:
    """Carry out ``plan``; DeviceError (phone gone, timeout) propagates to the pipeline."""
    def outcome(status: InstallStatus, message: Msg, **kw: Any) -> InstallOutcome:
        return InstallOutcome(plan.app, plan.package, status, message, **kw)

    if plan.action is PlanAction.SKIP:
        return outcome(InstallStatus.SKIPPED, plan.reason,
                       installed_version=plan.installed_version)
    if plan.action is PlanAction.REFUSE:
        return outcome(InstallStatus.REFUSED, plan.reason)
    progress = _Progress()
    streamed = "cmd" in link.features()
    try:
        if plan.is_split:
            route = "session-stream" if streamed else "session-push"
            output = _install_session(link, plan, progress, streamed)
        else:
            route = "stream" if streamed else "push"
            output = _install_single(link, plan, progress, streamed)
    except OSError as exc:  # the local APK file vanished or cannot be read
        raise BadInputError(Msg("Cannot read the APK file {file}.",
                                {"file": str(plan.files[0].path)}), detail=str(exc)) from None
    common = {"bytes_pushed": progress.pushed, "route": route,
              "device_output": "\n".join(progress.outputs)[-2000:]}
    if not _succeeded(output):
        code = parse_failure(output)
        return outcome(InstallStatus.FAILED, failure_message(code, plan.app),
                       failure_code=code, **common)
    found = installed_version(link, plan.package)
    if found != plan.version_code:
        return outcome(InstallStatus.FAILED, Msg(
            "The phone accepted {app}, but it now reports version {found} instead of "
            "{expected}. Run the install again.",
            {"app": plan.app, "found": found if found is not None else "none",
             "expected": plan.version_code}), installed_version=found, **common)
    return outcome(InstallStatus.INSTALLED, Msg("{app} version {version} installed.", {
        "app": plan.app, "version": plan.version_code}), installed_version=found, **common)


def _succeeded(output: str) -> bool:
    return any(line.strip().startswith("Success") for line in output.splitlines())


def _install_single(link: InstallLink, plan: InstallPlan, progress: _Progress,
                    streamed: bool) -> str:
    apk = plan.files[0]
    if streamed:
        # -r: replace an installed version (needed on Android 7/8; ignored from 9 on).
        out = link.exec_out(f"cmd package install -r -S {apk.size}", progress.stream(apk.path))
        progress.outputs.append(out)
        return out
    remote = f"{REMOTE_DIR}/traomay-install.apk"
    data = apk.path.read_bytes()
    try:
        link.push(data, remote)
        progress.pushed += len(data)
        out = link.shell(f"pm install -r {remote}", timeout=300.0).output
        progress.outputs.append(out)
        return out
    finally:
        _quiet(link, f"rm -f {remote}")


def _install_session(link: InstallLink, plan: InstallPlan, progress: _Progress,
                     streamed: bool) -> str:
    def run(command: str) -> str:
        out = (link.exec_out(f"cmd package {command}") if streamed
               else link.shell(f"pm {command}", timeout=300.0).output)
        progress.outputs.append(out)
        return out

    created = run(f"install-create -r -S {plan.total_bytes}")
    match = _SESSION.search(created)
    if not match or not _succeeded(created):
        return created
    session = match.group(1)
    pushed: list[str] = []
    try:
        for index, apk in enumerate(plan.files):
            name = f"{index}_{'base' if apk.split_name is None else _safe(apk.split_name)}.apk"
            if streamed:
                out = link.exec_out(f"cmd package install-write -S {apk.size} {session} {name} -",
                                    progress.stream(apk.path))
                progress.outputs.append(out)
            else:
                remote = f"{REMOTE_DIR}/traomay-{name}"
                data = apk.path.read_bytes()
                pushed.append(remote)
                link.push(data, remote)
                progress.pushed += len(data)
                out = run(f"install-write -S {apk.size} {session} {name} {remote}")
            if not _succeeded(out):
                _quiet_abandon(link, session, streamed)
                return out
        out = run(f"install-commit {session}")
        if not _succeeded(out):
            _quiet_abandon(link, session, streamed)  # usually gone already; harmless
        return out
    except DeviceError:
        _quiet_abandon(link, session, streamed)
        raise
    finally:
        for remote in pushed:
            _quiet(link, f"rm -f {remote}")


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)[:80]


def _quiet(link: InstallLink, command: str) -> None:
    try:
        link.shell(command)
    except DeviceError:
        pass


def _quiet_abandon(link: InstallLink, session: str, streamed: bool) -> None:
    try:
        if streamed:
            link.exec_out(f"cmd package install-abandon {session}")
        else:
            link.shell(f"pm install-abandon {session}")
    except DeviceError:
        pass
