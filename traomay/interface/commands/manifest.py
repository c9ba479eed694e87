"""``traomay manifest pin|check``: the district's list of apps to install."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from traomay.core.i18n import _
from traomay.core.msg import N_
from traomay.interface.app import MANIFEST_HELP, app

FILE_STATUS_LABELS = {
    "ok": N_("OK"),
    "not_pinned": N_("not pinned yet"),
    "missing": N_("file missing"),
    "hash_mismatch": N_("file changed"),
    "bad_apk": N_("not a valid APK"),
    "signer_mismatch": N_("other publisher"),
    "wrong_app": N_("wrong app"),
}

manifest_app = typer.Typer(no_args_is_help=True, help=N_("apk_manifest.yaml: pin and check apps."))
app.add_typer(manifest_app, name="manifest")


def _path(manifest: Path | None) -> Path:
    """``--manifest``, else the campaign folder's apk_manifest.yaml (set up on first use)."""
    from traomay.apps.install_manifest import find_manifest_file, no_manifest
    from traomay.interface.app import campaign

    if manifest is not None:
        return manifest
    folder = campaign()
    found = find_manifest_file(folder)
    if found is None:
        raise no_manifest(folder)
    return found


def say_apk_help(manifest: object) -> None:
    """Where the district's APK files go and how to pin them, when apps are not pinned."""
    from traomay.interface import render as ui
    from traomay.interface.folder import apk_help

    con = ui.console()
    for line in apk_help(manifest):  # not wrapped: the folder and commands are copied whole
        con.print(ui.msg_cell(line, "yellow"), soft_wrap=True)


@manifest_app.command("pin", help=N_(
    "Read package, version, minimum Android, ABIs and signer from the APK; write the entry."))
def pin_cmd(
    apks: Annotated[list[Path], typer.Argument(help=N_("APK file(s) of ONE app (base + splits)"))],
    name: Annotated[str | None, typer.Option("--name", help=N_("Entry to fill, e.g. "
                                                              "\"Bình Dương Số\""))] = None,
    manifest: Annotated[Path | None, typer.Option("--manifest", help=MANIFEST_HELP)] = None,
    new_signer: Annotated[bool, typer.Option(
        "--new-signer", help=N_("Allow a signer different from the one already pinned (only "
        "after the district confirmed the publisher's new key)"))] = False,
) -> None:
    from traomay.apps.manifest import pin
    from traomay.core.msg import Msg
    from traomay.interface import render as ui

    if new_signer:
        ui.console().print(_("Warning: --new-signer replaces the pinned publisher key. Use it "
                             "only if the district confirmed the new fingerprint."),
                           style="yellow")
    path = _path(manifest)
    entry = pin(path, apks, name=name, new_signer=new_signer)
    rows = [[_("App"), entry.name], [_("Package"), entry.package],
            [_("Version code"), str(entry.version_code)],
            [_("Minimum SDK"), str(entry.min_sdk)], [_("ABIs"), ", ".join(entry.abis) or "-"],
            [_("Signer SHA-256"), entry.signer_sha256],
            [_("Files"), ", ".join(f.path for f in entry.files)]]
    ui.console().print(ui.table(_("Pinned"), [_("Field"), _("Value")], rows))
    ui.say(Msg("Written to {file}.", {"file": str(path)}), "green")


@manifest_app.command("check", help=N_(
    "Verify every APK file: present, same SHA-256, same signer, same package and version."))
def check_cmd(
    manifest: Annotated[Path | None, typer.Option("--manifest", help=MANIFEST_HELP)] = None,
) -> None:
    from traomay.apps.manifest import check, load_manifest
    from traomay.core.msg import Msg
    from traomay.interface import render as ui

    loaded = load_manifest(_path(manifest))
    rows_data = check(loaded)
    rows = []
    for row in rows_data:
        style = "green" if row.ok else "red"
        rows.append([ui.cell(row.app), ui.cell(row.path or "-"),
                     ui.msg_cell(Msg(FILE_STATUS_LABELS.get(row.status.value,
                                                            row.status.value)), style),
                     ui.msg_cell(row.message)])
    ui.console().print(ui.table(_("App manifest check"),
                                [_("App"), _("File"), _("Status"), _("Details")], rows))
    say_apk_help(loaded)
    if not all(r.ok for r in rows_data):
        raise typer.Exit(1)
