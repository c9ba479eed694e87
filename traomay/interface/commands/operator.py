"""CLI commands where a person takes part: touch-test, call-test, battery-test, decide.

Thin: each command connects, runs one library flow (traomay.probes.touch, call_test,
drain_test), then records the outcome through the check's ``with_operator_input`` hook with
``inspect_and_record(kind="recheck")`` so the verdict follows it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from traomay.core.i18n import _
from traomay.core.msg import Msg
from traomay.interface.app import app, connected_phone, open_inventory


def _record(phone: Any, link: Any, check: str, value: Any,
            criteria_path: Path | None = None) -> Any:
    """Rerun ``check`` with the person's input, record it, update and return the verdict."""
    from traomay.interface.commands.checks import _criteria
    from traomay.inventory.verdict import compute_verdict
    from traomay.provision.inspect import inspect_and_record

    with open_inventory() as inv:
        phone.record(inv)
        inspection = inspect_and_record(link, inv, phone.device_id, [check],
                                        _criteria(criteria_path), kind="recheck",
                                        operator_inputs={check: value})
        verdict = compute_verdict(inv.latest_results(phone.device_id))
        inv.set_device_fields(phone.device_id, verdict=verdict.verdict)
    result = inspection.results[0]
    _show_result(result, verdict.verdict)
    return result, inspection.run_id


def _show_result(result: Any, verdict: str) -> None:
    from traomay.interface import render as ui

    con = ui.console()
    con.print(ui.table(_("Recorded"), [_("Check"), _("Result"), _("Details")],
                       [[ui.check_label(result.name), ui.status_text(result.status),
                         ui.msg_cell(result.summary)]]))
    con.print(ui.line(_("Verdict: ") + _(verdict.upper()), ui.STATUS_STYLE.get(verdict, "")))


def _say(msg: Msg, style: str = "") -> None:
    from traomay.interface import render as ui

    ui.console().print(ui.msg_cell(msg, style))


def _exit_for(result: Any) -> None:
    if result.status.value == "fail":
        raise typer.Exit(1)


# -- touch-test ------------------------------------------------------------------------------

