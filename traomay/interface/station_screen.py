"""The station's screen (``traomay station``): a whole hub of phones on one keyboard-driven
screen (Textual).

One row per phone: its station number ``#N`` (the inventory id, ``id:N`` in every command),
brand and model, step, progress and countdown, result, and the one next thing the volunteer
must do for it. Below the table, the chosen phone's question with its keys and the steps
behind its action; above it, the summary line and the station's notices. The screen reads the
board about four times a second and never blocks the station: the station runs in its own
thread and its workers in theirs; finding a phone (adb calls) runs in a thread too.

Every piece of text is a rich ``Text`` built by :mod:`traomay.interface.station_view` (device
strings escaped there), never a markup string.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from traomay.core.i18n import _, render
from traomay.core.msg import Msg
from traomay.core.safe_text import for_terminal
from traomay.interface import station_view as view

if TYPE_CHECKING:
    from traomay.provision.station.board import Row, Snapshot
    from traomay.provision.station.runner import Station, StationResult

POLL_S = 0.25


class Ending(str, Enum):
    """How the screen ended (the command turns it into the exit code)."""

    SETTLED = "settled"  # --once: every phone finished or waiting for a person
    QUIT = "quit"  # q, confirmed
    INTERRUPTED = "interrupted"  # Ctrl-C
    NO_OPERATOR = "no_operator"  # Escape at the name question: nothing was started


class OperatorScreen(ModalScreen[str]):
    """Who answers at the station: recorded with what they attest (appearance, origin...)."""

    BINDINGS = [Binding("escape", "cancel", show=False)]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(_("Who answers at this station? Your name is recorded with what "
                                "you confirm (appearance, origin, a ring).")))
            yield Input(placeholder=_("your name"), max_length=60, id="operator")
            yield Static(Text(_("Enter: start · Esc: leave"), style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        name = for_terminal(event.value, 60).strip()
        if name:
            self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss("")


class QuitScreen(ModalScreen[bool]):
    """``q``: stop the station? (What is recorded stays; the station resumes it.)"""

    BINDINGS = [Binding("y", "answer(True)", show=False), Binding("n", "answer(False)",
                                                                   show=False),
                Binding("escape", "answer(False)", show=False),
                Binding("q", "answer(True)", show=False)]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(_("Stop the station? Everything done so far is in the inventory; "
                                "'traomay station' carries on where each phone was."),
                              style="bold"))
            yield Static(Text(_("[y] stop   [n] go on"), style="bold cyan"))

    def action_answer(self, stop: bool) -> None:
        self.dismiss(stop)


class StationApp(App[Ending]):
    """The screen over a :class:`~traomay.provision.station.runner.Station`.

    ``start(operator)`` builds the station once the operator's name is known (asked on the
    screen when ``operator`` is empty); the app runs it in a thread, reads its board, and
    ends when the station returns (``--once``) or the volunteer quits."""

    CSS = """
    #title { height: 1; background: $primary-background; }
    #notices { height: auto; max-height: 3; background: $error; color: $text; padding: 0 1; }
    #summary { height: auto; padding: 0 1; }
    #phones { height: 1fr; }
    #panel-box { height: auto; min-height: 4; max-height: 50%; border-top: solid $primary; }
    #panel { padding: 0 1; }
    #keys { height: auto; color: $text-muted; padding: 0 1; }
    OperatorScreen, QuitScreen { align: center middle; }
    #dialog { width: 70; max-width: 95%; height: auto; border: thick $primary;
              background: $surface; padding: 1 2; }
    """
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("q", "quit_asked", show=False),
        Binding("f", "find", show=False),
        Binding("tab", "next_person", show=False, priority=True),
        Binding("ctrl+c", "interrupt", show=False, priority=True),
    ]

    def __init__(self, start: Callable[[str], Station], *, operator: str = "",
                 station_name: str = "", poll: float = POLL_S) -> None:
        super().__init__()
        self._start = start
        self.operator = operator
        self.station_name = station_name
        self.poll = poll
        self.station: Station | None = None
        self.result: StationResult | None = None
        self.error: BaseException | None = None
        self.ending = Ending.SETTLED
        self._ended = threading.Event()
        self._thread: threading.Thread | None = None
        self._columns: view.Columns | None = None
        self._keys: list[str] = []
        self._cells: dict[str, list[Text]] = {}
        self._since: dict[int, tuple[tuple[Any, ...], float]] = {}
        self._rows: dict[str, Row] = {}
        self._snapshot: Snapshot | None = None
        self._messages: list[tuple[str, str]] = []  # (text, severity) from other threads
        self._messages_lock = threading.Lock()

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="title")
        yield Static(id="notices")
        yield Static(id="summary")
        table: DataTable[Text] = DataTable(id="phones", cursor_type="row", zebra_stripes=True)
        yield table
        with VerticalScroll(id="panel-box"):
            yield Static(id="panel")
        yield Static(Text(render(Msg(view.KEYS_HELP))), id="keys")

    def on_mount(self) -> None:
        self.query_one("#notices", Static).display = False
        self._title()
        self.query_one("#phones", DataTable).focus()
        if self.operator:
            self._begin(self.operator)
        else:
            self.push_screen(OperatorScreen(), self._operator_given)

    def _operator_given(self, name: str | None) -> None:
        if not name:
            self.ending = Ending.NO_OPERATOR
            self.exit(self.ending)
            return
        self._begin(name)

    def _begin(self, operator: str) -> None:
        self.operator = operator
        self._title()
        self.station = self._start(operator)
        self._thread = threading.Thread(target=self._run_station, name="traomay-station",
                                        daemon=True)
        self._thread.start()
        self._tick()
        self.set_interval(self.poll, self._tick)

    def _run_station(self) -> None:
        assert self.station is not None
        try:
            self.result = self.station.run()
        except BaseException as exc:  # shown by the command once the screen is closed
            self.error = exc
        finally:
            self._ended.set()

    def _title(self) -> None:
        parts = ["traomay", _("station {name}").format(name=for_terminal(self.station_name, 40))
                 if self.station_name else _("station")]
        if self.operator:
            parts.append(_("answering: {name}").format(name=for_terminal(self.operator, 40)))
        self.query_one("#title", Static).update(Text(" · ".join(parts), style="bold",
                                                     no_wrap=True, overflow="ellipsis"))

    # -- reading the board -------------------------------------------------------------------
    def _tick(self) -> None:
        with self._messages_lock:
            messages, self._messages = self._messages, []
        for text, severity in messages:
            self.notify(text, severity=severity, markup=False)  # type: ignore[arg-type]
        if self.station is None:
            return
        snapshot = self.station.board.snapshot()
        self._snapshot = snapshot
        now = time.monotonic()
        self._update_table(snapshot, now)
        self._update_summary(snapshot)
        self._update_panel(now)
        if self._ended.is_set():
            self.exit(self.ending)

    def _since_for(self, row: Row, now: float) -> float:
        """When the screen first saw this phone in its current state and step."""
        signature = (row.state, row.stage, row.action.msgid if row.action else None,
                     row.ask.kind if row.ask else None)
        seen = self._since.get(row.transport_id)
        if seen is None or seen[0] != signature:
            self._since[row.transport_id] = (signature, now)
            return now
        return seen[1]

    def _update_table(self, snapshot: Snapshot, now: float) -> None:
        table = self.query_one("#phones", DataTable)
        columns = view.columns_for(self.size.width)
        keys = [str(r.transport_id) for r in snapshot.rows]
        self._rows = {str(r.transport_id): r for r in snapshot.rows}
        cells = {str(r.transport_id): view.row_cells(r, columns, self._since_for(r, now), now)
                 for r in snapshot.rows}
        if columns != self._columns or keys != self._keys:
            chosen = self.chosen_row()
            table.clear(columns=columns != self._columns)
            if columns != self._columns:
                for key, label, width in zip(columns.keys, columns.labels, columns.widths,
                                             strict=True):
                    table.add_column(Text(label, style="bold"), key=key, width=width)
            for key in keys:
                table.add_row(*cells[key], key=key)
            self._columns, self._keys = columns, keys
            self._restore_cursor(table, snapshot, chosen)
        else:
            for key in keys:
                for column, old, new in zip(columns.keys, self._cells[key], cells[key],
                                            strict=True):
                    if old != new:
                        table.update_cell(key, column, new)
        self._cells = cells

    def _restore_cursor(self, table: DataTable[Text], snapshot: Snapshot,
                        chosen: Row | None) -> None:
        """The same phone stays chosen when rows come and go (a phone back from its erase
        has a new transport but the same number)."""
        if chosen is None or not snapshot.rows:
            return
        for index, row in enumerate(snapshot.rows):
            same = (row.number is not None and row.number == chosen.number) or \
                row.transport_id == chosen.transport_id
            if same:
                table.move_cursor(row=index)
                return

    def _update_summary(self, snapshot: Snapshot) -> None:
        self.query_one("#summary", Static).update(
            view.summary_text(snapshot.summary, len(snapshot.rows)))
        notices = self.query_one("#notices", Static)
        stopping = self.station is not None and self.station.stop.is_set() and \
            not self._ended.is_set()
        text = view.notices_text(snapshot.notices)
        if stopping:
            text = Text("\n").join([t for t in (text,) if t.plain] + [Text(_(
                "Stopping: the phones' current steps are ending; everything done so far is "
                "kept in the inventory."), style="bold")])
        notices.update(text)
        notices.display = bool(text.plain)

    def _update_panel(self, now: float) -> None:
        row = self.chosen_row()
        since = self._since.get(row.transport_id, ((), now))[1] if row else None
        self.query_one("#panel", Static).update(view.panel(row, since, now))

    def chosen_row(self) -> Row | None:
        """The phone under the cursor (as last read from the board)."""
        if not self._keys:
            return None
        table = self.query_one("#phones", DataTable)
        index = table.cursor_row
        if not 0 <= index < len(self._keys):
            return None
        return self._rows.get(self._keys[index])

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._update_panel(time.monotonic())

    # -- the volunteer's keys ----------------------------------------------------------------
    def _answer(self, key: str) -> bool:
        """``key`` answers the chosen phone's question when it is one of its choices."""
        row = self.chosen_row()
        if row is None or row.ask is None or row.number is None or self.station is None:
            return False
        choice = next((c for c in row.ask.choices if c.key == key), None)
        if choice is None:
            return False
        if self.station.answer(row.number, choice.value, row.ask):
            self._say(_("#{number}: {answer}").format(
                number=row.number, answer=view.safe(choice.label)))
        return True

    def on_key(self, event: events.Key) -> None:
        if event.character and self._answer(event.character):
            event.stop()
            event.prevent_default()

    def action_find(self) -> None:
        if self._answer("f"):  # "f" is also a choice of some questions: the question wins
            return
        row = self.chosen_row()
        if row is None or row.number is None or self.station is None:
            return
        station, number = self.station, row.number

        def find() -> None:
            try:
                found = station.find(number)
            except Exception:  # a phone that went away meanwhile
                found = False
            self._say(_("#{number}: the screen lights up, it vibrates and shows its number.")
                      .format(number=number) if found else
                      _("#{number} cannot be reached now.").format(number=number),
                      "information" if found else "warning")

        threading.Thread(target=find, name="traomay-find", daemon=True).start()

    def action_next_person(self) -> None:
        """Tab: the next phone (after the chosen one) that waits for a person."""
        rows = [self._rows[k] for k in self._keys]
        if not rows:
            return
        table = self.query_one("#phones", DataTable)
        start = table.cursor_row
        for step in range(1, len(rows) + 1):
            index = (start + step) % len(rows)
            if rows[index].state == "person" or rows[index].ask is not None:
                table.move_cursor(row=index)
                return

    def action_quit_asked(self) -> None:
        if self._answer("q"):
            return
        if self.station is None:
            self.exit(Ending.NO_OPERATOR)
            return
        self.push_screen(QuitScreen(), self._quit_answered)

    def _quit_answered(self, stop: bool | None) -> None:
        if stop:
            self.stop_station(Ending.QUIT)

    def action_interrupt(self) -> None:
        """Ctrl-C: stop at once (no question); the station ends its steps cleanly."""
        if self.station is None:
            self.exit(Ending.INTERRUPTED)
            return
        self.stop_station(Ending.INTERRUPTED)

    def stop_station(self, ending: Ending) -> None:
        """Tell the station to stop; the screen closes when its workers have ended."""
        self.ending = ending
        if self.station is not None:
            self.station.stop.set()
        self._tick()

    def _say(self, text: str, severity: str = "information") -> None:
        with self._messages_lock:
            self._messages.append((text, severity))


def screen_text(app: App[Any]) -> str:
    """The screen as plain text, as a person sees it (screenshots for the README and the
    tests). Textual's own SVG export draws the same compositor output."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False,
                      safe_box=False)
    console.print(app.screen._compositor.render_update(  # noqa: SLF001 - as export_screenshot
        full=True, screen_stack=app._background_screens))  # noqa: SLF001
    return console.export_text()
