"""Terminal rendering (rich). The only place that draws tables; the core never prints.

Every device string goes through safe_text.for_terminal and into rich ``Text`` objects, so
a model name like ``[bold]x`` or one holding escape sequences is shown, not interpreted.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from traomay.core.i18n import _, render
from traomay.core.msg import Msg
from traomay.core.results import Status
from traomay.core.safe_text import for_terminal

STATUS_STYLE = {
    "pass": "green",
    "fail": "red",
    "needs_operator": "yellow",
    "error": "magenta",
    "skipped": "dim",
    "incomplete": "yellow",
}


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def cell(value: object, style: str = "", max_len: int = 200) -> Text:
    return Text(for_terminal(value, max_len=max_len), style=style)


def line(value: object, style: str = "") -> Text:
    """A whole message line (our own sentence, perhaps with a phone's name in it)."""
    return cell(value, style, max_len=1000)


def phone_name(identity: object) -> str:
    """"samsung Galaxy A55" — brand and the name people know, from untrusted props."""
    brand = str(getattr(identity, "brand", "") or "")
    name = str(getattr(identity, "marketing_name", "") or getattr(identity, "model", ""))
    if brand and name.lower().startswith(brand.lower()):
        return for_terminal(name, 60)
    return for_terminal(f"{brand} {name}".strip(), 60)


def phone_with_model(identity: object) -> str:
    """"samsung Galaxy A55 (SM-A5560)"; the model is left out when it is the name."""
    name = phone_name(identity)
    model = for_terminal(getattr(identity, "model", "") or "", 40)
    return name if not model or model in name else f"{name} ({model})"


def msg_cell(msg: Msg, style: str = "") -> Text:
    args = {k: for_terminal(v) for k, v in msg.args.items()}
    return Text(render(Msg(msg.msgid, args)), style=style)


def check_label(name: str) -> Text:
    from traomay.checks.registry import CHECK_LABELS

    return Text(render(Msg(CHECK_LABELS[name])) if name in CHECK_LABELS else for_terminal(name))


def status_text(status: str | Status) -> Text:
    value = status.value if isinstance(status, Status) else str(status)
    labels = {
        "pass": _("PASS"),
        "fail": _("FAIL"),
        "needs_operator": _("NEEDS A PERSON"),
        "error": _("ERROR"),
        "skipped": _("SKIPPED"),
        "incomplete": _("INCOMPLETE"),
    }
    return Text(labels.get(value, value), style=STATUS_STYLE.get(value, ""))


NARROW = 100  # below this many columns, tables take their compact layout


class ResponsiveTable(Table):
    """A table that takes a compact layout when drawn narrower than :data:`NARROW`
    columns (an 80-column terminal, a Windows console): no side borders, less padding,
    the columns given as ``narrow_drop`` left out and shorter headings."""

    def __init__(self, title: str, columns: Sequence[str], rows: list[list[Text]],
                 narrow_drop: Sequence[int] = (),
                 narrow_labels: Mapping[int, str] | None = None) -> None:
        super().__init__(title=Text(for_terminal(title, 300)), title_justify="left",
                         show_lines=False)
        for col in columns:
            self.add_column(Text(for_terminal(col, 100)), overflow="fold")
        for row in rows:
            self.add_row(*row)
        self._spec = (title, list(columns), rows, tuple(narrow_drop), dict(narrow_labels or {}))

    def compact(self) -> Table:
        """The narrow layout of the same rows."""
        title, columns, rows, drop, labels = self._spec
        keep = [i for i in range(len(columns)) if i not in drop]
        t = Table(title=Text(for_terminal(title, 300)), title_justify="left",
                  box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1))
        for i in keep:
            t.add_column(Text(for_terminal(labels.get(i, columns[i]), 100)), overflow="fold")
        for row in rows:
            t.add_row(*[row[i] for i in keep if i < len(row)])
        return t

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if options.max_width < NARROW:
            yield self.compact()
            return
        yield from super().__rich_console__(console, options)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        if options.max_width < NARROW:
            return Measurement.get(console, options, self.compact())
        return super().__rich_measure__(console, options)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Text | str]], *,
          narrow_drop: Sequence[int] = (),
          narrow_labels: Mapping[int, str] | None = None) -> Table:
    """A table of device text made safe; compact when the terminal is narrow (see
    :class:`ResponsiveTable`: ``narrow_drop`` are column indexes to leave out there,
    ``narrow_labels`` shorter headings by index)."""
    # Text, not str: rich would read "[...]" in a phone's name as markup.
    cells = [[r if isinstance(r, Text) else cell(r) for r in row] for row in rows]
    return ResponsiveTable(title, columns, cells, narrow_drop, narrow_labels)


