"""The inventory as a person reads it: views in Vietnamese for Datasette or a spreadsheet.

SQL cannot call gettext, so the Vietnamese comes from two places, each chosen for what it
holds:

- **Fixed words** (statuses, verdicts, stages, check names) live in the ``vocabulary``
  table (kind, key, vi, en), filled from the message catalog. The views join it, so a
  corrected translation reaches old rows too: the store refreshes the table (and the views)
  whenever this code's words differ from the inventory's (:func:`refresh`).
- **Sentences with arguments** (a check's summary: "Battery lasts about {hours} h") are
  rendered in Vietnamese when the row is written (``check_results.summary_vi``): a
  translation table cannot fill ``{hours}``. The English msgid and its arguments stay in
  ``summary`` (JSON), so every language can still be rendered later.

Device text inside the arguments is made safe (control characters and escape sequences
removed) before it is rendered into the stored sentence.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeVar

from sqlite_utils import Database

from traomay.checks.registry import CHECK_LABELS
from traomay.core.i18n import render_in
from traomay.core.msg import N_, Msg
from traomay.core.safe_text import for_terminal

if TYPE_CHECKING:
    from traomay.inventory.store import Inventory

T = TypeVar("T")


def snapshot(inventory: Inventory, fn: Callable[[], T]) -> T:
    """Run ``fn`` (queries on ``inventory.db``) in one read transaction: every query sees the
    same inventory even while stations write; a damaged file is an InventoryError (exit 7).
    What the outputs layer reads with."""
    return inventory._read(fn)  # noqa: SLF001 - the inventory package's own transaction

# The phone's stage in devices.stage, in the order of the flow (the same names as
# traomay.provision.session.STAGES; a test keeps them equal).
STAGE_LABELS: Mapping[str, str] = {
    "identified": N_("Identified"),
    "inspected": N_("Inspected"),
    "reset": N_("Factory reset done"),
    "installed": N_("Apps installed"),
    "finalized": N_("Ready for hand-over"),
}
STATUS_LABELS: Mapping[str, str] = {
    "pass": N_("Passed"),
    "fail": N_("Failed"),
    "needs_operator": N_("Needs a person"),
    "error": N_("Could not be determined"),
    "skipped": N_("Skipped"),
    "missing": N_("Not checked yet"),
}
VERDICT_LABELS: Mapping[str, str] = {
    "pass": N_("Passed"),
    "fail": N_("Failed"),
    "incomplete": N_("Not finished"),
}
ENTRY_LABELS: Mapping[str, str] = {
    "adb": N_("Over USB (adb)"),
    "manual": N_("Entered by hand"),
}
VOCABULARY: Mapping[str, Mapping[str, str]] = {
    "stage": STAGE_LABELS,
    "status": STATUS_LABELS,
    "verdict": VERDICT_LABELS,
    "entry": ENTRY_LABELS,
    "check": CHECK_LABELS,
}

# Times in the views are shown in Vietnam's time (UTC+7, no summer time).
_VN = "'+7 hours'"

VIEWS: Mapping[str, str] = {
    # One row per phone: what it is, where it stands, who gave it.
    "phones": f"""
SELECT d.id AS "Mã máy (id)", d.uid AS "Mã toàn cục", d.station AS "Trạm",
  d.brand AS "Hãng", d.model AS "Kiểu máy", d.marketing_name AS "Tên thương mại",
  d.android_version AS "Android", d.serial AS "Số sê-ri", ve.vi AS "Cách nhập",
  vs.vi AS "Giai đoạn", vv.vi AS "Kết quả",
  i.donor_unit AS "Đơn vị vận động", i.receipt_no AS "Số biên nhận",
  strftime('%Y-%m-%d %H:%M', i.at, {_VN}) AS "Ngày nhận",
  strftime('%Y-%m-%d %H:%M', d.first_seen, {_VN}) AS "Lần đầu thấy",
  strftime('%Y-%m-%d %H:%M', d.last_seen, {_VN}) AS "Lần cuối thấy"
