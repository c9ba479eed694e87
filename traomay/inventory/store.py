"""The station's SQLite inventory (sqlite-utils). Every write is one transaction: a crash
or an unplugged phone never leaves a half-written record. All SQL is parameterised."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import sys
import threading
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.db import NotFoundError

from traomay.core.errors import DeviceError, InventoryError
from traomay.core.msg import Msg
from traomay.core.results import CheckResult
from traomay.inventory.migrations import migrations


class DeviceNotInInventory(DeviceError):
    """The inventory has no (or more than one) phone matching what was asked."""


def default_db_path() -> Path:
    """``$TRAOMAY_DB``, else the per-user data folder:
    Windows ``%LOCALAPPDATA%\\traomay\\inventory.sqlite``, elsewhere
    ``$XDG_DATA_HOME/traomay/inventory.sqlite`` (``~/.local/share/...``)."""
    explicit = os.environ.get("TRAOMAY_DB")
    if explicit:
        return Path(explicit)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "traomay" / "inventory.sqlite"


def default_station() -> str:
    return os.environ.get("TRAOMAY_STATION") or socket.gethostname() or "station"


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class DeviceRecord:
    id: int
    device_key: str
    created: bool


class Inventory:
    """One station's inventory. Safe to share between worker threads (one writer lock)."""

    def __init__(self, path: Path | str, station: str | None = None) -> None:
        self.path = Path(path)
        self.station = station or default_station()
        self._lock = threading.RLock()
        conn = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
            self.db = Database(conn)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            with self._lock:
                migrations.apply(self.db)
        except (sqlite3.Error, OSError) as exc:
            if conn is not None:
                conn.close()  # Windows keeps a file locked while a connection is open
            raise InventoryError(
                Msg("Cannot open the inventory {path}: check the path and that no other "
                    "program holds it.", {"path": str(self.path)}), detail=str(exc)) from exc

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> Inventory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self, fn):
        with self._lock:
            try:
                return fn()
            except (sqlite3.Error, NotFoundError, zlib.error, ValueError) as exc:
                raise InventoryError(
                    Msg("Could not read the inventory {path}: it may be damaged or in use by "
                        "another program.", {"path": str(self.path)}), detail=str(exc)) from exc

    def _write(self, fn):
        with self._lock:
            try:
                with self.db.atomic():
                    return fn()
            except (sqlite3.Error, NotFoundError) as exc:
                raise InventoryError(
                    Msg("Could not write to the inventory {path}; nothing was changed.",
                        {"path": str(self.path)}), detail=str(exc)) from exc

    # -- devices -----------------------------------------------------------------------
    def find_device_id(self, keys: Iterable[str]) -> int | None:
        return self._read(lambda: self._find_device_id(keys))

    def _find_device_id(self, keys: Iterable[str]) -> int | None:
        for key in keys:
            row = self.db.execute(
                "SELECT device_id FROM device_keys WHERE key = ?", [key]).fetchone()
            if row:
                return int(row[0])
        return None

    def record_seen(self, identity_json: Mapping[str, Any], keys: list[str]) -> DeviceRecord:
        """File a phone under the first of ``keys`` already known (else create it), add the
        other keys as aliases, update its identity, and append a ``seen`` event."""
        if not keys:
            raise InventoryError(Msg("This phone reports no serial, IMEI or Android ID; it "
                                     "cannot be recorded automatically."))
        now = utc_now()
        fields = {
            k: identity_json.get(k)
            for k in ("brand", "manufacturer", "model", "marketing_name", "device",
                      "android_version", "sdk", "serial")
        }
        fields["abis"] = ",".join(identity_json.get("abis") or [])
        fields["imei_count"] = len(identity_json.get("imeis") or [])

        def write() -> DeviceRecord:
            device_id = self._find_device_id(keys)
            created = device_id is None
            if created:
                device_id = self.db["devices"].insert(
                    {**fields, "device_key": keys[0], "first_seen": now, "last_seen": now,
                     "station": self.station}).last_pk
            else:
                self.db["devices"].update(device_id, {**fields, "last_seen": now})
            for key in keys:
                self.db.execute(
                    "INSERT OR IGNORE INTO device_keys(key, device_id, added_at, reason) "
                    "VALUES (?, ?, ?, ?)", [key, device_id, now, "identify"])
            self._event(device_id, "seen", {"created": created}, now)
            key = self.db["devices"].get(device_id)["device_key"]
            return DeviceRecord(int(device_id), key, created)

        return self._write(write)

    def add_aliases(self, device_id: int, keys: Iterable[str], reason: str) -> None:
        """File more keys under a known phone (e.g. its new android_id after a reset)."""
        now = utc_now()

        def write() -> None:
            for key in keys:
                self.db.execute(
                    "INSERT OR IGNORE INTO device_keys(key, device_id, added_at, reason) "
                    "VALUES (?, ?, ?, ?)", [key, device_id, now, reason])

        self._write(write)

    def device(self, device_id: int) -> dict[str, Any]:
        return self._read(lambda: dict(self.db["devices"].get(device_id)))

    def resolve_device(self, selector: str) -> int:
        """``id:N`` or a serial that names exactly one phone in the inventory."""
        return self._read(lambda: self._resolve_device(selector))

    def _resolve_device(self, selector: str) -> int:
        sel = selector.strip()
        if sel.lower().startswith("id:") and sel[3:].isdigit():
            row = self.db.execute("SELECT id FROM devices WHERE id = ?", [int(sel[3:])]).fetchone()
            ids = [int(row[0])] if row else []
        else:
            ids = [int(r[0]) for r in self.db.execute(
                "SELECT id FROM devices WHERE serial = ? ORDER BY id", [sel]).fetchall()]
        if not ids:
            raise DeviceNotInInventory(Msg(
                "No phone {selector} in the inventory {path}.",
                {"selector": sel, "path": str(self.path)}))
        if len(ids) > 1:
            raise DeviceNotInInventory(Msg(
                "Several phones in the inventory have serial {selector}; use one of: {ids}.",
                {"selector": sel, "ids": ", ".join(f"id:{i}" for i in ids)}))
        return ids[0]

    def devices(self) -> list[dict[str, Any]]:
        return self._read(lambda: [dict(r) for r in self.db["devices"].rows_where(order_by="id")])

    def set_device_fields(self, device_id: int, **values: Any) -> None:
        self._write(lambda: self.db["devices"].update(device_id, values))

    # -- events ------------------------------------------------------------------------
    def _event(self, device_id: int | None, kind: str, data: Mapping[str, Any], at: str) -> None:
        self.db["events"].insert({"device_id": device_id, "station": self.station, "at": at,
                                  "kind": kind, "data": json.dumps(dict(data), ensure_ascii=False)})

    def add_event(self, device_id: int | None, kind: str,
                  data: Mapping[str, Any] | None = None) -> None:
        self._write(lambda: self._event(device_id, kind, data or {}, utc_now()))

    def events(self, device_id: int) -> list[dict[str, Any]]:
        return self._read(lambda: [dict(r) for r in self.db["events"].rows_where(
            "device_id = ?", [device_id], order_by="id")])

    # -- check runs --------------------------------------------------------------------
    def record_run(self, device_id: int, kind: str, started_at: str,
                   results: list[CheckResult], raw_outputs: Mapping[str, str],
                   round_trips: int) -> int:
        """One inspection/recheck with all its results, in one transaction."""
        raw = zlib.compress(json.dumps(dict(raw_outputs), ensure_ascii=False).encode("utf-8"), 6)
        now = utc_now()

        def write() -> int:
            run_id = self.db["runs"].insert({
                "device_id": device_id, "station": self.station, "kind": kind,
                "started_at": started_at, "finished_at": now, "round_trips": round_trips,
                "raw_outputs": raw}).last_pk
            self.db["check_results"].insert_all([{
                "run_id": run_id, "device_id": device_id, "check_name": r.name,
                "status": r.status.value,
                "summary": json.dumps(r.summary.to_json(), ensure_ascii=False),
                "measurements": json.dumps(dict(r.measurements), ensure_ascii=False, default=str),
                "at": now} for r in results])
            self._event(device_id, kind, {"run_id": run_id,
                                          "checks": [r.name for r in results]}, now)
            return int(run_id)

        return self._write(write)

    def latest_results(self, device_id: int) -> dict[str, dict[str, Any]]:
        """The newest result of each check for a phone (what its verdict is computed from)."""
        return self._read(lambda: self._latest_results(device_id))

    def _latest_results(self, device_id: int) -> dict[str, dict[str, Any]]:
        rows = self.db.execute(
            "SELECT c.* FROM check_results c JOIN (SELECT check_name, MAX(id) AS id "
            "FROM check_results WHERE device_id = ? GROUP BY check_name) m ON c.id = m.id "
            "ORDER BY c.id", [device_id]).fetchall()
        cols = [d[0] for d in self.db.execute("SELECT * FROM check_results LIMIT 0").description]
        out = {}
        for row in rows:
            rec = dict(zip(cols, row, strict=True))
            rec["summary"] = Msg.from_json(json.loads(rec["summary"]))
            rec["measurements"] = json.loads(rec["measurements"])
            out[rec["check_name"]] = rec
        return out

    def raw_outputs(self, run_id: int) -> dict[str, str]:
        return self._read(lambda: json.loads(
            zlib.decompress(self.db["runs"].get(run_id)["raw_outputs"]).decode("utf-8")))
