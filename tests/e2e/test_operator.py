"""A person's part, end to end through the real adb server: the touch grid test, the
incoming call test, the timed drain test and a person's decision on a doubtful origin."""

from __future__ import annotations

import dataclasses
import json
import threading
import time

import pytest

from traomay.core.results import Status
from traomay.inventory.store import Inventory
from traomay.inventory.verdict import compute_verdict
from traomay.probes import call as call_test
from traomay.probes import drain as drain_test
from traomay.probes import touch as touch_test
from traomay.simulator.phone import Phone
from traomay.simulator.profile import load_profile

PROFILES = ("samsung-galaxy-a55", "alps-clone-s23ultra", "samsung-galaxy-s8", "no-sim")
CALLER = "0987654321"  # simulator.dumpsys_hw.CALLER_NUMBER: must never be printed or kept


def _no_sim_phone() -> Phone:
    profile = load_profile("samsung-galaxy-a55")
    sims = tuple(dataclasses.replace(s, sim_state="ABSENT", voice_reg=1, data_reg=1,
                                     operator="") for s in profile.sims)
    return Phone(dataclasses.replace(profile, sims=sims))


@pytest.fixture(scope="module")
def sim(module_sim_hub):
    phones = {name: (_no_sim_phone() if name == "no-sim" else Phone.from_profile(name))
              for name in PROFILES}
    for phone in phones.values():
        phone.touch_row_delay = 0.01  # a quick finger: ~0.3 s per sweep
    rig = module_sim_hub(*phones.values())
    serials = dict(zip(PROFILES, rig.sim.addresses, strict=True))
    return rig, phones, serials


def _link(rig, profile):
    return rig.link(PROFILES.index(profile))


def _record(rig, inv, profile, check, value):
    session = rig.session(inv, PROFILES.index(profile))
    return session.record_person(check, value).results[0], session.device_id


# -- touch -----------------------------------------------------------------------------------

def test_touch_grid_streams_and_passes_on_a_good_screen(sim, tmp_path):
    rig, phones, _serials = sim
    link = _link(rig, "samsung-galaxy-a55")
    seen: list[int] = []
    outcome = touch_test.run_touch_test(link, 4, 7, timeout=10,
                                        on_progress=lambda g: seen.append(len(g.hit)))
    assert outcome.ended_by == "complete" and outcome.grid.complete
    assert outcome.grid.cells_hit == 28 and outcome.missing == ()
    # Streamed: the grid filled over many reads, not in one piece at the end.
    assert len(set(seen)) >= 5 and seen == sorted(seen)
    # Pointer location was switched on for the test and put back (it was never set).
    assert phones["samsung-galaxy-a55"].settings["system"].get("pointer_location") is None
    with Inventory(tmp_path / "inv.sqlite") as inv:
        result, _ = _record(rig, inv, "samsung-galaxy-a55", "touchscreen", outcome.grid)
    assert result.status is Status.PASS and result.measurements["grid_coverage"] == 1.0


def test_touch_grid_does_not_pass_on_the_clone_with_a_dead_strip(sim, tmp_path):
    rig, _phones, _serials = sim
    link = _link(rig, "alps-clone-s23ultra")
    outcome = touch_test.run_touch_test(link, 4, 7, timeout=10, show_touches=False)
    assert outcome.ended_by == "stream_ended" and not outcome.grid.complete
    # The dead strip is y 1400..1599 of 0..1599: the bottom row of 7 never responds.
    assert set(outcome.missing) == {(c, 6) for c in range(4)}
    with Inventory(tmp_path / "inv.sqlite") as inv:
        result, _ = _record(rig, inv, "alps-clone-s23ultra", "touchscreen", outcome.grid)
    assert result.status is Status.FAIL and "86%" in result.summary.msgid.format(
        **result.summary.args)


def test_touch_test_cli_timeout_is_recorded_as_a_fail(sim, cli, tmp_path):
    _rig, _phones, serials = sim
    # A 1-second limit ends before the sweep: the test stops and records what it saw.
    out = cli(tmp_path / "t.sqlite", "touch-test", serials["samsung-galaxy-a55"],
              "--timeout", "1", "--rows", "30", "--cols", "20")
    assert out.returncode == 1, out.stderr
    assert "Touch test failed" in out.stdout and "FAIL" in out.stdout


