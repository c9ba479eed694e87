"""Schema of the inventory, as sqlite-utils migrations (applied in order, each in a
transaction with its record). Never edit an applied migration: add a new one, with
``@migration`` (which also lists it in ``KNOWN``, so an inventory that holds a migration
this code does not know is recognised as written by a newer traomay).

The store applies pending migrations inside its own ``BEGIN IMMEDIATE`` transaction
(``store.Inventory``), so two processes opening a fresh inventory at once serialise on
SQLite's write lock instead of both creating the same tables; sqlite-utils' per-migration
``atomic()`` then becomes a savepoint inside that transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("traomay")

KNOWN: list[str] = []
"""Names of the migrations this code knows, in order."""


def migration(fn: Callable[[Database], None]) -> Callable[[Database], None]:
    """Register ``fn`` as the next migration (transactional: it must not VACUUM)."""
    KNOWN.append(fn.__name__)
    return migrations()(fn)


@dataclass(frozen=True)
class SchemaState:
    """Where an inventory's schema stands against this code."""

    applied: tuple[str, ...]
    pending: tuple[str, ...]  # known here, not applied yet: the inventory is older
    unknown: tuple[str, ...]  # applied, not known here: a newer traomay wrote it

    @property
    def newer(self) -> bool:
        return bool(self.unknown)


def schema_state(db: Database) -> SchemaState:
    """Read (never write) which of our migrations the inventory holds."""
    applied = tuple(m.name for m in migrations.applied(db))
    done = set(applied)
    return SchemaState(
        applied=applied,
        pending=tuple(name for name in KNOWN if name not in done),
        unknown=tuple(name for name in applied if name not in KNOWN),
    )


def apply_pending(db: Database) -> None:
    """Apply pending migrations. The caller holds the write lock (``BEGIN IMMEDIATE``)
    and commits; each migration is a savepoint inside that one transaction."""
    if not db.conn.in_transaction:
        raise RuntimeError("apply_pending() needs an open BEGIN IMMEDIATE transaction")
    migrations.apply(db)


@migration
def m001_devices_and_events(db: Database) -> None:
    # One row per physical phone. device_key is stable across duplicate serials and
    # factory resets (see provision/identify.py); aliases live in device_keys.
    db["devices"].create(
        {
            "id": int,
            "device_key": str,
            "brand": str,
            "manufacturer": str,
            "model": str,
            "marketing_name": str,
            "device": str,
            "android_version": str,
            "sdk": int,
            "abis": str,
            "serial": str,
            "imei_count": int,
            "first_seen": str,
            "last_seen": str,
            "station": str,
            "stage": str,
            "verdict": str,
        },
        pk="id",
        not_null={"device_key", "first_seen", "last_seen", "station"},
        defaults={"stage": "identified", "verdict": "incomplete"},
    )
    db["devices"].create_index(["device_key"], unique=True)
    db["devices"].create_index(["serial"])
    db["device_keys"].create(
        {"key": str, "device_id": int, "added_at": str, "reason": str},
        pk="key",
        foreign_keys=[("device_id", "devices", "id")],
    )
    # Append-only evidence: every phone seen, every step, with station and UTC time.
    db["events"].create(
        {
            "id": int,
            "device_id": int,
            "station": str,
            "at": str,
            "kind": str,
            "data": str,
        },
        pk="id",
        foreign_keys=[("device_id", "devices", "id")],
        not_null={"station", "at", "kind"},
    )
    db["events"].create_index(["device_id", "at"])


