"""One name for a phone, everywhere.

Every command that takes a phone accepts the same names:

- ``t:N``   adb's transport id (what ``traomay devices`` shows first). A reboot, a replug
            or a reset gives the phone a new one; a ``t:N`` that is no longer attached is
            followed to the phone last seen on it (by its device key), and the command says
            the new ``t:N``.
- ``id:N``  the phone's inventory id (stable for ever, across resets and stations' merges).
- a serial: the adb serial (``R58M123ABC``, or ``127.0.0.1:40123`` for a phone attached over
            TCP: simulator, wireless debugging), else the phone's own serial (ro.serialno).

Phones attached to adb are found through adb; commands that work from the inventory alone
(explain, and later certificate/export) use :func:`device_id_for`.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from traomay.core.errors import (
    AdbServerError,
    DeviceAmbiguous,
    DeviceNotFound,
    DeviceNotInInventory,
    TraomayError,
    UsageError,
)
from traomay.core.msg import Msg
from traomay.device.adb import AdbHub, PhoneListing, listing_model
from traomay.inventory.store import Inventory
from traomay.provision.identify import Identity, identify

_SERIAL_TEXT = re.compile(r"^[\x21-\x7e]{1,128}$")  # printable ASCII, no spaces


@dataclass(frozen=True)
class PhoneName:
    text: str
    transport_id: int | None = None
    device_id: int | None = None
    serial: str | None = None


def parse_name(text: str) -> PhoneName:
    """``t:N`` | ``id:N`` | a serial; anything else is a usage error (exit 2)."""
    name = text.strip()
    low = name.lower()
    if low.startswith("t:") and name[2:].isdigit():
        return PhoneName(name, transport_id=int(name[2:]))
    if low.startswith("id:") and name[3:].isdigit():
        return PhoneName(name, device_id=int(name[3:]))
    if low.startswith(("t:", "id:")) or not _SERIAL_TEXT.match(name):
        raise UsageError(Msg("'{name}' is not a phone name. Use t:N or id:N (shown by "
                             "'traomay devices'), or the phone's serial.", {"name": name}))
    return PhoneName(name, serial=name)


@dataclass(frozen=True)
class FoundPhone:
    listing: PhoneListing
    device_id: int | None = None  # when the name went through the inventory
    note: Msg | None = None  # e.g. "t:3 is now t:5": say it to the volunteer


def find_attached(hub: AdbHub, inventory: Inventory | None, name: PhoneName) -> FoundPhone:
    """The attached phone ``name`` refers to (DeviceNotFound / DeviceAmbiguous)."""
    phones = hub.list_phones()
    if name.transport_id is not None:
        match = next((p for p in phones if p.transport_id == name.transport_id), None)
        if match is not None:
            return FoundPhone(match)
        device_id = inventory.last_device_on_transport(name.transport_id) if inventory else None
        if device_id is not None:
            listing = attached_listing_for(hub, inventory, device_id, phones)  # type: ignore[arg-type]
            if listing is not None:
                return FoundPhone(listing, device_id, _moved(name, listing, device_id))
        raise DeviceNotFound(Msg("No phone t:{tid} is connected. Check the cable and run "
                                 "'traomay devices'.", {"tid": name.transport_id}))
    if name.device_id is not None:
        if inventory is None:
            raise DeviceNotFound(Msg("No inventory to look up {name} in.", {"name": name.text}))
        inventory.device(name.device_id)  # DeviceNotInInventory when there is no such phone
        listing = attached_listing_for(hub, inventory, name.device_id, phones)
        if listing is None:
            raise DeviceNotFound(Msg("Phone id:{id} is not connected. Plug it in, unlock it and "
                                     "run 'traomay devices'.", {"id": name.device_id}))
        return FoundPhone(listing, name.device_id)
    assert name.serial is not None
    by_adb = [p for p in phones if p.serial == name.serial]
    if len(by_adb) == 1:
        return FoundPhone(by_adb[0])
    if len(by_adb) > 1:
        raise _ambiguous(name.serial, by_adb)
    return _by_own_serial(hub, inventory, name.serial, phones)


def _moved(name: PhoneName, listing: PhoneListing, device_id: int) -> Msg:
    return Msg("{old} is now t:{tid} (inventory id:{id}): the phone reconnected.",
               {"old": name.text, "tid": listing.transport_id, "id": device_id})


def _ambiguous(serial: str, phones: list[PhoneListing]) -> DeviceAmbiguous:
    ids = ", ".join(f"t:{p.transport_id}" for p in phones)
    return DeviceAmbiguous(
        Msg("Several phones share serial {serial}; choose one by transport id: {ids}.",
            {"serial": serial, "ids": ids}))


def _by_own_serial(hub: AdbHub, inventory: Inventory | None, serial: str,
                   phones: list[PhoneListing]) -> FoundPhone:
    ready = [p for p in phones if p.ready]
    identities = _identify_all(hub, ready)
    matches = [p for p, ident in zip(ready, identities, strict=True)
               if ident is not None and ident.serial == serial]
    if len(matches) == 1:
        return FoundPhone(matches[0])
    if len(matches) > 1:
        raise _ambiguous(serial, matches)
    raise DeviceNotFound(Msg("No phone with serial {serial} is connected. Check the cable and "
                             "run 'traomay devices'.", {"serial": serial}))


def _identify_all(hub: AdbHub, listings: list[PhoneListing]) -> list[Identity | None]:
    def one(listing: PhoneListing) -> Identity | None:
        try:
            return identify(hub.link(listing), adb_serial=listing.serial)
        except TraomayError:
            return None  # a phone that does not answer is not the one asked for

    if not listings:
        return []
    with ThreadPoolExecutor(max_workers=min(16, len(listings))) as pool:
        return list(pool.map(one, listings))


def attached_listing_for(hub: AdbHub, inventory: Inventory, device_id: int,
                         phones: list[PhoneListing] | None = None) -> PhoneListing | None:
    """The attached phone filed under ``device_id``: ready phones of the recorded model are
    identified (one adb call each) and their keys looked up in the inventory."""
    record = inventory.device(device_id)
    phones = hub.list_phones() if phones is None else phones
    wanted = listing_model(str(record.get("model") or ""))
    candidates = [p for p in phones if p.ready and (not p.model or not wanted
                                                     or p.model == wanted)]
    for listing, ident in zip(candidates, _identify_all(hub, candidates), strict=True):
        if ident is None:
            continue
        shared = sum(p.serial == listing.serial for p in phones) > 1
        if inventory.find_device_id(ident.candidate_keys(serial_shared=shared)) == device_id:
            return listing
    return None


def device_id_for(hub: AdbHub | None, inventory: Inventory, name: PhoneName) -> int:
    """The inventory id ``name`` refers to, for commands that work from the inventory alone.
    ``t:N`` and adb serials go through the attached phone's identity (its device key);
    a serial no phone on adb has is looked up as the phone's own serial."""
    if name.device_id is not None:
        inventory.device(name.device_id)
        return name.device_id
    listing = None
    if hub is not None:
        try:
            listing = find_attached(hub, inventory, name).listing
        except (DeviceNotFound, AdbServerError):
            listing = None
    if listing is not None:
        if not listing.ready:
            raise DeviceNotFound(Msg("Phone {name} is not ready ({state}); use its inventory "
                                     "id instead (id:N).", {"name": name.text,
                                                            "state": listing.state}))
        assert hub is not None
        ident = identify(hub.link(listing), adb_serial=listing.serial)
        shared = sum(p.serial == listing.serial for p in hub.list_phones()) > 1
        device_id = inventory.find_device_id(ident.candidate_keys(serial_shared=shared))
        if device_id is None:
            raise DeviceNotInInventory(Msg(
                "Phone {name} is connected but not in the inventory {path} yet: run "
                "'traomay inspect {name}' first.", {"name": name.text,
                                                     "path": str(inventory.path)}))
        return device_id
    if name.transport_id is not None:
        device_id = inventory.last_device_on_transport(name.transport_id)
        if device_id is None:
            raise DeviceNotInInventory(Msg(
                "No phone t:{tid} is connected and the inventory has no record of it; use "
                "its inventory id (id:N).", {"tid": name.transport_id}))
        return device_id
    assert name.serial is not None
    ids = inventory.device_ids_with_serial(name.serial)
    if not ids:
        raise DeviceNotInInventory(Msg("No phone {selector} in the inventory {path}.",
                                       {"selector": name.serial, "path": str(inventory.path)}))
    if len(ids) > 1:
        raise DeviceNotInInventory(Msg(
            "Several phones in the inventory have serial {selector}; use one of: {ids}.",
            {"selector": name.serial, "ids": ", ".join(f"id:{i}" for i in ids)}))
    return ids[0]
