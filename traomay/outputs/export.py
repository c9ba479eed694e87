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

import csv
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


def _query(sel: Selection, *, personal: bool, local_times: bool,
           lang: str) -> tuple[str, list[Any]]:
    """One query for the whole export: labels from the vocabulary table, the failed
    criteria (newest result of each criterion, by time) with group_concat."""
    lab = "en" if lang == "en" else "vi"

    def t(col: str) -> str:
        return f"strftime('%Y-%m-%d %H:%M', {col}, '+7 hours')" if local_times else col

    where, args = [], []
    if sel.status is not Status.all:
        where.append("d.verdict = ?")
        args.append(_VERDICT[sel.status])
    if sel.since is not None:
        # Phones seen or received since that day (midnight in Vietnam, as UTC text).
        start = datetime(sel.since.year, sel.since.month, sel.since.day, tzinfo=VN_TZ)
        iso = start.astimezone(timezone.utc).isoformat(timespec="milliseconds")
        where.append("(d.last_seen >= ? OR i.at >= ?)")
        args += [iso, iso]
    order = "d.last_seen DESC, d.id DESC" if sel.limit else "d.id"
    filters = "WHERE " + " AND ".join(where) if where else ""
    personal_cols = ", i.donor_name, i.donor_phone" if personal else ""
    if sel.limit:  # the newest few: pick them first, then their failed criteria
        picked = f"""picked AS (SELECT d.id FROM devices d LEFT JOIN intakes i
  ON i.device_id = d.id {filters} ORDER BY {order} LIMIT {int(sel.limit)}),"""
        source = "picked p JOIN devices d ON d.id = p.id"
        failed = "SELECT p.id FROM picked p JOIN devices d ON d.id = p.id WHERE d.verdict = 'fail'"
        filters = ""
    else:
        picked, source = "", "devices d"
        failed = "SELECT id FROM devices WHERE verdict = 'fail'"
    sql = f"""
WITH {picked}
latest AS (
  SELECT device_id, check_name, status, MAX(at) FROM check_results
  WHERE device_id IN ({failed}) GROUP BY device_id, check_name),
failing AS (
  SELECT l.device_id, group_concat(COALESCE(v.{lab}, l.check_name), '; ') AS names
  FROM latest l LEFT JOIN vocabulary v ON v.kind = 'check' AND v.key = l.check_name
  WHERE l.status = 'fail' GROUP BY l.device_id)
SELECT d.uid, d.id, d.station, d.entry, d.brand, d.manufacturer, d.model, d.marketing_name,
  d.android_version, d.serial, d.imei_count, d.stage, COALESCE(vs.{lab}, d.stage), d.verdict,
  COALESCE(vv.{lab}, d.verdict), COALESCE(f.names, ''), {t('i.at')}, i.receipt_no,
  i.donor_unit, (SELECT c.id FROM certificates c WHERE c.device_id = d.id
                 AND c.revoked_at IS NULL ORDER BY c.issued_at DESC LIMIT 1),
  {t('d.first_seen')}, {t('d.last_seen')}{personal_cols}
FROM {source}
LEFT JOIN intakes i ON i.device_id = d.id
LEFT JOIN vocabulary vs ON vs.kind = 'stage' AND vs.key = d.stage
LEFT JOIN vocabulary vv ON vv.kind = 'verdict' AND vv.key = d.verdict
LEFT JOIN failing f ON f.device_id = d.id
{filters}
ORDER BY {order}"""
    return sql, args


def rows(inventory: Inventory, sel: Selection = Selection(), *, personal: bool = False,
         local_times: bool = True, lang: str = FORM_LANGUAGE) -> list[tuple[Any, ...]]:
    """The selected phones, one tuple each in the order of :func:`columns`."""
    sql, args = _query(sel, personal=personal, local_times=local_times, lang=lang)
    return readable.snapshot(inventory,  # one snapshot of the whole inventory
                             lambda: inventory.db.execute(sql, args).fetchall())


def as_dicts(found: list[tuple[Any, ...]], personal: bool = False) -> list[dict[str, Any]]:
    cols = columns(personal)
    return [dict(zip(cols, row, strict=True)) for row in found]


def columns(personal: bool = False) -> tuple[str, ...]:
    return COLUMNS + (PERSONAL_COLUMNS if personal else ())


def write_csv(inventory: Inventory, path: Path, sel: Selection = Selection(), *,
              personal: bool = False, lang: str = FORM_LANGUAGE) -> int:
    """Write the CSV; returns the number of phones."""
    data = rows(inventory, sel, personal=personal, lang=lang)
    with _target(path) as tmp:
        with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns(personal))
            writer.writerows(_csv_row(row) for row in data)
    return len(data)


def write_json(inventory: Inventory, path: Path, sel: Selection = Selection(), *,
               personal: bool = False, lang: str = FORM_LANGUAGE) -> int:
    """Write ``{"schema", "generator", "generated_at", "station", "columns", "phones"}``,
    one phone per line; returns the number of phones."""
    data = rows(inventory, sel, personal=personal, local_times=False, lang=lang)
    cols = columns(personal)
    head = {"schema": 1, "generator": f"traomay {__version__}", "generated_at": utc_now(),
            "station": inventory.station, "columns": list(cols)}
    with _target(path) as tmp:
        with tmp.open("w", encoding="utf-8", newline="\n") as fh:
            fh.write(for_json(head, indent=None)[:-1] + ', "phones": [\n')
            for i, row in enumerate(data):
                fh.write(("" if i == 0 else ",\n")
                         + for_json(dict(zip(cols, row, strict=True)), indent=None))
            fh.write("\n]}\n")
    return len(data)


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