@migration
def m002_check_results(db: Database) -> None:
    # One row per inspection or recheck; raw outputs kept compressed for audit.
    db["runs"].create(
        {
            "id": int,
            "device_id": int,
            "station": str,
            "kind": str,
            "started_at": str,
            "finished_at": str,
            "round_trips": int,
            "raw_outputs": bytes,
        },
        pk="id",
        foreign_keys=[("device_id", "devices", "id")],
    )
    # One row per check per run; a phone's verdict uses the latest row of each check.
    db["check_results"].create(
        {
            "id": int,
            "run_id": int,
            "device_id": int,
            "check_name": str,
            "status": str,
            "summary": str,
            "measurements": str,
            "at": str,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id"), ("device_id", "devices", "id")],
    )
    db["check_results"].create_index(["device_id", "check_name", "id"])


@migration
def m003_meta(db: Database) -> None:
    # Facts about the inventory itself (the campaign key's fingerprint, ...). Device keys
    # are rewritten as HMACs under the campaign key by the store when it first opens an
    # inventory with this table (the key is not known inside a migration).
    db["meta"].create({"key": str, "value": str}, pk="key")


# A random (version 4) UUID in SQL, for rows written by any program: unique across the
# stations of a campaign, so merged inventories never confuse two phones, events or runs.
UUID_SQL = (
    "lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "
    "substr(lower(hex(randomblob(2))), 2) || '-' || "
    "substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || "
    "'-' || lower(hex(randomblob(6)))"
)


@migration
def m004_outputs(db: Database) -> None:
    # Issue 12 (outputs). Existing rows keep their ids and data; they gain a uid.
    # 1. Identifiers unique across stations: phones, events, runs. New rows get one from a
    #    trigger (whoever writes them); a merge copies the other station's uid as is.
    for table in ("devices", "events", "runs"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN uid TEXT")
        db.execute(f"UPDATE {table} SET uid = {UUID_SQL} WHERE uid IS NULL")
        db.execute(f"CREATE UNIQUE INDEX idx_{table}_uid ON {table}(uid)")
        db.execute(f"CREATE TRIGGER {table}_uid AFTER INSERT ON {table} "
                   f"WHEN NEW.uid IS NULL BEGIN "
                   f"UPDATE {table} SET uid = {UUID_SQL} WHERE id = NEW.id; END")
    # 2. How the phone came in: over adb, or entered by hand (iPhones, dead phones).
    db.execute("ALTER TABLE devices ADD COLUMN entry TEXT NOT NULL DEFAULT 'adb'")
    # 3. The summary in Vietnamese, rendered when written (SQL cannot fill a message's
    #    arguments), so the readable views and a spreadsheet show it as is.
    db.execute("ALTER TABLE check_results ADD COLUMN summary_vi TEXT")
    from traomay.inventory.readable import summary_vi

    rows = db.execute("SELECT id, summary FROM check_results").fetchall()
    db.conn.executemany("UPDATE check_results SET summary_vi = ? WHERE id = ?",
                        [(summary_vi(text), row_id) for row_id, text in rows])
    # The latest result of a check is the newest by time (then id): after a merge, another
    # station's older rows get higher ids.
    db.execute("CREATE INDEX idx_check_results_latest ON "
               "check_results(device_id, check_name, at, status)")
    # A phone's keys (merging looks them up by phone); the newest phones first (traomay list).
    db.execute("CREATE INDEX idx_device_keys_device ON device_keys(device_id)")
    db.execute("CREATE INDEX idx_devices_last_seen ON devices(last_seen)")
    # 4. Intake (mẫu số 1): who gave the phone, for which donor unit, when, its condition.
    #    One per phone.
    db["intakes"].create({
        "id": int, "uid": str, "device_id": int, "station": str, "at": str,
        "receipt_no": str, "donor_name": str, "donor_phone": str, "donor_unit": str,
        "condition": str, "note": str, "received_by": str,
    }, pk="id", foreign_keys=[("device_id", "devices", "id")],
        not_null={"uid", "device_id", "station", "at", "donor_name", "donor_unit"})
    db.execute("CREATE UNIQUE INDEX idx_intakes_uid ON intakes(uid)")
    db.execute("CREATE UNIQUE INDEX idx_intakes_device ON intakes(device_id)")
    db.execute("CREATE INDEX idx_intakes_unit ON intakes(donor_unit, at)")
    # 5. Certificates issued (their signature is checked with the campaign key; a newer
    #    certificate for the same phone revokes the older one).
    db["certificates"].create({
        "id": str, "device_id": int, "station": str, "issued_at": str, "verdict": str,
        "payload": str, "revoked_at": str, "revoked_reason": str,
    }, pk="id", foreign_keys=[("device_id", "devices", "id")],
        not_null={"device_id", "station", "issued_at", "payload"})
    db.execute("CREATE INDEX idx_certificates_device ON certificates(device_id)")
    # 6. Words for the readable views (statuses, stages, check names) in Vietnamese and
    #    English. The store fills it from the message catalog and (re)creates the views
    #    whenever they differ from this code's (traomay.inventory.readable.refresh).
    db["vocabulary"].create({"kind": str, "key": str, "vi": str, "en": str},
                            pk=("kind", "key"))


@migration
def m006_outputs_one_index_for_latest_results(db: Database) -> None:
    # The newest result of each criterion is read through idx_check_results_latest
    # (device_id, check_name, at, status; m004); the older (device_id, check_name, id)
    # index only slowed every write (a district merge inserts hundreds of thousands).
    db.execute("DROP INDEX IF EXISTS idx_check_results_device_id_check_name_id")


@migration
def m007_households_and_allocations(db: Database) -> None:
    # Issue 13 (allocation). The commune's list of households (traomay.inventory.households).
    # Names, phone numbers and ID numbers live here only (personal data). code_key: the
    # code as compared (NFC, case folded). uid: unique across the stations of a campaign.
    db["households"].create({
        "id": int, "uid": str, "code": str, "code_key": str, "head_name": str, "unit": str,
        "poverty": str, "merit": int, "social_policy": int, "prior_device": int,
        "adults": int, "contact_phone": str, "national_id": str, "source": str,
        "station": str, "imported_at": str, "updated_at": str,
    }, pk="id", not_null={"uid", "code", "code_key", "unit", "poverty", "adults"},
        defaults={"merit": 0, "social_policy": 0, "prior_device": 0, "contact_phone": "",
                  "national_id": "", "head_name": ""})
    db.execute("CREATE UNIQUE INDEX idx_households_uid ON households(uid)")
    db.execute("CREATE UNIQUE INDEX idx_households_code ON households(code_key)")
    db.execute("CREATE INDEX idx_households_national_id ON households(national_id)")
    # A phone given to a household: allocated -> handed_over -> returned, or released
    # before hand-over (traomay.inventory.allocation). rule: why it was put there (JSON).
    db["allocations"].create({
        "id": int, "uid": str, "device_id": int, "household_id": int, "state": str,
        "tier": int, "round": int, "rule": str, "station": str, "allocated_at": str,
        "allocated_by": str, "handed_over_at": str, "handed_over_by": str, "recipient": str,
        "recipient_id": str, "sim_operator": str, "sim_number": str, "data_plan": str,
        "closed_at": str, "closed_by": str, "closed_reason": str,
    }, pk="id", foreign_keys=[("device_id", "devices", "id"),
                              ("household_id", "households", "id")],
        not_null={"uid", "device_id", "household_id", "state", "allocated_at"})
    db.execute("CREATE UNIQUE INDEX idx_allocations_uid ON allocations(uid)")
    # A phone is given to one household at a time: the database itself refuses a second.
    db.execute("CREATE UNIQUE INDEX idx_allocations_active_phone ON allocations(device_id) "
               "WHERE state IN ('allocated', 'handed_over')")
    db.execute("CREATE INDEX idx_allocations_household ON allocations(household_id, state)")
    # The audit trail: with each allocation's own row (allocated: when, by whom, the rule),
    # every later step (released, handed over, undone, returned) with who, when and why.
    db["allocation_log"].create({
        "id": int, "uid": str, "allocation_id": int, "device_id": int, "household_id": int,
        "at": str, "station": str, "action": str, "by": str, "reason": str, "data": str,
    }, pk="id", foreign_keys=[("allocation_id", "allocations", "id")],
        not_null={"uid", "allocation_id", "at", "action"})
    db.execute("CREATE UNIQUE INDEX idx_allocation_log_uid ON allocation_log(uid)")
    db.execute("CREATE INDEX idx_allocation_log_allocation ON allocation_log(allocation_id)")


@migration
def m008_households_code_order(db: Database) -> None:
    # The household code as it sorts for a person (LU-2 before LU-10), kept with the
    # household so the allocation of a province does not compute 100 000 of them per run.
    from traomay.inventory.households import natural_key

    db.execute("ALTER TABLE households ADD COLUMN code_order TEXT NOT NULL DEFAULT ''")
    rows = db.execute("SELECT id, code FROM households").fetchall()
    db.conn.executemany("UPDATE households SET code_order = ? WHERE id = ?",
                        [(natural_key(code), hid) for hid, code in rows])
