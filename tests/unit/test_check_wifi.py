"""Wi-Fi check: parse the real dumps, evaluate, and the active step against a fake shell."""

from __future__ import annotations

import json

import pytest
from fakes import undecorated
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import capture_rows, require_captures
from traomay.checks import wifi
from traomay.core.results import Status, Unknown

ROWS = capture_rows("dumpsys_wifi.txt")

# folder -> (enabled, connected, networks_seen, logged found=, decision), read by hand:
# Pixel 10: "Wi-Fi is disabled", no scan table; Meizu 7.1: 22 rows under "Latest scan
# results:"; Smartron 8.1: disabled but its state machine logged found=33 at the last
# SCAN_RESULTS_EVENT; Sunmi 9: connected (mNetworkInfo CONNECTED), no table; vivo X9 7.1:
# 20 rows (one BSSID upper-case) and a 3.5k-line logcat appended.
EXPECTED = {
    "google-pixel_sailfish-10": (False, False, None, None, "error"),
    "meizu-MX6-7.1.1": (True, True, 22, 22, "pass"),
    "smartron-tphoneE_T5911-8.1.0": (False, False, None, 33, "pass"),
    "sunmi-T2s_LITE-9": (True, True, None, None, "pass"),
    "vivo-X9_PD1616-7.1.2": (True, True, 20, 20, "pass"),
}


@pytest.mark.parametrize(("folder", "path"), ROWS, ids=[f for f, _ in ROWS])
def test_parse_real_wifi_dump(folder, path):
    require_captures()
    enabled, connected, seen, logged, decision = EXPECTED[folder]
    getprop = (path.parent / "getprop.txt").read_text(encoding="utf-8")
    facts = wifi.parse({"wifi": path.read_text(encoding="utf-8"), "getprop": getprop})
    assert facts.enabled is enabled
    assert facts.connected is connected
    if seen is None:
        assert isinstance(facts.networks_seen, Unknown)
    else:
        assert facts.networks_seen == seen
    assert facts.logged_networks_found == logged
    assert facts.sdk is not None
    result = wifi.evaluate(facts, {})
    assert result.status.value == decision
    text = json.dumps(result.to_json())
    assert "FAKE-SSID" not in text and "aa:bb:cc" not in text.lower()  # no SSID/BSSID kept
    assert "FAKE-SSID" not in repr(facts)


def test_every_wifi_capture_has_an_expectation():
    require_captures()
    assert {f for f, _ in ROWS} == set(EXPECTED)


STATUS_11 = """Wifi is enabled
Wifi scanning is always available
==== Primary ClientModeManager instance ====
Wifi is not connected
"""
# ScanResultUtil.dumpScanResults columns, as wide as on a phone.
SCAN_11 = (
    "    BSSID              Frequency      RSSI           Age(sec)     SSID"
    "                                 Flags\n"
    "  12:34:56:78:9a:bc       2437     -50(0:-52/1:-51)       3.012    Home"
    "                              [WPA2-PSK-CCMP][ESS]\n"
    "  12:34:56:78:9a:bd       5180     -71                    3.011    Home-5G"
    "                           [WPA2-PSK-CCMP][ESS]\n"
)


def test_android_11_cmd_wifi_sections():
    facts = wifi.parse({"wifi_status": STATUS_11, "wifi_scan": SCAN_11})
    assert (facts.enabled, facts.connected, facts.networks_seen) == (True, False, 2)
    assert wifi.evaluate(facts, {}).status is Status.PASS
    assert wifi.evaluate(facts, {"min_networks": 3}).status is Status.NEEDS_OPERATOR


def test_no_scan_results_and_connected_status():
    facts = wifi.parse({"wifi_status": 'Wifi is enabled\nWifi is connected to "x"\n',
                        "wifi_scan": "No scan results\n"})
    assert facts.networks_seen == 0 and facts.connected is True
    assert wifi.evaluate(facts, {}).status is Status.PASS


def test_wifiscanner_empty_cache_counts_as_zero():
    facts = wifi.parse({"wifi": "Wi-Fi is enabled\n", "wifi_scanner": "Latest scan results:\n\n"})
    assert facts.networks_seen == 0
    assert wifi.evaluate(facts, {}).status is Status.NEEDS_OPERATOR


def test_old_phone_cmd_errors_are_ignored():
    facts = wifi.parse({"wifi": "Wi-Fi is disabled\n", "wifi_status": "Unknown command: status",
                        "wifi_scan": "cmd: Can't find service: wifi"})
    assert facts.enabled is False and isinstance(facts.networks_seen, Unknown)
    assert wifi.evaluate(facts, {}).status is Status.ERROR


def test_logged_scans_can_be_refused_by_criteria():
    facts = wifi.Facts(False, False, Unknown("x"), logged_networks_found=5)
    assert wifi.evaluate(facts, {}).status is Status.PASS
    assert wifi.evaluate(facts, {"accept_logged_scans": False}).status is Status.ERROR


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["wifi", "wifi_status", "wifi_scan", "wifi_scanner",
                                        "getprop"]), st.text()))
def test_parse_never_raises(sections):
    wifi.evaluate(undecorated(wifi.parse)(sections), {})


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["    BSSID   Frequency  RSSI", "  aa:bb:cc:dd:ee:ff  2412  -5",
                                 "Wi-Fi is enabled", "Latest scan results:", "", "junk",
                                 "mNetworkInfo [type: WIFI[], state: CONNECTED/"])))
def test_parse_never_raises_on_shuffled_lines(lines):
    wifi.evaluate(undecorated(wifi.parse)({"wifi": "\n".join(lines)}), {})




def test_impossible_logged_scan_count_is_no_evidence():
    line = ("rec[1]: time=04-25 11:42:25.721 processed=SupplicantStartedState "
            "what=147461(0x24005) !SCAN_RESULTS_EVENT rt=21570/21570 0 0 found={n} known=0\n")
    assert wifi.parse({"wifi": line.format(n=27)}).logged_networks_found == 27
    for huge in ("99999999999999999999", "1007"):  # mutation "number"
        facts = wifi.parse({"wifi": line.format(n=huge)})
        assert facts.logged_networks_found is None
        assert wifi.evaluate(facts, {}).status is not Status.PASS
