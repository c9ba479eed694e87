"""The station's SQLite inventory (sqlite-utils). Every write is one transaction: a crash
or an unplugged phone never leaves a half-written record. All SQL is parameterised.

Several processes share one inventory (one ``traomay inspect`` per phone on a hub). In WAL
mode a deferred ``BEGIN`` that reads and then writes fails at once with SQLITE_BUSY when
another process committed in between (the busy timeout never applies to that), so the
connection runs with ``isolation_level=None`` (the sqlite3 module opens no transaction
behind our back) and every write starts with ``BEGIN IMMEDIATE``, which takes the write
lock first and waits for it up to the busy timeout. sqlite-utils' ``atomic()`` inside it
becomes a savepoint. A write that still finds the inventory locked is retried a few times
with a growing pause before it is reported (exit 7); each attempt is all or nothing."""

from __future__ import annotations

import contextlib
import json
import os
import random
import socket
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database
from sqlite_utils.db import NotFoundError

# DeviceNotInInventory lives in core.errors; imported here so store.DeviceNotInInventory
# (what resolve_device raises) is the same class callers catch.
from traomay.core.campaign import CampaignFolder, find_folder
from traomay.core.errors import DeviceNotInInventory, InventoryError
from traomay.core.msg import Msg
from traomay.core.results import CheckResult
from traomay.inventory import readable
from traomay.inventory.campaign_key import (
    key_check,
    key_path_for,
    keyed,
    load_or_create_key,
    read_key,
)
from traomay.inventory.migrations import SchemaState, apply_pending, schema_state

T = TypeVar("T")

# How long SQLite itself waits for another process's write lock, per attempt. Writes are a
# few milliseconds, so this only runs out when a program holds the inventory open in a
# write transaction (a DB browser, a stuck process).
BUSY_TIMEOUT_S = 10.0
# Attempts of one write (or one read) that meets SQLITE_BUSY/LOCKED after the busy
# timeout, with a pause of RETRY_PAUSE_S, doubled each time (plus jitter), in between:
# about 4 x 10 s + 3.5 s before the write is given up with exit 7.
WRITE_ATTEMPTS = 4
RETRY_PAUSE_S = 0.5

_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
# Reads run on connections of their own (at most this many at once): in WAL mode a reader
# never waits for the writer, so a station's 64 phone workers do not queue for the one
# writer connection while another worker's commit is synced to disk.
READERS = 8


def _is_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED (any extended code): another connection holds a lock."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)  # Python >= 3.11
    if code is not None:
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    return "is locked" in str(exc).lower()  # "database is locked", "database table is locked"


def default_db_path(folder: CampaignFolder | None = None) -> Path:
    """``$TRAOMAY_DB``, else the campaign folder's ``inventory.sqlite`` (``folder``, default
    :func:`~traomay.core.campaign.find_folder`). With no campaign folder chosen that is the
    per-user data folder, where the inventory always lived: Windows
    ``%LOCALAPPDATA%\\traomay\\inventory.sqlite``, elsewhere
    ``$XDG_DATA_HOME/traomay/inventory.sqlite`` (``~/.local/share/...``)."""
    explicit = os.environ.get("TRAOMAY_DB")
    if explicit:
        return Path(explicit)
    return (folder or find_folder()).inventory_file


def default_station() -> str:
    return os.environ.get("TRAOMAY_STATION") or socket.gethostname() or "station"


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class DeviceRecord:
    id: int
    device_key: str
    created: bool


@dataclass
class _Job:
    """One caller's write waiting for a group commit (Inventory._write)."""

    fn: Callable[[], Any]
    done: bool = False
    result: Any = None
    error: BaseException | None = None


