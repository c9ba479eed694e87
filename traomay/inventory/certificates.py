"""Certificates issued for phones, and the key they are signed with.

The signing key is derived from the campaign key (``campaign.key``, the file every station
of the campaign and the district share) with HKDF-SHA256 and its own purpose string. So
there is one secret file to copy, never a second one to lose, and a certificate signature
reveals nothing about the device keys, which are HMACs under the campaign key itself. The
key is never stored in the inventory; a forged certificate cannot be made without the file.

A newer certificate for the same phone revokes the older ones (reason ``superseded``); a
phone returned by its household has its certificate revoked (reason ``returned``,
traomay.inventory.handover).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from traomay.core.errors import InventoryError
from traomay.core.msg import Msg
from traomay.inventory.campaign_key import key_path_for
from traomay.inventory.store import Inventory, utc_now

_PURPOSE = b"traomay certificate signature v1"
PREFIX = "TM1"  # the certificate code: TM1:<certificate id>:<signature>


def signature(key: bytes, cert_id: str) -> str:
    """HMAC-SHA256 of ``TM1:<id>`` under the certificate key: 16 bytes, upper-case hex (the
    QR code's alphanumeric mode holds it compactly)."""
    return hmac.new(key, f"{PREFIX}:{cert_id}".encode("ascii"),
                    hashlib.sha256).hexdigest()[:32].upper()


def signing_key(inventory: Inventory) -> bytes:
    """The certificate key of this campaign (InventoryError when campaign.key is missing)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = inventory._key  # noqa: SLF001 - the inventory package's own secret
    if key is None:
        raise InventoryError(Msg(
            "The campaign key {key} is missing: copy it from another station of the "
            "campaign.", {"key": str(key_path_for(inventory.path))}))
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(key)


@dataclass(frozen=True)
class CertificateRecord:
    id: str
    device_id: int
    station: str
    issued_at: str
    verdict: str
    payload: str
    revoked_at: str | None
    revoked_reason: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CertificateRecord:
        return cls(**{k: row.get(k) for k in cls.__dataclass_fields__})


def record_certificate(inventory: Inventory, cert_id: str, device_id: int, verdict: str,
                       payload: str) -> CertificateRecord:
    """Record a certificate just issued; the phone's older certificates are revoked."""
    now = utc_now()

    def write() -> CertificateRecord:
        db = inventory.db
        db.execute("UPDATE certificates SET revoked_at = ?, revoked_reason = 'superseded' "
                   "WHERE device_id = ? AND revoked_at IS NULL", [now, device_id])
        row = {"id": cert_id, "device_id": device_id, "station": inventory.station,
               "issued_at": now, "verdict": verdict, "payload": payload,
               "revoked_at": None, "revoked_reason": None}
        db["certificates"].insert(row)
        inventory._event(device_id, "certificate", {"certificate_id": cert_id}, now)  # noqa: SLF001
        return CertificateRecord.from_row(row)

    return inventory._write(write)  # noqa: SLF001


def find_certificate(inventory: Inventory, cert_id: str) -> CertificateRecord | None:
    def read() -> CertificateRecord | None:
        cur = inventory.db.execute("SELECT * FROM certificates WHERE id = ?", [cert_id])
        cols = [d[0] for d in cur.description]
        row = cur.fetchone()
        return None if row is None else CertificateRecord.from_row(
            dict(zip(cols, row, strict=True)))

    return inventory._read(read)  # noqa: SLF001
