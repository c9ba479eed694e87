"""Probes (traomay.probes) drive a simulated phone through its own shell (tests/fakes.py):
radios turned on and restored, also on errors; a refused command is "could not command",
never "does not work"; every wait ends within its limit (fake clock, no real waiting)."""

from __future__ import annotations

import pytest
from fakes import FakeClock, SimShell, raises, refused, sim_phone

from traomay.checks import bluetooth, camera, gps, wifi
from traomay.core.results import ShellResult, Status, Unknown
from traomay.probes import bluetooth_on, camera_open, gps_fix, wifi_scan
from traomay.probes.radios import CommandRefused, radio_session


def _wifi_facts(sdk):
    return wifi.Facts(False, False, Unknown("none"), sdk=sdk)


# -- the radio session --------------------------------------------------------------------

def test_radio_session_refused_switch_raises_and_sends_nothing_else():
    shell = SimShell(sim_phone("realme-gt-neo2t"), {"cmd wifi set": refused()})
    with pytest.raises(CommandRefused) as info, \
            radio_session(shell, "cmd wifi set-wifi-enabled enabled",
                          "cmd wifi set-wifi-enabled disabled", needed=True):
        pass
    assert "exit 255" in info.value.reason
    assert shell.commands == ["cmd wifi set-wifi-enabled enabled"]


# -- Wi-Fi ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("profile", "sdk"), [("xiaomi-redmi-5a", 25),
                                              ("realme-gt-neo2t", 30),
                                              ("samsung-galaxy-s24", 34)])
def test_wifi_turns_on_scans_and_restores(profile, sdk):
    phone = sim_phone(profile, wifi_enabled=False, wifi_scanned=False)
    shell, clock = SimShell(phone), FakeClock()
    after = wifi_scan.run(shell, _wifi_facts(sdk), {}, clock=clock, sleep=clock.sleep)
    assert after.turned_on_by_check and isinstance(after.networks_seen, int)
    assert wifi.evaluate(after, {}).status is Status.PASS
    assert phone.wifi_enabled is False  # restored
    on = "cmd wifi set-wifi-enabled enabled" if sdk >= 30 else "svc wifi enable"
    assert shell.commands[0] == on
    assert ("cmd wifi start-scan" in shell.commands) == (sdk >= 30)


def test_wifi_left_on_when_it_was_on():
    phone = sim_phone("samsung-galaxy-s24", wifi_enabled=True, wifi_scanned=False)
    shell, clock = SimShell(phone), FakeClock()
    after = wifi_scan.run(shell, wifi.Facts(True, False, 0, sdk=34), {}, clock=clock,
                          sleep=clock.sleep)
    assert phone.wifi_enabled is True and not after.turned_on_by_check
    assert not any("disable" in c for c in shell.commands)


def test_wifi_that_never_turns_on_fails_within_the_timeout():
    phone = sim_phone("realme-gt-neo2t", wifi={"broken": True}, wifi_enabled=False)
    shell, clock = SimShell(phone), FakeClock()
    after = wifi_scan.run(shell, _wifi_facts(30), {"scan_timeout_s": 9.0}, clock=clock,
                          sleep=clock.sleep)
    assert after.enable_failed
    assert wifi.evaluate(after, {}).status is Status.FAIL
    assert clock.now <= 9.0


def test_wifi_refused_command_is_not_a_broken_radio():
    phone = sim_phone("realme-gt-neo2t", wifi_enabled=False)
    shell = SimShell(phone, {"cmd wifi set-wifi-enabled enabled": refused(
        "Exception occurred while executing 'set-wifi-enabled': SecurityException", 255)})
    after = wifi_scan.run(shell, _wifi_facts(30), {}, clock=FakeClock(), sleep=lambda s: None)
    result = wifi.evaluate(after, {})
    assert result.status is Status.NEEDS_OPERATOR and "Could not turn" in result.summary.msgid
    assert not any("disabled" in c for c in shell.commands)  # we turned nothing on


def test_wifi_no_networks_asks_for_a_hotspot():
    phone = sim_phone("realme-gt-neo2t", wifi={"networks": ()}, wifi_enabled=False)
    clock = FakeClock()
    after = wifi_scan.run(SimShell(phone), _wifi_facts(30), {}, clock=clock, sleep=clock.sleep)
    assert wifi.evaluate(after, {}).status is Status.NEEDS_OPERATOR
    assert phone.wifi_enabled is False


def test_wifi_restored_even_when_the_phone_goes_away():
    phone = sim_phone("realme-gt-neo2t", wifi_enabled=False)
    shell = SimShell(phone, {"cmd wifi status": raises(ConnectionError("gone"))})
    with pytest.raises(ConnectionError):
        wifi_scan.run(shell, _wifi_facts(30), {}, clock=FakeClock(), sleep=lambda s: None)
    assert shell.commands[-1] == "cmd wifi set-wifi-enabled disabled"
    assert phone.wifi_enabled is False


