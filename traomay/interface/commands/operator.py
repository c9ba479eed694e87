"""Commands where a person takes part: touch-test, call-test, battery-test, decide.

Thin: each command finds the phone, runs one probe (traomay.probes.touch, call, drain) with
the person, and records the outcome through the phone session (``record_person``), so the
verdict follows it.
"""

from __future__ import annotations

import time
from enum import Enum
from typing import Annotated, Any

import typer

from traomay.core.i18n import _
from traomay.core.msg import N_, Msg
from traomay.interface.app import PHONE_HELP, app, phone_session
from traomay.interface.commands.checks import show_inspection


def _record(session: Any, check: str, value: Any) -> Any:
    inspection = session.record_person(check, value)
    show_inspection(session, inspection, _("Recorded"))
    return inspection.results[0]


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


@app.command("touch-test", help=N_(
    "Touch grid test: drag a finger over the whole screen until every square is green."))
def touch_test(
    phone: Annotated[str, typer.Argument(help=PHONE_HELP)],
    cols: Annotated[int, typer.Option("--cols", min=1, max=20)] = 4,
    rows: Annotated[int, typer.Option("--rows", min=1, max=30)] = 7,
    timeout: Annotated[float, typer.Option("--timeout", min=1,
                                           help=N_("Seconds to wait."))] = 120.0,
    show_touches: Annotated[bool, typer.Option(
        "--show-touches/--no-show-touches", help=N_("Pointer location on the phone."))] = True,
    failed: Annotated[bool, typer.Option(
        "--failed", help=N_("Record a fault you saw (dead or ghost-touching area)."))] = False,
) -> None:
    from rich.live import Live

    from traomay.checks.touch_grid import GridResult
    from traomay.interface import render as ui
    from traomay.probes import touch as tt

    with phone_session(phone) as session:
        if failed:
            _exit_for(_record(session, "touchscreen",
                              GridResult(cols, rows, 0, operator_failed=True)))
            return
        target = tt.find_touchscreen(session.link)
        ui.say(Msg("Drag a finger slowly over the whole screen, row by row, until every "
                   "square below is green. Stop with Ctrl-C."))
        started = time.monotonic()
        with ui.stopped_by_ctrl_c(Msg("Stopped. Nothing was recorded for this phone; its "
                                      "inventory record is kept.")), \
                Live(console=ui.console(), refresh_per_second=8, transient=False) as live:
            def show(grid: Any) -> None:
                live.update(grid_view(grid, timeout - (time.monotonic() - started)))

            outcome = tt.run_touch_test(session.link, cols, rows, timeout, on_progress=show,
                                        show_touches=show_touches, target=target)
        ui.console().print()
        if outcome.ended_by == "timeout" and not outcome.grid.complete:
            ui.say(Msg("Time is up: {missing} squares never responded.",
                       {"missing": len(outcome.missing)}), "yellow")
        elif outcome.ended_by == "stream_ended" and not outcome.grid.complete:
            ui.say(Msg("The phone stopped sending touches: {missing} squares never responded.",
                       {"missing": len(outcome.missing)}), "yellow")
        result = _record(session, "touchscreen", outcome.grid)
    _exit_for(result)


# -- call-test -------------------------------------------------------------------------------

class Confirm(str, Enum):
    yes = "yes"
    no = "no"


@app.command("call-test", help=N_(
    "Incoming-call test: call this phone from another phone; it passes when it rings."))
def call_test(
    phone: Annotated[str, typer.Argument(help=PHONE_HELP)],
    timeout: Annotated[float, typer.Option("--timeout", min=1,
                                           help=N_("Seconds to wait."))] = 90.0,
    confirm: Annotated[Confirm | None, typer.Option(
        "--confirm", case_sensitive=False,
        help=N_("What you saw: 'no' (you called and it did not ring) always; 'yes' only for a "
        "phone whose call state cannot be read. Needs --by."))] = None,
    by: Annotated[str, typer.Option("--by", help=N_("Who called and watched the phone."))] = "",
    show_number: Annotated[bool, typer.Option(
        "--show-number",
        help=N_("Show the SIM's whole number, not only its last digits."))] = False,
) -> None:
    from traomay.core.errors import UsageError
    from traomay.interface import render as ui
    from traomay.probes import call as ct

    if confirm is not None and not by.strip():
        raise UsageError(Msg("Say who called the phone with --by NAME."))
    with phone_session(phone) as session:
        ready = ct.prepare_call_test(session.link)
        if confirm is Confirm.yes and ready.call_state_readable:
            raise UsageError(Msg("This phone shows its call state: run the call test without "
                                 "--confirm and call it while it waits."))
        if confirm is not None:
            _exit_for(_record(session, "cellular", ct.operator_input(
                confirm is Confirm.yes, "operator", by.strip())))
            return
        if not ready.call_state_readable:
            ui.say(Msg("This phone does not show its call state. Call it, watch it, then "
                       "record what you saw: traomay call-test {name} --confirm yes --by NAME "
                       "(or --confirm no).", {"name": phone}), "yellow")
            raise typer.Exit(1)
        number = ready.own_number
        shown = (number if show_number else ct.mask_number(number)) if number else None
        network = ", ".join(ready.operators) or "?"
        if shown:
            ui.say(Msg("Call this phone now from another phone: number {number} (network "
                       "{network}). Waiting up to {s} s for it to ring.",
                       {"number": shown, "network": network, "s": int(timeout)}), "bold")
        else:
            ui.say(Msg("Call this phone now from another phone, using the number of the SIM you "
                       "put in (network {network}). Waiting up to {s} s for it to ring.",
                       {"network": network, "s": int(timeout)}), "bold")
        with ui.stopped_by_ctrl_c(Msg("Stopped. Nothing was recorded for this phone; its "
                                      "inventory record is kept.")), \
                ui.Countdown() as countdown:
            outcome = ct.run_call_test(session.link, timeout, on_poll=lambda elapsed: countdown(
                Msg("Waiting for the phone to ring."), timeout - elapsed))
        if not outcome.rang:
            # Nobody may have called: a timeout is not evidence that the phone cannot ring.
            ui.say(Msg("No ring within {s} s; nothing was recorded. Run the test again and "
                       "call while it waits. If you called and it did not ring: traomay "
                       "call-test {name} --confirm no --by NAME.",
                       {"s": int(timeout), "name": phone}), "yellow")
            raise typer.Exit(1)
        ui.say(Msg("It rang. You can hang up."), "green")
        _exit_for(_record(session, "cellular", ct.operator_input(True, "observed")))


