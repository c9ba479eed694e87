"""``traomay station``: the whole hub carried to hand-over readiness on one screen.

Thin: it opens the campaign's inventory and settings, builds a
:class:`~traomay.provision.station.runner.Station`, and shows its board, on the full screen
(:mod:`traomay.interface.station_screen`) or, with ``--plain`` or when the output is not a
terminal, as one line per change. The station runs in its own thread; Ctrl-C or ``q`` stops
it cleanly: everything done is already in the inventory, and the next ``traomay station``
resumes each phone at its next step.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from traomay.core.errors import ExitCode
from traomay.core.i18n import _, render
from traomay.core.msg import N_, Msg
from traomay.core.safe_text import for_terminal
from traomay.interface.app import app, hub, open_inventory, session_config

if TYPE_CHECKING:
    from traomay.inventory.store import Inventory
    from traomay.provision.station.board import Board
    from traomay.provision.station.runner import Station, StationResult
    from traomay.provision.station.worker import StationOptions

KEPT = Msg("Stopped. Everything done so far is in the inventory {path}; run 'traomay station' "
           "again and each phone carries on at its next step.")


@app.command(help=N_(
    "The station: every phone on the hub carried to hand-over readiness, on one screen."))
def station(
    once: Annotated[bool, typer.Option(
        "--once", help=N_("Process the phones attached now; stop when each is finished or waits "
                       "for a person."))] = False,
    only_checks: Annotated[bool, typer.Option(
        "--only-checks", help=N_("Inspection and a person's checks only: no erase, install or "
                              "finalize."))] = False,
    by: Annotated[str, typer.Option(
        "--by", help=N_("Who answers at the station (recorded with what they confirm); asked on "
                     "the screen when missing."))] = "",
    plain: Annotated[bool, typer.Option(
        "--plain", help=N_("One line per change instead of the full screen (also when the "
                        "output is not a terminal)."))] = False,
) -> None:
    from traomay.interface.app import campaign
    from traomay.provision.station.runner import Station
    from traomay.provision.station.worker import StationOptions

    full_screen = not plain and sys.stdout.isatty() and sys.stdin.isatty()
    operator = for_terminal(by, 60).strip()
    folder = campaign()
    config = session_config()
    adb = hub()
    with open_inventory() as inventory:
        def options(name: str) -> StationOptions:
            # Without the screen nobody can answer a question: --once then leaves what needs
            # a person for later (the row says what) instead of waiting for it.
            return StationOptions(once=once, only_checks=only_checks, operator=name,
                                  person_present=full_screen or not once,
                                  logs_dir=folder.logs_dir)

        def start(name: str) -> Station:
            return Station(adb, inventory, config, options(name))

        if full_screen:
            _screen(start, operator, inventory, once)
        else:
            _plain(start(operator), inventory, once)


# -- the full screen ---------------------------------------------------------------------------

def _screen(start: Callable[[str], Station], operator: str, inventory: Inventory,
            once: bool) -> None:
    from traomay.interface.station_screen import Ending, StationApp

    screen = StationApp(start, operator=operator, station_name=inventory.station)
    try:
        ending = screen.run() or screen.ending
    finally:
        _stop(screen.station, screen._thread)  # noqa: SLF001 - whatever closed the screen
    if screen.error is not None:
        raise screen.error
    if ending is Ending.NO_OPERATOR:
        print(_("Nothing was started: the station needs the name of who answers (--by NAME)."),
              file=sys.stderr)
        return
    _finish(screen.result, inventory, once=once and ending is Ending.SETTLED,
            interrupted=ending is Ending.INTERRUPTED)


def _stop(station: Station | None, thread: threading.Thread | None) -> None:
    if station is not None:
        station.stop.set()
    if thread is not None:
        thread.join()


# -- the plain log -----------------------------------------------------------------------------

def _plain(station: Station, inventory: Inventory, once: bool) -> None:
    box: list[StationResult] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            box.append(station.run())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, name="traomay-station", daemon=True)
    answering = not once and sys.stdin.isatty()
    _say(Msg("Station {name}: watching the hub. Ctrl-C stops.",
             {"name": for_terminal(inventory.station, 40)}))
    if answering:
        _say(Msg("To answer a question type the phone's number and the key, then Enter "
                 "(for example: 3 1). 'find 3' shows phone #3."))
        threading.Thread(target=_read_answers, args=(station,), daemon=True).start()
    thread.start()
    print_changes = ChangePrinter(station.board)
    try:
        while thread.is_alive():
            thread.join(0.25)
            print_changes()
    except KeyboardInterrupt:
        station.stop.set()
        _say(Msg("Stopping: the phones' current steps are ending…"))
        thread.join()
        print_changes()
        _finish(box[0] if box else None, inventory, once=False, interrupted=True)
        return
    if errors:
        raise errors[0]
    print_changes()
    _finish(box[0] if box else None, inventory, once=once, interrupted=False)


class ChangePrinter:
    """The plain screen: a line for every change of a row (read from the board's history,
    so a step shorter than one redraw is printed too), then the new notices."""

    def __init__(self, board: Board) -> None:
        self.board = board
        self.seq = 0
        self.lines: dict[int, tuple[object, ...]] = {}
        self.notices: set[int] = set()

    def __call__(self) -> None:
        from traomay.interface import station_view as v

        stamp = time.strftime("%H:%M:%S")
        self.seq, rows = self.board.changes_since(self.seq)
        last = {row.transport_id: i for i, row in enumerate(rows)}
        for i, row in enumerate(rows):
            if row.state == "working" and row.action is None and i != last[row.transport_id]:
                continue  # between two steps: says nothing the next line does not
            signature = v.plain_signature(row)
            if self.lines.get(row.transport_id) != signature:
                self.lines[row.transport_id] = signature
                sys.stdout.write(f"{stamp} {v.plain_line(row)}\n")
        for notice in self.board.snapshot().notices:
            if id(notice) not in self.notices:
                self.notices.add(id(notice))
                sys.stdout.write(f"{stamp} ! {v.safe(notice)}\n")
        sys.stdout.flush()


def _read_answers(station: Station) -> None:
    """``3 1``: answer phone #3's question with key 1; ``find 3``: find phone #3."""
    for line in sys.stdin:
        words = line.replace("#", " ").split()
        if len(words) != 2:
            continue
        if words[0].lower() in ("find", "f", "tim", "tìm") and words[1].isdigit():
            threading.Thread(target=station.find, args=(int(words[1]),), daemon=True).start()
            continue
        if not words[0].isdigit():
            continue
        number, key = int(words[0]), words[1]
        row = next((r for r in station.board.snapshot().rows
                    if r.number == number and r.ask is not None), None)
        choice = next((c for c in row.ask.choices if c.key == key), None) \
            if row is not None and row.ask is not None else None
        if choice is not None:
            station.answer(number, choice.value, row.ask)


# -- the end -----------------------------------------------------------------------------------

def _finish(result: StationResult | None, inventory: Inventory, *, once: bool,
            interrupted: bool) -> None:
    """The summary table, what is kept, and the exit code (README, exit codes): ``--once``
    exits 1 when a phone failed or is stuck on a problem; Ctrl-C exits 130."""
    from traomay.interface import render as ui
    from traomay.interface import station_view as view

    con = ui.console()
    if result is not None and result.snapshot.rows:
        con.print(view.summary_table(result.snapshot))
        con.print(view.summary_text(result.snapshot.summary, len(result.snapshot.rows)))
    elif result is not None:
        con.print(Text(_("No phone was attached.")))
    if not once:
        con.print(Text(render(Msg(KEPT.msgid, {"path": str(inventory.path)}))))
    if interrupted:
        raise typer.Exit(int(ExitCode.INTERRUPTED))
    if once and result is not None and view.exit_failed(result.snapshot):
        raise typer.Exit(int(ExitCode.FAILED))


def _say(msg: Msg) -> None:
    sys.stdout.write(render(msg) + "\n")
    sys.stdout.flush()
