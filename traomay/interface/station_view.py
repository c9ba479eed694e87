"""What the station shows for its board, as rich ``Text`` (never markup strings): the cells of
a phone's row, the countdown or elapsed time of a wait, the question and steps of the chosen
phone, the summary line and the plain log lines. Shared by the full screen
(:mod:`traomay.interface.station_screen`) and ``traomay station --plain``.

Device strings (a phone's brand and model, anything a check quoted from the phone) reach the
terminal only through :func:`traomay.core.safe_text.for_terminal`, inside ``Text`` objects, so a
model named ``[bold red]X`` or holding escape sequences is shown as typed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from rich.console import Group
from rich.table import Table
from rich.text import Text

from traomay.core.i18n import _, render
from traomay.core.msg import N_, Msg
from traomay.core.safe_text import for_terminal
from traomay.interface import render as ui
from traomay.provision.station.board import Row, Snapshot, Summary

# The station's steps (traomay.provision.station.plan.StepKind values) as the volunteer
# reads them.
STAGE_LABELS = {
    "inspect": N_("checks"),
    "appearance": N_("appearance"),
    "origin": N_("origin"),
    "touch": N_("touch grid"),
    "call": N_("call test"),
    "remove_account": N_("Google account"),
    "maker_account": N_("maker account"),
    "erase": N_("erase"),
    "verify_erase": N_("erase check"),
    "install": N_("apps"),
    "recheck": N_("waiting checks"),
    "finalize": N_("finishing"),
    "done": N_("done"),
    "set_aside": N_("set aside"),
}

STATE_STYLE = {
    "working": "",
    "person": "bold yellow",
    "done": "bold green",
    "set_aside": "magenta",
    "gone": "dim",
    "problem": "bold red",
    "waiting_back": "cyan",
}

VERDICT_SHORT = {"pass": ("✓", "green"), "fail": ("✗", "red"), "incomplete": ("○", "yellow")}

# What a waiting check asks for, said short in the phone's row; the check's whole sentence is
# in the panel of the chosen phone. Keys: the checks' msgids (a test keeps them current).
SHORT_ACTIONS = {
    "No satellites received yet: take the phone to a window or outdoors, then check again":
        N_("take it to a window to get GPS"),
    "Plugged in ({source}) but the battery is draining: connect a wall charger, then check "
    "again": N_("connect a wall charger"),
    "Plug the charger in, then check again": N_("plug the charger in"),
    "Turn Bluetooth on in Settings, then check again": N_("turn Bluetooth on in Settings"),
    "Could not turn location on by command ({reason}): turn on Location in Settings, then "
    "check again": N_("turn Location on in Settings"),
    "Wi-Fi is on but found {count} networks: turn on a Wi-Fi hotspot near the phone, then "
    "check again": N_("turn on a Wi-Fi hotspot near the phone"),
}

NARROW_BELOW = 110  # columns: under this the row leaves out the step
WITH_ANDROID_FROM = 150  # columns: from this the row shows the Android version
WORKING = Msg("working…")


def safe(msg: Msg) -> str:
    """``msg`` translated, its arguments (perhaps from a phone) made safe for a terminal."""
    return render(ui.safe_msg(msg, 300))


def number_text(row: Row) -> Text:
    """``#N`` (the inventory id; ``id:N`` in every command), or ``t:N`` before the phone is
    identified (unauthorized, offline)."""
    label = f"#{row.number}" if row.number is not None else f"t:{row.transport_id}"
    return Text(label, style="bold")


def phone_text(row: Row, max_len: int = 40) -> Text:
    return Text(for_terminal(row.phone or row.adb_serial, max_len), no_wrap=True,
                overflow="ellipsis")


def stage_text(row: Row) -> Text:
    label = STAGE_LABELS.get(row.stage)
    return Text(render(Msg(label)) if label else for_terminal(row.stage, 20), style="dim")


def clock(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` past an hour)."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_text(row: Row, since: float | None, now: float | None = None,
                  narrow: bool = False) -> Text:
    """The row's own progress ("12/28"), then how long its wait has left (``⏳2:41``, from
    ``wait_until``) or, for a wait without a deadline, how long it has waited (``⌛0:42``,
    from ``since``, when the screen first saw the row in this state). ``narrow``: only the
    countdown when there is one."""
    now = time.monotonic() if now is None else now
    parts = [Text(for_terminal(row.progress, 12))] if row.progress else []
    if row.wait_until is not None:
        left = row.wait_until - now
        parts.append(Text("⏳" + clock(left), style="bold yellow" if left < 30 else "yellow"))
    elif since is not None and row.state in ("person", "waiting_back", "problem", "working"):
        parts.append(Text("⌛" + clock(now - since), style="dim"))
    if narrow and len(parts) > 1:
        parts = parts[-1:]
    return Text(" ").join(parts)


def verdict_text(row: Row, narrow: bool = False) -> Text:
    if not row.verdict:
        return Text("")
    if narrow and row.verdict in VERDICT_SHORT:
        symbol, style = VERDICT_SHORT[row.verdict]
        return Text(symbol, style=f"bold {style}")
    return ui.status_text(row.verdict)


def short(msg: Msg) -> Msg:
    """The row's words for ``msg`` (:data:`SHORT_ACTIONS`), else ``msg`` itself."""
    words = SHORT_ACTIONS.get(msg.msgid)
    return Msg(words) if words else msg


