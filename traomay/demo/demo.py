"""``traomay demo`` and ``traomay sim`` as a library: simulated phones behind the real adb
server, carried through the phone session while a simulated volunteer does a person's part.

The demo starts the bundled adb on a private port with a private HOME (never the user's
server on 5037), attaches simulated phones, runs every phone through its PhoneSession at
once, and shuts everything down. What happens is reported through :class:`DemoEvents`; the
interface renders it (nothing is printed here).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traomay.apps.manifest import Manifest
from traomay.checks.criteria import TEMPLATE_CRITERIA_FILE, load_criteria
from traomay.checks.registry import CHECK_ORDER
from traomay.core.campaign import (
    CRITERIA_FILE,
    INVENTORY_FILE,
    MANIFEST_FILE,
    TEMPLATES,
    CampaignFolder,
    copy_template,
    default_folder,
    init_folder,
)
from traomay.core.errors import BadInputError, TraomayError
from traomay.core.msg import Msg
from traomay.core.results import Status
from traomay.device.adb import AdbHub, PhoneListing, free_port, private_adb_server
from traomay.inventory.store import Inventory
from traomay.inventory.verdict import Verdict
from traomay.probes import call as call_probe
from traomay.probes import touch as touch_probe
from traomay.provision.config import SessionConfig, with_manifest
from traomay.provision.hub_run import open_all
from traomay.provision.identify import Identity
from traomay.provision.reset import ResetRefused
from traomay.provision.session import PhoneSession
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
class DemoEvents:
    """How the demo talks to its screen. ``say`` carries a phone's news (thread-safe on the
    renderer's side); ``announce`` a line about the whole hub."""

    announce: Callable[[Msg], None] = lambda msg: None
    say: Callable[[PhoneListing, Identity | None, Msg], None] = lambda listing, ident, msg: None


@dataclass
class DemoPhone:
    listing: PhoneListing
    identity: Identity | None = None
    device_id: int | None = None
    checks: dict[str, str] = field(default_factory=dict)  # check -> status value
    round_trips: int = 0
    reset: str | None = None
    apps: dict[str, str] = field(default_factory=dict)
    verdict: Verdict | None = None
    problem: Msg | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass
class DemoResult:
    phones: list[DemoPhone]
    seconds: float
    db_path: Path
    devices_in_inventory: int


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


class DemoVolunteer:
    """A person's part, played on the simulated phones: looks at the phone, swipes the
    touch grid, calls the phone, removes the donor's Google account when asked."""

    def __init__(self, sim_hub: SimulatedHub, phones_by_address: dict[str, Phone],
                 events: DemoEvents) -> None:
        self.sim_hub, self.phones, self.events = sim_hub, phones_by_address, events

    def appearance(self) -> dict[str, Any]:
        return {"screen_ok": True, "back_ok": True, "who": "demo volunteer"}

    def person_tests(self, session: PhoneSession) -> None:
        """The touch grid and the incoming call, each recorded with the person's evidence."""
        try:
            grid = touch_probe.run_touch_test(session.link, 4, 7, 15.0, show_touches=False)
            session.record_person("touchscreen", grid.grid)
        except TraomayError as exc:
            self.events.say(session.listing, session.identity, exc.message)
        try:
            call_probe.prepare_call_test(session.link)
            self.sim_hub.ring(self.sim_hub.addresses.index(session.listing.serial), seconds=2.0)
            call = call_probe.run_call_test(session.link, 8.0, poll=0.2)
            if call.rang:
                session.record_person("cellular", call_probe.operator_input(True, "observed",
                                                                            "demo volunteer"))
        except TraomayError as exc:
            self.events.say(session.listing, session.identity, exc.message)

    def remove_google_account(self, session: PhoneSession) -> None:
        self.events.say(session.listing, session.identity, Msg(
            "(demo) The volunteer removes the Google account in Settings > Accounts, then "
            "the reset is tried again."))
        self.phones[session.listing.serial].accounts.clear()


