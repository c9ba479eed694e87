"""``traomay sim`` (a simulated hub for training) and ``traomay demo`` (the whole job on
simulated phones), rendered for the volunteer."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from traomay.core.i18n import _, render
from traomay.core.msg import Msg
from traomay.interface.app import OPTIONS, app, hub


@app.command()
def sim(
    phones: Annotated[int, typer.Option("--phones", min=1, max=64, help="How many phones.")] = 8,
    profiles: Annotated[str | None, typer.Option(
        "--profiles", help="Comma-separated profile names (see --list).")] = None,
    list_profiles: Annotated[bool, typer.Option("--list", help="List phone profiles.")] = False,
) -> None:
    """Run a simulated USB hub for training, until Ctrl-C."""
    from traomay.interface import render as ui

    con = ui.console()
    if list_profiles:
        from traomay.simulator.profile import list_profiles as names
        from traomay.simulator.profile import load_profile

        rows = [[name, getattr(load_profile(name), "description", "")] for name in names()]
        con.print(ui.table(_("Phone profiles"), [_("Name"), _("Description")], rows))
        return
    from traomay.demo.demo import load_phones, run_training_hub

    load_phones(profiles, phones, unauthorized_first=False)  # bad names: exit 5 before adb
    adb = hub()
    run_training_hub(phones, profiles, adb, lambda n: con.print(ui.line(_(
        "{n} simulated phones attached to the adb server on port {port}. Use 'traomay "
        "devices' in another terminal. Ctrl-C to stop.").format(n=n, port=adb.port), "bold")))


@app.command()
def demo(
    phones: Annotated[int, typer.Option("--phones", min=0, max=64,
                                        help="0 = one of each profile.")] = 0,
) -> None:
    """Show the whole job on simulated phones (no real phone needed)."""
    from traomay.demo.demo import DEMO_DB_NAME, DemoEvents, demo_folder, run_demo
    from traomay.interface import render as ui
    from traomay.interface.folder import command_prefix, quote

    con = ui.console()
    lock = threading.Lock()

    def say(listing: Any, identity: Any, msg: Msg) -> None:
        who = f"t:{listing.transport_id} " + (ui.phone_name(identity) if identity
                                               else ui.for_terminal(listing.serial))
        with lock:
            con.print(ui.line(f"{who}: {render(ui.safe_msg(msg))}", "yellow"))

    def announce(msg: Msg) -> None:
        with lock:
            con.print(ui.line(render(msg), "bold"))

    # Always the demo's own folder in the per-user data folder (writable wherever the demo
    # was started, and never the volunteer's campaign folder, whose files it would replace).
    folder = demo_folder()
    db_path = Path(OPTIONS.db).absolute() if OPTIONS.db else folder / DEMO_DB_NAME
    result = run_demo(db_path, phones=phones or None, station=OPTIONS.station,
                      events=DemoEvents(announce, say), work_folder=folder)
    _print_phones(con, result.phones)
    con.print(ui.line(_("Phones processed at once: {n}, in {s:.1f} s.").format(
        n=len(result.phones), s=result.seconds)))
    _print_summary(con, result)
    con.print(ui.line(_("Inventory written to {path}").format(path=db_path.resolve()),
                      "bold green"), soft_wrap=True)
    # A command that works as typed: after 'make demo' traomay is not on PATH.
    where = f"--db {quote(db_path)}" if OPTIONS.db else f"--campaign {quote(folder)}"
    con.print(ui.line(_("Look at one phone: {command}").format(
        command=f"{command_prefix()} {where} explain id:1"), "dim"), soft_wrap=True)
    raise typer.Exit(0 if all(p.ok for p in result.phones) else 1)


def _next_step(phone: Any) -> Text:
    """What the phone needs next: each failing criterion's evidence, else what is waiting
    for a person (the check's own instruction)."""
    from traomay.interface import render as ui

    if phone.problem is not None:
        return ui.msg_cell(phone.problem, "yellow")
    if phone.verdict is None:
        return ui.cell("")
    failing = [line for line in phone.verdict.lines if line.status == "fail"]
    lines = failing or [line for line in phone.verdict.lines if line.status != "pass"]
    texts = [render(ui.safe_msg(line.summary or line.label)).rstrip(". ") for line in lines]
    return ui.cell("; ".join(dict.fromkeys(texts)), "red" if failing else "yellow")


def _print_phones(con: Any, phones: list[Any]) -> None:
    from traomay.interface import render as ui

    rows = []
    for phone in phones:
        ident = phone.identity
        passed = sum(1 for v in phone.checks.values() if v == "pass")
        rows.append([
            ui.cell(f"t:{phone.listing.transport_id}"),
            ui.cell(f"id:{phone.device_id}" if phone.device_id else "-"),
            ui.cell(ui.phone_with_model(ident) if ident else phone.listing.model),
            ui.cell(ident.android_version if ident else ""),
            ui.cell(f"{passed}/{len(phone.checks)}" if phone.checks else ""),
            ui.status_text(phone.verdict.verdict) if phone.verdict else ui.cell(""),
            _next_step(phone),
        ])
    con.print(ui.table(_("Phones on the simulated hub"),
                       [_("ID"), _("Inventory"), _("Phone (model)"), _("Android"),
                        _("Checks passed"), _("Verdict"), _("Failing, or waiting for")], rows))


def _print_summary(con: Any, result: Any) -> None:
    from traomay.interface import render as ui

    verdicts = [p.verdict.verdict for p in result.phones if p.verdict is not None]
    trips = [p.round_trips for p in result.phones if p.round_trips]
    con.print(ui.line(_("Verdicts: {p} pass, {f} fail, {i} waiting for a person.").format(
        p=verdicts.count("pass"), f=verdicts.count("fail"), i=verdicts.count("incomplete")),
        "bold"))
    con.print(ui.line(_("Devices in the inventory: {n} (phones that share serial "
                        "0123456789ABCDEF are still separate records).").format(
        n=result.devices_in_inventory), "dim"))
    if trips:
        con.print(ui.line(_("adb shell calls per phone for the checks: {lo}-{hi} (all "
                            "read-only outputs in one call; the rest are radio tests).").format(
            lo=min(trips), hi=max(trips)), "dim"))