def action_text(row: Row) -> Text:
    """The one next thing the volunteer must do for this phone (what the station does
    meanwhile, dimmed, when it needs nobody)."""
    style = STATE_STYLE.get(row.state, "")
    if row.action is None:
        return Text(render(WORKING) if row.state == "working" else "", style="dim")
    text = safe(short(row.action))
    if row.state == "working":
        style = "dim"
    if row.ask is not None:  # the keys first: they stay visible when the text is cut
        keys = "/".join(c.key for c in row.ask.choices)
        return Text.assemble((f"[{keys}] ", "bold cyan"), (text, style))
    return Text(text, style=style)


@dataclass(frozen=True)
class Columns:
    """The columns of the station's table for a terminal width."""

    keys: tuple[str, ...]
    labels: tuple[str, ...]
    widths: tuple[int | None, ...]

    @property
    def narrow(self) -> bool:
        return "stage" not in self.keys


def columns_for(width: int) -> Columns:
    """Narrow (80 columns): # | phone | time | result (a symbol) | next thing to do; the step
    and Android version are in the panel of the chosen phone. Wide: # | phone | step |
    progress | result | next thing to do; from 150 columns Android too. The last column
    takes what is left."""
    if width < NARROW_BELOW:
        keys: tuple[str, ...] = ("number", "phone", "progress", "verdict", "action")
        labels: tuple[str, ...] = ("#", _("Phone"), "⏱", "", _("Next thing to do"))
        fixed: tuple[int, ...] = (3, 18, 7, 1)
    else:
        keys = ("number", "phone", "stage", "progress", "verdict", "action")
        labels = ("#", _("Phone"), _("Step"), _("Progress"), _("Result"), _("Next thing to do"))
        fixed = (4, 22, 16, 11, 9)
        if width >= WITH_ANDROID_FROM:
            keys, labels = keys[:2] + ("android",) + keys[2:], labels[:2] + ("Android",) + \
                labels[2:]
            fixed = fixed[:2] + (7,) + fixed[2:]
    # Every column has one space of padding on each side; the scroll bar takes 2 more.
    rest = max(20, width - sum(fixed) - 2 * len(keys) - 2)
    return Columns(keys, labels, (*fixed, rest))


def row_cells(row: Row, columns: Columns, since: float | None,
              now: float | None = None) -> list[Text]:
    make = {
        "number": lambda: number_text(row),
        "phone": lambda: phone_text(row),
        "android": lambda: Text(for_terminal(row.android, 8)),
        "stage": lambda: stage_text(row),
        "progress": lambda: progress_text(row, since, now, columns.narrow),
        "verdict": lambda: verdict_text(row, columns.narrow),
        "action": lambda: action_text(row),
    }
    cells = [make[key]() for key in columns.keys]
    for cell in cells:
        cell.no_wrap, cell.overflow = True, "ellipsis"
    return cells


def summary_text(summary: Summary, phones: int) -> Text:
    """``Đạt 10 · Không đạt 4 · Chờ người 3 · Đang chạy 0 · Xong 14 (17 máy)``."""
    sep = (" · ", "dim")
    return Text.assemble(
        (_("Passed {n}").format(n=summary.passed), "bold green"), sep,
        (_("Failed {n}").format(n=summary.failed), "bold red" if summary.failed else "red"), sep,
        (_("Need a person {n}").format(n=summary.waiting),
         "bold yellow" if summary.waiting else "yellow"), sep,
        (_("Working {n}").format(n=summary.working), ""), sep,
        (_("Done {n}").format(n=summary.done), "green"), " ",
        (_("({n} phones)").format(n=phones), "dim"))


def notices_text(notices: Iterable[Msg], last: int = 2) -> Text:
    """The station's latest notices (a hub that lost power, a phone not erased)."""
    shown = list(notices)[-last:]
    return Text("\n").join(Text("⚠ " + safe(n), style="bold") for n in shown)