def carry_phone(session: PhoneSession, volunteer: DemoVolunteer, events: DemoEvents,
                reset_timeout: float = 60.0) -> DemoPhone:
    """One phone through the whole flow, as a station would: inspect, a person's tests,
    the previous owner's account (reset), apps, verdict."""
    phone = DemoPhone(session.listing, session.identity, session.device_id)
    inspection = session.inspect(CHECK_ORDER,
                                 operator_inputs={"appearance": volunteer.appearance()})
    phone.checks = {r.name: r.status.value for r in inspection.results}
    phone.round_trips = inspection.round_trips
    volunteer.person_tests(session)
    accounts = inspection.result("accounts")
    if accounts.status is Status.FAIL and accounts.measurements.get("google_accounts"):
        try:
            phone.reset = session.reset(timeout=reset_timeout).method
        except ResetRefused as refused:
            events.say(session.listing, session.identity, refused.message)
            volunteer.remove_google_account(session)
            phone.reset = session.reset(timeout=reset_timeout).method
    phone.checks.update({name: row["status"] for name, row in
                         session.inventory.latest_results(session.device_id).items()
                         if name in phone.checks})
    installed = session.install()
    phone.apps = {o.app: o.status.value for o in installed.apps.outcomes}
    phone.verdict = session.verdict()
    phone.listing = session.listing
    return phone


def wait_listed(hub: AdbHub, expected: int, timeout: float = 20.0) -> list[PhoneListing]:
    from traomay.core.polling import poll_until

    polled = poll_until(hub.list_phones, lambda ls: len(ls) >= expected and all(
        p.state in ("device", "unauthorized") for p in ls), timeout, 0.1)
    return polled.value


def run_demo(db_path: Path, *, phones: int | None = None, station: str | None = None,
             events: DemoEvents | None = None, work_folder: Path | None = None) -> DemoResult:
    """The whole job on simulated phones; the inventory is written to ``db_path``.

    ``work_folder`` (default: ``db_path``'s folder) becomes the demo's campaign folder:
    campaign.yaml (if missing), the shipped criteria.yaml, and apk_manifest.yaml with
    apks/ holding the stand-in APKs, both replaced on every run."""
    events = events or DemoEvents()
    sim_phones = load_phones(None, phones, unauthorized_first=True)
    folder = work_folder or db_path.parent
    init_folder(CampaignFolder(folder), station or DEMO_STATION)
    copy_template(CRITERIA_FILE, folder / CRITERIA_FILE)
    manifest = demo_manifest(folder)
    config = demo_config(manifest)
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    home = Path(tempfile.mkdtemp(prefix="traomay-demo-"))
    try:
        port = free_port(15037)
        events.announce(Msg("Starting a private adb server on port {port} and {n} simulated "
                            "phones…", {"port": port, "n": len(sim_phones)}))
        with private_adb_server(home, port) as server, \
                SimulatedHub(sim_phones, adb_port=port) as sim_hub, \
                Inventory(db_path, station=station or DEMO_STATION) as inventory:
            by_address = dict(zip(sim_hub.addresses, sim_phones, strict=True))
            hub = server.hub()
            listings = wait_listed(hub, len(sim_phones))
            waiting = [p for p in listings if p.state == "unauthorized"]
            for listing in waiting:
                from traomay.device.adb import instruction_for_state

                events.say(listing, None, instruction_for_state(listing.state))
            if waiting:
                events.announce(Msg("(demo) The volunteer taps \"Allow\" on that phone."))
                sim_hub.allow(sim_hub.addresses.index(waiting[0].serial))
                hub.wait_for(lambda p: p.serial == waiting[0].serial and p.ready, timeout=15)
            events.announce(Msg("Identify, check, remove old accounts, install apps: all "
                                "phones at once…"))
            volunteer = DemoVolunteer(sim_hub, by_address, events)
            started = time.monotonic()
            seen = open_all(hub, inventory, hub.list_phones(), config)

            def carry(item: Any) -> DemoPhone:
                if item.session is None:
                    return DemoPhone(item.listing, problem=item.problem)
                try:
                    return carry_phone(item.session, volunteer, events)
                except TraomayError as exc:
                    return DemoPhone(item.session.listing, item.session.identity,
                                     item.session.device_id, problem=exc.message)

            with ThreadPoolExecutor(max_workers=16) as pool:
                results = list(pool.map(carry, seen))
            return DemoResult(results, time.monotonic() - started, db_path,
                              len(inventory.devices()))
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run_training_hub(phones: int, profile_names: str | None, adb: AdbHub,
                     on_ready: Callable[[int], None]) -> None:
    """``traomay sim``: attach simulated phones to the adb server the other commands use,
    until Ctrl-C."""
    sim_phones = load_phones(profile_names, phones, unauthorized_first=False)
    with SimulatedHub(sim_phones, adb_port=adb.port) as sim_hub:
        on_ready(len(sim_phones))
        sim_hub.run_forever_until_interrupted()
