"""Intake (mẫu số 1): who gave a phone, for which donor unit, when, and in what condition.

One intake per phone. A phone that adb cannot reach (an iPhone, a phone that does not power
on) is entered by hand (:func:`record_manual_phone`) so the inventory and the quotas stay
complete: it gets a device record whose device key comes from its IMEI when one is given
(an HMAC under the campaign key like every other key, so the same phone plugged in later,
or seen at another station, is the same record), else a fresh random key.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from traomay.core.campaign import Campaign
from traomay.core.errors import TraomayError, UsageError
from traomay.core.msg import Msg
from traomay.core.safe_text import for_terminal
from traomay.inventory.store import Inventory, utc_now

MAX_TEXT = 200


class AlreadyReceived(TraomayError):
    """The phone already has an intake record (its receipt number is in the message)."""


@dataclass(frozen=True)
class Donation:
    """What the officer writes on the receipt."""

    donor_name: str
    donor_unit: str
    donor_phone: str = ""
    note: str = ""  # the phone's condition in the officer's words, anything else
    received_by: str = ""  # the officer


@dataclass(frozen=True)
class ManualPhone:
    """A phone entered by hand (no adb): brand and model as read off the phone or its box."""

    brand: str
    model: str
    imei: str = ""


@dataclass(frozen=True)
class Intake:
    """An intake as recorded."""

    id: int
    uid: str
    device_id: int
    station: str
    at: str
    receipt_no: str
    donor_name: str
    donor_phone: str
    donor_unit: str
    condition: str  # adb | manual
    note: str
    received_by: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Intake:
        return cls(**{k: ("" if row.get(k) is None else row[k])
                      for k in cls.__dataclass_fields__})


def clean_text(value: str, what: str, *, required: bool = False, max_len: int = MAX_TEXT) -> str:
    """A person's typed text: one line, no control characters, at most ``max_len``."""
    text = for_terminal(value or "", max_len=10_000).strip()
    if required and not text:
        raise UsageError(Msg("{what} is missing.", {"what": what}))
    if len(text) > max_len:
        raise UsageError(Msg("{what} is too long (at most {max} characters).",
                             {"what": what, "max": max_len}))
    return text


_PHONE_NUMBER = re.compile(r"^(?:\+84|0)\d{9,10}$")


def clean_phone_number(value: str) -> str:
    """A Vietnamese phone number: 0 or +84 then 9–10 digits (spaces, dots, dashes ignored)."""
    text = re.sub(r"[\s.\-()]", "", value or "")
    if not text:
        return ""
    if not _PHONE_NUMBER.match(text):
        raise UsageError(Msg("'{number}' is not a phone number: write 10 digits starting "
                             "with 0 (for example 0912345678).",
                             {"number": for_terminal(value, 40)}))
    return text


