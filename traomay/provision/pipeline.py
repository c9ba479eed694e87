"""The per-phone pipeline, callable from a worker per phone. No UI here: results are data
that the CLI (or a future station table) renders.

Identify -> record happens here for every phone at once; the later stages (inspect, the
operator tests, account/reset, install, verdict: provision/stages.py) run per phone in
the same workers and record their outcome in the inventory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from traomay.core.errors import TraomayError
from traomay.core.msg import Msg
from traomay.device.adb import AdbHub, PhoneLink, PhoneListing, instruction_for_state
from traomay.inventory.store import Inventory
from traomay.provision.identify import Identity, identify


@dataclass
class PhoneReport:
    listing: PhoneListing
    identity: Identity | None = None
    device_id: int | None = None
    created: bool = False
    problem: Msg | None = None  # what the volunteer must do, when the phone is stuck
    stages: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.problem is None


def identify_listing(hub: AdbHub, listing: PhoneListing) -> tuple[PhoneLink | None, PhoneReport]:
    report = PhoneReport(listing)
    if not listing.ready:
        report.problem = instruction_for_state(listing.state)
        return None, report
    try:
        link = hub.link(listing)
        report.identity = identify(link, adb_serial=listing.serial)
    except TraomayError as exc:
        report.problem = exc.message
        return None, report
    return link, report


def record_identity(inventory: Inventory, report: PhoneReport, serial_shared: bool) -> None:
    assert report.identity is not None
    keys = report.identity.candidate_keys(serial_shared=serial_shared)
    try:
        rec = inventory.record_seen(report.identity.to_json(), keys)
    except TraomayError as exc:
        report.problem = exc.message
        return
    report.device_id = rec.id
    report.created = rec.created
    report.stages["identify"] = "done"


PhoneStage = Callable[[PhoneLink, PhoneReport, Inventory], None]


def process_phones(hub: AdbHub, inventory: Inventory, listings: Sequence[PhoneListing],
                   later_stages: Sequence[PhoneStage] = (), workers: int = 16) -> list[PhoneReport]:
    """Identify every phone at once (one worker each), file them in the inventory, then
    run ``later_stages`` per phone in parallel. A stuck phone never blocks the others."""
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(listings) or 1))) as pool:
        identified = list(pool.map(lambda item: identify_listing(hub, item), listings))
        serials = Counter(r.identity.serial for _, r in identified if r.identity)
        for _link, report in identified:
            if report.identity is not None:
                record_identity(inventory, report, serials[report.identity.serial] > 1)

        def run_stages(item: tuple[PhoneLink | None, PhoneReport]) -> PhoneReport:
            link, report = item
            if link is None or report.device_id is None:
                return report
            for stage in later_stages:
                try:
                    stage(link, report, inventory)
                except TraomayError as exc:
                    report.problem = exc.message
                    break
            return report

        return list(pool.map(run_stages, identified))