def say(msg: Msg, style: str = "") -> None:
    """One message line for the volunteer (device text in the args is escaped)."""
    console().print(msg_cell(msg, style))


# JSON escapes C0 controls itself; these it leaves raw: C1 controls (U+0080-U+009F, e.g.
# U+009B, a one-character terminal escape), bidi overrides/isolates and line/paragraph
# separators, which reorder or break a terminal line when the JSON is printed or logged.
_JSON_UNSAFE = re.compile("[\u0080-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e"
                          "\u2066-\u2069]")


def json_text(data: object) -> str:
    """``--json`` output: Vietnamese stays readable, hiding characters are escaped."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def print_json(data: object) -> None:
    sys.stdout.write(json_text(data) + "\n")


def print_error(message: Msg, exit_code: int, detail: str = "") -> None:
    err = console(stderr=True)
    err.print(Text(_("Error: ") + render(safe_msg(message, 800)), style="bold red"))
    if detail:
        err.print(Text(for_terminal(detail, max_len=400), style="dim"))
    err.print(Text(_("(exit code {code})").format(code=exit_code), style="dim"))


def safe_msg(message: Msg, max_len: int = 200) -> Msg:
    return Msg(message.msgid, {k: for_terminal(v, max_len) for k, v in message.args.items()})


def clock_text(seconds: float) -> str:
    """14:05 or 1:02:03 (time left on a countdown)."""
    total = max(0, int(seconds + 0.5))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Countdown:
    """The screen side of a library wait (``on_wait(msg, seconds_left)``): what is awaited,
    the time left, and how to stop. On a terminal it is one line redrawn in place; piped
    (a log, a test), a line is written when the message changes and every ``every``
    seconds. ``say`` prints a message line without breaking the countdown line."""

    def __init__(self, every: float = 30.0) -> None:
        self.con = console()
        self.every = every
        self._live: object | None = None
        self._last: tuple[str, float] | None = None

    def text(self, msg: Msg, seconds_left: float) -> Text:
        left = clock_text(seconds_left)
        return Text(render(safe_msg(msg, 400)) + " "
                    + _("({time} left; Ctrl-C to stop)").format(time=left), style="cyan")

    def __call__(self, msg: Msg, seconds_left: float) -> None:
        import time

        text = self.text(msg, seconds_left)
        if self.con.is_terminal:
            if self._live is None:
                from rich.live import Live

                self._live = Live(text, console=self.con, refresh_per_second=4,
                                  transient=True)
                self._live.start()  # type: ignore[attr-defined]
            else:
                self._live.update(text)  # type: ignore[attr-defined]
            return
        now = time.monotonic()
        if self._last is None or self._last[0] != msg.msgid or now - self._last[1] >= self.every:
            self._last = (msg.msgid, now)
            self.con.print(text)

    def say(self, msg: Msg, style: str = "") -> None:
        self.con.print(msg_cell(msg, style))

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()  # type: ignore[attr-defined]
            self._live = None

    def __enter__(self) -> Countdown:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


_STOP_SAID: list[bool] = []  # a command already said what Ctrl-C left behind


@contextmanager
def stopped_by_ctrl_c(kept: Msg) -> Iterator[None]:
    """Ctrl-C inside: say what was kept (``kept``), then end the command with exit 130."""
    try:
        yield
    except KeyboardInterrupt:
        import typer

        console(stderr=True).print(msg_cell(kept, "bold yellow"))
        _STOP_SAID.append(True)
        raise typer.Exit(130) from None


def stop_was_said() -> bool:
    """Whether :func:`stopped_by_ctrl_c` told the volunteer what Ctrl-C left behind."""
    return bool(_STOP_SAID)