class Inventory:
    """One station's inventory. Safe to share between worker threads (one writer lock) and
    between processes (SQLite's locks, ``BEGIN IMMEDIATE``; see the module docstring).

    ``Inventory(path)`` creates the file if needed and applies pending migrations.
    ``Inventory(path, read_only=True)`` is for commands that only look: it opens an existing
    file read-only (SQLite ``mode=ro``; ``immutable=1`` on read-only media), runs no
    migration, refuses an inventory older or newer than this code, and every write method
    raises InventoryError. Both refuse an inventory written by a newer traomay, untouched."""

    def __init__(self, path: Path | str, station: str | None = None, *,
                 read_only: bool = False, key: bytes | None = None) -> None:
        self.path = Path(path)
        self.station = station or default_station()
        self.read_only = read_only
        # The campaign key (traomay.inventory.campaign_key): every device key is stored as
        # an HMAC under it. By default the campaign.key file beside the inventory (created
        # on first use by a normal open).
        self._key = key
        self.immutable = False  # True: read-only media, opened with immutable=1
        self._lock = threading.RLock()
        self._tls = threading.local()  # .db: the reader a thread borrowed; .writing: depth
        self._readers: list[Database] = []  # idle reader connections
        self._pool_lock = threading.Lock()  # guards _readers and _pending (not a writer lock)
        self._pending: list[_Job] = []  # writes waiting for the next group commit
        self._reader_slots = threading.BoundedSemaphore(READERS)
        self._reader_target: tuple[str, bool] | None = None  # (target, uri) to open one
        self._closed = False
        conn = None
        try:
            if read_only:
                conn = self._connect_read_only()
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = self._connect(str(self.path), uri=False)
                self._reader_target = (str(self.path), False)
            self.db = Database(conn)
            with self._lock:
                self._prepare()
                self._adopt_key()
                if not read_only:
                    self._refresh_readable()
        except InventoryError:
            if conn is not None:
                conn.close()
            raise
        except (sqlite3.Error, OSError) as exc:
            if conn is not None:
                conn.close()  # Windows keeps a file locked while a connection is open
            raise InventoryError(
                Msg("Cannot open the inventory {path}: check the path and that no other "
                    "program holds it.", {"path": str(self.path)}), detail=str(exc)) from exc

    @staticmethod
    def _connect(target: str, *, uri: bool) -> sqlite3.Connection:
        # isolation_level=None: the sqlite3 module never issues a BEGIN of its own (its
        # implicit deferred BEGIN before an INSERT is what fails at once under contention);
        # every transaction here is explicit (_transaction).
        return sqlite3.connect(target, uri=uri, check_same_thread=False,
                               timeout=BUSY_TIMEOUT_S, isolation_level=None)

    def _connect_read_only(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise InventoryError(Msg("There is no inventory at {path}: check the path.",
                                     {"path": str(self.path)}))
        uri = self.path.resolve().as_uri()
        conn = self._connect(uri + "?mode=ro", uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            self._reader_target = (uri + "?mode=ro", True)
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            if _is_busy(exc):
                raise
            why = str(exc)
        # A WAL inventory needs its -shm index even to be read, and on read-only media (a
        # write-protected USB stick, a CD, a folder this user may not write) SQLite cannot
        # create it, so mode=ro fails. immutable=1 reads the main file without locks or
        # index; that is right only if no committed change waits in the -wal file (a
        # cleanly closed inventory has none). Otherwise it would show old data: refuse.
        wal = Path(f"{self.path}-wal")
        if wal.is_file() and wal.stat().st_size > 0:
            raise InventoryError(
                Msg("The inventory {path} has recent changes in {wal} that cannot be read in "
                    "a read-only folder: copy both files to a writable folder and try again.",
                    {"path": str(self.path), "wal": wal.name}), detail=why)
        conn = self._connect(uri + "?mode=ro&immutable=1", uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except BaseException:
            conn.close()
            raise
        self.immutable = True
        self._reader_target = (uri + "?mode=ro&immutable=1", True)
        return conn

    # -- connections -------------------------------------------------------------------
    @property
    def db(self) -> Database:
        """The connection this thread works on: the reader it borrowed inside a read, else
        the writer connection (used under ``_lock``)."""
        return getattr(self._tls, "db", None) or self._db

    @db.setter
    def db(self, value: Database) -> None:
        self._db = value

    def _borrow_reader(self) -> Database | None:
        """An idle reader connection (or a new one); None when none can be opened."""
        self._reader_slots.acquire()
        try:
            with self._pool_lock:
                if self._readers:
                    return self._readers.pop()
            if self._reader_target is None or self._closed:
                raise sqlite3.OperationalError("no reader")
            target, uri = self._reader_target
            return Database(self._connect(target, uri=uri))
        except sqlite3.Error:
            self._reader_slots.release()
            return None

    def _give_back(self, reader: Database) -> None:
        try:
            with self._pool_lock:
                if not self._closed and not reader.conn.in_transaction:
                    self._readers.append(reader)
                    return
            reader.conn.close()
        finally:
            self._reader_slots.release()

    def _prepare(self) -> None:
        """Check the schema against this code; then (read-write) WAL mode and migrations."""
        state = self._retry(lambda: schema_state(self.db))
        self._refuse_newer(state)
        if self.read_only:
            if state.pending:
                raise InventoryError(Msg(
                    "The inventory {path} was written by an older traomay: open it once with "
                    "a normal command to upgrade it.", {"path": str(self.path)}),
                    detail="pending migrations: " + ", ".join(state.pending))
            return
        mode = self._retry(lambda: self.db.execute("PRAGMA journal_mode").fetchone()[0])
        if str(mode).lower() != "wal":
            self._retry(lambda: self.db.execute("PRAGMA journal_mode=WAL").fetchone())
        self.db.execute("PRAGMA foreign_keys=ON")
        if state.pending:
            self._retry(lambda: self._transaction(self._migrate, immediate=True))

    def _adopt_key(self) -> None:
        """Load the campaign key; on the first open with it, rewrite the device keys of an
        inventory made before keys were HMACs; refuse an inventory of another campaign."""
        key_file = key_path_for(self.path)
        if self._key is None:
            self._key = read_key(key_file) if self.read_only else load_or_create_key(key_file)
        check = key_check(self._key) if self._key is not None else None
        stored = self._retry(lambda: self.db.execute(
            "SELECT value FROM meta WHERE key = 'key_check'").fetchone())
        if stored is not None and check is not None and stored[0] != check:
            raise InventoryError(Msg(
                "The inventory {path} belongs to a campaign with another key than {key}: copy "
                "the campaign's campaign.key file here (or open the right inventory).",
                {"path": str(self.path), "key": str(key_file)}))
        if stored is None and not self.read_only and self._key is not None:
            self._retry(lambda: self._transaction(self._rekey, immediate=True))

    def _refresh_readable(self) -> None:
        """The readable views and their Vietnamese words match this code (readable.py)."""
        rows = readable.vocabulary_rows()
        mark = readable.fingerprint(rows)
        if self._retry(lambda: readable.stored_fingerprint(self.db)) == mark:
            return

        def write() -> None:
            if readable.stored_fingerprint(self.db) != mark:  # another process did it
                readable.rewrite(self.db, rows, mark)

        self._retry(lambda: self._transaction(write, immediate=True))

    def _rekey(self) -> None:
        assert self._key is not None
        if self.db.execute("SELECT 1 FROM meta WHERE key = 'key_check'").fetchone():
            return  # another process did it first
        for (old,) in self.db.execute("SELECT key FROM device_keys").fetchall():
            self.db.execute("UPDATE device_keys SET key = ? WHERE key = ?",
                            [keyed(self._key, old), old])
        for dev_id, old in self.db.execute("SELECT id, device_key FROM devices").fetchall():
            self.db.execute("UPDATE devices SET device_key = ? WHERE id = ?",
                            [keyed(self._key, old), dev_id])
        self.db.execute("INSERT INTO meta(key, value) VALUES ('key_check', ?)",
                        [key_check(self._key)])

    def fingerprint(self, kind: str, value: str) -> str:
        """An identifier kept only as an HMAC under the campaign key (e.g. the android_id
        before an erase, to see that it changed)."""
        return self._k(f"{kind}-{value}")

    def _k(self, device_key: str) -> str:
        if self._key is None:  # a read-only open without the key file: reading still works
            raise InventoryError(Msg(
                "The campaign key {key} is missing: copy it from another station of the "
                "campaign.", {"key": str(key_path_for(self.path))}))
        return keyed(self._key, device_key)

    def _migrate(self) -> None:
        # Under the write lock: another process may have migrated since we looked.
        state = schema_state(self.db)
        self._refuse_newer(state)
        if state.pending:
            apply_pending(self.db)

    def _refuse_newer(self, state: SchemaState) -> None:
        if state.newer:
            raise InventoryError(Msg(
                "The inventory {path} was written by a newer traomay: update traomay. "
                "Nothing in it was changed.", {"path": str(self.path)}),
                detail="unknown migrations: " + ", ".join(state.unknown))

    def close(self) -> None:
        with self._pool_lock:
            self._closed = True
            readers, self._readers = self._readers, []
        for reader in readers:
            reader.conn.close()
        self._db.conn.close()

    def __enter__(self) -> Inventory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _transaction(self, fn: Callable[[], T], *, immediate: bool) -> T:
        """Run ``fn`` in one transaction: ``BEGIN IMMEDIATE`` (takes the write lock first,
        waiting up to the busy timeout) for writes, ``BEGIN`` (one snapshot) for reads.
        Any exception rolls everything back. Inside an open transaction, just runs ``fn``."""
        conn = self.db.conn
        if conn.in_transaction:
            return fn()
        conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        try:
            result = fn()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise
        return result

    def _retry(self, op: Callable[[], T]) -> T:
        """Run ``op``; while it meets SQLITE_BUSY/LOCKED (after SQLite's own busy timeout),
        pause and run it again, up to WRITE_ATTEMPTS times. ``op`` must be all-or-nothing."""
        if self.db.conn.in_transaction:
            return op()  # the outer transaction decides
        pause = RETRY_PAUSE_S
        attempt = 1
        while True:
            try:
                return op()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or attempt >= WRITE_ATTEMPTS:
                    raise
            # Jitter, so processes that waited for the same lock do not all wake together.
            time.sleep(pause * random.uniform(0.5, 1.5))
            pause *= 2
            attempt += 1

    def _read(self, fn: Callable[[], T]) -> T:
        """``fn`` in one read transaction (one snapshot), on a reader connection of its own;
        inside a write (or another read) of this thread, on that one's connection."""
        if getattr(self._tls, "writing", 0) or getattr(self._tls, "db", None) is not None:
            return self._read_here(fn)
        reader = self._borrow_reader()
        if reader is None:
            with self._lock:
                return self._read_here(fn)
        self._tls.db = reader
        try:
            return self._read_here(fn)
        finally:
            self._tls.db = None
            self._give_back(reader)

    def _read_here(self, fn: Callable[[], T]) -> T:
        try:
            return self._retry(lambda: self._transaction(fn, immediate=False))
        except (sqlite3.Error, NotFoundError, zlib.error, ValueError) as exc:
            raise InventoryError(
                Msg("Could not read the inventory {path}: it may be damaged or in use by "
                    "another program.", {"path": str(self.path)}), detail=str(exc)) from exc

    def _write(self, fn: Callable[[], T]) -> T:
        """``fn`` in one write transaction, all or nothing.

        Group commit: the threads of one station that want to write at the same moment are
        committed together, each ``fn`` in a savepoint of its own (one that fails is rolled
        back alone) and one COMMIT, so one sync to disk, for all of them. Each caller still
        returns only once its write is committed. With 64 phones the writes otherwise queue
        behind each other's sync (a few milliseconds each)."""
        if getattr(self._tls, "writing", 0):  # nested in a write of this thread: inside it
            return self._write_locked(fn)
        job = _Job(fn)
        with self._pool_lock:
            self._pending.append(job)
        with self._lock:  # one leader at a time; the one before us may have done ours
            if not job.done:
                with self._pool_lock:
                    batch, self._pending = self._pending, []
                self._tls.writing = 1
                try:
                    self._commit(batch)
                finally:
                    self._tls.writing = 0
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]

    def _commit(self, batch: list[_Job]) -> None:
        def run_all() -> None:  # run again from the start if the whole attempt is retried
            conn = self.db.conn
            for job in batch:
                job.result, job.error = None, None
                conn.execute("SAVEPOINT traomay_job")
                try:
                    job.result = job.fn()
                    conn.execute("RELEASE traomay_job")
                except BaseException as exc:  # this job only: the others stay
                    conn.execute("ROLLBACK TO traomay_job")
                    conn.execute("RELEASE traomay_job")
                    job.error = self._write_error(exc)

        try:
            self._write_locked(run_all)
        except BaseException as exc:  # the commit itself failed: nothing of the batch is in
            for job in batch:
                job.result, job.error = None, exc
        finally:
            for job in batch:
                job.done = True

    def _write_error(self, exc: BaseException) -> BaseException:
        """What a failed write raises: sqlite errors become InventoryError (exit 7)."""
        if not isinstance(exc, (sqlite3.Error, NotFoundError)):
            return exc
        error = self._inventory_error(exc)
        error.__cause__ = exc
        return error

    def _inventory_error(self, exc: BaseException) -> InventoryError:
        if _is_busy(exc):
            return InventoryError(Msg(
                "The inventory {path} stayed locked by another program for more than "
                "{seconds} seconds; nothing was recorded. Close other programs that use it and "
                "try again.", {"path": str(self.path),
                               "seconds": int(WRITE_ATTEMPTS * BUSY_TIMEOUT_S)}),
                detail=str(exc))
        return InventoryError(Msg("Could not write to the inventory {path}; nothing was "
                                  "changed.", {"path": str(self.path)}), detail=str(exc))

    def _write_locked(self, fn: Callable[[], T]) -> T:
        if self.read_only:
            raise InventoryError(Msg(
                "The inventory {path} was opened read-only: this command cannot change it.",
                {"path": str(self.path)}))
        try:
            return self._retry(lambda: self._transaction(fn, immediate=True))
        except (sqlite3.Error, NotFoundError) as exc:
            raise self._write_error(exc) from exc

    def _write_bulk(self, fn: Callable[[], T]) -> T:
        """``fn`` in a write transaction of its own (not grouped with other threads' writes),
        all or nothing, with SQLite's foreign-key lookups off on this connection meanwhile.

        For a bulk copy (``inventory merge``) whose every reference to a phone or a run comes
        from a join with rows it found or wrote itself in the same transaction: the lookups
        (two for each of hundreds of thousands of results) would only find again what the
        join found. Enforcement is as before for this connection's next write; the other
        connections (other processes, the readers) never change theirs. Inside a write of
        this thread (a transaction is open, where SQLite ignores the pragma), ``fn`` runs in
        it as it is."""
        with self._lock:
            conn = self.db.conn
            if getattr(self._tls, "writing", 0) or conn.in_transaction:
                return self._write_locked(fn)
            enforced = conn.execute("PRAGMA foreign_keys").fetchone()[0]
            conn.execute("PRAGMA foreign_keys = OFF")
            self._tls.writing = 1
            try:
                return self._write_locked(fn)
            finally:
                self._tls.writing = 0
                conn.execute(f"PRAGMA foreign_keys = {'ON' if enforced else 'OFF'}")

    # -- devices -----------------------------------------------------------------------
    def find_device_id(self, keys: Iterable[str]) -> int | None:
        return self._read(lambda: self._find_device_id(keys))

    def _find_device_id(self, keys: Iterable[str]) -> int | None:
        for key in keys:
            row = self.db.execute(
                "SELECT device_id FROM device_keys WHERE key = ?", [self._k(key)]).fetchone()
            if row:
                return int(row[0])
        return None

    def record_seen(self, identity_json: Mapping[str, Any], keys: list[str],
                    where: Mapping[str, Any] | None = None) -> DeviceRecord:
        """File a phone under the first of ``keys`` already known (else create it), add the
        other keys as aliases, update its identity, and append a ``seen`` event (with
        ``where``: the adb transport id and serial it was seen on)."""
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
                    {**fields, "device_key": self._k(keys[0]), "first_seen": now,
                     "last_seen": now,
                     "station": self.station}).last_pk
            else:
                self.db["devices"].update(device_id, {**fields, "last_seen": now})
            for key in keys:
                self.db.execute(
                    "INSERT OR IGNORE INTO device_keys(key, device_id, added_at, reason) "
                    "VALUES (?, ?, ?, ?)", [self._k(key), device_id, now, "identify"])
            self._event(device_id, "seen", {"created": created, **(where or {})}, now)
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
                    "VALUES (?, ?, ?, ?)", [self._k(key), device_id, now, reason])

        self._write(write)

    def device(self, device_id: int) -> dict[str, Any]:
        """The phone's record; DeviceNotInInventory (exit 3) when there is no such id."""
        def read() -> dict[str, Any]:
            row = self.db.execute("SELECT * FROM devices WHERE id = ?", [device_id])
            cols = [d[0] for d in row.description]
            found = row.fetchone()
            if found is None:
                raise DeviceNotInInventory(Msg("No phone id:{id} in the inventory {path}.",
                                               {"id": device_id, "path": str(self.path)}))
            return dict(zip(cols, found, strict=True))

        return self._read(read)

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

    def device_ids_with_serial(self, serial: str) -> list[int]:
        """Phones whose own serial (ro.serialno) is ``serial``, oldest first."""
        return self._read(lambda: [int(r[0]) for r in self.db.execute(
            "SELECT id FROM devices WHERE serial = ? ORDER BY id", [serial]).fetchall()])

    def last_device_on_transport(self, transport_id: int) -> int | None:
        """The phone this station last saw on adb transport ``transport_id`` (a transport id
        is adb's number for one connection: after a reboot or replug the phone gets a new
        one, and ``t:N`` can be followed to it)."""
        def read() -> int | None:
            row = self.db.execute(
                "SELECT device_id FROM events WHERE station = ? AND kind = 'seen' AND "
                "json_extract(data, '$.transport_id') = ? ORDER BY id DESC LIMIT 1",
                [self.station, transport_id]).fetchone()
            return int(row[0]) if row and row[0] is not None else None

        return self._read(read)

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
                   round_trips: int, event: Mapping[str, Any] | None = None) -> int:
        """One inspection/recheck with all its results, in one transaction; ``event``: more
        data for the run's event (an install's outcomes)."""
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
                "summary_vi": readable.render_vi(r.summary),
                "measurements": json.dumps(dict(r.measurements), ensure_ascii=False, default=str),
                "at": now} for r in results])
            self._event(device_id, kind, {"run_id": run_id,
                                          "checks": [r.name for r in results],
                                          **(event or {})}, now)
            return int(run_id)

        return self._write(write)

    def latest_results(self, device_id: int) -> dict[str, dict[str, Any]]:
        """The newest result of each check for a phone (what its verdict is computed from)."""
        return self._read(lambda: self._latest_results(device_id))

    def _latest_results(self, device_id: int) -> dict[str, dict[str, Any]]:
        # Newest by time, then id: rows merged from another station get higher ids than
        # this station's even when they are older.
        cursor = self.db.execute(
            "SELECT * FROM (SELECT c.*, row_number() OVER (PARTITION BY check_name "
            "ORDER BY at DESC, id DESC) AS newest FROM check_results c WHERE device_id = ?) "
            "WHERE newest = 1 ORDER BY id", [device_id])
        cols = [d[0] for d in cursor.description]
        out = {}
        for row in cursor.fetchall():
            rec = dict(zip(cols, row, strict=True))
            del rec["newest"]
            rec["summary"] = Msg.from_json(json.loads(rec["summary"]))
            rec["measurements"] = json.loads(rec["measurements"])
            out[rec["check_name"]] = rec
        return out

    def raw_outputs(self, run_id: int) -> dict[str, str]:
        return self._read(lambda: json.loads(
            zlib.decompress(self.db["runs"].get(run_id)["raw_outputs"]).decode("utf-8")))
