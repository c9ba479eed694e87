"""The inventory for the district: CSV (Excel) and JSON with one stable set of columns,
and the phone list ``traomay list`` shows.

Columns (README, "CSV columns"): :data:`COLUMNS`, in this order, never renamed; new
columns are only ever added at the end. Personal data (the donor's name and phone number
now, the household's with allocation) is left out unless asked (``personal=True``).

CSV: UTF-8 with a byte-order mark (Excel then reads Vietnamese correctly), comma-separated,
times in Vietnam's time ``YYYY-MM-DD HH:MM``; every text cell goes through
``safe_text.for_csv`` (a cell beginning with = + - @ cannot run as a formula; tabs and
line breaks become spaces). JSON: the same fields, times as stored (ISO 8601, UTC), hiding
characters escaped.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any

from traomay import __version__
from traomay.core.errors import TraomayError, UsageError
from traomay.core.msg import Msg
from traomay.core.safe_text import for_csv, for_json
from traomay.inventory import readable
from traomay.inventory.store import Inventory, utc_now
from traomay.outputs.forms import FORM_LANGUAGE, VN_TZ

COLUMNS: tuple[str, ...] = (
    "phone_uid",  # unique across stations (UUID)
    "inventory_id",  # id:N at the station that exported
    "station",  # the station that first recorded the phone
    "entry",  # adb | manual
    "brand", "manufacturer", "model", "marketing_name", "android_version", "serial",
    "imei_count",
    "stage",  # identified | inspected | reset | installed | finalized
    "stage_label",  # the same in words (the export's language)
    "verdict",  # pass | fail | incomplete
    "verdict_label",
    "failed_criteria",  # the criteria a failed phone fails, in words, "; " between
    "received_at",  # intake time
    "receipt_no",
    "donor_unit",
    "certificate_id",  # the phone's valid certificate, if any
    "first_seen",
    "last_seen",
)
PERSONAL_COLUMNS: tuple[str, ...] = ("donor_name", "donor_phone")
_TIMES = ("received_at", "first_seen", "last_seen")


class Status(str, Enum):
    passed = "passed"
    failed = "failed"
    incomplete = "incomplete"
    all = "all"


_VERDICT = {Status.passed: "pass", Status.failed: "fail", Status.incomplete: "incomplete"}


@dataclass(frozen=True)
class Selection:
    """Which phones: a verdict, phones active since a day, at most ``limit`` (newest)."""

    status: Status = Status.all
    since: date | None = None
    limit: int | None = None


def parse_since(text: str | None) -> date | None:
    """``YYYY-MM-DD`` (UsageError otherwise)."""
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(Msg("'{value}' is not a date: write YYYY-MM-DD (for example "
                             "2024-06-21).", {"value": text})) from None


# -- the query -----------------------------------------------------------------------------
# The failed criteria of a failed phone: the newest result of each criterion, by time, is a
# fail. "Newest" as SQLite's MAX(at) picks it over the index idx_check_results_latest
# (device_id, check_name, at, status), which is what this export has always written: among
# results as new, the first in the index (status, then id; NULL first); for a criterion with
# no time at all, the last. Asked of each failed phone on its own (a correlated subquery
# over the index), so a short selection costs only its own phones. A result ``n`` of the
# same criterion comes after ``c`` in that order when:
_AFTER = """(c.at IS NOT NULL AND (n.at > c.at OR (n.at = c.at AND (n.status IS NULL
      OR n.status < c.status OR (n.status = c.status AND n.id < c.id)))))
    OR (c.at IS NULL AND (n.at IS NOT NULL OR n.status > c.status
      OR (n.status = c.status AND n.id > c.id)))"""

# What a column can hold decides how the fast formats below treat it.
_ID = "id"  # devices.id: always an integer
_TEXT = "text"  # a TEXT column: text or NULL (a blob only in a damaged or forged file)
_NUMBER = "number"  # devices.imei_count: an integer, but INTEGER affinity keeps anything
_MADE = "made"  # computed here: text or NULL


@dataclass(frozen=True)
class _Cell:
    sql: str
    kind: str


_ODD = "char(1)"  # a value the fast lines cannot take; JSON escapes it: the exact way then


class _Words:
    """The vocabulary's words for stages, verdicts and checks in one language (a few dozen
    rows), read once and written into the query as CASE expressions with parameters: the
    same as joining the table, without a lookup for every phone."""

    def __init__(self, inventory: Inventory, lang: str) -> None:
        lab = "en" if lang == "en" else "vi"
        self.words = inventory.db.execute(
            f"SELECT kind, key, {lab} FROM vocabulary "
            "WHERE kind IN ('stage', 'verdict', 'check')").fetchall()
        self.params: dict[str, Any] = {}
        for i, (_kind, key, label) in enumerate(self.words):
            self.params[f"k{i}"], self.params[f"l{i}"] = key, label

    def label(self, kind: str, expr: str) -> str:
        """SQL: the word for ``expr`` (a key of ``kind``), else ``expr`` itself."""
        cases = " ".join(f"WHEN :k{i} THEN :l{i}"
                         for i, (k, _key, _label) in enumerate(self.words) if k == kind)
        return f"COALESCE(CASE {expr} {cases} END, {expr})" if cases else expr


def _cells(words: _Words, *, local_times: bool, personal: bool, fast: bool = False
           ) -> list[_Cell]:
    """The SQL of every column, in the order of :func:`columns`. ``fast``: for the fast
    formats, which take no blob (a certificate id that is one becomes char(1))."""

    def time(col: str) -> _Cell:
        if not local_times:
            return _Cell(col, _TEXT)
        if fast:  # datetime's fixed format costs less; the same text except before year 0,
            # where strftime writes -001 for -0001: such a cell begins with "-" and goes the
            # exact way.
            return _Cell(f"substr(datetime({col}, '+7 hours'), 1, 16)", _MADE)
        return _Cell(f"strftime('%Y-%m-%d %H:%M', {col}, '+7 hours')", _MADE)

    failing = f"""CASE WHEN d.verdict = 'fail' THEN COALESCE((
  SELECT group_concat({words.label("check", "c.check_name")}, '; ') FROM check_results c
  WHERE c.device_id = d.id AND c.status = 'fail' AND NOT EXISTS (
    SELECT 1 FROM check_results n WHERE n.device_id = c.device_id
      AND n.check_name = c.check_name AND ({_AFTER}))), '') ELSE '' END"""
    cert = f"CASE WHEN c.id >= X'' THEN {_ODD} ELSE c.id END" if fast else "c.id"
    certificate = f"""(SELECT {cert} FROM certificates c WHERE c.device_id = d.id
  AND c.revoked_at IS NULL ORDER BY c.issued_at DESC LIMIT 1)"""
    text = [_Cell(f"d.{col}", _TEXT) for col in (
        "brand", "manufacturer", "model", "marketing_name", "android_version", "serial")]
    cells = [_Cell("d.uid", _TEXT), _Cell("d.id", _ID), _Cell("d.station", _TEXT),
             _Cell("d.entry", _TEXT), *text, _Cell("d.imei_count", _NUMBER),
             _Cell("d.stage", _TEXT), _Cell(words.label("stage", "d.stage"), _TEXT),
             _Cell("d.verdict", _TEXT), _Cell(words.label("verdict", "d.verdict"), _TEXT),
             _Cell(failing, _MADE), time("i.at"), _Cell("i.receipt_no", _TEXT),
             _Cell("i.donor_unit", _TEXT), _Cell(certificate, _MADE), time("d.first_seen"),
             time("d.last_seen")]
    if personal:
        cells += [_Cell("i.donor_name", _TEXT), _Cell("i.donor_phone", _TEXT)]
    return cells


def _query(sel: Selection, select: str, params: dict[str, Any], *,
           only: list[int] | None = None) -> tuple[str, dict[str, Any]]:
    """One query for the whole export: ``select`` (over ``d`` devices and ``i`` intakes,
    with ``params``) for the selected phones, in order; with ``only``, just the phones with
    those ids."""
    where, args = [], dict(params)
    if sel.status is not Status.all:
        where.append("d.verdict = :verdict")
        args["verdict"] = _VERDICT[sel.status]
    if sel.since is not None:
        # Phones seen or received since that day (midnight in Vietnam, as UTC text).
        start = datetime(sel.since.year, sel.since.month, sel.since.day, tzinfo=VN_TZ)
        where.append("(d.last_seen >= :since OR i.at >= :since)")
        args["since"] = start.astimezone(timezone.utc).isoformat(timespec="milliseconds")
    order = "d.last_seen DESC, d.id DESC" if sel.limit else "d.id"
    picked, source = "", "devices d"
    if sel.limit:  # the newest few: pick them first, then read their columns
        filters = "WHERE " + " AND ".join(where) if where else ""
        picked = f"""WITH picked AS (SELECT d.id FROM devices d LEFT JOIN intakes i
  ON i.device_id = d.id {filters} ORDER BY {order} LIMIT {int(sel.limit)})"""
        source = "picked p JOIN devices d ON d.id = p.id"
        where = []
    if only is not None:
        where.append("d.id IN (SELECT value FROM json_each(:only))")
        args["only"] = json.dumps(only)
    filters = "WHERE " + " AND ".join(where) if where else ""
    sql = f"""{picked}
