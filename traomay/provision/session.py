"""One phone, carried through the whole flow by the library.

``PhoneSession`` identifies and records a phone, then each step is one method with a typed
outcome: inspect → a person's input → verdict → accounts/reset → install → finalize. Every
step records itself in the inventory and updates the phone's stage and verdict there. The
CLI commands, the demo and the station call these methods; errors keep their types (and so
their exit codes) all the way up: a phone that vanishes is ``DeviceGone`` (3), an adb
server that cannot be reached ``AdbServerError`` (6), an inventory that cannot be written
``InventoryError`` (7).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from traomay.apps.install_manifest import AppsReport, install_manifest_apps
from traomay.checks.registry import APPS, CHECK_ORDER
from traomay.core.errors import DeviceNotReady, TraomayError, UsageError
from traomay.core.msg import Msg
from traomay.core.results import CheckResult, Status
from traomay.device.adb import AdbHub, PhoneLink, PhoneListing, instruction_for_state
from traomay.inventory.store import Inventory, utc_now
from traomay.inventory.verdict import Verdict, compute_verdict
from traomay.provision.config import SessionConfig
from traomay.provision.finalize import FinalizeOutcome, finalize_phone
from traomay.provision.identify import Identity, identify
from traomay.provision.inspect import keep_settled, run_checks
from traomay.provision.names import FoundPhone, PhoneName, find_attached
from traomay.provision.reset import ResetOutcome, reset_phone

# The phone's stage in the inventory (devices.stage), in the order of the flow.
STAGES = ("identified", "inspected", "reset", "installed", "finalized")


@dataclass(frozen=True)
class Inspection:
    """One recorded check run and the verdict after it."""

    results: tuple[CheckResult, ...]
    run_id: int
    round_trips: int
    verdict: Verdict
    facts: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def result(self, name: str) -> CheckResult:
        return next(r for r in self.results if r.name == name)


@dataclass(frozen=True)
class Installed:
    """The manifest's apps on this phone, and the verdict after recording them."""

    apps: AppsReport
    run_id: int
    verdict: Verdict


@dataclass(frozen=True)
class EraseCheck:
    """Whether the phone that came back was erased, and the evidence (recorded)."""

    verified: bool
    why: str  # what was missing, when not verified
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Finalized:
    outcome: FinalizeOutcome
    verdict: Verdict


class FinalizeRefused(TraomayError):
    """Finalize was asked for a phone that has not passed (use --force to do it anyway)."""


