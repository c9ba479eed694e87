"""How an export line is written fast, and vouched for: SQLite writes each phone's cells as
one JSON array, Python turns blocks of them into CSV or JSON lines where that gives exactly
what the exact formatters write (csv with :func:`csv_row`, or ``for_json``), and names the
lines it cannot vouch for (:func:`finish`) so they are written the exact way.

The queries that select the cells are in :mod:`traomay.outputs.export`.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from traomay.core.safe_text import for_csv, for_json

# What a column can hold decides how the fast formats below treat it.
ID = "id"  # devices.id: always an integer
TEXT = "text"  # a TEXT column: text or NULL (a blob only in a damaged or forged file)
NUMBER = "number"  # devices.imei_count: an integer, but INTEGER affinity keeps anything
MADE = "made"  # computed here: text or NULL


@dataclass(frozen=True)
class Cell:
    sql: str
    kind: str


# -- writing: SQLite writes the lines, Python vouches for them --------------------------
# Reading 100 000 phones cell by cell into Python and formatting them there takes seconds
# (about a microsecond a cell, each way). So SQLite writes each phone's cells as one JSON
# array (json_array: C, each cell read once, whatever JSON must escape escaped), and Python
# turns a block of arrays at a time into CSV or JSON lines with a few passes in C over
# their bytes, only where the result is exactly what the exact formatter (csv with
# :func:`csv_row`, or :func:`for_json`) writes: every line whose text has no quote,
# backslash, control or hiding character and no cell that looks like a formula. A block
# that cannot be vouched for is tried line by line; the few lines left are formatted from
# their cells, read again in the same snapshot. Lines stay UTF-8 bytes, as SQLite has them
# and as the file wants them.


def _guard(cells: list[Cell], *, blobs: bool) -> str:
    """SQL: true when a cell cannot go into a JSON array as it is: a real (SQLite writes 15
    digits, Python its repr) and, with ``blobs``, a blob (refused by the JSON functions, or
    since SQLite 3.45 maybe read as JSONB; ``>= X''`` holds for blobs only, which sort after
    every text)."""
    odd = [f"typeof({c.sql}) = 'real'" for c in cells if c.kind == NUMBER]
    if blobs:
        odd += [f"{c.sql} >= X''" for c in cells if c.kind in (TEXT, NUMBER)]
    return " OR ".join(odd) or "0"


# Looking for blobs costs a tenth of the export. SQLite before 3.45 refuses a blob in a JSON
# function: the lines are read without looking and, on that error, again with the guard.
# From 3.45 on a blob may be read as JSONB (no error): the guard is always on.
BLOBS_REFUSED = sqlite3.sqlite_version_info < (3, 45)


class LineFormat:
    """One output format: the fast line in SQL, its check in Python, the exact way."""

    sep = b"\r\n"  # between two lines in the file

    def __init__(self, cols: tuple[str, ...]) -> None:
        self.cols = cols

    @staticmethod
    def line(cells: list[Cell], *, blobs: bool) -> str:
        """SQL: the phone's cells as a JSON array in UTF-8 bytes, or NULL (see _guard)."""
        values = ", ".join(c.sql for c in cells)
        array = f"CAST(json_array({values}) AS BLOB)"
        return f"CASE WHEN {_guard(cells, blobs=blobs)} THEN NULL ELSE {array} END"

    def block(self, lines: list[bytes]) -> bytes | None:
        """The arrays as the exact way writes them, joined with ``sep``; None when that
        cannot be vouched for every one."""
        raise NotImplementedError

    def slow(self, row: tuple[Any, ...]) -> bytes:
        """The exact way, from the phone's cells."""
        raise NotImplementedError


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode()
    except UnicodeDecodeError:  # the exact way reports the damaged text
        return None


def _mark_commas(data: bytes) -> bytes:
    """JSON arrays in which nothing is escaped, with every comma inside a text made the
    byte 01 (JSON escapes it: none is there): a comma left separates two values. Every
    quote opens or closes a text: the texts are every other piece between quotes."""
    pieces = data.split(b'"')
    pieces[1::2] = b"\x00".join(pieces[1::2]).replace(b",", b"\x01").split(b"\x00")
    return b'"'.join(pieces)


# A text value that begins with = + - @, their full-width forms or a space, as it shows in
# a JSON array: after its opening quote (every quote there is one when none is escaped).
_FORMULA_START = re.compile(b'"(?:[=+\\-@ ]|\xef\xbc[\x9d\x8b\x8d\xa0])')
# A text that had a comma (see _mark_commas): csv.writer quotes it. Its quotes become \x02
# (JSON escapes it too) to stay while the others go.
_COMMA_TEXT = re.compile(b'"([^"\x01]*\x01[^"]*)"')
_UNMARK = bytes.maketrans(b"\x01\x02", b',"')