def test_wifi_skips_a_phone_that_already_passes():
    shell = SimShell(sim_phone("realme-gt-neo2t"))
    facts = wifi.Facts(True, True, 3, sdk=30)
    assert wifi_scan.run(shell, facts, {}) is facts and shell.commands == []


def test_wifi_unreadable_state_is_unknown_not_a_failure():
    denied = refused("Uid 2000 does not have access to status wifi command", 0)
    phone = sim_phone("xiaomi-redmi-10-2022", wifi_enabled=False)
    shell = SimShell(phone, {"cmd wifi status": denied, "cmd wifi list-scan": denied})
    clock = FakeClock()
    after = wifi_scan.run(shell, _wifi_facts(33), {"scan_timeout_s": 6.0}, clock=clock,
                          sleep=clock.sleep)
    assert not after.enable_failed
    assert wifi.evaluate(after, {}).status is Status.ERROR
    assert phone.wifi_enabled is False


# -- Bluetooth ------------------------------------------------------------------------------

@pytest.mark.parametrize(("profile", "sdk", "enable"), [
    ("nokia-1-plus", 28, "svc bluetooth enable"),
    ("xiaomi-redmi-note10", 31, "svc bluetooth enable"),
    ("xiaomi-redmi-10-2022", 33, "cmd bluetooth_manager enable"),
    ("samsung-galaxy-a55", 35, "cmd bluetooth_manager enable")])
def test_bluetooth_turns_on_and_restores(profile, sdk, enable):
    phone = sim_phone(profile, bt_enabled=False)
    shell, clock = SimShell(phone), FakeClock()
    after = bluetooth_on.run(shell, bluetooth.Facts("OFF", False, sdk=sdk), {}, clock=clock,
                             sleep=clock.sleep)
    assert after.state == "ON" and after.turned_on_by_check
    assert bluetooth.evaluate(after, {}).status is Status.PASS
    assert enable in shell.commands and phone.bt_enabled is False
    if sdk >= 33:
        assert "cmd bluetooth_manager wait-for-state:STATE_ON" in shell.commands


def test_bluetooth_on_android_8_needs_a_person_and_no_command():
    shell = SimShell(sim_phone("oppo-a5s", bt_enabled=False))
    after = bluetooth_on.run(shell, bluetooth.Facts("OFF", False, sdk=27), {})
    assert after.needs_manual_enable and shell.commands == []
    result = bluetooth.evaluate(after, {})
    assert result.status is Status.NEEDS_OPERATOR and "Settings" in result.summary.msgid


def test_bluetooth_old_svc_without_bluetooth_is_could_not_command():
    phone = sim_phone("oppo-a5s", bt_enabled=False)  # its svc has no bluetooth command
    shell = SimShell(phone)
    after = bluetooth_on.run(shell, bluetooth.Facts("OFF", False, sdk=None), {})
    assert bluetooth.evaluate(after, {}).status is Status.NEEDS_OPERATOR
    assert after.not_commanded and not any("disable" in c for c in shell.commands)


def test_bluetooth_refused_enable_is_could_not_command_not_broken():
    """The review's case: `cmd bluetooth_manager enable` fails on the phone."""
    phone = sim_phone("samsung-galaxy-a55", bt_enabled=False)
    shell = SimShell(phone, {"cmd bluetooth_manager enable": refused(
        "Security exception: Need BLUETOOTH_PRIVILEGED permission", 255)})
    clock = FakeClock()
    after = bluetooth_on.run(shell, bluetooth.Facts("OFF", False, sdk=35), {}, clock=clock,
                             sleep=clock.sleep)
    result = bluetooth.evaluate(after, {})
    assert result.status is Status.NEEDS_OPERATOR and not after.enable_failed
    assert "Could not turn Bluetooth on by command" in result.summary.msgid
    assert "exit 255" in result.summary.args["reason"]


def test_bluetooth_broken_adapter_fails_after_timeout():
    phone = sim_phone("realme-gt-neo2t", bluetooth={"broken": True}, bt_enabled=False)
    clock = FakeClock()
    after = bluetooth_on.run(SimShell(phone), bluetooth.Facts("OFF", False, sdk=30),
                             {"enable_timeout_s": 6.0}, clock=clock, sleep=clock.sleep)
    assert after.enable_failed
    assert bluetooth.evaluate(after, {}).status is Status.FAIL
    assert clock.now <= 6.0


def test_bluetooth_already_on_is_left_alone():
    phone = sim_phone("samsung-galaxy-s24")
    phone.set_bluetooth(True)
    shell = SimShell(phone)
    stale = bluetooth.Facts(Unknown("dump missing"), Unknown("dump missing"), sdk=34)
    after = bluetooth_on.run(shell, stale, {})
    assert after.state == "ON" and shell.commands == ["dumpsys bluetooth_manager"]