def grid_view(grid: Any, seconds_left: float | None = None) -> Any:
    """The grid as the volunteer sees it: one box per square, green once touched."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    done = len(grid.hit)
    total = grid.cols * grid.rows
    title = _("Touch test: {done}/{total} squares").format(done=done, total=total)
    if seconds_left is not None:
        title += " · " + _("{s} s left").format(s=int(max(0, seconds_left)))
    table = Table(show_header=False, show_lines=True, padding=(0, 1))
    for _col in range(grid.cols):
        table.add_column(justify="center")
    for row in range(grid.rows):
        table.add_row(*[Text("██", style="green") if (col, row) in grid.hit
                        else Text("··", style="dim") for col in range(grid.cols)])
    return Group(Text(title, style="bold"), table)


@app.command("touch-test")
def touch_test(
    serial: Annotated[str, typer.Argument(help="adb serial, or t:N")],
    cols: Annotated[int, typer.Option("--cols", min=1, max=20)] = 4,
    rows: Annotated[int, typer.Option("--rows", min=1, max=30)] = 7,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds.")] = 120.0,
    show_touches: Annotated[bool, typer.Option(
        "--show-touches/--no-show-touches", help="Pointer location on the phone.")] = True,
    failed: Annotated[bool, typer.Option(
        "--failed", help="Record a fault you saw (dead or ghost-touching area).")] = False,
) -> None:
    """Touch grid test: drag a finger over the whole screen until every square is green."""
    import time

    from traomay.checks.touch_grid import GridResult
    from traomay.probes import touch as tt

    phone = connected_phone(serial)
    if failed:
        result, _run = _record(phone, phone.link, "touchscreen",
                               GridResult(cols, rows, 0, operator_failed=True))
        _exit_for(result)
        return
    target = tt.find_touchscreen(phone.link)
    _say(Msg("Drag a finger slowly over the whole screen, row by row, until every square "
             "below is green. Stop with Ctrl-C."))
    from rich.live import Live

    from traomay.interface import render as ui

    started = time.monotonic()
    with Live(console=ui.console(), refresh_per_second=8, transient=False) as live:
        def show(grid: Any) -> None:
            live.update(grid_view(grid, timeout - (time.monotonic() - started)))

        outcome = tt.run_touch_test(phone.link, cols, rows, timeout, on_progress=show,
                                    show_touches=show_touches, target=target)
    ui.console().print()
    if outcome.ended_by == "timeout" and not outcome.grid.complete:
        _say(Msg("Time is up: {missing} squares never responded.",
                 {"missing": len(outcome.missing)}), "yellow")
    elif outcome.ended_by == "stream_ended" and not outcome.grid.complete:
        _say(Msg("The phone stopped sending touches: {missing} squares never responded.",
                 {"missing": len(outcome.missing)}), "yellow")
    result, _run = _record(phone, phone.link, "touchscreen", outcome.grid)
    _exit_for(result)


# -- call-test -------------------------------------------------------------------------------

@app.command("call-test")
def call_test(
    serial: Annotated[str, typer.Argument(help="adb serial, or t:N")],
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds.")] = 90.0,
    confirm: Annotated[str | None, typer.Option(
        "--confirm", help="yes | no: record what you saw (phones whose call state cannot "
        "be read).")] = None,
    show_number: Annotated[bool, typer.Option(
        "--show-number", help="Show the SIM's whole number, not only its last digits.")] = False,
) -> None:
    """Incoming-call test: call this phone from another phone; it passes when it rings."""
    from traomay.core.errors import BadInputError
    from traomay.probes import call as ct

    answer = confirm.strip().lower() if confirm else None
    if answer not in (None, "yes", "no"):
        raise BadInputError(Msg("--confirm takes yes or no."))
    phone = connected_phone(serial)
    ready = ct.prepare_call_test(phone.link)
    if answer is not None:
        result, _run = _record(phone, phone.link, "cellular",
                               ct.operator_input(answer == "yes", "operator"))
        _exit_for(result)
        return
    if not ready.call_state_readable:
        _say(Msg("This phone does not show its call state. Call it, watch it, then record "
                 "what you saw: traomay call-test {serial} --confirm yes (or no).",
                 {"serial": serial}), "yellow")
        raise typer.Exit(1)
    number = ready.own_number
    shown = (number if show_number else ct.mask_number(number)) if number else None
    network = ", ".join(ready.operators) or "?"
    if shown:
        _say(Msg("Call this phone now from another phone: number {number} (network {network}). "
                 "Waiting up to {s} s for it to ring.",
                 {"number": shown, "network": network, "s": int(timeout)}), "bold")
    else:
        _say(Msg("Call this phone now from another phone, using the number of the SIM you put "
                 "in (network {network}). Waiting up to {s} s for it to ring.",
                 {"network": network, "s": int(timeout)}), "bold")
    outcome = ct.run_call_test(phone.link, timeout)
    if outcome.rang:
        _say(Msg("It rang. You can hang up."), "green")
    else:
        _say(Msg("No ring within {s} s. If you did not call, run the test again.",
                 {"s": int(timeout)}), "yellow")
    result, _run = _record(phone, phone.link, "cellular",
                           ct.operator_input(outcome.rang, "observed"))
    _exit_for(result)


# -- battery-test ----------------------------------------------------------------------------

@app.command("battery-test")
def battery_test(
    serial: Annotated[str, typer.Argument(help="adb serial, or t:N")],
    minutes: Annotated[float, typer.Option("--minutes", min=0.01,
                                           help="How long the phone stays unplugged.")] = 30,
    leave_timeout: Annotated[float, typer.Option(
        "--unplug-within", min=1, help="Seconds to wait for the unplug.")] = 300.0,
) -> None:
    """Timed drain test: unplug the phone for N minutes with the screen on, plug it back."""
    from traomay.probes import drain as dt

    phone = connected_phone(serial)
    outcome, back = dt.run_drain_test(phone.hub, phone.listing, phone.identity.model, minutes,
                                      leave_timeout=leave_timeout, on_step=_say)
    test = outcome.test
    _say(Msg("Battery level went {start}% → {end}%, in {minutes} minutes.",
             {"start": test.level_start, "end": test.level_end, "minutes": test.minutes}))
    if not outcome.screen_timeout_restored:
        _say(Msg("Could not restore the screen timeout; set it in Settings > Display."),
             "yellow")
    phone.listing = back
    phone.link = phone.hub.link(back)
    result, _run = _record(phone, phone.link, "battery", test)
    _exit_for(result)


# -- decide ----------------------------------------------------------------------------------

DECIDABLE = ("origin",)


@app.command()
def decide(
    serial: Annotated[str, typer.Argument(help="adb serial, or t:N")],
    check: Annotated[str, typer.Argument(help="origin")],
    decision: Annotated[str, typer.Argument(help="accept | reject")],
    by: Annotated[str, typer.Option("--by", help="Who decided.")],
    note: Annotated[str, typer.Option("--note", help="Why (what you looked at).")] = "",
) -> None:
    """Record a person's decision on a check that needs one (a phone of doubtful origin)."""
    from traomay.core.errors import BadInputError
    from traomay.interface.commands.checks import _criteria
    from traomay.provision.inspect import run_checks

    if check not in DECIDABLE:
        raise BadInputError(Msg("Only these checks take a decision: {names}.",
                                {"names": ", ".join(DECIDABLE)}))
    choice = decision.strip().lower()
    if choice not in ("accept", "reject"):
        raise BadInputError(Msg("The decision is accept or reject."))
    if not by.strip():
        raise BadInputError(Msg("Give your name with --by."))
    phone = connected_phone(serial)
    undecided = run_checks(phone.link, [check], _criteria(None), active=False).results[0]
    if undecided.status.value != "needs_operator":
        raise BadInputError(Msg("This phone's {check} check does not need a decision "
                                "(it is {status}); nothing was recorded.",
                                {"check": check, "status": undecided.status.value}))
    data = {"accepted": choice == "accept", "by": by.strip(), "note": note.strip()}
    result, run_id = _record(phone, phone.link, check, data)
    with open_inventory() as inv:
        inv.add_event(phone.device_id, "decision", {"check": check, "decision": choice,
                                                    "by": data["by"], "note": data["note"],
                                                    "run_id": run_id})
    _exit_for(result)
