"""``traomay init`` and ``traomay where``: the campaign folder, the volunteer's own files
(campaign.yaml, criteria.yaml, apk_manifest.yaml, apks/, the inventory, campaign.key)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from traomay.core.i18n import _
from traomay.core.msg import N_, Msg
from traomay.interface.app import OPTIONS, app

CHOSEN_BY_LABELS = {
    "option": N_("given with --campaign"),
    "environment": N_("given by $TRAOMAY_CAMPAIGN"),
    "current": N_("the current folder (it holds campaign.yaml)"),
    "default": N_("the per-user data folder (default)"),
}


@app.command(help=N_("Set up a campaign folder: campaign.yaml, criteria.yaml, "
                      "apk_manifest.yaml, apks/ and the campaign key. Files already there are "
                      "kept, never overwritten."))
def init(
    folder: Annotated[Path | None, typer.Argument(
        help=N_("Folder to set up (default: the folder 'traomay where' shows).")
    )] = None,
) -> None:
    """Set up a campaign folder: campaign.yaml, criteria.yaml, apk_manifest.yaml, apks/ and
    the campaign key. Files already there are kept, never overwritten."""
    from traomay.core.campaign import find_folder, init_folder
    from traomay.interface import render as ui
    from traomay.interface.folder import (
        command_prefix,
        default_station_name,
        inventory_path,
        quote,
    )
    from traomay.inventory.campaign_key import KEY_FILE_NAME, key_path_for
    from traomay.inventory.store import Inventory

    target = find_folder(folder or OPTIONS.campaign)
    key_file = key_path_for(target.inventory_file)
    key_was_there = key_file.is_file()
    inventory_was_there = target.inventory_file.is_file()
    try:
        made = init_folder(target, OPTIONS.station or default_station_name())
    except OSError as exc:
        from traomay.core.errors import BadInputError

        raise BadInputError(Msg("Cannot create the campaign folder {folder}; choose another "
                                "with --campaign.", {"folder": str(target.root)}),
                            detail=str(exc)) from None
    # Opening the inventory once makes the campaign key beside it (and the empty inventory).
    with Inventory(target.inventory_file, station=OPTIONS.station or default_station_name()):
        pass
    made[target.inventory_file.name] = not inventory_was_there
    made[KEY_FILE_NAME] = not key_was_there
    con = ui.console()
    rows = [[ui.cell(name), ui.cell(_("created") if new else _("already there, kept"),
                                    "green" if new else "")] for name, new in made.items()]
    con.print(ui.line(_("Campaign folder: {folder}").format(folder=target.root), "bold"),
              soft_wrap=True)
    con.print(ui.table("", [_("File"), _("Result")], rows))
    prefix = command_prefix()
    pin = " ".join((prefix, "manifest pin --name VNeID", quote(target.apks_dir / "FILE.apk")))
    steps = [Msg("Next: edit campaign.yaml (the campaign's name, this station's name, the donor "
                 "units)."),
             Msg("Copy the district's APK files into {folder}, then pin each app: {command}",
                 {"folder": str(target.apks_dir), "command": pin})]
    if find_folder(None).root.resolve() != target.root.resolve():
        steps.append(Msg("The commands use another folder by default: start them with "
                         "{command} (or set TRAOMAY_CAMPAIGN to that folder, or start traomay "
                         "in it).", {"command": " ".join((prefix, "--campaign",
                                                          quote(target.root)))}))
    elif inventory_path(find_folder(None)) != target.inventory_file:
        steps.append(Msg("$TRAOMAY_DB is set: the commands use the inventory {path}, not the "
                         "one in this folder.", {"path": str(inventory_path(find_folder(None)))}))
    for step in steps:
        con.print(ui.msg_cell(step), soft_wrap=True)


def _presence(path: Path, *, folder: bool = False) -> Any:
    from traomay.interface import render as ui

    there = path.is_dir() if folder else path.is_file()
    return ui.cell(_("present") if there else _("missing"), "green" if there else "yellow")


@app.command(help=N_("Which campaign folder the commands use, why, and what is in it: each "
                      "file present or missing, phones in the inventory, apps pinned, APK files "
                      "missing."))
def where() -> None:
    """Which campaign folder the commands use, why, and what is in it: each file present or
    missing, phones in the inventory, apps pinned, APK files missing."""
    from traomay.core.campaign import ChosenBy
    from traomay.interface import render as ui
    from traomay.interface.app import campaign
    from traomay.interface.folder import command_prefix, inventory_path, quote
    from traomay.inventory.campaign_key import key_path_for

    folder = campaign(needed=False)
    db = OPTIONS.db or inventory_path(folder)
    con = ui.console()
    con.print(ui.line(_("Campaign folder: {folder}").format(folder=folder.root), "bold"),
              soft_wrap=True)
    con.print(ui.line(_("Chosen because: {why}").format(
        why=_(CHOSEN_BY_LABELS[folder.chosen_by.value]))), soft_wrap=True)
    rows: list[list[Any]] = []

    def add(name: str, path: Path, presence: Any, detail: Any = "") -> None:
        rows.append([ui.cell(name), ui.cell(str(path), max_len=400), presence,
                     detail if not isinstance(detail, str) else ui.cell(detail, max_len=400)])

    add("campaign.yaml", folder.campaign_file, _presence(folder.campaign_file),
        _station_detail(folder))
    add("criteria.yaml", folder.criteria_file, _presence(folder.criteria_file),
        "" if folder.criteria_file.is_file() else _("the built-in thresholds are used"))
    add("apk_manifest.yaml", folder.manifest_file, _presence(folder.manifest_file),
        _manifest_detail(folder.manifest_file))
    add("apks/", folder.apks_dir, _presence(folder.apks_dir, folder=True),
        _missing_apks_detail(folder.manifest_file))
    add(db.name, db, _presence(db), _phones_detail(db, _inventory_source(folder, db)))
    key = key_path_for(db)
    add(key.name, key, _presence(key),
        "" if key.is_file() else _("made when the inventory is first opened"))
    con.print(ui.table(_("What is in it"), [_("File"), _("Path"), _("Status"), _("Details")],
                       rows))
    if not folder.initialised:
        command = f"{command_prefix()} init"
        if folder.chosen_by is not ChosenBy.DEFAULT:
            command += f" {quote(folder.root)}"
        con.print(ui.msg_cell(Msg("Not set up yet: {command} creates it.", {
            "command": command}), "yellow"), soft_wrap=True)


def _station_detail(folder: Any) -> Any:
    from traomay.core.errors import TraomayError
    from traomay.interface import render as ui
    from traomay.interface.folder import station_name

    if not folder.initialised:
        return ""
    try:
        station = station_name(folder, OPTIONS.station)
    except TraomayError as exc:
        return ui.msg_cell(exc.message, "red")
    return ui.cell(_("station: {name}").format(name=station or "-"))


def _manifest_detail(path: Path) -> Any:
    from traomay.apps.manifest import load_manifest
    from traomay.core.errors import TraomayError
    from traomay.interface import render as ui

    if not path.is_file():
        return ""
    try:
        manifest = load_manifest(path)
    except TraomayError as exc:
        return ui.msg_cell(exc.message, "red")
    pinned = [a for a in manifest.apps if a.pinned]
    text = _("{pinned} of {total} apps pinned").format(pinned=len(pinned),
                                                        total=len(manifest.apps))
    return ui.cell(text, "green" if len(pinned) == len(manifest.apps) else "yellow")


def _missing_apks_detail(path: Path) -> Any:
    from traomay.apps.manifest import load_manifest
    from traomay.core.errors import TraomayError
    from traomay.interface import render as ui

    if not path.is_file():
        return ""
    try:
        manifest = load_manifest(path)
    except TraomayError:
        return ""  # said on the manifest's line
    missing = [f.path for a in manifest.apps for f in a.files
               if not manifest.file_path(f).is_file()]
    unpinned = [a.name for a in manifest.apps if not a.pinned]
    parts = []
    if missing:
        parts.append(_("APK files missing: {files}").format(files=", ".join(missing)))
    if unpinned:
        parts.append(_("no APK pinned yet for: {apps}").format(apps=", ".join(unpinned)))
    return ui.cell("; ".join(parts), "yellow") if parts else ui.cell(_("all APK files present"),
                                                                     "green")


def _inventory_source(folder: Any, db: Path) -> str:
    """Why this inventory, when it is not the campaign folder's own."""
    if OPTIONS.db:
        return _("given with --db")
    if db != folder.inventory_file:
        return _("given by $TRAOMAY_DB")
    return ""


def _phones_detail(db: Path, source: str) -> Any:
    from traomay.core.errors import TraomayError
    from traomay.interface import render as ui
    from traomay.inventory.store import Inventory

    prefix = f"{source}; " if source else ""
    if not db.is_file():
        return ui.cell(source)
    try:
        with Inventory(db, read_only=True) as inventory:
            count = len(inventory.devices())
    except TraomayError as exc:
        return ui.msg_cell(exc.message, "red")
    return ui.cell(prefix + _("{n} phones in the inventory").format(n=count))
