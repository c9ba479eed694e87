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
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any

from traomay import __version__
from traomay.core.errors import TraomayError, UsageError
from traomay.core.msg import Msg
from traomay.core.safe_text import for_json
from traomay.inventory import readable
from traomay.inventory.store import Inventory, utc_now
from traomay.outputs import export_lines
from traomay.outputs.export_lines import (
    ID,
    MADE,
    NUMBER,
    TEXT,
    Cell,
    CsvLines,
    JsonLines,
    LineFormat,
    finish,
)
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
           ) -> list[Cell]:
    """The SQL of every column, in the order of :func:`columns`. ``fast``: for the fast
    formats, which take no blob (a certificate id that is one becomes char(1))."""

    def time(col: str) -> Cell:
        if not local_times:
            return Cell(col, TEXT)
        if fast:  # datetime's fixed format costs less; the same text except before year 0,
            # where strftime writes -001 for -0001: such a cell begins with "-" and goes the
            # exact way.
            return Cell(f"substr(datetime({col}, '+7 hours'), 1, 16)", MADE)
        return Cell(f"strftime('%Y-%m-%d %H:%M', {col}, '+7 hours')", MADE)

    failing = f"""CASE WHEN d.verdict = 'fail' THEN COALESCE((
  SELECT group_concat({words.label("check", "c.check_name")}, '; ') FROM check_results c
  WHERE c.device_id = d.id AND c.status = 'fail' AND NOT EXISTS (
    SELECT 1 FROM check_results n WHERE n.device_id = c.device_id
      AND n.check_name = c.check_name AND ({_AFTER}))), '') ELSE '' END"""
    cert = f"CASE WHEN c.id >= X'' THEN {_ODD} ELSE c.id END" if fast else "c.id"
    certificate = f"""(SELECT {cert} FROM certificates c WHERE c.device_id = d.id
  AND c.revoked_at IS NULL ORDER BY c.issued_at DESC LIMIT 1)"""
    text = [Cell(f"d.{col}", TEXT) for col in (
        "brand", "manufacturer", "model", "marketing_name", "android_version", "serial")]
    cells = [Cell("d.uid", TEXT), Cell("d.id", ID), Cell("d.station", TEXT),
             Cell("d.entry", TEXT), *text, Cell("d.imei_count", NUMBER),
             Cell("d.stage", TEXT), Cell(words.label("stage", "d.stage"), TEXT),
             Cell("d.verdict", TEXT), Cell(words.label("verdict", "d.verdict"), TEXT),
             Cell(failing, MADE), time("i.at"), Cell("i.receipt_no", TEXT),
             Cell("i.donor_unit", TEXT), Cell(certificate, MADE), time("d.first_seen"),
             time("d.last_seen")]
    if personal:
        cells += [Cell("i.donor_name", TEXT), Cell("i.donor_phone", TEXT)]
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




def _blocks(inventory: Inventory, sel: Selection, fmt: LineFormat, *, personal: bool,
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
            found = fetch(blobs=not export_lines.BLOBS_REFUSED)
        except sqlite3.OperationalError:  # "JSON cannot hold BLOB values"
            if not export_lines.BLOBS_REFUSED:
                raise
            found = fetch(blobs=True)
        blocks: list[bytes | int] = []  # an int: the id of a phone to write the exact way
        for start in range(0, len(found), export_lines.CHUNK):
            blocks += finish(fmt, found[start:start + export_lines.CHUNK])
        redo = [b for b in blocks if isinstance(b, int)]
        again: dict[int, bytes] = {}
        if redo:
            exact = _cells(words, local_times=local_times, personal=personal)
            sql, args = _query(sel, ", ".join(c.sql for c in exact), words.params, only=redo)
            again = {row[1]: fmt.slow(row) for row in inventory.db.execute(sql, args)}
        return [again[b] if isinstance(b, int) else b for b in blocks], len(found)

    return readable.snapshot(inventory, read)  # one snapshot: the lines and their redo




def write_csv(inventory: Inventory, path: Path, sel: Selection = Selection(), *,
              personal: bool = False, lang: str = FORM_LANGUAGE) -> int:
    """Write the CSV; returns the number of phones."""
    cols = columns(personal)
    fmt = CsvLines(cols)
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
    fmt = JsonLines(cols)
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