def test_bluetooth_restored_on_error():
    phone = sim_phone("xiaomi-redmi-note10", bt_enabled=False)
    shell = SimShell(phone, {"dumpsys bluetooth_manager": raises(TimeoutError("adb"), 2)})
    with pytest.raises(TimeoutError):
        bluetooth_on.run(shell, bluetooth.Facts("OFF", False, sdk=31), {}, sleep=lambda s: None)
    assert shell.commands[-1] == "svc bluetooth disable" and phone.bt_enabled is False


# -- GPS ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("profile", "sdk", "on"), [
    ("oppo-a5s", 27, "settings put secure location_providers_allowed +gps"),
    ("samsung-galaxy-s9", 29, "settings put secure location_mode 3"),
    ("xiaomi-redmi-10-2022", 33, "cmd location set-location-enabled true")])
def test_gps_turns_location_on_waits_and_restores(profile, sdk, on):
    phone = sim_phone(profile, location={"gps_hardware": True, "satellites": 9, "fix": True},
                      location_enabled=False)
    shell, clock = SimShell(phone), FakeClock()
    after = gps_fix.run(shell, gps.Facts(True, False, sdk=sdk, location_mode=0), {},
                        clock=clock, sleep=clock.sleep)
    assert shell.commands[0] == on
    assert gps.DEFAULT_CRITERIA["start_command"] in shell.commands
    assert after.turned_location_on and gps.evaluate(after, {}).status is Status.PASS
    assert phone.location_enabled is False  # restored


def test_gps_without_fix_gives_up_at_timeout_and_asks_for_a_window():
    phone = sim_phone("samsung-galaxy-s24", location={"fix": False, "satellites": 0},
                      location_enabled=False)
    shell, clock = SimShell(phone), FakeClock()
    after = gps_fix.run(shell, gps.Facts(True, False, sdk=34),
                        {"fix_timeout_s": 20.0, "start_command": ""}, clock=clock,
                        sleep=clock.sleep)
    assert gps.evaluate(after, {}).status is Status.NEEDS_OPERATOR
    assert clock.now <= 20.0 and phone.location_enabled is False
    assert not any(c.startswith("am start") for c in shell.commands)


def test_gps_refused_location_command_is_could_not_command():
    phone = sim_phone("samsung-galaxy-s24", location_enabled=False)
    shell = SimShell(phone, {"cmd location": refused("cmd: Can't find service: location", 20)})
    after = gps_fix.run(shell, gps.Facts(True, False, sdk=34), {}, clock=FakeClock(),
                        sleep=lambda s: None)
    result = gps.evaluate(after, {})
    assert result.status is Status.NEEDS_OPERATOR and "Could not turn location on" in \
        result.summary.msgid


def test_gps_does_nothing_without_gnss_or_with_evidence():
    shell = SimShell(sim_phone("samsung-galaxy-s24"))
    none = gps.Facts(False, False, sdk=34)
    assert gps_fix.run(shell, none, {}) is none
    done = gps.Facts(True, True, ttff_reports=2, sdk=34)
    assert gps_fix.run(shell, done, {}) is done
    assert shell.commands == []


@pytest.mark.parametrize("command", ["am start -a x; reboot", "am start $(id)", "reboot",
                                     "am start -d geo:0,0 | sh", "am start `x`"])
def test_gps_start_command_must_be_one_plain_am_start(command):
    assert not gps_fix.safe_start_command(command)


# -- camera ---------------------------------------------------------------------------------

def _camera_facts(phone_shell):
    return camera.parse({"camera": phone_shell.shell("dumpsys media.camera").output})


def test_camera_opens_and_the_app_is_left():
    phone = sim_phone("samsung-galaxy-a55")
    shell, clock = SimShell(phone), FakeClock()
    facts = camera_open.run(shell, _camera_facts(shell), {"poll_interval_s": 0.0},
                            clock=clock, sleep=clock.sleep)
    assert facts.opened is True
    assert camera_open.OPEN_CAMERA in shell.commands
    assert shell.commands[-1] == camera_open.CLOSE_CAMERA
    result = camera.evaluate(facts, {})
    assert result.status is Status.PASS and result.measurements["opened"] is True


def test_camera_that_never_opens_needs_a_person():
    phone = sim_phone("samsung-galaxy-a55")
    never = lambda command, n: ShellResult("Starting: Intent { act=x }\n", 0)  # noqa: E731
    shell = SimShell(phone, {"am start -a android.media.action.STILL_IMAGE_CAMERA": never})
    clock = FakeClock()
    facts = camera_open.run(shell, _camera_facts(shell), {"open_timeout_s": 3,
                                                          "poll_interval_s": 1.0},
                            clock=clock, sleep=clock.sleep)
    assert facts.opened is False and clock.now <= 3
    assert camera.evaluate(facts, {}).status is Status.NEEDS_OPERATOR
    assert shell.commands[-1] == camera_open.CLOSE_CAMERA


def test_camera_open_test_can_be_switched_off():
    shell = SimShell(sim_phone("samsung-galaxy-a55"))
    facts = _camera_facts(shell)
    shell.commands.clear()
    after = camera_open.run(shell, facts, {"open_test": False})
    assert after.opened is None and shell.commands == []
