"""Device strings are untrusted: a stranger's phone chooses its model name, props and dumps.

These helpers make such text safe for one destination each. SQL never needs one: every
query is parameterised (sqlite-utils).
"""

from __future__ import annotations

import re

# C0/C1 controls (incl. ESC, which starts terminal escape sequences), DEL, and the Unicode
# bidi overrides/isolates that can make text display in a different order than stored.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)?")


def for_terminal(text: object, max_len: int = 200) -> str:
    """One line of printable text: escape sequences and control characters removed,
    newlines and tabs folded to spaces, long text cut with an ellipsis."""
    s = "" if text is None else str(text)
    s = _ANSI.sub("", s)
    s = s.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    s = _UNSAFE.sub("\ufffd", s)
    if len(s) > max_len:
        s = s[: max_len - 1] + "\u2026"
    return s


_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def for_csv(text: object) -> str:
    """A cell Excel will not run as a formula (CSV injection): a leading = + - @ gets a '."""
    s = for_terminal(text, max_len=2000)
    if s.startswith(_CSV_FORMULA_START):
        return "'" + s
    return s