def luhn_ok(number: str) -> bool:
    """The IMEI check digit (Luhn)."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def clean_imei(value: str) -> str:
    imei = re.sub(r"[\s\-/]", "", value or "")
    if not imei:
        return ""
    if not (len(imei) == 15 and imei.isdigit() and luhn_ok(imei)):
        raise UsageError(Msg("'{imei}' is not an IMEI: 15 digits (dial *#06# on the phone, or "
                             "read the box).", {"imei": for_terminal(value, 40)}))
    return imei


def imei_plain_key(imei: str) -> str:
    """The device key an IMEI gives (before the campaign key's HMAC): the same as
    ``traomay.provision.identify.Identity.candidate_keys`` makes for a phone on adb."""
    digest = hashlib.sha256("\x1f".join(("imei", imei)).encode("utf-8")).hexdigest()
    return f"imei-{digest[:16]}"


def validate(donation: Donation, campaign: Campaign) -> Donation:
    """The donation with clean text and the donor unit as campaign.yaml spells it
    (UsageError when the unit is not one of campaign.yaml's donor units)."""
    unit = campaign.unit(clean_text(donation.donor_unit, "--unit", required=True))
    if unit is None:
        names = ", ".join(u.name for u in campaign.donor_units) or "-"
        raise UsageError(Msg("'{unit}' is not a donor unit of this campaign. The units in "
                             "{file}: {units}.",
                             {"unit": for_terminal(donation.donor_unit, 80),
                              "file": str(campaign.path or "campaign.yaml"), "units": names}))
    return Donation(
        donor_name=clean_text(donation.donor_name, "--donor", required=True),
        donor_unit=unit.name,
        donor_phone=clean_phone_number(donation.donor_phone),
        note=clean_text(donation.note, "--note", max_len=500),
        received_by=clean_text(donation.received_by, "--by"),
    )


def _vn_time(iso: str) -> str:
    """"2024-06-21 10:15" in Vietnam's time (UTC+7) from the inventory's UTC text."""
    try:
        value = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return value.astimezone(timezone(timedelta(hours=7))).strftime("%Y-%m-%d %H:%M")


def intake_of(inventory: Inventory, device_id: int) -> Intake | None:
    """The phone's intake, or None."""
    def read() -> Intake | None:
        row = inventory.db.execute("SELECT * FROM intakes WHERE device_id = ?", [device_id])
        cols = [d[0] for d in row.description]
        found = row.fetchone()
        return None if found is None else Intake.from_row(dict(zip(cols, found, strict=True)))

    return inventory._read(read)  # noqa: SLF001 - the inventory package's own transaction


def record_intake(inventory: Inventory, device_id: int, donation: Donation,
                  campaign: Campaign, *, condition: str = "adb") -> Intake:
    """Record who gave phone ``device_id`` (validated against campaign.yaml), with an
    ``intake`` event. AlreadyReceived when the phone has an intake already."""
    clean = validate(donation, campaign)
    inventory.device(device_id)  # DeviceNotInInventory (exit 3) when there is no such phone

    def write() -> Intake:
        return _insert_intake(inventory, device_id, clean, condition)

    return inventory._write(write)  # noqa: SLF001


def _insert_intake(inventory: Inventory, device_id: int, clean: Donation,
                   condition: str) -> Intake:
    db = inventory.db
    existing = db.execute("SELECT receipt_no, at FROM intakes WHERE device_id = ?",
                          [device_id]).fetchone()
    if existing is not None:
        raise AlreadyReceived(Msg("Phone id:{id} was already received (receipt {receipt}, "
                                  "{at}); nothing was recorded.",
                                  {"id": device_id, "receipt": existing[0],
                                   "at": _vn_time(str(existing[1]))}))
    uid = str(uuid.uuid4())
    now = utc_now()
    row = {"uid": uid, "device_id": device_id, "station": inventory.station, "at": now,
           "receipt_no": "BN-" + uid[:8].upper(), "donor_name": clean.donor_name,
           "donor_phone": clean.donor_phone, "donor_unit": clean.donor_unit,
           "condition": condition, "note": clean.note, "received_by": clean.received_by}
    intake_id = db["intakes"].insert(row).last_pk
    # The event names no donor: personal data stays in the intakes table.
    inventory._event(device_id, "intake", {  # noqa: SLF001
        "intake_uid": uid, "receipt_no": row["receipt_no"], "donor_unit": clean.donor_unit,
        "condition": condition}, now)
    return Intake.from_row({**row, "id": intake_id})


def record_manual_phone(inventory: Inventory, phone: ManualPhone, donation: Donation,
                        campaign: Campaign) -> Intake:
    """Enter a phone by hand and record its intake, in one transaction. With an IMEI the
    phone is filed under the IMEI's device key (an already known phone is reused)."""
    clean = validate(donation, campaign)
    brand = clean_text(phone.brand, "--brand", required=True, max_len=60)
    model = clean_text(phone.model, "--model", required=True, max_len=80)
    imei = clean_imei(phone.imei)
    plain = imei_plain_key(imei) if imei else f"manual-{uuid.uuid4().hex}"
    key = inventory._k(plain)  # noqa: SLF001 - HMAC under the campaign key

    def write() -> Intake:
        db = inventory.db
        now = utc_now()
        found = db.execute("SELECT device_id FROM device_keys WHERE key = ?", [key]).fetchone()
        if found is not None:
            device_id = int(found[0])
        else:
            device_id = int(db["devices"].insert({
                "device_key": key, "brand": brand, "manufacturer": brand, "model": model,
                "marketing_name": model, "imei_count": 1 if imei else 0, "first_seen": now,
                "last_seen": now, "station": inventory.station, "entry": "manual"}).last_pk)
            db.execute("INSERT INTO device_keys(key, device_id, added_at, reason) "
                       "VALUES (?, ?, ?, 'intake')", [key, device_id, now])
            inventory._event(device_id, "entered_by_hand",  # noqa: SLF001
                             {"brand": brand, "model": model, "imei_given": bool(imei)}, now)
        return _insert_intake(inventory, device_id, clean, "manual")

    return inventory._write(write)  # noqa: SLF001
