"""What a phone session needs to know before it starts: the acceptance criteria and the
district's app list. One place builds them, so every command, the demo and the station
judge a phone by the same thresholds and the same required apps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from traomay.apps.install_manifest import find_manifest_file, no_manifest
from traomay.apps.manifest import Manifest, load_manifest
from traomay.apps.plan import STORAGE_FACTOR, STORAGE_MARGIN
from traomay.checks.criteria import Criteria, find_criteria_file, load_criteria
from traomay.checks.storage import REQUIRED_BYTES
from traomay.core.campaign import CampaignFolder
from traomay.core.errors import BadInputError
from traomay.core.msg import Msg


@dataclass(frozen=True)
class SessionConfig:
    criteria: Mapping[str, Mapping[str, Any]]
    manifest: Manifest | None = None
    # The campaign folder the files came from (None: found by the defaults when needed).
    folder: CampaignFolder | None = None

    def require_manifest(self) -> Manifest:
        if self.manifest is None:
            raise no_manifest(self.folder)
        return self.manifest


def required_apps(manifest: Manifest | None) -> list[dict[str, Any]]:
    """The compatibility check's criteria: each required app's minimum SDK and ABIs."""
    if manifest is None:
        return []
    return [{"name": app.name, "min_sdk": app.min_sdk or 0, "abis": list(app.abis or ())}
            for app in manifest.apps if app.required]


def required_bytes(manifest: Manifest | None) -> int:
    """Free space the manifest's apps need to install (the install plan's own estimate per
    app, over the files on disk; a file not there yet counts as 0)."""
    if manifest is None:
        return 0
    total = 0
    for app in manifest.apps:
        size = 0
        for apk in app.files:
            path = manifest.file_path(apk)
            size += path.stat().st_size if path.is_file() else 0
        if size:
            total += STORAGE_FACTOR * size + STORAGE_MARGIN
    return total


def with_manifest(criteria: Criteria, manifest: Manifest | None) -> dict[str, Any]:
    """The criteria as the checks get them: the app list's needs added where a check reads
    them (compatibility: each app's Android version and ABIs; storage: the free space)."""
    crit: dict[str, Any] = {name: dict(values) for name, values in criteria.items()}
    crit["compatibility"] = {**crit.get("compatibility", {}),
                             "required_apps": required_apps(manifest)}
    crit["storage"] = {**crit.get("storage", {}), REQUIRED_BYTES: required_bytes(manifest)}
    return crit


def load_config(criteria_path: Path | None = None, manifest_path: Path | None = None,
                folder: CampaignFolder | None = None) -> SessionConfig:
    """criteria.yaml and apk_manifest.yaml: the paths given, else the campaign folder's
    (``folder``, default :func:`~traomay.core.campaign.find_folder`); criteria.yaml falls
    back to the shipped template, the manifest to None. A broken file is a BadInputError
    (exit 5)."""
    try:
        criteria = load_criteria(criteria_path or find_criteria_file(folder))
    except (ValueError, OSError) as exc:
        raise BadInputError(Msg("The criteria file is broken: {error}", {"error": str(exc)})) \
            from None
    path = manifest_path or find_manifest_file(folder)
    manifest = load_manifest(path) if path is not None else None
    return SessionConfig(with_manifest(criteria, manifest), manifest, folder)