# -- call ------------------------------------------------------------------------------------

def test_call_test_passes_when_the_phone_rings(sim, cli, tmp_path):
    rig, phones, serials = sim
    hub = rig.sim
    phone = phones["samsung-galaxy-a55"]
    phone.sim_numbers = ["0912345678"]
    index = PROFILES.index("samsung-galaxy-a55")
    hung_up = threading.Event()

    def caller() -> None:  # someone calls, and calls again if the phone was not yet watched
        while not hung_up.wait(1.0):
            hub.ring(index, seconds=1.5)

    ringing = threading.Thread(target=caller, daemon=True)
    ringing.start()
    try:
        out = cli(tmp_path / "c.sqlite", "call-test", serials["samsung-galaxy-a55"],
                  "--timeout", "60")
    finally:
        hung_up.set()
        ringing.join()
    assert out.returncode == 0, out.stdout + out.stderr
    assert "It rang" in out.stdout and "PASS" in out.stdout
    assert "…5678" in out.stdout and "0912345678" not in out.stdout  # masked by default
    assert CALLER not in out.stdout + out.stderr
    with Inventory(tmp_path / "c.sqlite") as inv:
        device_id = inv.devices()[0]["id"]
        cellular = inv.latest_results(device_id)["cellular"]
        everything = json.dumps(inv.events(device_id)) + json.dumps(cellular, default=str)
        raw = json.dumps(inv.raw_outputs(int(json.loads(inv.events(device_id)[-1]["data"])
                                             ["run_id"])))
    assert cellular["status"] == "pass"
    assert cellular["measurements"]["call_test_method"] == "observed"
    assert CALLER not in everything + raw and "0912345678" not in everything + raw


def test_call_test_probe_times_out_without_a_call(sim):
    link = _link(sim[0], "samsung-galaxy-s8")
    ready = call_test.prepare_call_test(link)
    assert ready.call_state_readable and ready.own_number is None
    outcome = call_test.run_call_test(link, timeout=0.6, poll=0.1)
    assert not outcome.rang and outcome.ended_by == "timeout" and outcome.polls >= 3


def test_call_test_timeout_records_nothing_and_says_what_to_do(sim, cli, tmp_path):
    """Nobody may have called: a timeout leaves the check waiting for a person."""
    _rig, _phones, serials = sim
    db = tmp_path / "c.sqlite"
    out = cli(db, "call-test", serials["samsung-galaxy-s8"], "--timeout", "1")
    assert out.returncode == 1
    assert "nothing was recorded" in out.stdout and "--confirm no" in out.stdout
    with Inventory(db) as inv:
        assert "cellular" not in inv.latest_results(inv.devices()[0]["id"])


def test_call_test_confirm_no_records_who_saw_it_fail(sim, cli, tmp_path):
    _rig, _phones, serials = sim
    db = tmp_path / "c.sqlite"
    out = cli(db, "call-test", serials["samsung-galaxy-s8"], "--confirm", "no", "--by", "Lan")
    assert out.returncode == 1 and "did not ring" in out.stdout
    with Inventory(db) as inv:
        cellular = inv.latest_results(inv.devices()[0]["id"])["cellular"]
    assert cellular["status"] == "fail" and cellular["measurements"]["confirmed_by"] == "Lan"
    # "yes" on word alone only where the phone cannot show its call state; --by required.
    out = cli(db, "call-test", serials["samsung-galaxy-s8"], "--confirm", "yes", "--by", "Lan")
    assert out.returncode == 2 and "without --confirm" in out.stderr
    out = cli(db, "call-test", serials["samsung-galaxy-s8"], "--confirm", "no")
    assert out.returncode == 2 and "--by" in out.stderr


def test_call_test_without_sim_says_insert_one(sim, cli, tmp_path):
    _rig, _phones, serials = sim
    out = cli(tmp_path / "n.sqlite", "call-test", serials["no-sim"])
    assert out.returncode == 1
    assert "insert a SIM" in out.stderr


# -- drain -----------------------------------------------------------------------------------

SCALE = 1800.0  # 1 real second = 30 simulated minutes, on the phone AND on the host clock