SELECT {select}
FROM {source}
LEFT JOIN intakes i ON i.device_id = d.id
{filters}
ORDER BY {order}"""
    return sql, args


def rows(inventory: Inventory, sel: Selection = Selection(), *, personal: bool = False,
         local_times: bool = True, lang: str = FORM_LANGUAGE) -> list[tuple[Any, ...]]:
    """The selected phones, one tuple each in the order of :func:`columns`."""

    def read() -> list[tuple[Any, ...]]:
        words = _Words(inventory, lang)
        cells = _cells(words, local_times=local_times, personal=personal)
        sql, args = _query(sel, ", ".join(c.sql for c in cells), words.params)
        return inventory.db.execute(sql, args).fetchall()

    return readable.snapshot(inventory, read)  # one snapshot of the whole inventory


def as_dicts(found: list[tuple[Any, ...]], personal: bool = False) -> list[dict[str, Any]]:
    cols = columns(personal)
    return [dict(zip(cols, row, strict=True)) for row in found]


def columns(personal: bool = False) -> tuple[str, ...]:
    return COLUMNS + (PERSONAL_COLUMNS if personal else ())


# -- writing: SQLite writes the lines, Python vouches for them --------------------------
# Reading 100 000 phones cell by cell into Python and formatting them there takes seconds
# (about a microsecond a cell, each way). So SQLite writes each phone's cells as one JSON
# array (json_array: C, each cell read once, whatever JSON must escape escaped), and Python
# turns a block of arrays at a time into CSV or JSON lines with a few passes in C over
# their bytes, only where the result is exactly what the exact formatter (csv with
# :func:`_csv_row`, or :func:`for_json`) writes: every line whose text has no quote,
# backslash, control or hiding character and no cell that looks like a formula. A block
# that cannot be vouched for is tried line by line; the few lines left are formatted from
# their cells, read again in the same snapshot. Lines stay UTF-8 bytes, as SQLite has them
# and as the file wants them.


def _guard(cells: list[_Cell], *, blobs: bool) -> str:
    """SQL: true when a cell cannot go into a JSON array as it is: a real (SQLite writes 15
    digits, Python its repr) and, with ``blobs``, a blob (refused by the JSON functions, or
    since SQLite 3.45 maybe read as JSONB; ``>= X''`` holds for blobs only, which sort after
    every text)."""
    odd = [f"typeof({c.sql}) = 'real'" for c in cells if c.kind == _NUMBER]
    if blobs:
        odd += [f"{c.sql} >= X''" for c in cells if c.kind in (_TEXT, _NUMBER)]
    return " OR ".join(odd) or "0"


# Looking for blobs costs a tenth of the export. SQLite before 3.45 refuses a blob in a JSON
# function: the lines are read without looking and, on that error, again with the guard.
# From 3.45 on a blob may be read as JSONB (no error): the guard is always on.
_BLOBS_REFUSED = sqlite3.sqlite_version_info < (3, 45)


class _Format:
    """One output format: the fast line in SQL, its check in Python, the exact way."""

    sep = b"\r\n"  # between two lines in the file

    def __init__(self, cols: tuple[str, ...]) -> None:
        self.cols = cols

    @staticmethod
    def line(cells: list[_Cell], *, blobs: bool) -> str:
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


class _Csv(_Format):
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
        csv.writer(out).writerow(_csv_row(row))
        return out.getvalue()[:-2].encode()  # without the line end


class _Json(_Format):
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


def _finish(fmt: _Format, found: list[tuple[int, bytes | None]]) -> list[bytes | int]:
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


def _blocks(inventory: Inventory, sel: Selection, fmt: _Format, *, personal: bool,
            local_times: bool, lang: str) -> tuple[list[bytes], int]:
    """The selected phones' lines, exactly as ``fmt.slow`` writes them, in blocks of lines
    joined with ``fmt.sep``; and how many phones."""

    def read() -> tuple[list[bytes], int]:
        words = _Words(inventory, lang)
        fast = _cells(words, local_times=local_times, personal=personal, fast=True)

        def fetch(*, blobs: bool) -> list[tuple[int, bytes | None]]:
            sql, args = _query(sel, f"d.id, {fmt.line(fast, blobs=blobs)}", words.params)
            return inventory.db.execute(sql, args).fetchall()

        try:
            found = fetch(blobs=not _BLOBS_REFUSED)
        except sqlite3.OperationalError:  # "JSON cannot hold BLOB values"
            if not _BLOBS_REFUSED:
                raise
            found = fetch(blobs=True)
        blocks: list[bytes | int] = []  # an int: the id of a phone to write the exact way
        for start in range(0, len(found), _CHUNK):
            blocks += _finish(fmt, found[start:start + _CHUNK])
        redo = [b for b in blocks if isinstance(b, int)]
        again: dict[int, bytes] = {}
        if redo:
            exact = _cells(words, local_times=local_times, personal=personal)
            sql, args = _query(sel, ", ".join(c.sql for c in exact), words.params, only=redo)
            again = {row[1]: fmt.slow(row) for row in inventory.db.execute(sql, args)}
        return [again[b] if isinstance(b, int) else b for b in blocks], len(found)

    return readable.snapshot(inventory, read)  # one snapshot: the lines and their redo


_CHUNK = 50  # lines in a block: one a block cannot take costs the block line by line


def write_csv(inventory: Inventory, path: Path, sel: Selection = Selection(), *,
              personal: bool = False, lang: str = FORM_LANGUAGE) -> int:
    """Write the CSV; returns the number of phones."""
    cols = columns(personal)
    fmt = _Csv(cols)
    blocks, count = _blocks(inventory, sel, fmt, personal=personal, local_times=True,
                            lang=lang)
    head = io.StringIO()
    csv.writer(head).writerow(cols)
    with _target(path) as tmp:
        with tmp.open("wb") as fh:  # UTF-8 with a byte-order mark, as "utf-8-sig" writes
            fh.write(codecs.BOM_UTF8 + head.getvalue().encode())
            for block in blocks:
                fh.write(block + fmt.sep)
    return count


def write_json(inventory: Inventory, path: Path, sel: Selection = Selection(), *,
               personal: bool = False, lang: str = FORM_LANGUAGE) -> int:
    """Write ``{"schema", "generator", "generated_at", "station", "columns", "phones"}``,
    one phone per line; returns the number of phones."""
    cols = columns(personal)
    fmt = _Json(cols)
    blocks, count = _blocks(inventory, sel, fmt, personal=personal, local_times=False,
                            lang=lang)
    head = {"schema": 1, "generator": f"traomay {__version__}", "generated_at": utc_now(),
            "station": inventory.station, "columns": list(cols)}
    with _target(path) as tmp:
        with tmp.open("wb") as fh:
            fh.write((for_json(head, indent=None)[:-1] + ', "phones": [\n').encode())
            fh.write(fmt.sep.join(blocks))
            fh.write(b"\n]}\n")
    return count


_FORMULA = frozenset("=+-@ \uff1d\uff0b\uff0d\uff20")


def _csv_row(row: tuple[Any, ...]) -> list[Any]:
    """Every text cell made safe (device text, and another station's): for_csv on each
    cell, skipped for a row whose text is all printable with no cell that could start a
    formula (a fast path; the result is the same)."""
    texts = [v for v in row if type(v) is str]
    joined = "".join(texts)
    if (len(joined) <= 2000 and joined.isprintable()
            and not any(v[:1] in _FORMULA for v in texts if v)):
        return ["" if v is None else v for v in row]
    return [for_csv(v) if type(v) is str else ("" if v is None else v) for v in row]


class _target:
    """Write to a temporary file beside ``path``, then replace it: never half a file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.tmp")

    def __enter__(self) -> Path:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(Msg("Cannot write {path}: check the folder exists and is "
                                  "writable.", {"path": str(self.path)}),
                              detail=str(exc)) from None
        return self.tmp

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if exc is not None:
            self.tmp.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise ExportError(Msg("Cannot write {path}: check the folder exists and is "
                                      "writable.", {"path": str(self.path)}),
                                  detail=str(exc)) from None
            return
        try:
            self.tmp.replace(self.path)
        except OSError as exc2:
            self.tmp.unlink(missing_ok=True)
            raise ExportError(Msg("Cannot write {path}: check the folder exists and is "
                                  "writable.", {"path": str(self.path)}),
                              detail=str(exc2)) from None


class ExportError(TraomayError):
    """A file could not be written."""


def count_all(inventory: Inventory) -> int:
    return readable.snapshot(inventory, lambda: int(
        inventory.db.execute("SELECT count(*) FROM devices").fetchone()[0]))
