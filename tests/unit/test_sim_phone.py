"""The phone side of the simulator: profiles, the shell interpreter, dumpsys formats per
Android version, radios, Test Harness Mode and package installs (direct Phone.run calls)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sim_apk_builder import build_apk, signer_sha256

from traomay.simulator.phone import Phone
from traomay.simulator.profile import (
    ProfileError,
    default_hub_profiles,
    list_profiles,
    load_profile,
    parse_profile,
)
from traomay.simulator.services import string16_reply

PROFILES = list_profiles()


def out(phone: Phone, command: str, stdin: bytes = b"") -> str:
    return phone.run(command, stdin).stdout.decode()


def phone_with(name: str, **changes) -> Phone:
    return Phone(replace(load_profile(name), **changes))


# --- profiles ---------------------------------------------------------------------------------

def test_profile_set_covers_the_brief() -> None:
    profiles = [load_profile(n) for n in PROFILES]
    assert len(profiles) >= 10 and set(default_hub_profiles()) == set(PROFILES)
    releases = {p.props["ro.build.version.release"] for p in profiles}
    assert {"7.1.2", "8.1.0", "9", "10", "11", "12", "13", "14"} <= releases
    serials = [p.serial for p in profiles]
    assert serials.count("0123456789ABCDEF") == 2
    assert any(a.type == "com.google" for p in profiles for a in p.accounts)
    assert any(p.lock_screen != "none" and p.sdk >= 29 for p in profiles)
    clone = load_profile("alps-clone-s23ultra")
    assert clone.props["ro.product.brand"] == "alps"
    assert clone.props["ro.product.name"] == "full_k62v1_64"
    assert clone.props["ro.build.tags"] == "test-keys"
    assert load_profile("samsung-galaxy-s8").battery.health == "dead"
    assert all(c.facing != "back" for c in load_profile("vivo-y85a").cameras)


@pytest.mark.parametrize("name", PROFILES)
def test_profile_loads_and_getprop_matches(name: str) -> None:
    profile = load_profile(name)
    phone = Phone(profile)
    assert out(phone, "getprop ro.product.model") == profile.props["ro.product.model"] + "\n"
    listing = dict(re.findall(r"^\[(.+?)\]: \[(.*)\]$", out(phone, "getprop"), re.M))
    assert profile.props.items() <= listing.items()
    assert listing["gsm.sim.state"].split(",") == [s.sim_state for s in profile.sims]
    assert out(phone, "getprop no.such.prop") == "\n"
    assert phone.serial == profile.props["ro.serialno"]
    banner = phone.banner().decode()
    assert banner.startswith("device::ro.product.name=") and "features=shell_v2,cmd" in banner


def test_bad_profile_names_the_field() -> None:
    with pytest.raises(ProfileError, match="missing field .wifi."):
        parse_profile({"name": "x", "description": "x", "props": {
            "ro.build.version.sdk": "30", "ro.build.version.release": "11",
            "ro.product.model": "m"}})


def test_features_by_android_version() -> None:
    old, new = Phone.from_profile("xiaomi-redmi-5a"), Phone.from_profile("xiaomi-redmi-note7")
    assert {"shell_v2", "cmd"} <= set(old.features()) and "abb_exec" not in old.features()
    assert "abb_exec" in new.features()
    assert not any(f.startswith("sendrecv_v2") for f in new.features())


# --- shell ------------------------------------------------------------------------------------

def test_separators_status_and_markers() -> None:
    phone = Phone.from_profile("vivo-v15")
    res = phone.run("echo ===TM:battery===; getprop ro.product.brand; false; echo rc=$?")
    assert res.stdout == b"===TM:battery===\nvivo\nrc=1\n"
    assert out(phone, "true && echo yes || echo no") == "yes\n"
    assert out(phone, "false && echo yes || echo no") == "no\n"
    assert out(phone, "echo 'single $?' \"double $?\"") == "single $? double 0\n"
    res = phone.run("frobnicate --now")
    assert res.exit_code == 127
    assert res.stderr == b"/system/bin/sh: frobnicate: inaccessible or not found\n"
    assert out(phone, "frobnicate; echo X4EXIT:$?") == "X4EXIT:127\n"
    assert phone.run("frobnicate 2>/dev/null").stderr == b""
    assert b"inaccessible" in phone.run("frobnicate 2>&1").stdout
    assert out(phone, "getprop ro.product.brand </dev/null") == "vivo\n"
    assert out(phone, "dumpsys battery | grep level") == "  level: 90\n"
    looped = out(phone, 'for f in a b; do echo "$f=$(echo x$f; false)"; done; echo $?')
    assert looped == "a=xa\nb=xb\n0\n"


def test_settings_put_get_and_linked_radios() -> None:
    phone = Phone.from_profile("oppo-a5s")
    assert out(phone, "settings get global no_such_key") == "null\n"
    phone.run("settings put system traomay_marker 'hello world'")
    assert out(phone, "settings get system traomay_marker") == "hello world\n"
    assert out(phone, "settings get global wifi_on") == "0\n"
    phone.run("settings put global wifi_on 1")
    assert out(phone, "dumpsys wifi").startswith("Wi-Fi is enabled")
    assert len(out(phone, "settings get secure android_id").strip()) == 16


# --- dumpsys per version ------------------------------------------------------------------------

SERVICES = ["battery", "batterystats", "media.camera", "wifi", "wifiscanner",
            "bluetooth_manager", "location",
            "telephony.registry", "input", "account", "package", "persistent_data_block"]


@pytest.mark.parametrize("name", PROFILES)
def test_every_dumpsys_renders_with_version_markers(name: str) -> None:
    phone = Phone.from_profile(name)
    sdk = phone.sdk
    dumps = {s: phone.run(f"dumpsys {s}") for s in SERVICES}
    assert all(r.exit_code == 0 and not r.stderr for r in dumps.values())
    text = {s: r.stdout.decode() for s, r in dumps.items()}
    b = phone.profile.battery
    assert f"  level: {b.level}\n" in text["battery"]
    assert ("  Dock powered:" in text["battery"]) == (sdk >= 33)
    assert f"Estimated battery capacity: {b.estimated_mah} mAh" in text["batterystats"]
    if b.learned_mah and sdk >= 26:
        assert f"Min learned battery capacity: {b.learned_mah} mAh" in text["batterystats"]
    cams = phone.profile.cameras
    if sdk <= 25:
        assert f"Camera {cams[0].id} information:" in text["media.camera"]
        assert "== Service global info: ==" not in text["media.camera"]
    else:
        assert "== Service global info: ==" in text["media.camera"]
        assert text["media.camera"].count("android.lens.facing (80005)") == len(cams)
        assert text["media.camera"].count("    Facing: Back") == sum(
            c.facing == "back" for c in cams)
    assert f"Number of camera devices: {len(cams)}" in text["media.camera"]
    assert text["wifi"].startswith("Wi-Fi is ")
    assert text["bluetooth_manager"].startswith("Bluetooth Status\n  enabled: ")
    assert ("DeviceType: TOUCH_SCREEN" in text["input"]) == (sdk >= 31)
    assert ("DeviceType: touchScreen" in text["input"]) == (sdk <= 30)
    assert f"X: min=0, max={phone.profile.touch.max_x}," in text["input"]
    assert ("Location Manager State:" in text["location"]) == (sdk >= 30)
    reg = text["telephony.registry"]
    assert ("mOperatorAlphaLong=" in reg) == (sdk >= 30)
    assert ("mServiceState={" in reg) == (sdk > 25)
    assert f"Accounts: {len(phone.profile.accounts)}" in text["account"]
    assert ("FRP state:" in text["persistent_data_block"]) == (sdk >= 35)
    assert "versionCode=" in text["package"]
    assert phone.run("dumpsys no.such.service").stderr == b"Can't find service: no.such.service\n"


def test_samsung_and_hyperos_battery_quirks() -> None:
    s8 = out(Phone.from_profile("samsung-galaxy-s8"), "dumpsys battery")
    assert "  health: 4\n" in s8 and "  mSavedBatteryAsoc: 41\n" in s8
    s24 = out(Phone.from_profile("samsung-galaxy-s24"), "dumpsys battery")
    assert "  mSavedBatteryAsoc: [98]\n" in s24 and "  Charging state: 0\n" in s24
    a55 = out(Phone.from_profile("samsung-galaxy-a55"), "dumpsys battery")
    assert "\n The last voltage value sent via the battery changed broadcast: " in a55


def test_sysfs_battery_permission() -> None:
    denied = Phone.from_profile("samsung-galaxy-s9").run(
        "cat /sys/class/power_supply/battery/charge_full")
    assert denied.exit_code == 1 and b"Permission denied" in denied.stderr
    note7 = Phone.from_profile("xiaomi-redmi-note7")
    assert out(note7, "cat /sys/class/power_supply/battery/cycle_count") == "388\n"
    assert out(note7, "cat /sys/class/power_supply/battery/charge_full_design") == "4000000\n"


# --- radios -----------------------------------------------------------------------------------

def test_wifi_enable_and_scan_by_version() -> None:
    new = Phone.from_profile("xiaomi-redmi-note8pro")  # Android 11
    assert out(new, "cmd wifi status").startswith("Wifi is disabled")
    assert out(new, "cmd wifi list-scan-results") == "No scan results\n"
    new.run("cmd wifi set-wifi-enabled enabled")
    assert out(new, "cmd wifi status").startswith("Wifi is enabled\n")
    new.run("cmd wifi start-scan")
    table = out(new, "cmd wifi list-scan-results")
    assert "NhaVanHoa-Wifi" in table and table.splitlines()[0].lstrip().startswith("BSSID")
    old = Phone.from_profile("xiaomi-redmi-5a")  # Android 7.1: no WifiShellCommand
    res = old.run("cmd wifi set-wifi-enabled enabled")
    assert b"No shell command implementation." in res.stderr
    old.run("svc wifi enable")
    assert "NhaVanHoa-Wifi" in out(old, "dumpsys wifi")
    pie = Phone.from_profile("vivo-v15")  # 9: the scan cache moved to wifiscanner
    assert "NhaVanHoa-Wifi" not in out(pie, "dumpsys wifi")
    assert "NhaVanHoa-Wifi" in out(pie, "dumpsys wifiscanner")


def test_bluetooth_and_location_commands() -> None:
    oreo = Phone.from_profile("oppo-a5s")  # 8.1: svc has no bluetooth command
    assert "Available commands:" in out(oreo, "svc bluetooth enable")
    assert "enabled: false" in out(oreo, "dumpsys bluetooth_manager")
    pie = Phone.from_profile("vivo-v15")
    pie.run("svc bluetooth enable")
    assert "  state: ON\n" in out(pie, "dumpsys bluetooth_manager")
    t = Phone.from_profile("xiaomi-redmi-10-2022")  # 13: cmd bluetooth_manager
    assert t.run("cmd bluetooth_manager enable && cmd bluetooth_manager "
                 "wait-for-state:STATE_ON").exit_code == 0
    assert "  state: 12\n" in out(phone_with("masstel-max-10"), "svc bluetooth enable; "
                                                                 "dumpsys bluetooth_manager")
    t.run("cmd location set-location-enabled false")
    assert out(t, "cmd location is-location-enabled") == "false\n"
    assert out(t, "settings get secure location_mode") == "0\n"


def test_gps_fix_and_no_satellites() -> None:
    good = out(Phone.from_profile("vivo-iqoo-z6"), "dumpsys location")
    assert "last location=Location[gps " in good and "Number of TTFF reports: 1" in good
    nokia = out(Phone.from_profile("nokia-1-plus"), "dumpsys location")
    assert "Number of location reports: 0" in nokia and "gps: Location" not in nokia


def test_iphonesubinfo_codes_by_version() -> None:
    def decode(text: str) -> str:
        return "".join(re.findall(r"'(.*?)'", text)).replace(".", "").strip()

    q = Phone.from_profile("samsung-galaxy-s9")  # Android 10: per-slot code 3
    imei = q.profile.imeis
    assert decode(out(q, "service call iphonesubinfo 1 s16 com.android.shell")) == imei[0]
    assert decode(out(q, "service call iphonesubinfo 3 i32 1 s16 com.android.shell")) == \
        q.profile.imeis[1]
    r = Phone.from_profile("realme-gt-neo2t")  # Android 11: per-slot code 4, 3 is NAI
    assert decode(out(r, "service call iphonesubinfo 4 i32 0 s16 com.android.shell")) == \
        r.profile.imeis[0]
    assert out(r, "service call iphonesubinfo 3 i32 0").strip() == \
        "Result: Parcel(00000000 ffffffff   '........')"
    assert string16_reply("12")[:2] == [0, 2]


def test_getevent_sweeps_screen_except_dead_zone() -> None:
    def touched(phone: Phone) -> set[tuple[int, int]]:
        t = phone.profile.touch
        x = y = None
        cells = set()
        for line in out(phone, "getevent -lt /dev/input/event2").splitlines():
            if "ABS_MT_POSITION_X" in line:
                x = int(line.split()[-1], 16)
            elif "ABS_MT_POSITION_Y" in line:
                y = int(line.split()[-1], 16)
            elif "SYN_REPORT" in line and x is not None and y is not None:
                cells.add((x * 6 // (t.max_x + 1), y * 10 // (t.max_y + 1)))
        return cells

    assert len(touched(Phone.from_profile("oppo-a5s"))) == 60
    clone = touched(Phone.from_profile("alps-clone-s23ultra"))
    assert len(clone) < 60 and (3, 9) not in clone
    assert "ABS_MT_POSITION_X     : value 0, min 0, max 4095" in out(
        Phone.from_profile("samsung-galaxy-s8"), "getevent -lp")


def test_camera_intent_opens_device() -> None:
    phone = Phone.from_profile("xiaomi-redmi-note10")
    assert out(phone, "wm size") == "Physical size: 1080x2400\n"
    phone.run("am start -a android.media.action.STILL_IMAGE_CAMERA")
    dump = out(phone, "dumpsys media.camera")
    assert "Device 0 is open." in dump and "CONNECT device 0 client for package" in dump
    phone.run("input keyevent KEYCODE_CAMERA")
    assert out(phone, "ls /sdcard/DCIM/Camera").endswith(".jpg\n")
    phone.run("input keyevent 3")
    assert "Device 0 is closed" in out(phone, "dumpsys media.camera")
    front_only = Phone.from_profile("vivo-y85a")
    front_only.run("am start -a android.media.action.IMAGE_CAPTURE")
    dump = out(front_only, "dumpsys media.camera")
    assert "Device 0 is open." in dump and "[FRONT ]" in dump and "[BACK ]" not in dump


# --- Test Harness Mode and reboots --------------------------------------------------------------

def test_testharness_refused_with_lock_screen() -> None:
    phone = Phone.from_profile("xiaomi-redmi-note10")
    res = phone.run("cmd testharness enable")
    assert res.exit_code == 2
    assert res.stderr == b"Test Harness Mode cannot be enabled if there is a lock screen\n"
    assert phone.pending_reboot() is None
    old = Phone.from_profile("vivo-v15")  # Android 9: no such service
    assert old.run("cmd testharness enable").exit_code == 20


def test_testharness_wipes_on_boot() -> None:
    phone = Phone.from_profile("samsung-galaxy-s9")
    before_id = out(phone, "settings get secure android_id")
    phone.write_file("/sdcard/Download/x.txt", b"x", 0o644)
    assert phone.run("cmd testharness enable").exit_code == 0
    assert phone.pending_reboot() == pytest.approx(2.0)
    assert phone.pending_reboot() is None
    phone.on_boot()
    assert "Accounts: 0" in out(phone, "dumpsys account")
    assert out(phone, "pm list packages -3") == ""
    assert out(phone, "settings get secure android_id") != before_id
    assert out(phone, "getprop persist.sys.test_harness") == "1\n"
    assert out(phone, "settings get global adb_enabled") == "1\n"
    assert out(phone, "settings get secure user_setup_complete") == "1\n"
    assert phone.read_file("/sdcard/Download/x.txt") is None


def test_reboot_and_filesystem() -> None:
    phone = Phone.from_profile("realme-gt-neo2t")
    phone.run("reboot")
    assert phone.pending_reboot() == pytest.approx(2.0)
    phone.write_file("/data/local/tmp/a.bin", b"abc", 0o644)
    mode, size, _ = phone.stat_file("/data/local/tmp/a.bin")
    assert size == 3 and mode & 0o170000 == 0o100000
    assert [e[0] for e in phone.list_dir("/data/local/tmp")] == ["a.bin"]
    assert phone.stat_file("/storage/emulated/0/DCIM") is not None
    assert phone.run("rm -f /data/local/tmp/a.bin </dev/null").exit_code == 0
    assert phone.stat_file("/data/local/tmp/a.bin") is None


# --- installs ---------------------------------------------------------------------------------

def install(phone: Phone, apk: bytes) -> str:
    command = f"cmd package 'install' -S {len(apk)}"
    assert phone.stdin_bytes_expected("exec:" + command) == len(apk)
    return out(phone, command, apk)


def test_install_success_and_dumpsys_package() -> None:
    phone = Phone.from_profile("xiaomi-redmi-note8pro")
    apk = build_apk("com.vnid", 211, "2.1.11", 21, 33, abis=("arm64-v8a", "armeabi-v7a"))
    assert install(phone, apk) == "Success\n"
    dump = out(phone, "dumpsys package com.vnid")
    assert "    versionCode=211 minSdk=21 targetSdk=33\n" in dump
    assert "    versionName=2.1.11\n" in dump and "primaryCpuAbi=arm64-v8a" in dump
    assert "package:com.vnid versionCode:211\n" in out(phone, "pm list packages --show-versioncode")
    assert out(phone, "pm path com.vnid").startswith("package:/data/app/com.vnid")
    assert phone.apps["com.vnid"].signer == signer_sha256("publisher-1")


def test_install_failures() -> None:
    phone = Phone.from_profile("xiaomi-redmi-note7")
    assert install(phone, build_apk("com.vnid", 10)) == "Success\n"
    assert install(phone, build_apk("com.vnid", 9)).startswith(
        "Failure [INSTALL_FAILED_VERSION_DOWNGRADE: ")
    assert install(phone, build_apk("com.vnid", 11, signer="someone-else")).startswith(
        "Failure [INSTALL_FAILED_UPDATE_INCOMPATIBLE: ")
    assert install(phone, build_apk("x.y", signer=None)).startswith(
        "Failure [INSTALL_PARSE_FAILED_NO_CERTIFICATES: ")
    assert install(phone, b"not a zip").startswith("Failure [INSTALL_PARSE_FAILED_NOT_APK: ")
    old = Phone.from_profile("xiaomi-redmi-5a")
    older = install(old, build_apk("vn.binhduong", min_sdk=26))
    assert older.startswith("Failure [INSTALL_FAILED_OLDER_SDK: ") and "#26" in older
    nokia = Phone.from_profile("nokia-1-plus")  # 32-bit only
    assert install(nokia, build_apk("a.b", abis=("arm64-v8a",))).startswith(
        "Failure [INSTALL_FAILED_NO_MATCHING_ABIS: ")
    assert install(nokia, build_apk("a.b", abis=("arm64-v8a", "armeabi-v7a"))) == "Success\n"
    full = Phone.from_profile("masstel-max-10")
    full.storage_free = 1000
    assert install(full, build_apk("a.b")).startswith(
        "Failure [INSTALL_FAILED_INSUFFICIENT_STORAGE: ")
    res = full.run("cmd package install -S 4 </dev/null", b"junk")
    assert res.exit_code == 1


def test_push_install_and_sessions() -> None:
    phone = Phone.from_profile("vivo-iqoo-z6")
    apk = build_apk("com.vnid", 5)
    phone.write_file("/data/local/tmp/com.vnid.apk", apk, 0o644)
    assert phone.stdin_bytes_expected("pm install -r -t /data/local/tmp/com.vnid.apk") == 0
    assert out(phone, "pm install -r -t /data/local/tmp/com.vnid.apk") == "Success\n"
    missing = phone.run("pm install /data/local/tmp/nope.apk")
    assert missing.exit_code == 1 and b"Unable to open file" in missing.stderr
    created = out(phone, "cmd package install-create -S 100")
    session = re.search(r"\[(\d+)\]", created).group(1)
    update = build_apk("com.vnid", 6)
    write = f"cmd package install-write -S {len(update)} {session} base.apk -"
    assert phone.stdin_bytes_expected(write) == len(update)
    assert out(phone, write, update).startswith("Success: streamed")
    assert out(phone, f"cmd package install-commit {session}") == "Success\n"
    assert phone.apps["com.vnid"].version_code == 6
    other = re.search(r"\[(\d+)\]", out(phone, "pm install-create")).group(1)
    assert out(phone, f"pm install-abandon {other}") == "Success\n"


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab $?;&|'\"\\()<>2=-")) | st.characters(),
               max_size=40))
def test_shell_never_raises(line: str) -> None:
    res = SHELL_PHONE.run(line)
    assert isinstance(res.stdout, bytes) and isinstance(res.exit_code, int)


SHELL_PHONE = Phone.from_profile("vivo-v15")


def test_samsung_default_device_name() -> None:
    phone = Phone.from_profile("samsung-galaxy-s8")
    assert out(phone, "settings get global default_device_name") == "Galaxy S8\n"
