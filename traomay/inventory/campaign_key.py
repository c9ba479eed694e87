"""The campaign's secret key: one random key per campaign, the same file at every station
of the campaign and at the district (copy it with the campaign folder; never into the
inventory). Device keys derived from IMEIs, serials and android_ids are HMACs under it: an
unsalted hash of a 15-digit IMEI is reversed in under a second, an HMAC without the key is
not, and two stations with the same key still recognise one phone when their inventories
are merged."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from traomay.core.errors import InventoryError
from traomay.core.msg import Msg

KEY_FILE_NAME = "campaign.key"
_HEX_LEN = 64


def key_path_for(inventory_path: Path) -> Path:
    """The key lives beside the inventory, in the campaign folder."""
    return inventory_path.parent / KEY_FILE_NAME


def read_key(path: Path) -> bytes | None:
    """The key in ``path``; None when there is no such file; InventoryError if damaged."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeError) as exc:
        raise InventoryError(Msg("Cannot read the campaign key {path}.", {"path": str(path)}),
                             detail=str(exc)) from None
    if len(text) != _HEX_LEN or any(c not in "0123456789abcdef" for c in text):
        raise InventoryError(Msg("The campaign key {path} is damaged: copy it again from "
                                 "another station of the campaign.", {"path": str(path)}))
    return bytes.fromhex(text)


def load_or_create_key(path: Path) -> bytes:
    """The campaign's key, created (random, readable by this user only) on first use."""
    found = read_key(path)
    if found is not None:
        return found
    key = secrets.token_bytes(_HEX_LEN // 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole to a private temporary file, then linked into place: another process
    # opening the campaign at the same moment sees no file or the whole key, never half.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:  # another process created it first: use theirs
        key = read_key(path) or key
    except OSError:  # a file system without hard links (FAT USB sticks): rename instead
        if not path.exists():
            os.replace(tmp, path)
        key = read_key(path) or key
    finally:
        tmp.unlink(missing_ok=True)
    return key


def key_check(key: bytes) -> str:
    """A fingerprint of the key, stored in the inventory to tell campaigns apart (it does
    not reveal the key)."""
    return hmac.new(key, b"traomay campaign key check", hashlib.sha256).hexdigest()[:16]


def keyed(key: bytes, device_key: str) -> str:
    """The stored form of a device key (``imei-…``, ``serial-…``, ``aid-…``): the same kind,
    an HMAC of the whole plain key under the campaign key."""
    kind = device_key.split("-", 1)[0]
    digest = hmac.new(key, device_key.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
    return f"{kind}h-{digest}"
