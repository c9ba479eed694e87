"""Schema of the inventory, as sqlite-utils migrations (applied in order, each in a
transaction with its record). Never edit an applied migration: add a new one."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("traomay")


@migrations()
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


@migrations()
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
