"""Issue 4 end to end through the real adb server and simulated phones: the previous
owner's account, the test-harness reset through its reboot, and installing the manifest's
apps (tampered APK refused, second run pushes nothing, old phone told it is too old)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from traomay.apps.install_manifest import install_manifest_apps, record_apps
from traomay.apps.manifest import load_manifest, pin
from traomay.demo.apkfactory import build_apk
from traomay.inventory.store import Inventory
from traomay.provision.pipeline import identify_listing, record_identity
from traomay.provision.reset import ResetRefused, reset_phone
from traomay.simulator.hub import SimulatedHub
from traomay.simulator.phone import Phone

OWNER = "nguoicu"  # part of the fake Google account name in the samsung-galaxy-s9 profile


@pytest.fixture()
def sim(adb_server):
    started = []

    def start(*profiles):
        phones = [Phone.from_profile(p) for p in profiles]
        hub = SimulatedHub(phones, adb_port=adb_server.port).start()
        started.append(hub)
        return phones, hub, adb_server.hub()

    yield start
    for hub in started:
        hub.stop()


def _phone(adb_hub, inv, index=0):
    listing = adb_hub.list_phones()[index]
    link, report = identify_listing(adb_hub, listing)
    record_identity(inv, report, serial_shared=False)
    return listing, link, report


def _all_text(inv) -> str:
    dump = "\n".join(inv.db.iterdump())
    for run in inv.db["runs"].rows:
        dump += json.dumps(inv.raw_outputs(run["id"]), ensure_ascii=False)
    return dump


def test_account_blocks_reset_until_removed_then_testharness_reset(sim, tmp_path):
    phones, _hub, adb_hub = sim("samsung-galaxy-s9")
    assert any(OWNER in a.name for a in phones[0].accounts), "profile must carry the account"
    with Inventory(tmp_path / "inv.sqlite", station="t") as inv:
        listing, link, report = _phone(adb_hub, inv)
        with pytest.raises(ResetRefused) as refused:
            reset_phone(adb_hub, listing, report.identity, inv, report.device_id,
                        come_back_timeout=30)
        assert "Remove account" in refused.value.message.msgid
        phones[0].accounts.clear()  # the volunteer removes it in Settings > Accounts
        old_android_id = report.identity.android_id
        outcome = reset_phone(adb_hub, listing, report.identity, inv, report.device_id,
                              come_back_timeout=30)
        assert outcome.method == "testharness"
        assert outcome.accounts_after == 0
        after = outcome.identity_after
        assert after.serial == report.identity.serial
        assert after.android_id and after.android_id != old_android_id
        kinds = [e["kind"] for e in inv.events(report.device_id)]
        assert "reset" in kinds
        # The phone after the reset is still the same inventory record.
        assert inv.find_device_id(after.candidate_keys()) == report.device_id
        assert len(inv.devices()) == 1
        assert OWNER not in _all_text(inv)


def test_lock_screen_blocks_testharness_with_instruction(sim, tmp_path):
    _phones, _hub, adb_hub = sim("xiaomi-redmi-note10")  # Android 12, pattern lock
    with Inventory(tmp_path / "inv.sqlite") as inv:
        listing, _link, report = _phone(adb_hub, inv)
        with pytest.raises(ResetRefused) as refused:
            reset_phone(adb_hub, listing, report.identity, inv, report.device_id,
                        come_back_timeout=10)
        assert "Screen lock" in refused.value.message.msgid


def _manifest(tmp_path, bds_min_sdk=26):
    root = tmp_path / "station"
    (root / "apks").mkdir(parents=True)
    src = tmp_path / "district"
    vneid = build_apk(src, package="com.vnid", version_code=5, min_sdk=21, filler=os.urandom(50000))
    bds = build_apk(src, package="vn.gov.binhduong.so", version_code=3, min_sdk=bds_min_sdk)
    manifest = root / "apk_manifest.yaml"
    shutil.copy(os.path.join(os.path.dirname(__file__), "..", "..", "apk_manifest.yaml"), manifest)
    pin(manifest, [vneid])
    pin(manifest, [bds], name="Bình Dương Số")
    return manifest


def test_install_is_idempotent_and_verified(sim, tmp_path):
    manifest = load_manifest(_manifest(tmp_path))
    phones, _hub, adb_hub = sim("samsung-galaxy-a55")
    with Inventory(tmp_path / "inv.sqlite") as inv:
        _listing, link, report = _phone(adb_hub, inv)
        first = install_manifest_apps(link, manifest)
        assert [o.status.value for o in first.outcomes] == ["installed", "installed"]
        assert first.bytes_pushed > 50000
        assert first.result.status.value == "pass"
        record_apps(inv, report.device_id, first)
        second = install_manifest_apps(link, manifest)
        assert [o.status.value for o in second.outcomes] == ["skipped", "skipped"]
        assert second.bytes_pushed == 0
        assert inv.latest_results(report.device_id)["apps"]["status"] == "pass"
    out = link.shell("dumpsys package com.vnid").output
    assert "versionCode=5" in out


def test_tampered_apk_is_refused(sim, tmp_path):
    path = _manifest(tmp_path)
    manifest = load_manifest(path)
    apk = manifest.file_path(manifest.apps[0].files[0])
    data = bytearray(apk.read_bytes())
    data[100] ^= 0xFF
    apk.write_bytes(bytes(data))
    _phones, _hub, adb_hub = sim("samsung-galaxy-a55")
    with Inventory(tmp_path / "inv.sqlite") as inv:
        _listing, link, _report = _phone(adb_hub, inv)
        report = install_manifest_apps(link, manifest)
        vneid, bds = report.outcomes
        assert vneid.status.value == "refused" and vneid.bytes_pushed == 0
        assert "changed after it was signed" in vneid.message.msgid
        assert bds.status.value == "installed"  # the other app is not held back
        assert report.result.status.value != "pass"
    assert "com.vnid" not in link.shell("pm list packages").output


def test_old_phone_gets_plain_too_old_reason_via_cli(sim, adb_server, tmp_path):
    manifest = _manifest(tmp_path, bds_min_sdk=26)
    _phones, _hub, adb_hub = sim("xiaomi-redmi-5a")  # Android 7.1.2 (SDK 25)
    serial = adb_hub.list_phones()[0].serial
    env = dict(os.environ, TRAOMAY_ADB_PORT=str(adb_server.port), TRAOMAY_LANG="en",
               COLUMNS="200")
    out = subprocess.run([sys.executable, "-m", "traomay", "--db",
                          str(tmp_path / "inv.sqlite"), "install", serial, "--manifest",
                          str(manifest)], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 1, out.stderr
    assert "too old for Bình Dương Số (needs Android 8.0 or newer)" in out.stdout
    assert "VNeID" in out.stdout


def test_finalize_restores_settings_and_turns_usb_debugging_off(sim, tmp_path):
    from traomay.provision.reset import finalize_phone

    phones, _hub, adb_hub = sim("samsung-galaxy-a55")
    listing = adb_hub.list_phones()[0]
    link = adb_hub.link(listing)
    link.shell("settings put global stay_on_while_plugged_in 7")
    outcome = finalize_phone(link)
    assert not outcome.still_test_harness and outcome.adb_disabled
    assert "global/stay_on_while_plugged_in" in outcome.restored
    assert phones[0].get_setting("global", "adb_enabled") == "0"
    assert phones[0].get_setting("global", "stay_on_while_plugged_in") == "0"


def test_finalize_after_testharness_reset_warns_and_keeps_adb(sim, tmp_path):
    from traomay.provision.reset import TEST_HARNESS_WARNING, finalize_phone

    phones, _hub, adb_hub = sim("samsung-galaxy-s24")
    with Inventory(tmp_path / "inv.sqlite") as inv:
        listing, _link, report = _phone(adb_hub, inv)
        outcome = reset_phone(adb_hub, listing, report.identity, inv, report.device_id,
                              come_back_timeout=30)
    back = adb_hub.link(adb_hub.wait_for(lambda p: p.ready, timeout=15))
    assert back.shell("getprop persist.sys.test_harness").output.strip() == "1"
    assert outcome.method == "testharness"
    result = finalize_phone(back)
    assert result.still_test_harness and TEST_HARNESS_WARNING in result.warnings
    assert not result.adb_disabled
    assert phones[0].get_setting("global", "adb_enabled") == "1"


def test_android_9_guided_manual_reset_resumes_the_same_record(sim, tmp_path):
    """Android < 10 has no Test Harness Mode: the volunteer erases the phone in Settings,
    turns USB debugging on again and taps Allow; the toolkit waits and files the phone that
    comes back under the same inventory record."""
    import threading
    import time

    phones, hub, adb_hub = sim("vivo-v15")
    steps = []
    with Inventory(tmp_path / "inv.sqlite") as inv:
        listing, _link, report = _phone(adb_hub, inv)

        def volunteer():
            while len(steps) < 4:  # the four Settings steps were shown
                time.sleep(0.05)
            hub.unplug(0)
            phones[0].factory_reset_from_settings()
            time.sleep(0.3)
            hub.replug(0)  # USB debugging on again, cable back in
            time.sleep(0.3)
            hub.allow(0)  # "Allow USB debugging?" -> Allow

        helper = threading.Thread(target=volunteer)
        helper.start()
        outcome = reset_phone(adb_hub, listing, report.identity, inv, report.device_id,
                              come_back_timeout=30, on_wait=steps.append)
        helper.join()
        assert outcome.method == "manual"
        assert "Erase all data" in steps[0].msgid
        assert outcome.accounts_after == 0
        assert outcome.identity_after.android_id != report.identity.android_id
        assert inv.find_device_id(outcome.identity_after.candidate_keys()) == report.device_id
        assert len(inv.devices()) == 1


def _split_manifest(tmp_path):
    root = tmp_path / "station"
    (root / "apks").mkdir(parents=True)
    src = tmp_path / "district"
    base = build_apk(src, package="com.vnid", version_code=7, min_sdk=21)
    arm64 = build_apk(src, package="com.vnid", version_code=7, min_sdk=21,
                      split="config.arm64_v8a", abis=("arm64-v8a",))
    manifest = root / "apk_manifest.yaml"
    manifest.write_text("schema: 1\napps: []\n", encoding="utf-8")
    pin(manifest, [base, arm64])
    return load_manifest(manifest)


def test_split_apks_install_through_a_session(sim, tmp_path):
    manifest = _split_manifest(tmp_path)
    _phones, _hub, adb_hub = sim("samsung-galaxy-a55")
    link = adb_hub.link(adb_hub.list_phones()[0])
    report = install_manifest_apps(link, manifest)
    (outcome,) = report.outcomes
    assert outcome.status.value == "installed", outcome.message
    assert outcome.route.startswith("session")
    assert outcome.installed_version == 7
    again = install_manifest_apps(link, manifest)
    assert again.outcomes[0].status.value == "skipped" and again.bytes_pushed == 0


def test_phone_without_cmd_feature_gets_a_push_install(sim, tmp_path):
    import dataclasses

    manifest = load_manifest(_manifest(tmp_path))
    phones, hub, adb_hub = sim("vivo-v15")
    hub.stop()  # plug it again with adbd's older feature list (no `cmd`: push + pm install)
    phones[0].profile = dataclasses.replace(phones[0].profile, features=("shell_v2",))
    old = SimulatedHub(phones, adb_port=adb_hub.port).start()
    try:
        link = adb_hub.link(adb_hub.list_phones()[0])
        assert "cmd" not in link.features()
        report = install_manifest_apps(link, manifest)
        assert [o.route for o in report.outcomes] == ["push", "push"]
        assert all(o.status.value == "installed" for o in report.outcomes)
        assert "traomay-" not in link.shell("ls /data/local/tmp").output  # cleaned up
    finally:
        old.stop()
