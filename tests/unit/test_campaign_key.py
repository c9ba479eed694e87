"""Device keys are HMACs under the campaign key: an IMEI's unsalted hash (reversible in a
second) is never stored; stations sharing the key file recognise one phone; an inventory of
another campaign is refused; an inventory from before the key is rekeyed without loss."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3

import pytest

from traomay.core.errors import InventoryError
from traomay.inventory.campaign_key import KEY_FILE_NAME, keyed, read_key
from traomay.inventory.store import Inventory
from traomay.provision.identify import Identity

IMEI = "356938035643809"


def _identity() -> Identity:
    return Identity(brand="samsung", manufacturer="samsung", model="SM-A5560",
                    marketing_name="Galaxy A55", device="a55x", android_version="15", sdk=35,
                    abis=("arm64-v8a",), serial="R58M123ABC", imeis=(IMEI,),
                    android_id="1234567890abcdef")


def _record(path, **kw):
    ident = _identity()
    with Inventory(path, station="s", **kw) as inv:
        return inv.record_seen(ident.to_json(), ident.candidate_keys()).id


def _stored_keys(path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT key FROM device_keys")] + \
            [r[0] for r in conn.execute("SELECT device_key FROM devices")]
    finally:
        conn.close()


def test_no_unsalted_imei_hash_is_stored(tmp_path):
    _record(tmp_path / "inv.sqlite")
    plain = _identity().candidate_keys()
    unsalted = hashlib.sha256("\x1f".join(("imei", IMEI)).encode()).hexdigest()[:16]
    stored = _stored_keys(tmp_path / "inv.sqlite")
    assert not set(plain) & set(stored)
    assert not any(unsalted in key for key in stored)
    key = read_key(tmp_path / KEY_FILE_NAME)
    assert key is not None and keyed(key, plain[0]) in stored
    assert all(k.startswith(("imeih-", "serialh-", "aidh-")) for k in stored)


def test_two_stations_with_the_campaign_key_file_agree(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    _record(a / "inv.sqlite")
    shutil.copy(a / KEY_FILE_NAME, b / KEY_FILE_NAME)  # the key is copied to station b
    _record(b / "inv.sqlite")
    assert set(_stored_keys(a / "inv.sqlite")) == set(_stored_keys(b / "inv.sqlite"))


def test_an_inventory_of_another_campaign_is_refused(tmp_path):
    _record(tmp_path / "inv.sqlite")
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(tmp_path / "inv.sqlite", other / "inv.sqlite")
    (other / KEY_FILE_NAME).write_text("ab" * 32 + "\n", encoding="ascii")
    with pytest.raises(InventoryError, match="another key") as err:
        Inventory(other / "inv.sqlite")
    assert err.value.exit_code == 7


def test_a_damaged_key_file_is_a_clear_error(tmp_path):
    (tmp_path / KEY_FILE_NAME).write_text("not a key\n", encoding="ascii")
    with pytest.raises(InventoryError, match="damaged"):
        Inventory(tmp_path / "inv.sqlite")


def test_an_inventory_from_before_the_key_is_rekeyed_without_loss(tmp_path):
    path = tmp_path / "inv.sqlite"
    device_id = _record(path)
    plain = _identity().candidate_keys()
    # Make it look like an inventory written before device keys were HMACs.
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM device_keys")
    for key in plain:
        conn.execute("INSERT INTO device_keys VALUES (?, ?, 't', 'identify')", [key, device_id])
    conn.execute("UPDATE devices SET device_key = ?", [plain[0]])
    conn.execute("DROP TABLE meta")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm003_meta'")
    conn.commit()
    conn.close()
    (tmp_path / KEY_FILE_NAME).unlink()
    again = _record(path)  # opens (migrates, rekeys under a new key), finds the same phone
    assert again == device_id
    stored = _stored_keys(path)
    assert not set(plain) & set(stored) and len(stored) == len(plain) + 1
