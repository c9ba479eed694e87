"""Issue 3 end to end: every simulated profile inspected through the real adb server gives
the verdicts its profile was built for; recheck changes only what it reran."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from traomay.checks.criteria import load_criteria
from traomay.inventory.store import Inventory
from traomay.inventory.verdict import compute_verdict
from traomay.provision.inspect import inspect_and_record, run_checks
from traomay.provision.pipeline import identify_listing, record_identity
from traomay.simulator.hub import SimulatedHub
from traomay.simulator.phone import Phone
from traomay.simulator.profile import list_profiles

AUTOMATIC = ("origin", "compatibility", "battery", "charging", "camera", "wifi", "bluetooth",
             "gps", "accounts")
# What each profile was built to show (simulator/profiles/*.yaml descriptions); every
# automatic check not listed here must pass.
EXPECTED_NOT_PASS = {
    "samsung-galaxy-s8": {"battery": "fail"},  # health DEAD
    "vivo-y85a": {"camera": "fail", "bluetooth": "needs_operator"},  # no rear camera; 8.1
    "samsung-galaxy-s9": {"accounts": "fail"},  # donor's Google account still there
    "alps-clone-s23ultra": {"origin": "needs_operator"},  # clone signals
    "nokia-1-plus": {"gps": "needs_operator"},  # no satellites indoors
    "masstel-max-10": {"charging": "needs_operator"},  # on USB power but discharging
    "xiaomi-redmi-5a": {"bluetooth": "needs_operator"},  # Android 7.1: no `svc bluetooth`
    "oppo-a5s": {"bluetooth": "needs_operator"},  # Android 8.1: no `svc bluetooth`
}
EXPECTED_VERDICT_FAIL = {"samsung-galaxy-s8", "vivo-y85a", "samsung-galaxy-s9"}
PROFILES = list_profiles()


def fast_criteria():
    """The shipped criteria, with the active steps' waits shortened (simulated radios answer
    at once; the thresholds themselves are untouched)."""
    crit = {k: dict(v) for k, v in load_criteria().items()}
    crit["wifi"].update(scan_timeout_s=2.0, poll_interval_s=0.1)
    crit["bluetooth"].update(enable_timeout_s=2.0, poll_interval_s=0.1)
    crit["gps"].update(fix_timeout_s=1.0, poll_interval_s=0.1)
    crit["camera"].update(open_timeout_s=2.0, poll_interval_s=0.1)
    crit["compatibility"] = {"required_apps": [{"name": "VNeID", "min_sdk": 21, "abis": []}]}
    return crit


@pytest.fixture(scope="module")
def all_phones(adb_server):
    phones = [Phone.from_profile(p) for p in PROFILES]
    hub = SimulatedHub(phones, adb_port=adb_server.port).start()
    adb_hub = adb_server.hub()
    by_model = {}
    for listing in adb_hub.list_phones():
        link = adb_hub.link(listing)
        by_model[listing.serial] = link
    addresses = dict(zip(hub.addresses, PROFILES, strict=True))
    links = {addresses[serial]: link for serial, link in by_model.items()}
    yield phones, links, adb_hub
    hub.stop()


def test_every_profile_gives_its_expected_results(all_phones):
    _phones, links, _hub = all_phones
    crit = fast_criteria()
    with ThreadPoolExecutor(max_workers=len(links)) as pool:
        inspections = dict(zip(links, pool.map(
            lambda link: run_checks(link, list(AUTOMATIC), crit), links.values()), strict=True))
    problems = []
    for profile, inspection in inspections.items():
        got = {r.name: r.status.value for r in inspection.results}
        expected = {name: "pass" for name in AUTOMATIC}
        expected.update(EXPECTED_NOT_PASS.get(profile, {}))
        if got != expected:
            problems.append(f"{profile}: {got} != {expected}")
        # The read-only part of all checks is one adb shell call; only active steps add more.
        assert inspection.round_trips >= 1
        camera = next(r for r in inspection.results if r.name == "camera")
        if camera.measurements["front"] and camera.measurements["back"]:
            assert camera.measurements["opened"] is True, profile  # the camera app opened it
    assert not problems, "\n".join(problems)


def test_verdicts_and_recheck_changes_only_what_it_reran(all_phones, tmp_path):
    phones, links, adb_hub = all_phones
    crit = fast_criteria()
    everything = list(AUTOMATIC) + ["cellular", "touchscreen", "appearance"]
    with Inventory(tmp_path / "inv.sqlite") as inv:
        ids = {}
        for profile in ("samsung-galaxy-s8", "samsung-galaxy-s24"):
            link = links[profile]
            report = identify_listing(adb_hub, link.listing)[1]
            record_identity(inv, report, serial_shared=False)
            ids[profile] = report.device_id
            inspect_and_record(link, inv, report.device_id, everything, crit)
        s8 = compute_verdict(inv.latest_results(ids["samsung-galaxy-s8"]))
        assert s8.verdict == "fail" and s8.failing == ["battery"]
        s24 = compute_verdict(inv.latest_results(ids["samsung-galaxy-s24"]))
        assert s24.verdict == "incomplete"
        assert set(s24.waiting) == {"cellular", "touchscreen", "appearance", "apps"}

        before = inv.latest_results(ids["samsung-galaxy-s8"])
        # A technician replaces the S8's battery, then rechecks the battery only.
        s8_phone = phones[PROFILES.index("samsung-galaxy-s8")]
        new_battery = dataclasses.replace(s8_phone.profile.battery, health="good",
                                          learned_mah=3000, samsung_asoc=100, level=95)
        s8_phone.profile = dataclasses.replace(s8_phone.profile, battery=new_battery)
        inspect_and_record(links["samsung-galaxy-s8"], inv, ids["samsung-galaxy-s8"],
                           ["battery"], crit, kind="recheck")
        after = inv.latest_results(ids["samsung-galaxy-s8"])
        assert after["battery"]["status"] == "pass"
        assert after["battery"]["id"] != before["battery"]["id"]
        for name in everything:
            if name != "battery":
                assert after[name]["id"] == before[name]["id"], name
        assert compute_verdict(after).verdict == "incomplete"
        kinds = [e["kind"] for e in inv.events(ids["samsung-galaxy-s8"])]
        assert kinds.count("inspect") == 1 and kinds.count("recheck") == 1


def test_inspect_cli_json_shape(all_phones, adb_server, tmp_path):
    _phones, links, _hub = all_phones
    serial = links["vivo-y85a"].listing.serial
    env = dict(os.environ, TRAOMAY_ADB_PORT=str(adb_server.port), TRAOMAY_LANG="en")
    out = subprocess.run([sys.executable, "-m", "traomay", "--db", str(tmp_path / "i.sqlite"),
                          "inspect", serial, "--only", "camera,battery,origin", "--json"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 1, out.stderr  # the camera fails: a failing phone exits 1
    data = json.loads(out.stdout)
    assert set(data) >= {"device", "checks", "verdict"}
    assert data["device"]["model"] == "vivo Y85A"
    assert [c["name"] for c in data["checks"]] == ["origin", "battery", "camera"]
    camera = data["checks"][2]
    assert set(camera) == {"name", "status", "summary", "measurements"}
    assert camera["status"] == "fail" and "0 back" in camera["summary"]
    assert data["verdict"] == "fail"
    assert data["round_trips"] == 1


def test_full_inspect_keeps_what_a_person_settled(all_phones, tmp_path):
    _phones, links, adb_hub = all_phones
    crit = fast_criteria()
    link = links["samsung-galaxy-s24"]
    with Inventory(tmp_path / "inv.sqlite") as inv:
        report = identify_listing(adb_hub, link.listing)[1]
        record_identity(inv, report, serial_shared=False)
        attest = {"appearance": {"screen_ok": True, "back_ok": True, "who": "Lan"}}
        inspect_and_record(link, inv, report.device_id, ["appearance"], crit, kind="recheck",
                           operator_inputs=attest)
        first = inv.latest_results(report.device_id)["appearance"]
        assert first["status"] == "pass" and first["measurements"]["operator"] is True
        again = inspect_and_record(link, inv, report.device_id, ["appearance", "camera"], crit)
        assert {r.name: r.status.value for r in again.results}["appearance"] == "pass"
        assert inv.latest_results(report.device_id)["appearance"]["status"] == "pass"


def test_phone_unplugged_mid_inspection_records_nothing(adb_server, tmp_path):
    """The phone's connection drops in the middle of the batched output (a simulator wire
    fault): the inspection raises DeviceGone and the inventory gets nothing of it."""
    from traomay.core.errors import DeviceGone
    from traomay.simulator.wire_faults import DropConnection, WireFaults

    class DropMidInspection(WireFaults):
        armed = False

        async def before_write(self, server, stream, chunk):
            if self.armed and b"@@TM:" in chunk:
                raise DropConnection()
            return chunk

    fault = DropMidInspection()
    phone = Phone.from_profile("samsung-galaxy-a55")
    with SimulatedHub([phone], adb_port=adb_server.port, faults=[fault]) as sim:
        hub = adb_server.hub()
        link = hub.link(hub.find(sim.addresses[0]))
        with Inventory(tmp_path / "inv.sqlite") as inv:
            report = identify_listing(hub, link.listing)[1]
            record_identity(inv, report, serial_shared=False)
            fault.armed = True
            with pytest.raises(DeviceGone):
                inspect_and_record(link, inv, report.device_id, list(AUTOMATIC),
                                   fast_criteria())
            assert inv.db["runs"].count == 0 and inv.db["check_results"].count == 0
            assert [e["kind"] for e in inv.events(report.device_id)] == ["seen"]