@dataclass
class PhoneSession:
    hub: AdbHub
    inventory: Inventory
    config: SessionConfig
    listing: PhoneListing
    link: PhoneLink
    identity: Identity
    device_id: int
    created: bool = False
    notes: list[Msg] = field(default_factory=list)  # what the volunteer should be told

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, hub: AdbHub, inventory: Inventory, listing: PhoneListing,
             config: SessionConfig, *, identity: Identity | None = None,
             serial_shared: bool | None = None) -> PhoneSession:
        """Identify the phone on ``listing`` (unless ``identity`` was just read) and record
        it (DeviceNotReady when it waits for a person: unauthorized, offline)."""
        link = hub.link(listing)
        identity = identity or identify(link, adb_serial=listing.serial)
        if serial_shared is None:  # another phone on the hub with the same adb serial
            serial_shared = sum(p.serial == listing.serial for p in hub.list_phones()) > 1
        keys = identity.candidate_keys(serial_shared=serial_shared)
        record = inventory.record_seen(identity.to_json(), keys, where=_where(listing))
        return cls(hub, inventory, config, listing, link, identity, record.id, record.created)

    @classmethod
    def find(cls, hub: AdbHub, inventory: Inventory, name: PhoneName,
             config: SessionConfig) -> PhoneSession:
        """The phone ``name`` refers to (t:N, id:N, adb serial, own serial), opened."""
        found: FoundPhone = find_attached(hub, inventory, name)
        if not found.listing.ready:
            raise DeviceNotReady(instruction_for_state(found.listing.state))
        session = cls.open(hub, inventory, found.listing, config)
        if found.note is not None:
            session.notes.append(found.note)
        return session

    @property
    def name(self) -> str:
        return f"t:{self.listing.transport_id}"

    # -- inspection ----------------------------------------------------------------------
    def inspect(self, names: Sequence[str] | None = None, *, kind: str = "inspect",
                operator_inputs: Mapping[str, Any] | None = None,
                active: bool = True) -> Inspection:
        """Run checks (all by default), record the run, update the verdict."""
        started = utc_now()
        run = run_checks(self.link, list(names or CHECK_ORDER), self.config.criteria,
                         operator_inputs, active)
        results = keep_settled(run.results, self.inventory.latest_results(self.device_id))
        run_id = self.inventory.record_run(self.device_id, kind, started, results,
                                           run.raw_outputs, run.round_trips)
        verdict = self._update(stage="inspected")
        return Inspection(tuple(results), run_id, run.round_trips, verdict, run.facts)

    def record_person(self, check: str, value: Any) -> Inspection:
        """A person's part of a check (appearance, touch grid, call, drain test, decision):
        the check is read again with that input and recorded."""
        return self.inspect([check], kind="recheck", operator_inputs={check: value})

    def decide(self, check: str, accepted: bool, by: str, note: str = "") -> Inspection:
        """A person's decision on a check that needs one (a phone of doubtful origin)."""
        undecided = run_checks(self.link, [check], self.config.criteria, active=False)
        status = undecided.results[0].status
        if status is not Status.NEEDS_OPERATOR:
            raise UsageError(Msg("This phone's {check} check does not need a decision (it is "
                                 "{status}); nothing was recorded.",
                                 {"check": check, "status": status.value}))
        data = {"accepted": accepted, "by": by, "note": note}
        inspection = self.record_person(check, data)
        self.inventory.add_event(self.device_id, "decision", {
            "check": check, "decision": "accept" if accepted else "reject", "by": by,
            "note": note, "run_id": inspection.run_id})
        return inspection

    def verdict(self) -> Verdict:
        """The verdict from the latest result of each criterion (stored on the phone)."""
        return self._update()

    # -- accounts and reset --------------------------------------------------------------
    def accounts(self) -> CheckResult:
        """Is the previous owner's Google account gone? (read-only; recorded)"""
        return self.inspect(["accounts"], kind="recheck", active=False).results[0]

    def reset(self, *, force: bool = False, timeout: float = 900.0,
              on_step: Callable[[Msg], None] | None = None,
              on_wait: Callable[[Msg, float], None] | None = None) -> ResetOutcome:
        """Safe factory reset, followed through the reboot. Afterwards this session talks
        to the phone on its new transport (the same phone, found by its device key)."""
        if force:
            self.inventory.add_event(self.device_id, "reset_forced",
                                     {"risk": "frp_lock_possible"})
        before = self.listing
        outcome = reset_phone(self.hub, self.link, self.identity, force=force,
                              come_back_timeout=timeout, on_step=on_step, on_wait=on_wait)
        self._relink(outcome.listing_after, outcome.identity_after)
        self.inventory.add_event(self.device_id, "reset", {
            "method": outcome.method, "forced": outcome.forced,
            "google_accounts_before": outcome.google_before,
            "accounts_after": outcome.accounts_after,
            "transport_before": before.transport_id,
            "transport_after": outcome.listing_after.transport_id,
            # Evidence for the erasure record: file-based encryption means the reset
            # destroyed the keys (a cryptographic erase).
            "crypto_type": outcome.identity_after.props.get("ro.crypto.type", ""),
            "security_patch": outcome.identity_after.props.get(
                "ro.build.version.security_patch", "")})
        self.inventory.add_aliases(self.device_id, outcome.identity_after.candidate_keys(),
                                   reason="reset")
        self.accounts()  # the account check is read again on the wiped phone
        self._update(stage="reset")
        return outcome

    def _relink(self, listing: PhoneListing, identity: Identity | None = None) -> None:
        """Continue on the phone's new transport (reboot, replug, drain test)."""
        self.listing = listing
        self.link = self.hub.link(listing)
        self.identity = identity or identify(self.link, adb_serial=listing.serial)
        self.inventory.record_seen(self.identity.to_json(), self.identity.candidate_keys(),
                                   where=_where(listing))

    def follow(self, listing: PhoneListing) -> None:
        """The phone came back on ``listing`` (after an unplug the probe watched)."""
        self._relink(listing)

    # -- the erase by the volunteer (station) ----------------------------------------------
    def request_erase(self) -> None:
        """Record what the phone looks like before the volunteer erases it from Settings
        (its android_id only as an HMAC, its number of user-installed apps)."""
        self.inventory.add_event(self.device_id, "erase_requested", {
            "android_id": self._aid(), "third_party_apps": self._third_party_apps(),
            "transport": self.listing.transport_id})

    def verify_erase(self) -> EraseCheck:
        """The phone came back after an erase was asked for: its android_id must have
        changed (Android makes a new one at every factory reset) and no Google account may
        be left. Recorded as ``erased`` (with the evidence the certificate cites) or
        ``erase_unverified``."""
        asked = next((e for e in reversed(self.inventory.events(self.device_id))
                      if e["kind"] == "erase_requested"), None)
        before = json.loads(asked["data"]) if asked else {}
        accounts = self.accounts()
        props = self.identity.props
        evidence = {
            "method": "settings_factory_reset",
            "android_id_changed": bool(before.get("android_id")) and
            before.get("android_id") != self._aid(),
            "google_accounts_after": accounts.measurements.get("google_accounts"),
            "third_party_apps_before": before.get("third_party_apps"),
            "third_party_apps_after": self._third_party_apps(),
            # File-based encryption: the reset destroyed the keys (a cryptographic erase).
            "crypto_type": props.get("ro.crypto.type", ""),
            "crypto_state": props.get("ro.crypto.state", ""),
            "security_patch": props.get("ro.build.version.security_patch", ""),
            "sdk": self.identity.sdk,
            "transport_before": before.get("transport"),
            "transport_after": self.listing.transport_id,
        }
        missing = []
        if not evidence["android_id_changed"]:
            missing.append("android_id unchanged")
        if accounts.status is not Status.PASS:
            missing.append("accounts not clear")
        if missing:
            self.inventory.add_event(self.device_id, "erase_unverified",
                                     {**evidence, "why": ", ".join(missing)})
            return EraseCheck(False, ", ".join(missing), evidence)
        self.inventory.add_event(self.device_id, "erased", evidence)
        self._update(stage="reset")
        return EraseCheck(True, "", evidence)

    def _aid(self) -> str:
        aid = self.identity.android_id
        return self.inventory.fingerprint("aid", aid) if aid else ""

    def _third_party_apps(self) -> int | None:
        out = self.link.shell("pm list packages -3", timeout=30.0)
        if out.failed:
            return None
        return sum(1 for line in out.output.splitlines() if line.startswith("package:"))

    # -- apps and finalize ---------------------------------------------------------------
    def install(self) -> Installed:
        """Install the manifest's apps (idempotent: what is current is skipped)."""
        manifest = self.config.require_manifest()
        started = utc_now()
        report = install_manifest_apps(self.link, manifest)
        raw = {o.app: o.device_output for o in report.outcomes}
        run_id = self.inventory.record_run(
            self.device_id, "install", started, [report.result], raw, round_trips=0,
            event={"outcomes": [o.to_json() for o in report.outcomes],
                   "bytes_pushed": report.bytes_pushed})
        ok = report.result.status is Status.PASS
        return Installed(report, run_id, self._update(stage="installed" if ok else None))

    def finalize(self, *, disable_adb: bool = True, force: bool = False) -> Finalized:
        """Before hand-over; refused for a phone whose verdict is not pass unless forced."""
        verdict = compute_verdict(self.inventory.latest_results(self.device_id))
        if verdict.verdict != "pass" and not force:
            raise FinalizeRefused(Msg(
                "This phone has not passed (verdict: {verdict}); it is not finalized. Finish "
                "its checks first ('traomay explain {name}'), or use --force.",
                {"verdict": verdict.verdict, "name": self.name}))
        outcome = finalize_phone(self.link, disable_adb=disable_adb)
        self.inventory.add_event(self.device_id, "finalize",
                                 {**outcome.to_json(), "forced": force and
                                  verdict.verdict != "pass"})
        done = not outcome.still_test_harness and not outcome.not_restored
        return Finalized(outcome, self._update(stage="finalized" if done else None))

    # -- bookkeeping ---------------------------------------------------------------------
    def _update(self, stage: str | None = None) -> Verdict:
        verdict = compute_verdict(self.inventory.latest_results(self.device_id))
        device = self.inventory.device(self.device_id)
        values: dict[str, Any] = {"verdict": verdict.verdict}
        if stage is not None:
            current = str(device.get("stage") or "")
            if STAGES.index(stage) >= (STAGES.index(current) if current in STAGES else 0):
                values["stage"] = stage
        # Only a change is written: every write is a transaction synced to disk, and a
        # station of 64 phones shares one inventory.
        changed = {k: v for k, v in values.items() if device.get(k) != v}
        if changed:
            self.inventory.set_device_fields(self.device_id, **changed)
        return verdict


def _where(listing: PhoneListing) -> dict[str, Any]:
    return {"transport_id": listing.transport_id, "adb_serial": listing.serial}


__all__ = ["APPS", "Finalized", "FinalizeRefused", "Inspection", "Installed", "PhoneSession",
           "STAGES"]
