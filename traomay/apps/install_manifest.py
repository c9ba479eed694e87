"""Install every app of apk_manifest.yaml on one phone and judge the ``apps`` criterion
(the phone session records it).

Idempotent: an app whose same or newer version is installed is skipped (nothing pushed).
"""

from __future__ import annotations

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
from traomay.core.campaign import CampaignFolder, find_folder
from traomay.core.errors import BadInputError
from traomay.core.msg import Msg
from traomay.core.results import CheckResult, Status

MANIFEST_FILE_NAME = "apk_manifest.yaml"
PHONE_CANNOT_RUN = frozenset({
    "This phone is too old for {app} (needs Android {version} or newer).",
    "{app} has no version for this phone's processor ({abis}).",
})


def find_manifest_file(folder: CampaignFolder | None = None) -> Path | None:
    """The campaign folder's ``apk_manifest.yaml`` (``folder``, default
    :func:`~traomay.core.campaign.find_folder`), or None when it has none. Never the
    template inside the package: ``manifest pin`` writes into the file it finds, and the
    district's pins must survive an upgrade."""
    path = (folder or find_folder()).manifest_file
    return path if path.is_file() else None


def no_manifest(folder: CampaignFolder | None = None) -> BadInputError:
    """The error for a campaign folder without an app list: where it was looked for and
    how to make one."""
    found = folder or find_folder()
    return BadInputError(Msg("No apk_manifest.yaml in the campaign folder {folder}. Create "
                             "it with 'traomay init', or give one with --manifest.",
                             {"folder": str(found.root)}))


def manifest_or_default(path: Path | None, folder: CampaignFolder | None = None) -> Manifest:
    found = path or find_manifest_file(folder)
    if found is None:
        raise no_manifest(folder)
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
                "{app} is not pinned yet: copy the APK file the district gave you into {folder} "
                "and run 'traomay manifest pin' on it.",
                {"app": app.name, "folder": str(manifest.apks_dir)})))
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
