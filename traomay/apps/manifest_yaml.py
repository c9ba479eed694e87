"""YAML side of apk_manifest.yaml: a strict safe loader and a fixed-layout writer.

The writer emits every string as a JSON string (valid YAML), so package names, Vietnamese
app names and notes round-trip exactly; the leading comment block of the old file is kept.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from traomay.core.errors import BadInputError
from traomay.core.msg import Msg
from traomay.core.strict_yaml import StrictLoader as StrictLoader  # re-exported

if TYPE_CHECKING:
    from traomay.apps.manifest import AppEntry, Manifest





# -- writing -------------------------------------------------------------------------------
def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a YAML scalar


def dump_manifest(manifest: Manifest, header: str = "") -> str:
    lines = [header.rstrip("\n")] if header.strip() else []
    lines += [f"schema: {manifest.schema}", "apps:"]
    for app in manifest.apps:
        lines.append(f"  - name: {_scalar(app.name)}")
        lines.append(f"    package: {_scalar(app.package)}")
        lines.append(f"    required: {_scalar(app.required)}")
        lines.append(f"    version_code: {_scalar(app.version_code)}")
        lines.append(f"    min_sdk: {_scalar(app.min_sdk)}")
        lines.append(f"    abis: [{', '.join(_scalar(a) for a in app.abis)}]")
        lines.append(f"    signer_sha256: {_scalar(app.signer_sha256)}")
        if app.expected_signer_sha256:
            lines.append(f"    expected_signer_sha256: {_scalar(app.expected_signer_sha256)}")
        if app.files:
            lines.append("    files:")
            lines += [f"      - {{path: {_scalar(f.path)}, sha256: {_scalar(f.sha256)}}}"
                      for f in app.files]
        else:
            lines.append("    files: []")
        if app.note:
            lines.append(f"    note: {_scalar(app.note)}")
    return "\n".join(lines) + "\n"


def header_comment(text: str) -> str:
    """The leading block of comment and blank lines."""
    out = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            break
        out.append(line)
    return "\n".join(out).rstrip() + "\n" if out else ""


def write_manifest(manifest: Manifest) -> None:
    """Rewrite the file atomically, keeping its top comment block."""
    try:
        old = manifest.path.read_text(encoding="utf-8")
    except OSError:
        old = ""
    text = dump_manifest(manifest, header_comment(old))
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(dir=manifest.path.parent, prefix=".apk_manifest.")
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, manifest.path)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise BadInputError(Msg("Cannot write the app manifest {file}.",
                                {"file": str(manifest.path)}), detail=str(exc)) from None


def with_app(manifest: Manifest, app: AppEntry) -> Manifest:
    """Replace the entry at ``app.index`` or append it."""
    apps = list(manifest.apps)
    if app.index <= len(apps):
        apps[app.index - 1] = app
    else:
        apps.append(replace(app, index=len(apps) + 1))
    return replace(manifest, apps=tuple(apps))