class CsvLines(LineFormat):
    def block(self, lines: list[bytes]) -> bytes | None:
        """From JSON arrays, the CSV lines csv.writer writes for the cells made safe with
        ``for_csv``, when: nothing is escaped (no quote, backslash or control character in
        any cell: csv.writer would quote or for_csv change them), none begins as a formula
        might (the space too: for_csv looks past spaces), all are printable (for_csv changes
        none) and none is longer than for_csv keeps."""
        joined = b"".join(lines)
        if (max(map(len, lines)) > 2000 or b"\\" in joined
                or _FORMULA_START.search(joined)):
            return None
        text = _utf8(joined)
        if text is None or not text.isprintable():
            return None
        rows = [line[1:-1] for line in lines]  # [a,b] -> a,b
        commas = len(self.cols) - 1  # in a row, between its cells
        body = b"\n" + b"\r\n".join(rows)
        if body.count(b",") != len(rows) * commas:  # a text with a comma: mark those rows
            rows = [row if row.count(b",") == commas
                    else _COMMA_TEXT.sub(b"\x02\\1\x02", _mark_commas(row)) for row in rows]
            body = b"\n" + b"\r\n".join(rows)
            if body.count(b",") != len(rows) * commas:
                return None
        # A null is the word after a comma or a line's start (a text is quoted); the
        # quotes left are JSON's, and go.
        body = body.replace(b",null", b",").replace(b"\nnull", b"\n")
        return body[1:].translate(_UNMARK, b'"')

    def slow(self, row: tuple[Any, ...]) -> bytes:
        out = io.StringIO()
        csv.writer(out).writerow(csv_row(row))
        return out.getvalue()[:-2].encode()  # without the line end


class JsonLines(LineFormat):
    sep = b",\n"

    def __init__(self, cols: tuple[str, ...]) -> None:
        super().__init__(cols)
        assert all(c.isidentifier() for c in cols)  # names need no escaping
        # json.dumps's layout: ": " after a name, ", " between pairs.
        self.template = ("{" + ", ".join(f'"{c}": %s' for c in cols) + "}").encode()

    def block(self, lines: list[bytes]) -> bytes | None:
        """From JSON arrays, the lines ``for_json`` writes, when: nothing is escaped (SQLite
        and Python agree on JSON escapes, but the values are split on commas), none holds
        a character for_json escapes (C1 controls, U+200E/F, U+2028-202E, U+2066-2069: all
        begin with the UTF-8 byte C2 or E2), and all are UTF-8."""
        joined = b"\n".join(lines)
        if (b"\\" in joined or b"\xc2" in joined or b"\xe2" in joined
                or _utf8(joined) is None):
            return None
        commas = len(self.cols) - 1  # in an array, between its values
        marked = joined.count(b",") != len(lines) * commas  # a text with a comma
        if marked:
            lines = [line if line.count(b",") == commas else _mark_commas(line)
                     for line in lines]
            if b"".join(lines).count(b",") != len(lines) * commas:
                return None
        block = self.sep.join([self.template % tuple(line[1:-1].split(b","))
                               for line in lines])
        return block.replace(b"\x01", b",") if marked else block

    def slow(self, row: tuple[Any, ...]) -> bytes:
        return for_json(dict(zip(self.cols, row, strict=True)), indent=None).encode()


def finish(fmt: LineFormat, found: list[tuple[int, bytes | None]]) -> list[bytes | int]:
    """The lines SQLite wrote, finished: blocks of lines, and for each line only the exact
    way can write (NULL, or one the block cannot vouch for, line by line), the phone's id."""
    out: list[bytes | int] = []
    run: list[tuple[int, bytes]] = []

    def flush() -> None:
        block = fmt.block([line for _, line in run]) if run else None
        if block is not None:
            out.append(block)
        else:
            for row_id, line in run:
                block = fmt.block([line])
                out.append(row_id if block is None else block)
        run.clear()

    for row_id, line in found:
        if line is None:
            flush()
            out.append(row_id)
        else:
            run.append((row_id, line))
    flush()
    return out


CHUNK = 50  # lines in a block: one a block cannot take costs the block line by line


_FORMULA = frozenset("=+-@ \uff1d\uff0b\uff0d\uff20")


def csv_row(row: tuple[Any, ...]) -> list[Any]:
    """Every text cell made safe (device text, and another station's): for_csv on each
    cell, skipped for a row whose text is all printable with no cell that could start a
    formula (a fast path; the result is the same)."""
    texts = [v for v in row if type(v) is str]
    joined = "".join(texts)
    if (len(joined) <= 2000 and joined.isprintable()
            and not any(v[:1] in _FORMULA for v in texts if v)):
        return ["" if v is None else v for v in row]
    return [for_csv(v) if type(v) is str else ("" if v is None else v) for v in row]
