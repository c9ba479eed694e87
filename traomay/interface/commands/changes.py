"""Commands that change a phone: accounts, reset, install, finalize."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from traomay.core.i18n import _
from traomay.core.msg import N_, Msg
from traomay.core.results import Status
from traomay.interface.app import JSON_HELP, MANIFEST_HELP, PHONE_HELP, app, phone_session
from traomay.interface.commands.manifest import say_apk_help
from traomay.interface.commands.phones import device_json

INSTALL_STATUS_LABELS = {
    "installed": Msg("installed"),
    "skipped": Msg("already installed"),
    "refused": Msg("not installed"),
    "failed": Msg("install failed"),
}


@app.command(help=N_("Is the previous owner's Google account gone? (Counts only; names "
                     "are never shown.)"))
def accounts(
    phone: Annotated[str, typer.Argument(help=PHONE_HELP)],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    from traomay.interface import render as ui

    with phone_session(phone) as session:
        result = session.accounts()
        if as_json:
            ui.print_json({"device": device_json(session), "checks": [result.to_json()]})
        else:
            ui.console().print(ui.status_text(result.status), ui.msg_cell(result.summary))
    if result.status is Status.FAIL:
        raise typer.Exit(1)


@app.command(help=N_("Factory-reset a phone safely and follow it until it comes back."))
def reset(
    phone: Annotated[str, typer.Argument(help=PHONE_HELP)],
    force: Annotated[bool, typer.Option(
        "--force", help=N_("Reset even with a Google account on the phone (risk: the phone may "
        "stay locked for its next owner). Recorded in the inventory."))] = False,
    timeout: Annotated[int, typer.Option("--timeout", min=1, help=N_("Seconds to wait for the "
                                                                  "phone to come back."))] = 900,
) -> None:
    from traomay.interface import render as ui

    con = ui.console()
    with phone_session(phone) as session:
        if force:
            con.print(ui.line(_("--force: if a Google account is still on the phone, the next "
                                "owner may be locked out by Factory Reset Protection. This is "
                                "recorded."), "bold yellow"))
        before = session.name
        with ui.stopped_by_ctrl_c(Msg(
                "Stopped. Nothing was recorded for this phone; its inventory record is kept. "
                "If the phone is erasing, let it finish, then run: traomay accounts {name}",
                {"name": phone})), ui.Countdown() as countdown:
            outcome = session.reset(force=force, timeout=float(timeout),
                                    on_step=lambda m: countdown.say(m, "cyan"),
                                    on_wait=countdown)
        con.print(ui.line(_("Reset done ({method}). Google accounts on the phone now: {n}.")
                          .format(method=outcome.method, n=outcome.accounts_after),
                          "bold green"))
        ui.say(Msg("The phone is back as {new} (it was {old}); its inventory id stays "
                   "id:{id}. {old} still works in the next commands.",
                   {"new": session.name, "old": before, "id": session.device_id}), "cyan")
    if outcome.accounts_after:
        raise typer.Exit(1)


@app.command(help=N_(
    "Install the apps of apk_manifest.yaml (VNeID, Bình Dương Số, ...) on a phone."))
def install(
    phone: Annotated[str, typer.Argument(help=PHONE_HELP)],
    manifest: Annotated[Path | None, typer.Option("--manifest", help=MANIFEST_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    from traomay.interface import render as ui

    with phone_session(phone, manifest=manifest) as session:
        installed = session.install()
        report = installed.apps
        if as_json:
            ui.print_json({"device": device_json(session),
                           "apps": [o.to_json() for o in report.outcomes],
                           "result": report.result.to_json()})
        else:
            rows = [[ui.cell(o.app), ui.msg_cell(INSTALL_STATUS_LABELS.get(
                        o.status.value, Msg(o.status.value))), ui.msg_cell(o.message),
                     ui.cell(str(o.bytes_pushed))] for o in report.outcomes]
            con = ui.console()
            con.print(ui.table(_("Apps on {phone}").format(
                phone=ui.phone_name(session.identity)),
                [_("App"), _("Result"), _("Details"), _("Bytes sent")], rows))
            con.print(ui.status_text(report.result.status), ui.msg_cell(report.result.summary))
            say_apk_help(session.config.require_manifest())
    if report.result.status is not Status.PASS:
        raise typer.Exit(1)


@app.command(help=N_(
    "Before hand-over: restore what a normal owner expects (updates on, USB debugging off)."))
def finalize(
    phone: Annotated[str, typer.Argument(help=PHONE_HELP)],
    keep_adb: Annotated[bool, typer.Option("--keep-adb",
                                           help=N_("Leave USB debugging on."))] = False,
    force: Annotated[bool, typer.Option(
        "--force", help=N_("Finalize even though the phone has not passed."))] = False,
) -> None:
    from traomay.interface import render as ui
    from traomay.provision.finalize import FINALIZE_LABELS

    def words(keys: list[str]) -> str:
        from traomay.core.i18n import render

        return ", ".join(render(Msg(FINALIZE_LABELS.get(k, k))) for k in keys)

    with phone_session(phone) as session:
        finalized = session.finalize(disable_adb=not keep_adb, force=force)
    outcome = finalized.outcome
    if outcome.restored:
        ui.say(Msg("Done: {items}.", {"items": words(outcome.restored)}), "green")
    if outcome.not_restored:
        ui.say(Msg("Could not do: {items}.", {"items": words(outcome.not_restored)}), "yellow")
    for warning in outcome.warnings:
        ui.say(warning, "bold red")
    if outcome.adb_disabled:
        ui.say(Msg("USB debugging is now off; the phone leaves the list. Unplug it: it is "
                   "ready to hand over."), "green")
    if outcome.still_test_harness or outcome.not_restored:
        raise typer.Exit(1)
