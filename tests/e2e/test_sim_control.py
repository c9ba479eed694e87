"""The control channel of ``traomay sim`` and the person's actions it plays: each action
changes what the toolkit reads through the real adb server, and only a caller with the
token of the running sim, on the loopback interface, may ask for one."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys

import pytest

from traomay.provision.inspect import run_checks
from traomay.simulator.control import ControlServer, ControlUnavailable, read_state, send


@pytest.fixture()
def rig(sim_hub, tmp_path):
    rig = sim_hub("oppo-a5s", "nokia-1-plus")
    folder = tmp_path / "state"
    with ControlServer(rig.sim, time_scale=60, folder=folder) as control:
        yield rig, control, folder


def ask(rig_and_control, phone: str, action: str) -> dict:
    rig, control, folder = rig_and_control
    return send({"phone": phone, "action": action}, rig.sim.adb_port, folder=folder)


def battery(link) -> str:
    return link.shell("dumpsys battery").output


def test_state_file_is_private_and_the_server_listens_on_loopback_only(rig):
    _rig, control, folder = rig
    state = read_state(_rig.sim.adb_port, folder)
    assert state is not None and state.time_scale == 60
    assert set(state.addresses) == set(_rig.sim.addresses)
    if sys.platform != "win32":
        assert stat.S_IMODE(state.path.stat().st_mode) == 0o600
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert control._server.server_address[0] == "127.0.0.1"


def test_a_request_without_the_token_is_refused(rig):
    _rig, control, folder = rig
    state = read_state(_rig.sim.adb_port, folder)
    for token in ("", "0" * 64, state.token[:-1] + "x"):
        with socket.create_connection(("127.0.0.1", state.port), timeout=10) as sock:
            sock.sendall(json.dumps({"token": token, "phone": "1", "action": "ring"}).encode()
                         + b"\n")
            answer = json.loads(sock.makefile("rb").readline())
        assert answer == {"ok": False, "error": "bad_token"}
    assert _rig.phones[0].call_state(0) == 0  # nothing rang


def test_no_running_sim_is_said_plainly(tmp_path):
    with pytest.raises(ControlUnavailable) as missing:
        send({"phone": "t:1", "action": "ring"}, 1, folder=tmp_path)
    assert missing.value.reason == "no_sim"
    env = dict(os.environ, TRAOMAY_ADB_PORT="1", TRAOMAY_LANG="en",
               TRAOMAY_SIM_STATE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-m", "traomay", "sim", "do", "t:1", "ring"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 3
    assert "No 'traomay sim' is running" in out.stderr


def test_chargers_change_what_dumpsys_battery_says(rig):
    r = rig[0]
    name = f"t:{r.listing(1).transport_id}"
    assert "USB powered: true" in battery(r.link(1))
    assert ask(rig, name, "charger-off")["code"] == "charger_none"
    text = battery(r.link(1))
    assert "USB powered: false" in text and "AC powered: false" in text
    assert "status: 3" in text  # BatteryManager.BATTERY_STATUS_DISCHARGING
    result = run_checks(r.link(1), ["charging"], {}, active=False).results[0]
    assert result.status.value == "needs_operator"  # "Plug the charger in"
    assert ask(rig, name, "charger-wall")["details"]["status"] == "charging"
    text = battery(r.link(1))
    assert "AC powered: true" in text and "status: 2" in text
    assert run_checks(r.link(1), ["charging"], {}, active=False).results[0].status.value == \
        "pass"


def test_bluetooth_on_in_settings_passes_where_adb_cannot_switch_it(rig):
    r = rig[0]  # OPPO A5s, Android 8.1: no 'cmd bluetooth_manager' to turn it on
    crit = {"bluetooth": {"enable_timeout_s": 1.0, "poll_interval_s": 0.2}}
    before = run_checks(r.link(0), ["bluetooth"], crit).results[0]
    assert before.status.value == "needs_operator"
    assert ask(rig, "oppo-a5s", "bluetooth-on")["code"] == "bluetooth_on"
    after = run_checks(r.link(0), ["bluetooth"], crit).results[0]
    assert after.status.value == "pass", after.summary


def test_outdoors_gives_satellites(rig):
    r = rig[0]
    crit = {"gps": {"fix_timeout_s": 1.0, "poll_interval_s": 0.2}}
    assert run_checks(r.link(1), ["gps"], crit).results[0].status.value == "needs_operator"
    answer = ask(rig, "nokia-1-plus", "outdoors")
    assert answer["code"] == "outdoors" and answer["details"]["satellites"] > 0
    assert run_checks(r.link(1), ["gps"], crit).results[0].status.value == "pass"


def test_unplug_then_plug_by_the_old_transport_id(rig):
    r = rig[0]
    old = r.listing(0).transport_id
    assert ask(rig, f"t:{old}", "unplug")["phone"]["state"] is None
    assert not any(p.serial == r.address(0) for p in r.hub.list_phones())
    back = ask(rig, f"t:{old}", "plug")  # adb forgot t:old; the sim did not
    assert back["code"] == "plugged" and back["phone"]["state"] == "device"
    assert back["phone"]["transport_id"] != old
    assert ask(rig, r.address(0), "plug")["code"] == "already_plugged"


def test_factory_reset_then_usb_debugging_then_allow(rig):
    r = rig[0]
    name = f"t:{r.listing(1).transport_id}"
    assert ask(rig, name, "factory-reset")["phone"]["state"] is None
    assert ask(rig, name, "allow")["code"] == "adb_off"
    again = ask(rig, name, "usb-debugging")
    assert again["code"] == "usb_debugging_on" and again["phone"]["state"] == "unauthorized"
    allowed = ask(rig, name, "allow")
    assert allowed["code"] == "allowed" and allowed["phone"]["state"] == "device"


def test_unknown_phone_and_action(rig):
    assert ask(rig, "t:999", "ring")["error"] == "unknown_phone"
    assert ask(rig, "oppo-a5s", "dance")["error"] == "unknown_action"
    assert ask(rig, "1", "ring")["error"] == "unknown_phone"  # no numbers of its own


def test_sim_do_by_inventory_id_as_the_station_numbers_phones(rig, cli, tmp_path):
    r, _control, folder = rig
    db = tmp_path / "inv.sqlite"
    env = {"TRAOMAY_SIM_STATE_DIR": str(folder)}
    assert cli(db, "devices", env=env).returncode == 0  # records both phones: id:1, id:2
    oppo = cli(db, "identify", r.address(0), "--json", env=env)
    device_id = json.loads(oppo.stdout)["device"]["device_id"]
    out = cli(db, "sim", "do", f"#{device_id}", "look", env=env)
    assert out.returncode == 0, out.stderr
    assert "OPPO" in out.stdout and "--screen ok --back ok" in out.stdout
    out = cli(db, "sim", "do", "id:99", "look", env=env)
    assert out.returncode == 3 and "id:99" in out.stderr