FROM devices d
LEFT JOIN vocabulary vs ON vs.kind = 'stage' AND vs.key = d.stage
LEFT JOIN vocabulary vv ON vv.kind = 'verdict' AND vv.key = d.verdict
LEFT JOIN vocabulary ve ON ve.kind = 'entry' AND ve.key = d.entry
LEFT JOIN intakes i ON i.device_id = d.id""",
    # Every check result, newest last, with its Vietnamese summary.
    "check_results_readable": f"""
SELECT c.device_id AS "Mã máy (id)", d.brand AS "Hãng", d.model AS "Kiểu máy",
  COALESCE(vc.vi, c.check_name) AS "Hạng mục", COALESCE(vst.vi, c.status) AS "Kết quả",
  c.summary_vi AS "Chi tiết", strftime('%Y-%m-%d %H:%M', c.at, {_VN}) AS "Thời điểm",
  r.station AS "Trạm", r.kind AS "Lần chạy", c.check_name AS check_name,
  c.status AS status
FROM check_results c
JOIN runs r ON r.id = c.run_id
LEFT JOIN devices d ON d.id = c.device_id
LEFT JOIN vocabulary vc ON vc.kind = 'check' AND vc.key = c.check_name
LEFT JOIN vocabulary vst ON vst.kind = 'status' AND vst.key = c.status""",
    # Receipts (mẫu số 1) as recorded.
    "intakes_readable": f"""
SELECT i.receipt_no AS "Số biên nhận", strftime('%Y-%m-%d %H:%M', i.at, {_VN}) AS "Ngày nhận",
  i.donor_unit AS "Đơn vị vận động", i.donor_name AS "Người tặng",
  i.donor_phone AS "Điện thoại người tặng", d.id AS "Mã máy (id)", d.brand AS "Hãng",
  d.model AS "Kiểu máy", i.note AS "Tình trạng, ghi chú", i.received_by AS "Người nhận",
  i.station AS "Trạm"
FROM intakes i LEFT JOIN devices d ON d.id = i.device_id""",
}


def safe_args(msg: Msg) -> Msg:
    """The message with its (possibly device-supplied) arguments made safe to show."""
    return Msg(msg.msgid, {k: v if isinstance(v, (int, float)) else for_terminal(v, 300)
                           for k, v in msg.args.items()})


def render_vi(msg: Msg) -> str:
    """The Vietnamese text kept in the inventory for ``msg``."""
    return render_in(safe_args(msg), "vi")


def summary_vi(summary_json: str | None) -> str:
    """A stored summary (Msg JSON) rendered in Vietnamese; "" when it cannot be read."""
    try:
        return render_vi(Msg.from_json(json.loads(summary_json or "{}")))
    except (ValueError, TypeError, AttributeError):
        return ""


def vocabulary_rows() -> list[dict[str, str]]:
    rows = []
    for kind, labels in VOCABULARY.items():
        for key, msgid in labels.items():
            rows.append({"kind": kind, "key": key, "vi": render_in(Msg(msgid), "vi"),
                         "en": msgid})
    return rows


def fingerprint(rows: list[dict[str, str]] | None = None) -> str:
    """What the vocabulary and the views are in this code (stored in ``meta``)."""
    data = json.dumps([rows if rows is not None else vocabulary_rows(), dict(VIEWS)],
                      ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def stored_fingerprint(db: Database) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = 'readable'").fetchone()
    return None if row is None else str(row[0])


def rewrite(db: Database, rows: list[dict[str, str]], mark: str) -> None:
    """Replace the vocabulary and the views (inside the caller's write transaction)."""
    db.execute("DELETE FROM vocabulary")
    db.conn.executemany("INSERT INTO vocabulary(kind, key, vi, en) VALUES (?, ?, ?, ?)",
                        [(r["kind"], r["key"], r["vi"], r["en"]) for r in rows])
    for name, sql in VIEWS.items():
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(f"CREATE VIEW {name} AS {sql}")
    db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('readable', ?)", [mark])
