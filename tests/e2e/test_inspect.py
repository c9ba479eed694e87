"""Inspection end to end: every simulated profile inspected through the real adb server
gives the results its profile was built for; recheck changes only what it reran."""

from __future__ import annotations

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from traomay.checks.criteria import load_criteria
from traomay.inventory.store import Inventory
from traomay.inventory.verdict import compute_verdict
from traomay.provision.config import SessionConfig
from traomay.provision.inspect import run_checks
from traomay.simulator.phone import Phone
from traomay.simulator.profile import list_profiles

AUTOMATIC = ("origin", "compatibility", "storage", "battery", "charging", "camera", "wifi",
             "bluetooth", "gps", "accounts")
# What each profile was built to show (simulator/profiles/*.yaml descriptions); every
# automatic check not listed here must pass.
EXPECTED_NOT_PASS = {
    "samsung-galaxy-s8": {"battery": "fail"},  # health DEAD
    "vivo-y85a": {"camera": "fail", "bluetooth": "needs_operator"},  # no rear camera; 8.1
    "samsung-galaxy-s9": {"accounts": "fail"},  # donor's Google account still there
    "alps-clone-s23ultra": {"origin": "needs_operator"},  # clone signals
    "nokia-1-plus": {"gps": "needs_operator"},  # no satellites indoors
    # on USB power but discharging; /data nearly full until a reset
    "masstel-max-10": {"charging": "needs_operator", "storage": "needs_operator"},
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
def all_phones(module_sim_hub):
    return module_sim_hub(*PROFILES)


def test_every_profile_gives_its_expected_results(all_phones):
    links = {profile: all_phones.link(i) for i, profile in enumerate(PROFILES)}
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
    config = SessionConfig(fast_criteria())
    everything = list(AUTOMATIC) + ["cellular", "touchscreen", "appearance"]
    with Inventory(tmp_path / "inv.sqlite") as inv:
        ids, sessions = {}, {}
        for profile in ("samsung-galaxy-s8", "samsung-galaxy-s24"):
            session = all_phones.session(inv, PROFILES.index(profile), config)
            ids[profile], sessions[profile] = session.device_id, session
            session.inspect(everything)
        s8 = compute_verdict(inv.latest_results(ids["samsung-galaxy-s8"]))
        assert s8.verdict == "fail" and s8.failing == ["battery"]
        s24 = compute_verdict(inv.latest_results(ids["samsung-galaxy-s24"]))
        assert s24.verdict == "incomplete"
        assert set(s24.waiting) == {"cellular", "touchscreen", "appearance", "apps"}

        before = inv.latest_results(ids["samsung-galaxy-s8"])
        # A technician replaces the S8's battery, then rechecks the battery only.
        s8_phone = all_phones.phones[PROFILES.index("samsung-galaxy-s8")]
        new_battery = dataclasses.replace(s8_phone.profile.battery, health="good",
                                          learned_mah=3000, samsung_asoc=100, level=95)
        s8_phone.profile = dataclasses.replace(s8_phone.profile, battery=new_battery)
        sessions["samsung-galaxy-s8"].inspect(["battery"], kind="recheck")
        after = inv.latest_results(ids["samsung-galaxy-s8"])
        assert after["battery"]["status"] == "pass"
        assert after["battery"]["id"] != before["battery"]["id"]
        for name in everything:
            if name != "battery":
                assert after[name]["id"] == before[name]["id"], name
        assert compute_verdict(after).verdict == "incomplete"
        kinds = [e["kind"] for e in inv.events(ids["samsung-galaxy-s8"])]
        assert kinds.count("inspect") == 1 and kinds.count("recheck") == 1


def test_inspect_cli_json_shape(all_phones, cli, tmp_path):
    serial = all_phones.address(PROFILES.index("vivo-y85a"))
    out = cli(tmp_path / "i.sqlite", "inspect", serial, "--only", "camera,battery,origin",
              "--json")
    assert out.returncode == 1, out.stderr  # the camera fails: a failing phone exits 1
    data = json.loads(out.stdout)
    assert set(data) >= {"device", "checks", "verdict"}
    assert data["device"]["model"] == "vivo Y85A"
    assert data["device"]["device_id"] == 1 and data["device"]["adb_serial"] == serial
    assert [c["name"] for c in data["checks"]] == ["origin", "battery", "camera"]
    camera = data["checks"][2]
    assert set(camera) == {"name", "status", "summary", "measurements"}
    assert camera["status"] == "fail" and "0 back" in camera["summary"]
    assert data["verdict"] == "fail"
    assert data["round_trips"] == 1


def test_full_inspect_keeps_what_a_person_settled(all_phones, tmp_path):
    config = SessionConfig(fast_criteria())
    with Inventory(tmp_path / "inv.sqlite") as inv:
        session = all_phones.session(inv, PROFILES.index("samsung-galaxy-s24"), config)
        session.record_person("appearance", {"screen_ok": True, "back_ok": True, "who": "Lan"})
        first = inv.latest_results(session.device_id)["appearance"]
        assert first["status"] == "pass" and first["measurements"]["operator"] is True
        again = session.inspect(["appearance", "camera"])
        assert {r.name: r.status.value for r in again.results}["appearance"] == "pass"
        assert inv.latest_results(session.device_id)["appearance"]["status"] == "pass"


def test_phone_unplugged_mid_inspection_records_nothing(sim_hub, tmp_path):
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
    rig = sim_hub(Phone.from_profile("samsung-galaxy-a55"), faults=[fault])
    with Inventory(tmp_path / "inv.sqlite") as inv:
        session = rig.session(inv, config=SessionConfig(fast_criteria()))
        fault.armed = True
        with pytest.raises(DeviceGone):
            session.inspect(AUTOMATIC)
        assert inv.db["runs"].count == 0 and inv.db["check_results"].count == 0
        assert [e["kind"] for e in inv.events(session.device_id)] == ["seen"]
