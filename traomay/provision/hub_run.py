"""Many phones at once: every attached phone identified and recorded in parallel (one
worker each), each one's problem kept with it so one stuck phone never hides the others.
``traomay devices`` and the demo use it; the station builds on the same sessions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from traomay.core.errors import TraomayError
from traomay.core.msg import Msg
from traomay.device.adb import AdbHub, PhoneListing, instruction_for_state
from traomay.inventory.store import Inventory
from traomay.provision.config import SessionConfig
from traomay.provision.identify import Identity, identify
from traomay.provision.session import PhoneSession


@dataclass(frozen=True)
class SeenPhone:
    """One line of the hub: the phone's session when it is ready, else what to do."""

    listing: PhoneListing
    session: PhoneSession | None = None
    problem: Msg | None = None

    @property
    def identity(self) -> Identity | None:
        return self.session.identity if self.session else None


def open_all(hub: AdbHub, inventory: Inventory, listings: Sequence[PhoneListing],
             config: SessionConfig, workers: int = 16) -> list[SeenPhone]:
    """Identify every ready phone at once, then record them (phones that share a serial
    are filed by IMEI / android_id, never merged)."""

    def read(listing: PhoneListing) -> tuple[Identity | None, Msg | None]:
        if not listing.ready:
            return None, instruction_for_state(listing.state)
        try:
            return identify(hub.link(listing), adb_serial=listing.serial), None
        except TraomayError as exc:
            return None, exc.message

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(listings) or 1))) as pool:
        read_all = list(pool.map(read, listings))
    serials = Counter(ident.serial for ident, _ in read_all if ident is not None)
    adb_serials = Counter(p.serial for p in listings)
    seen = []
    for listing, (ident, problem) in zip(listings, read_all, strict=True):
        if ident is None:
            seen.append(SeenPhone(listing, problem=problem))
            continue
        shared = serials[ident.serial] > 1 or adb_serials[listing.serial] > 1
        try:
            session = PhoneSession.open(hub, inventory, listing, config, identity=ident,
                                        serial_shared=shared)
        except TraomayError as exc:
            seen.append(SeenPhone(listing, problem=exc.message))
            continue
        seen.append(SeenPhone(listing, session))
    return seen
