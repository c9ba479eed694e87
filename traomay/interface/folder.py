"""The campaign folder as the commands use it: which folder, set up on first use, and how
to type a traomay command here (for the hints the commands print).

The library finds files with :func:`traomay.core.campaign.find_folder`; this module adds
what only a person at a terminal needs: the per-user folder is set up the first time a
command needs it (said once, on stderr), and a folder named with ``--campaign`` or
``$TRAOMAY_CAMPAIGN`` that is not a campaign folder is refused with the command that makes
it one (a typo in a path never silently starts an empty campaign).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from traomay.core.campaign import (
    CampaignFolder,
    ChosenBy,
    find_folder,
    init_folder,
    load_campaign,
)
from traomay.core.errors import BadInputError
from traomay.core.i18n import render
from traomay.core.msg import Msg


def campaign_folder(explicit: Path | None, *, needed: bool = True,
                    station: str | None = None) -> CampaignFolder:
    """The campaign folder of this run (:func:`find_folder`).

    ``needed``: the command reads or writes the folder's files. The per-user folder is
    then set up if it is not yet (templates copied, ``station`` written as this station's
    name); a folder given by ``--campaign`` or ``$TRAOMAY_CAMPAIGN`` without a
    campaign.yaml is refused (exit 5) with the ``traomay init`` command that sets it up."""
    folder = find_folder(explicit)
    if not needed or folder.initialised:
        return folder
    if folder.chosen_by is not ChosenBy.DEFAULT:
        command = " ".join((command_prefix(), "init", quote(folder.root)))
        raise BadInputError(Msg(
            "{folder} is not a campaign folder yet (it has no campaign.yaml). Set it up with: "
            "{command}", {"folder": str(folder.root), "command": command}))
    try:
        init_folder(folder, station or default_station_name())
    except OSError as exc:
        raise BadInputError(Msg("Cannot create the campaign folder {folder}; choose another "
                                "with --campaign.", {"folder": str(folder.root)}),
                            detail=str(exc)) from None
    print(render(Msg("First use: created the campaign folder {folder} (campaign.yaml, "
                     "criteria.yaml, apk_manifest.yaml, apks). 'traomay where' shows what is "
                     "in it.", {"folder": str(folder.root)})), file=sys.stderr)
    return folder


def inventory_path(folder: CampaignFolder) -> Path:
    """The inventory of ``folder``: a folder given with ``--campaign`` (the command line)
    wins over ``$TRAOMAY_DB``; otherwise ``$TRAOMAY_DB`` wins over the folder's file."""
    from traomay.inventory.store import default_db_path

    if folder.chosen_by is ChosenBy.OPTION:
        return folder.inventory_file
    return default_db_path(folder)


def default_station_name() -> str:
    """``$TRAOMAY_STATION``, else the computer's name (a new campaign.yaml gets it)."""
    from traomay.inventory.store import default_station

    return default_station()


def station_name(folder: CampaignFolder, option: str | None) -> str | None:
    """The station written into the inventory: ``--station``, else ``$TRAOMAY_STATION``,
    else campaign.yaml's ``campaign.station``, else None (the inventory then uses the
    computer's name). A broken campaign.yaml is a BadInputError naming the key."""
    if option:
        return option
    if os.environ.get("TRAOMAY_STATION"):
        return os.environ["TRAOMAY_STATION"]
    if folder.initialised:
        return load_campaign(folder.campaign_file).station
    return None


# -- how to type a command here ----------------------------------------------------------------
def quote(path: Path | str) -> str:
    """``path`` as one argument typed in this system's shell."""
    text = str(path)
    if sys.platform == "win32":
        return subprocess.list2cmdline([text])
    return shlex.quote(text)


def _short(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it (``.venv/bin/traomay``),
    else absolute."""
    try:
        relative = path.absolute().relative_to(Path.cwd())
    except ValueError:
        return quote(path.absolute())
    if sys.platform == "win32":
        return quote(".\\" + str(relative))  # PowerShell runs nothing from "." without it
    return quote(relative if len(relative.parts) > 1 else Path(".") / relative)


def command_prefix() -> str:
    """How to start traomay in this terminal, for the hints we print: ``traomay`` when that
    command is on PATH; else the script this process was started as (``.venv/bin/traomay``
    after ``make demo``); else this Python with ``-m traomay``."""
    if shutil.which("traomay"):
        return "traomay"
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.stem.lower() == "traomay":
        if script.is_file():
            return _short(script)
        if script.with_suffix(".exe").is_file():  # Windows launcher, started without .exe
            return _short(script.with_suffix(".exe"))
    return f"{_short(Path(sys.executable))} -m traomay"


# -- the APKs ------------------------------------------------------------------------------
def apk_help(manifest: object) -> list[Msg]:
    """What to say when apps of the manifest are not pinned: where the district's APK files
    go (the full path), which APK files are there but not pinned, the command that pins
    them, and how to check the publisher. Empty when every app is pinned."""
    apps = getattr(manifest, "apps", ())
    unpinned = [app for app in apps if not app.pinned]
    if not unpinned:
        return []
    apks: Path = manifest.apks_dir  # type: ignore[attr-defined]
    pinned_files = {f.path for app in apps for f in app.files}
    waiting = sorted(p.name for p in apks.glob("*.apk") if p.name not in pinned_files) \
        if apks.is_dir() else []
    prefix = command_prefix()
    lines = [Msg("Not pinned yet: {apps}. The district supplies their APK files: copy them "
                 "into {folder}", {"apps": ", ".join(a.name for a in unpinned),
                                   "folder": str(apks)})]
    if waiting:
        lines.append(Msg("APK files in that folder, not pinned yet: {files}.",
                         {"files": ", ".join(waiting)}))
    for app in unpinned:
        example = apks / (waiting[0] if len(waiting) == len(unpinned) == 1 else "FILE.apk")
        command = " ".join((prefix, "manifest pin --name", quote(app.name), quote(example)))
        lines.append(Msg("Then pin {app}: {command}", {"app": app.name, "command": command}))
    lines.append(Msg("'manifest pin' shows the package, the version and the signer's SHA-256 "
                     "fingerprint: it must equal the fingerprint the district gives "
                     "(expected_signer_sha256 in apk_manifest.yaml)."))
    return lines
