"""Install every app of apk_manifest.yaml on one phone and judge the ``apps`` criterion
(the phone session records it).

Idempotent: an app whose same or newer version is installed is skipped (nothing pushed).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from traomay.apps.install import (
    InstallLink,
    InstallOutcome,
    InstallStatus,
    install_app,
    installed_version,
    plan_install,
    read_phone_facts,
)
from traomay.apps.manifest import Manifest, load_manifest, read_app_apks
from traomay.core.errors import BadInputError
from traomay.core.msg import Msg
from traomay.core.results import CheckResult, Status

MANIFEST_FILE_NAME = "apk_manifest.yaml"
PHONE_CANNOT_RUN = frozenset({
    "This phone is too old for {app} (needs Android {version} or newer).",
    "{app} has no version for this phone's processor ({abis}).",
})


def find_manifest_file() -> Path | None:
    """``./apk_manifest.yaml``, else the repository's, else the installed copy."""
    candidates = (
        Path.cwd() / MANIFEST_FILE_NAME,
        Path(__file__).resolve().parents[2] / MANIFEST_FILE_NAME,
        Path(sys.prefix) / "share" / "traomay" / MANIFEST_FILE_NAME,
    )
    return next((p for p in candidates if p.is_file()), None)


def manifest_or_default(path: Path | None) -> Manifest:
    found = path or find_manifest_file()
    if found is None:
        raise BadInputError(Msg("No apk_manifest.yaml found; give one with --manifest."))
    return load_manifest(found)


@dataclass(frozen=True)
class AppsReport:
    outcomes: tuple[InstallOutcome, ...]
    result: CheckResult

    @property
    def bytes_pushed(self) -> int:
        return sum(o.bytes_pushed for o in self.outcomes)


def install_manifest_apps(link: InstallLink, manifest: Manifest) -> AppsReport:
    phone = read_phone_facts(link)
    outcomes = []
    for app in manifest.apps:
        if not app.pinned:
            outcomes.append(InstallOutcome(app.name, app.package, InstallStatus.REFUSED, Msg(
                "{app} is not pinned yet: put its APK files in the apks folder and run "
                "'traomay manifest pin'.", {"app": app.name})))
            continue
        try:
            infos = read_app_apks(manifest, app)
        except BadInputError as exc:  # missing, unreadable or tampered file: refuse this app
            outcomes.append(InstallOutcome(app.name, app.package, InstallStatus.REFUSED,
                                           exc.message))
            continue
        plan = plan_install(app, infos, phone, installed_version(link, app.package))
        outcomes.append(install_app(link, plan))
    return AppsReport(tuple(outcomes), apps_result(manifest, outcomes))


def apps_result(manifest: Manifest, outcomes: list[InstallOutcome]) -> CheckResult:
    """The ``apps`` criterion: every *required* app installed (or already current)."""
    required = {a.name for a in manifest.apps if a.required}
    missing = [o for o in outcomes if o.app in required and not o.ok]
    measurements = {o.app: o.status.value for o in outcomes}
    measurements["bytes_pushed"] = sum(o.bytes_pushed for o in outcomes)
    if not missing:
        return CheckResult("apps", Status.PASS, Msg("Required apps installed: {apps}.", {
            "apps": ", ".join(sorted(required))}), measurements)
    first = missing[0]
    # The phone itself cannot run the app: that fails the phone. Anything else (app not
    # pinned yet, a file mismatch, storage full, an install error) needs a person.
    phone_cannot = first.message.msgid in PHONE_CANNOT_RUN
    return CheckResult("apps", Status.FAIL if phone_cannot else Status.NEEDS_OPERATOR,
                       first.message, measurements)
