"""``traomay demo`` and ``traomay sim`` as a library: simulated phones behind the real adb
server, carried to hand-over readiness by the station while a simulated volunteer does a
person's part (traomay.demo.volunteer).

The demo starts the bundled adb on a private port with a private HOME (never the user's
server on 5037), attaches simulated phones, runs ``traomay station --once`` on them, then
writes what officers and the district get (CSV, weekly report, a certificate) and allocates
the passing phones to the sample households, and shuts everything down. The interface
watches the station's board and renders it (nothing is printed here).
"""

from __future__ import annotations

import random
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traomay.apps.manifest import Manifest
from traomay.checks.criteria import TEMPLATE_CRITERIA_FILE, load_criteria
from traomay.core.campaign import (
    CRITERIA_FILE,
    INVENTORY_FILE,
    MANIFEST_FILE,
    TEMPLATES,
    CampaignFolder,
    copy_template,
    default_folder,
    init_folder,
    load_campaign,
)
from traomay.core.errors import BadInputError
from traomay.core.msg import Msg
from traomay.demo.volunteer import SimulatedVolunteer
from traomay.device.adb import AdbHub, PhoneListing, free_port, private_adb_server
from traomay.inventory.store import Inventory
from traomay.outputs.allocation_docs import SampleAllocation, sample_allocation
from traomay.outputs.samples import SampleOutputs, write_samples
from traomay.provision.config import SessionConfig, with_manifest
from traomay.provision.station.board import Snapshot
from traomay.provision.station.runner import Station, StationResult
from traomay.provision.station.worker import StationOptions
from traomay.simulator.hub import SimulatedHub
from traomay.simulator.phone import Phone
from traomay.simulator.profile import default_hub_profiles, list_profiles

# The demo's inventory has the campaign folder's usual name, so the demo folder is a
# campaign folder of its own: ``traomay --campaign <demo folder> explain id:1`` works.
DEMO_DB_NAME = INVENTORY_FILE
DEMO_STATION = "demo-station"


def demo_folder() -> Path:
    """Where ``traomay demo`` writes: ``demo/`` in the per-user data folder (always
    writable, whatever folder the demo was started from)."""
    return default_folder() / "demo"


@dataclass
class DemoResult:
    snapshot: Snapshot  # the station's board at the end
    seconds: float
    db_path: Path
    devices_in_inventory: int
    samples: SampleOutputs | None = None
    allocation: SampleAllocation | None = None
    messages: list[Msg] = field(default_factory=list)  # what the demo did (for the screen)


def load_phones(profile_names: str | None, count: int | None,
                unauthorized_first: bool) -> list[Phone]:
    """Simulated phones by profile name (all by default), ``count`` of them cycling through
    the profiles (each copy of a model is another unit: own serial, IMEI, android_id)."""
    names = [n.strip() for n in profile_names.split(",") if n.strip()] if profile_names \
        else list(default_hub_profiles())
    known = set(list_profiles())
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BadInputError(Msg("Unknown phone profile {name}. Known profiles: {known}.",
                                {"name": unknown[0], "known": ", ".join(sorted(known))}))
    if count:
        names = [names[i % len(names)] for i in range(count)]
    copies: dict[str, int] = {}
    phones = []
    for i, name in enumerate(names):
        copy = copies.get(name, 0)
        copies[name] = copy + 1
        phones.append(Phone.from_profile(name, authorized=not (unauthorized_first and i == 0),
                                         copy=copy))
    return phones


def demo_manifest(folder: Path) -> Manifest:
    """Stand-in APKs (NOT the real apps) signed with a throw-away key, pinned into a copy
    of apk_manifest.yaml in the demo folder. Bình Dương Số's stand-in asks for Android 8.0
    (SDK 26) so the demo shows an old phone being refused; the real minimum is unknown."""
    from traomay.apps.manifest import load_manifest, pin
    from traomay.demo.apkfactory import build_apk, make_signer

    folder.mkdir(parents=True, exist_ok=True)
    apks = folder / "apks"
    for old in apks.glob("*.apk") if apks.is_dir() else []:
        old.unlink()
    manifest_path = folder / MANIFEST_FILE
    # The shipped template, never the volunteer's campaign manifest.
    manifest_path.write_text((TEMPLATES / MANIFEST_FILE).read_text(encoding="utf-8"),
                             encoding="utf-8")
    signer = make_signer("traomay demo stand-in")
    staging = folder / "district"
    vneid = build_apk(staging, package="com.vnid", version_code=2011, min_sdk=21,
                      signer=signer, name="vneid-standin.apk")
    bds = build_apk(staging, package="vn.gov.binhduong.dichvu.standin", version_code=3,
                    min_sdk=26, signer=signer, name="binhduongso-standin.apk")
    pin(manifest_path, [vneid])
    pin(manifest_path, [bds], name="Bình Dương Số")
    shutil.rmtree(staging, ignore_errors=True)
    return load_manifest(manifest_path)


