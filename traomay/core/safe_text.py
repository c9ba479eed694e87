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


# Also their full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20), which some spreadsheet
# programs fold to the ASCII ones.
_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def for_csv(text: object) -> str:
    """A cell Excel will not run as a formula (CSV injection, OWASP): control characters
    go (tab and CR become spaces), and a cell whose first visible character is = + - @
    gets a leading '. Leading spaces do not hide a formula."""
    s = "" if text is None else str(text)
    if not (s.isprintable() and len(s) <= 2000):  # printable: for_terminal changes nothing
        s = for_terminal(s, max_len=2000)
    if s.lstrip().startswith(_CSV_FORMULA_START):
        return "'" + s
    return s


# JSON escapes C0 controls itself; these it leaves raw: C1 controls (U+0080-U+009F, e.g.
# U+009B, a one-character terminal escape), bidi overrides/isolates and line/paragraph
# separators, which reorder or break a line when the JSON is printed or logged.
_JSON_UNSAFE = re.compile("[\u0080-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e"
                          "\u2066-\u2069]")


def for_json(data: object, indent: int | None = 2) -> str:
    """JSON text: Vietnamese stays readable, characters that hide or reorder text are
    escaped (\\uXXXX), so the file shows what it holds."""
    import json

    text = json.dumps(data, ensure_ascii=False, indent=indent, default=str)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