# -- battery-test ----------------------------------------------------------------------------

@app.command("battery-test", help=N_(
    "Timed drain test: unplug the phone for N minutes with the screen on, plug it back."))
def battery_test(
    phone: Annotated[str, typer.Argument(help=PHONE_HELP)],
    minutes: Annotated[float, typer.Option("--minutes", min=0.01,
                                           help=N_("How long the phone stays unplugged."))] = 30,
    leave_timeout: Annotated[float, typer.Option(
        "--unplug-within", min=1, help=N_("Seconds to wait for the unplug."))] = 300.0,
) -> None:
    from traomay.interface import render as ui
    from traomay.probes import drain as dt

    with phone_session(phone) as session:
        scale = _simulated_time_scale(session.hub.port, session.listing.serial)
        if scale != 1.0:
            ui.say(Msg("Simulated phone: its battery clock runs {scale}× faster, so {minutes} "
                       "minutes take {seconds} s here.",
                       {"scale": format(scale, "g"), "minutes": format(minutes, "g"),
                        "seconds": round(minutes * 60 / scale)}), "dim")
        with ui.stopped_by_ctrl_c(Msg(
                "Stopped. Nothing was recorded for this phone; its inventory record is kept. "
                "If the screen stays on, set the screen timeout back in Settings > Display.")), \
                ui.Countdown() as countdown:
            outcome, back = dt.run_drain_test(
                session.hub, session.listing, session.identity.model, minutes,
                leave_timeout=leave_timeout, on_step=countdown.say, on_wait=countdown,
                time_scale=scale)
        test = outcome.test
        ui.say(Msg("Battery level went {start}% → {end}%, in {minutes} minutes.",
                   {"start": test.level_start, "end": test.level_end, "minutes": test.minutes}))
        if not outcome.screen_timeout_restored:
            ui.say(Msg("Could not restore the screen timeout; set it in Settings > Display."),
                   "yellow")
        session.follow(back)
        result = _record(session, "battery", test)
    _exit_for(result)


def _simulated_time_scale(adb_port: int, serial: str) -> float:
    """How much faster the battery clock of a phone of a running ``traomay sim`` runs
    (``--time-scale``); 1.0 for every other phone, real phones above all."""
    try:
        from traomay.simulator.control import ControlUnavailable, read_state

        state = read_state(adb_port)
    except (ImportError, ControlUnavailable, OSError):
        return 1.0
    if state is None or serial not in state.addresses:
        return 1.0
    return max(1.0, state.time_scale)


# -- decide ----------------------------------------------------------------------------------

class Decidable(str, Enum):
    origin = "origin"


class Decision(str, Enum):
    accept = "accept"
    reject = "reject"


@app.command(help=N_("Record a person's decision on a check that needs one (a phone of "
                     "doubtful origin)."))
def decide(
    phone: Annotated[str, typer.Argument(help=PHONE_HELP)],
    check: Annotated[Decidable, typer.Argument(help=N_("The check to decide: origin."))],
    decision: Annotated[Decision, typer.Argument(case_sensitive=False,
                                                 help=N_("accept or reject."))],
    by: Annotated[str, typer.Option("--by", help=N_("Who decided."))],
    note: Annotated[str, typer.Option("--note", help=N_("Why (what you looked at)."))] = "",
) -> None:
    from traomay.core.errors import UsageError

    if not by.strip():
        raise UsageError(Msg("Give your name with --by."))
    with phone_session(phone) as session:
        inspection = session.decide(check.value, decision is Decision.accept, by.strip(),
                                    note.strip())
        show_inspection(session, inspection, _("Recorded"))
    _exit_for(inspection.results[0])