def demo_config(manifest: Manifest) -> SessionConfig:
    """The shipped thresholds; only the active steps' waits are shortened (simulated radios
    answer at once), and the compatibility check reads the demo manifest."""
    crit: dict[str, Any] = {k: dict(v) for k, v in load_criteria(TEMPLATE_CRITERIA_FILE).items()}
    crit["wifi"].update(scan_timeout_s=3.0, poll_interval_s=0.2)
    crit["bluetooth"].update(enable_timeout_s=3.0, poll_interval_s=0.2)
    crit["gps"].update(fix_timeout_s=2.0, poll_interval_s=0.2)
    crit["camera"].update(open_timeout_s=3.0, poll_interval_s=0.2)
    return SessionConfig(with_manifest(crit, manifest), manifest)


def wait_listed(hub: AdbHub, expected: int, timeout: float = 20.0) -> list[PhoneListing]:
    from traomay.core.polling import poll_until

    polled = poll_until(hub.list_phones, lambda ls: len(ls) >= expected and all(
        p.state in ("device", "unauthorized") for p in ls), timeout, 0.1)
    return polled.value


StationRunner = Callable[[Station], StationResult]


def run_demo(db_path: Path, *, phones: int | None = None, station: str | None = None,
             work_folder: Path | None = None, runner: StationRunner | None = None,
             announce: Callable[[Msg], None] = lambda msg: None) -> DemoResult:
    """The whole job on simulated phones; the inventory is written to ``db_path``.

    ``work_folder`` (default: ``db_path``'s folder) becomes the demo's campaign folder:
    campaign.yaml (if missing), the shipped criteria.yaml, and apk_manifest.yaml with
    apks/ holding the stand-in APKs, both replaced on every run; outputs/ gets the CSV, the
    weekly report, a certificate, the public allocation list and a hand-over form.
    ``runner`` runs the station (the interface passes one that also shows its board)."""
    sim_phones = load_phones(None, phones, unauthorized_first=True)
    folder = work_folder or db_path.parent
    campaign_folder = CampaignFolder(folder)
    init_folder(campaign_folder, station or DEMO_STATION)
    copy_template(CRITERIA_FILE, folder / CRITERIA_FILE)
    manifest = demo_manifest(folder)
    config = demo_config(manifest)
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    home = Path(tempfile.mkdtemp(prefix="traomay-demo-"))
    try:
        # Somewhere in 15037-15936: two demos started at once (two terminals, the tests)
        # rarely try the same free port.
        port = free_port(15037 + random.randrange(900))
        announce(Msg("Starting a private adb server on port {port} and {n} simulated "
                     "phones…", {"port": port, "n": len(sim_phones)}))
        with private_adb_server(home, port) as server, \
                SimulatedHub(sim_phones, adb_port=port) as sim_hub, \
                Inventory(db_path, station=station or DEMO_STATION) as inventory:
            wait_listed(server.hub(), len(sim_phones))
            announce(Msg("The station carries every phone at once; a simulated volunteer "
                         "answers its questions and does what each row asks."))
            the_station = Station(server.hub(), inventory, config, StationOptions(
                once=True, operator="demo volunteer", touch_timeout=20.0, call_timeout=8.0,
                wait_back=60.0, logs_dir=campaign_folder.logs_dir))
            SimulatedVolunteer(the_station.board, sim_hub,
                               dict(zip(sim_hub.addresses, sim_phones, strict=True)),
                               the_station.stop).start()
            result = (runner or Station.run)(the_station)
            campaign = load_campaign(campaign_folder.campaign_file)
            outputs = campaign_folder.outputs_dir
            # The allocation first: its hand-over then shows in the weekly report.
            allocation = sample_allocation(inventory, campaign, outputs)
            samples = write_samples(inventory, outputs, campaign)
            return DemoResult(result.snapshot, result.seconds, db_path,
                              len(inventory.devices()), samples, allocation)
    finally:
        shutil.rmtree(home, ignore_errors=True)
