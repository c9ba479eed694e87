"""CLI commands that change a phone: accounts, reset, install, finalize."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from traomay.core.i18n import _, render
from traomay.core.msg import Msg
from traomay.core.results import Status
from traomay.interface.app import app, connected_phone, open_inventory

INSTALL_STATUS_LABELS = {
    "installed": Msg("installed"),
    "skipped": Msg("already installed"),
    "refused": Msg("not installed"),
    "failed": Msg("install failed"),
}


@app.command()
def accounts(
    serial: Annotated[str, typer.Argument(help="adb serial, or t:N")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Is the previous owner's Google account gone? (Counts only; names are never shown.)"""
    from traomay.interface import render as ui
    from traomay.provision.inspect import inspect_and_record

    phone = connected_phone(serial)
    with open_inventory() as inv:
        phone.record(inv)
        inspection = inspect_and_record(phone.link, inv, phone.device_id, ["accounts"], {},
                                        kind="recheck", active=False)
    result = inspection.results[0]
    if as_json:
        typer.echo(json.dumps({"device": phone.device_json(), "checks": [result.to_json()]},
                              ensure_ascii=False, indent=2, default=str))
    else:
        ui.console().print(ui.status_text(result.status), ui.msg_cell(result.summary))
    if result.status is Status.FAIL:
        raise typer.Exit(1)


@app.command()
def reset(
    serial: Annotated[str, typer.Argument(help="adb serial, or t:N")],
    force: Annotated[bool, typer.Option(
        "--force", help="Reset even with a Google account on the phone (risk: the phone may "
        "stay locked for its next owner). Recorded in the inventory.")] = False,
    timeout: Annotated[int, typer.Option("--timeout", help="Seconds to wait for the phone "
                                                           "to come back.")] = 900,
) -> None:
    """Factory-reset a phone safely and follow it until it comes back."""
    from traomay.interface import render as ui
    from traomay.provision.reset import reset_phone

    con = ui.console()
    phone = connected_phone(serial)
    if force:
        con.print(ui.line(_("--force: if a Google account is still on the phone, the next "
                            "owner may be locked out by Factory Reset Protection. This is "
                            "recorded."), "bold yellow"))
    with open_inventory() as inv:
        device_id = phone.record(inv)
        outcome = reset_phone(phone.hub, phone.listing, phone.identity, inv, device_id,
                              force=force, come_back_timeout=float(timeout),
                              on_wait=lambda m: con.print(ui.msg_cell(m, "cyan")))
    after = outcome.identity_after
    con.print(ui.line(_("Reset done ({method}). Google accounts on the phone now: {n}.")
                      .format(method=outcome.method, n=outcome.accounts_after), "bold green"))
    if after is not None and outcome.accounts_after:
        raise typer.Exit(1)


@app.command()
def install(
    serial: Annotated[str, typer.Argument(help="adb serial, or t:N")],
    manifest: Annotated[Path | None, typer.Option("--manifest", help="apk_manifest.yaml")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Install the apps of apk_manifest.yaml (VNeID, Bình Dương Số, ...) on a phone."""
    from traomay.apps.install_manifest import (
        install_manifest_apps,
        manifest_or_default,
        record_apps,
    )
    from traomay.interface import render as ui

    man = manifest_or_default(manifest)
    phone = connected_phone(serial)
    with open_inventory() as inv:
        device_id = phone.record(inv)
        report = install_manifest_apps(phone.link, man)
        record_apps(inv, device_id, report)
    if as_json:
        typer.echo(json.dumps({"device": phone.device_json(),
                               "apps": [o.to_json() for o in report.outcomes],
                               "result": report.result.to_json()},
                              ensure_ascii=False, indent=2, default=str))
    else:
        rows = [[ui.cell(o.app), ui.msg_cell(INSTALL_STATUS_LABELS.get(
                    o.status.value, Msg(o.status.value))), ui.msg_cell(o.message),
                 ui.cell(str(o.bytes_pushed))] for o in report.outcomes]
        con = ui.console()
        con.print(ui.table(_("Apps on {phone}").format(phone=ui.phone_name(phone.identity)),
                           [_("App"), _("Result"), _("Details"), _("Bytes sent")], rows))
        con.print(ui.status_text(report.result.status), ui.msg_cell(report.result.summary))
    if report.result.status is not Status.PASS:
        raise typer.Exit(1)


@app.command()
def finalize(
    serial: Annotated[str, typer.Argument(help="adb serial, or t:N")],
    keep_adb: Annotated[bool, typer.Option("--keep-adb", help="Leave USB debugging on.")] = False,
) -> None:
    """Before hand-over: restore what a normal owner expects (updates on, USB debugging off)."""
    from traomay.interface import render as ui
    from traomay.provision.reset import finalize_phone

    phone = connected_phone(serial)
    with open_inventory() as inv:
        device_id = phone.record(inv)
        outcome = finalize_phone(phone.link, disable_adb=not keep_adb)
        inv.add_event(device_id, "finalize", {"restored": outcome.restored,
                                              "not_restored": outcome.not_restored,
                                              "adb_disabled": outcome.adb_disabled,
                                              "still_test_harness": outcome.still_test_harness})
    con = ui.console()
    con.print(ui.msg_cell(Msg("Restored: {items}", {"items": ", ".join(outcome.restored)}),
                          "green"))
    if outcome.not_restored:
        con.print(ui.msg_cell(Msg("Could not restore: {items}",
                                  {"items": ", ".join(outcome.not_restored)}), "yellow"))
    for warning in outcome.warnings:
        con.print(ui.msg_cell(warning, "bold red"))
    if outcome.adb_disabled:
        con.print(ui.cell(render(Msg("USB debugging is now off; the phone leaves the list.")),
                          "green"))
    if outcome.still_test_harness:
        raise typer.Exit(1)