def panel_text(row: Row | None, since: float | None, now: float | None = None) -> Text:
    """The chosen phone: what it is, its step and wait, its question with the keys that
    answer it, or its action (the waiting check's own sentence under its short words)."""
    if row is None:
        return Text(_("No phone yet. Plug phones into the hub, unlock them and tap Allow."),
                    style="dim")
    head = Text.assemble(number_text(row), " ", phone_text(row, 60))
    if row.android:
        head.append(f"  Android {for_terminal(row.android, 8)}", style="dim")
    if row.stage:
        head.append("  · ", style="dim").append(stage_text(row))
    progress = progress_text(row, since, now)
    if progress.plain:
        head.append("  ").append(progress)
    lines = [head]
    if row.ask is not None:
        lines.append(Text(safe(row.ask.prompt), style="bold yellow"))
        lines.append(Text("   ").join(
            Text.assemble((f"[{c.key}]", "bold cyan"), " ", safe(c.label))
            for c in row.ask.choices))
    elif row.action is not None:
        lines.append(Text("→ " + safe(short(row.action)),
                          style=STATE_STYLE.get(row.state) or "bold"))
        if short(row.action) != row.action:
            lines.append(Text("  " + safe(row.action)))
    if row.wait_until is not None:
        left = clock(row.wait_until - (time.monotonic() if now is None else now))
        then = (_("Waiting {left} more; then the station checks again.") if row.stage == "recheck"
                else _("Waiting {left} more; then the station asks again."))
        lines.append(Text(then.format(left=left), style="dim"))
    return Text("\n").join(lines)


def steps_table(row: Row | None) -> Table | None:
    """The steps behind the chosen phone's action, numbered, each wrapped under itself."""
    if row is None or not row.detail:
        return None
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", style="bold", no_wrap=True)
    grid.add_column(ratio=1)
    for i, step in enumerate(row.detail, 1):
        grid.add_row(f" {i}.", Text(safe(step)))
    return grid


def panel(row: Row | None, since: float | None, now: float | None = None) -> Group:
    """The panel under the table: :func:`panel_text`, then :func:`steps_table`."""
    parts: list[Text | Table] = [panel_text(row, since, now)]
    steps = steps_table(row)
    if steps is not None:
        parts.append(steps)
    return Group(*parts)


KEYS_HELP = N_("↑↓ choose a phone · the keys in [ ] answer its question · Tab: next phone "
               "waiting for a person · f: find the phone · q: quit")


# -- the plain log and the summary table --------------------------------------------------------

def plain_signature(row: Row) -> tuple[object, ...]:
    """What makes a new line in the plain log (not the ticking countdown or progress)."""
    return (row.number, row.phone, row.state, row.stage, row.verdict,
            row.action.msgid if row.action else None,
            tuple(sorted((k, str(v)) for k, v in row.action.args.items())) if row.action
            else (), row.ask.kind if row.ask else None)


def plain_line(row: Row) -> str:
    """``#3 samsung Galaxy A55 · kiểm tra · ĐẠT · rút máy: xong`` (one line, escaped)."""
    label = f"#{row.number}" if row.number is not None else f"t:{row.transport_id}"
    parts = [f"{label} {for_terminal(row.phone or row.adb_serial, 40)}"]
    if row.stage:
        parts.append(stage_text(row).plain)
    if row.verdict:
        parts.append(ui.status_text(row.verdict).plain)
    action = row.action if row.action is not None else (WORKING if row.state == "working"
                                                        else None)
    if action is not None:
        parts.append(safe(action))
    if row.wait_until is not None:
        parts.append(_("waits {left}").format(left=clock(row.wait_until - time.monotonic())))
    line = " · ".join(parts)
    if row.ask is not None:
        line += "  " + "  ".join(f"[{c.key}] {safe(c.label)}" for c in row.ask.choices)
    return line


def summary_table(snapshot: Snapshot) -> Table:
    """The end of ``traomay station --once``: every phone, its result, what it waits for."""
    rows = []
    for row in snapshot.rows:
        rows.append([number_text(row), phone_text(row), Text(for_terminal(row.android, 8)),
                     verdict_text(row), Text(safe(row.action)) if row.action else Text("")])
    return ui.table(_("Station"), ["#", _("Phone"), "Android", _("Result"),
                                   _("Next thing to do")], rows)


def exit_failed(snapshot: Snapshot) -> bool:
    """``--once`` exits 1 when a phone failed (set aside) or is stuck on a problem (not
    authorized, a step that did not complete); phones that passed or wait for a person
    exit 0 (README, exit codes)."""
    return any(r.verdict == "fail" or r.state == "problem" for r in snapshot.rows)
