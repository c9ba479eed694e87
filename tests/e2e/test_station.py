"""The station end to end through the real adb server: 16 simulated phones carried through
the whole hand-over flow at once by `Station(..., once=True)` while a simulated volunteer
answers the screen and does the physical steps (calls, removes the donor's account, erases
from Settings and turns USB debugging on again)."""

from __future__ import annotations

import json

import pytest

from traomay.demo.demo import demo_config, demo_manifest
from traomay.demo.volunteer import SimulatedVolunteer
from traomay.inventory.store import Inventory
from traomay.provision.station.runner import Station
from traomay.provision.station.worker import StationOptions
from traomay.simulator.phone import Phone
from traomay.simulator.profile import default_hub_profiles

SET_ASIDE = {"samsung-galaxy-s8": "battery", "vivo-y85a": "camera",
             "xiaomi-redmi-5a": "compatibility", "alps-clone-s23ultra": "touchscreen"}
WAITING = {"nokia-1-plus": "gps", "masstel-max-10": "charging", "oppo-a5s": "bluetooth"}


def _run(rig, tmp_path, **options):
    manifest = demo_manifest(tmp_path / "campaign")
    with Inventory(tmp_path / "campaign" / "inventory.sqlite", station="test") as inv:
        station = Station(rig.hub, inv, demo_config(manifest), StationOptions(
            once=True, operator="Lan", touch_timeout=20, call_timeout=8, wait_back=60,
            logs_dir=tmp_path / "logs", **options))
        volunteer = SimulatedVolunteer(station.board, rig.sim,
                                       dict(zip(rig.sim.addresses, rig.phones, strict=True)),
                                       station.stop)
        volunteer.start()
        result = station.run()
        devices = [{**d, "failing": {c: (r["status"], r["summary"]) for c, r in
                                     inv.latest_results(d["id"]).items()
                                     if r["status"] != "pass"}} for d in inv.devices()]
        return result, devices, {d["id"]: inv.events(d["id"]) for d in inv.devices()}


def test_sixteen_phones_through_the_whole_flow(sim_hub, tmp_path):
    profiles = list(default_hub_profiles())[:16]
    rig = sim_hub(*[Phone.from_profile(p) for p in profiles])
    result, devices, events = _run(rig, tmp_path)
    by_model = {d["model"]: d for d in devices}
    assert len(devices) == 16  # one record per phone, through the erase and back
    rows = {r.number: r for r in result.snapshot.rows}
    assert len(rows) == 16
    for phone, profile in zip(rig.phones, profiles, strict=True):
        device = by_model[phone.props["ro.product.model"]]
        row = rows[device["id"]]
        kinds = [e["kind"] for e in events[device["id"]]]
        # Every phone was erased by the volunteer and the erase verified (privacy first).
        assert "erased" in kinds and kinds.count("erase_requested") == 1, profile
        if profile in SET_ASIDE:
            assert row.state == "set_aside" and device["verdict"] == "fail", (
                profile, device["failing"])
            assert "finalize" not in kinds
        elif profile in WAITING:
            assert row.state == "person" and device["verdict"] == "incomplete", (
                profile, device["failing"])
        else:
            assert row.state == "done" and device["verdict"] == "pass", (
                profile, device["failing"])
            assert device["stage"] == "finalized" and kinds.count("install") == 1
            erased = json.loads(next(e["data"] for e in events[device["id"]]
                                     if e["kind"] == "erased"))
            assert erased["android_id_changed"] and erased["google_accounts_after"] == 0
    summary = result.snapshot.summary
    aside = sum(p in SET_ASIDE for p in profiles)
    waiting = sum(p in WAITING for p in profiles)
    assert (summary.passed, summary.failed, summary.waiting) == (16 - aside - waiting, aside,
                                                                 waiting)
    assert not result.snapshot.notices  # erases and finishes are not "hub problems"
    assert (tmp_path / "logs" / "phones").is_dir()


@pytest.mark.parametrize("profile", ["samsung-galaxy-a55"])
def test_only_checks_stops_before_erase(sim_hub, tmp_path, profile):
    rig = sim_hub(profile)
    result, devices, events = _run(rig, tmp_path, only_checks=True)
    (row,) = result.snapshot.rows
    kinds = [e["kind"] for e in events[devices[0]["id"]]]
    assert "erase_requested" not in kinds and "install" not in kinds
    assert row.state == "done"


def test_without_a_person_once_parks_at_the_first_question(sim_hub, tmp_path):
    rig = sim_hub("samsung-galaxy-a55")
    manifest = demo_manifest(tmp_path / "campaign")
    with Inventory(tmp_path / "inv.sqlite") as inv:
        station = Station(rig.hub, inv, demo_config(manifest),
                          StationOptions(once=True, person_present=False))
        result = station.run()
    (row,) = result.snapshot.rows
    assert row.state == "person" and row.stage == "appearance"
    assert result.seconds < 30
