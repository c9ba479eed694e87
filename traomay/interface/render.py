"""Terminal rendering (rich). The only place that draws tables; the core never prints.

Every device string goes through safe_text.for_terminal and into rich ``Text`` objects, so
a model name like ``[bold]x`` or one holding escape sequences is shown, not interpreted.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Sequence

from rich.console import Console
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


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Text | str]]) -> Table:
    # Text, not str: rich would read "[...]" in a phone's name as markup.
    t = Table(title=Text(for_terminal(title, 300)), title_justify="left", show_lines=False)
    for col in columns:
        t.add_column(Text(for_terminal(col, 100)), overflow="fold")
    for row in rows:
        t.add_row(*[r if isinstance(r, Text) else cell(r) for r in row])
    return t


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
