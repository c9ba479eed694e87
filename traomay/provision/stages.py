"""Pipeline stages after identify: inspect -> account/reset -> install -> verdict.

Each stage is a function ``(link, report, inventory) -> None`` built by a factory that
fixes its configuration, so a station (or the demo) composes them per phone and runs them
in a worker per phone. Stages write their outcome into ``report.stages`` (data for the UI)
and everything durable into the inventory. A person's part comes in through callbacks
(``Volunteer``), so the same stages serve the demo and a real station.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from traomay.apps.install_manifest import install_manifest_apps, record_apps
from traomay.apps.manifest import Manifest
from traomay.core.errors import TraomayError
from traomay.core.msg import Msg
from traomay.core.results import Status
from traomay.device.adb import AdbHub, PhoneLink
from traomay.inventory.store import Inventory
from traomay.inventory.verdict import compute_verdict
from traomay.provision.inspect import inspect_and_record
from traomay.provision.pipeline import PhoneReport, PhoneStage
from traomay.provision.reset import ResetRefused, reset_phone


@dataclass
class Volunteer:
    """What a person does at the station; the demo plays it, a station asks on screen."""

    operator_inputs: Callable[[PhoneReport], Mapping[str, Any]] = lambda report: {}
    remove_google_account: Callable[[PhoneReport], bool] = lambda report: False
    say: Callable[[PhoneReport, Msg], None] = lambda report, msg: None
    call_phone: Callable[[PhoneReport], None] = lambda report: None
    notes: list[str] = field(default_factory=list)


def inspect_stage(criteria: Mapping[str, Mapping[str, Any]], volunteer: Volunteer,
                  names: list[str]) -> PhoneStage:
    def stage(link: PhoneLink, report: PhoneReport, inv: Inventory) -> None:
        assert report.device_id is not None
        inspection = inspect_and_record(link, inv, report.device_id, names, criteria,
                                        operator_inputs=volunteer.operator_inputs(report))
        report.stages["inspect"] = {r.name: r.status.value for r in inspection.results}
        report.stages["measurements"] = {r.name: dict(r.measurements)
                                         for r in inspection.results}
        report.stages["round_trips"] = inspection.round_trips

    return stage


def account_stage(hub: AdbHub, volunteer: Volunteer, come_back_timeout: float) -> PhoneStage:
    """A phone that still has the previous owner's Google account: ask the volunteer to
    remove it, then reset it safely and check again."""

    def stage(link: PhoneLink, report: PhoneReport, inv: Inventory) -> None:
        assert report.device_id is not None and report.identity is not None
        accounts = report.stages.get("measurements", {}).get("accounts", {})
        if report.stages.get("inspect", {}).get("accounts") != Status.FAIL.value or \
                not accounts.get("google_accounts"):
            return  # nothing to remove (an FRP-locked phone goes back to its donor instead)
        try:
            outcome = reset_phone(hub, link.listing, report.identity, inv, report.device_id,
                                  come_back_timeout=come_back_timeout)
        except ResetRefused as refused:
            volunteer.say(report, refused.message)
            if not volunteer.remove_google_account(report):
                report.stages["reset"] = "refused"
                return
            outcome = reset_phone(hub, link.listing, report.identity, inv, report.device_id,
                                  come_back_timeout=come_back_timeout)
        report.stages["reset"] = outcome.method
        # The phone came back on a new transport: continue the pipeline on it.
        new_listing = hub.wait_for(lambda p: p.serial == link.listing.serial and p.ready,
                                   timeout=come_back_timeout)
        if new_listing is not None:
            report.stages["link"] = hub.link(new_listing)
            inspect_and_record(report.stages["link"], inv, report.device_id, ["accounts"], {},
                               kind="recheck", active=False)
            report.stages.setdefault("inspect", {})["accounts"] = "pass"

    return stage


def operator_tests_stage(volunteer: Volunteer, touch_timeout: float = 30.0,
                         call_timeout: float = 30.0) -> PhoneStage:
    """The touch grid and the incoming call: a person swipes the screen and calls the phone.
    Each result is recorded with the person's evidence (traomay.provision.inspect)."""
    from traomay.probes.call import CallTestError, operator_input, prepare_call_test, run_call_test
    from traomay.probes.touch import run_touch_test

    def stage(link: PhoneLink, report: PhoneReport, inv: Inventory) -> None:
        assert report.device_id is not None
        link = report.stages.get("link", link)
        inputs: dict[str, Any] = {}
        try:
            inputs["touchscreen"] = run_touch_test(link, 4, 7, touch_timeout,
                                                   show_touches=False).grid
        except TraomayError as exc:
            volunteer.say(report, exc.message)
        try:
            prepare_call_test(link)
            volunteer.call_phone(report)
            call = run_call_test(link, call_timeout, poll=0.2)
            inputs["cellular"] = operator_input(call.rang, "rang" if call.rang else "timeout")
        except CallTestError as exc:
            volunteer.say(report, exc.message)
        if not inputs:
            return
        inspection = inspect_and_record(link, inv, report.device_id, list(inputs), {},
                                        kind="recheck", operator_inputs=inputs, active=False)
        report.stages.setdefault("inspect", {}).update(
            {r.name: r.status.value for r in inspection.results})

    return stage


def install_stage(manifest: Manifest) -> PhoneStage:
    def stage(link: PhoneLink, report: PhoneReport, inv: Inventory) -> None:
        assert report.device_id is not None
        link = report.stages.get("link", link)
        apps = install_manifest_apps(link, manifest)
        record_apps(inv, report.device_id, apps)
        report.stages["apps"] = {o.app: o.status.value for o in apps.outcomes}
        report.stages["apps_result"] = apps.result
        report.stages["bytes_pushed"] = apps.bytes_pushed

    return stage


def verdict_stage() -> PhoneStage:
    def stage(link: PhoneLink, report: PhoneReport, inv: Inventory) -> None:
        assert report.device_id is not None
        verdict = compute_verdict(inv.latest_results(report.device_id))
        inv.set_device_fields(report.device_id, verdict=verdict.verdict)
        report.stages["verdict"] = verdict

    return stage