def _unplug_when_ready(hub, phone, index, real_seconds):
    """The volunteer: waits for the instruction (screen kept on), unplugs, plugs back."""
    def act():
        deadline = time.monotonic() + 10
        while (phone.settings["system"].get("screen_off_timeout") == "30000"
               and time.monotonic() < deadline):
            time.sleep(0.02)
        hub.unplug(index)
        time.sleep(real_seconds)
        hub.replug(index)
    thread = threading.Thread(target=act, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("profile, expected", [("samsung-galaxy-a55", Status.PASS),
                                               ("samsung-galaxy-s8", Status.FAIL)])
def test_drain_test_end_to_end(sim, tmp_path, profile, expected):
    rig, phones, _serials = sim
    hub, adb_hub = rig.sim, rig.hub
    phone = phones[profile]
    phone.time_scale = SCALE
    listing = rig.listing(PROFILES.index(profile))
    start_level = phone.profile.battery.level
    steps = []
    volunteer = _unplug_when_ready(hub, phone, PROFILES.index(profile), 1.5)  # 45 min
    outcome, back = drain_test.run_drain_test(
        adb_hub, listing, listing.model, 45, leave_timeout=10 * SCALE,
        return_timeout=10 * SCALE, on_step=steps.append,
        clock=lambda: time.monotonic() * SCALE, interval=0.05)
    volunteer.join(5)
    test = outcome.test
    assert test.level_start == start_level
    assert 40 <= test.minutes <= 60  # polling adds a little on each side
    rate = phone.drain_percent_per_hour()  # 400 mA / full-charge capacity
    assert test.level_start - test.level_end == pytest.approx(rate * test.minutes / 60, abs=4)
    assert outcome.screen_timeout_restored
    assert phone.settings["system"]["screen_off_timeout"] == "30000"
    assert back.transport_id != listing.transport_id
    assert "Unplug the phone now" in steps[0].msgid
    with Inventory(tmp_path / "inv.sqlite") as inv:
        result, device_id = _record(rig, inv, profile, "battery", test)
    assert result.status is expected
    if profile == "samsung-galaxy-a55":  # healthy: the measured drain decides
        assert result.measurements["estimated_hours"] > 4
        assert result.measurements["drain_minutes"] == test.minutes
    else:  # worn: dead health fails first; the drain itself says < 4 h too
        assert 100 * test.minutes / (test.level_start - test.level_end) / 60 < 4


def test_drain_test_cli_stops_when_never_unplugged(sim, cli, tmp_path):
    _rig, phones, serials = sim
    out = cli(tmp_path / "d.sqlite", "battery-test", serials["samsung-galaxy-a55"],
              "--minutes", "30", "--unplug-within", "1")
    assert out.returncode == 1
    assert "was not unplugged" in out.stderr
    assert phones["samsung-galaxy-a55"].settings["system"]["screen_off_timeout"] == "30000"


# -- decide ----------------------------------------------------------------------------------

def test_decide_origin_accept_passes_the_clone_and_is_an_event(sim, cli, tmp_path):
    _rig, _phones, serials = sim
    db = tmp_path / "o.sqlite"
    out = cli(db, "decide", serials["alps-clone-s23ultra"], "origin", "accept",
              "--by", "Nguyễn Thị Lan", "--note", "Box and invoice seen")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "accepted by a person" in out.stdout
    with Inventory(db) as inv:
        device_id = inv.devices()[0]["id"]
        origin = inv.latest_results(device_id)["origin"]
        events = inv.events(device_id)
        verdict = compute_verdict(inv.latest_results(device_id))
    assert origin["status"] == "pass"
    assert origin["measurements"]["decided_by"] == "Nguyễn Thị Lan"
    assert origin["measurements"]["operator_accepted"] is True
    decision = [json.loads(e["data"]) for e in events if e["kind"] == "decision"]
    assert decision == [{"check": "origin", "decision": "accept", "by": "Nguyễn Thị Lan",
                         "note": "Box and invoice seen", "run_id": decision[0]["run_id"]}]
    assert next(line for line in verdict.lines if line.key == "origin").status == "pass"
    # A phone whose origin is clear needs no decision: refused, nothing recorded.
    out = cli(db, "decide", serials["samsung-galaxy-a55"], "origin", "reject", "--by", "Lan")
    assert out.returncode == 2 and "does not need a decision" in out.stderr
