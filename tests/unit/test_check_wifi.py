"""Wi-Fi check: parse the real dumps, evaluate, and the active step against a fake shell."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import REPO, capture_rows, require_captures
from traomay.checks import wifi
from traomay.core.results import ShellResult, Status, Unknown

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


class FakePhone:
    """A phone whose Wi-Fi turns on when asked and finds networks after a scan."""

    def __init__(self, sdk: int, enabled: bool = False, networks: int = 2,
                 can_enable: bool = True):
        self.sdk, self.enabled, self.networks, self.can_enable = sdk, enabled, networks, can_enable
        self.scanned = False
        self.commands: list[str] = []

    def shell(self, command: str, timeout: float = 30.0) -> ShellResult:
        self.commands.append(command)
        if command in ("svc wifi enable", "cmd wifi set-wifi-enabled enabled"):
            self.enabled = self.can_enable
        elif command in ("svc wifi disable", "cmd wifi set-wifi-enabled disabled"):
            self.enabled = False
        elif command == "cmd wifi start-scan":
            self.scanned = self.enabled
        elif command == "cmd wifi status":
            return ShellResult(f"Wifi is {'enabled' if self.enabled else 'disabled'}\n", 0)
        elif command == "cmd wifi list-scan-results":
            return ShellResult(self._table() if self.scanned else "No scan results\n", 0)
        elif command == "dumpsys wifi":
            state = "enabled" if self.enabled else "disabled"
            return ShellResult(f"Wi-Fi is {state}\nLatest scan results:\n"
                               + (self._table() if self.enabled else ""), 0)
        elif command == "dumpsys wifiscanner":
            return ShellResult("", 0)
        return ShellResult("", 0)

    def _table(self) -> str:
        rows = "".join(f"  02:00:00:00:00:{i:02x}       2412    -60  1.0    n{i}   [ESS]\n"
                       for i in range(self.networks))
        return "    BSSID              Frequency  RSSI    Age      SSID   Flags\n" + rows


class Clock:
    def __init__(self):
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("sdk", [25, 30, 34])
def test_active_turns_on_scans_and_restores(sdk):
    phone, clock = FakePhone(sdk), Clock()
    before = wifi.Facts(False, False, Unknown("none"), sdk=sdk)
    after = wifi.run_active(phone, before, {}, sleep=clock.sleep, clock=clock)
    assert after.networks_seen == 2 and after.turned_on_by_check
    assert wifi.evaluate(after, {}).status is Status.PASS
    assert phone.enabled is False  # restored
    on = "cmd wifi set-wifi-enabled enabled" if sdk >= 30 else "svc wifi enable"
    assert phone.commands[0] == on
    assert ("cmd wifi start-scan" in phone.commands) == (sdk >= 30)


def test_active_leaves_wifi_on_when_it_was_on():
    phone, clock = FakePhone(34, enabled=True), Clock()
    before = wifi.Facts(True, False, 0, sdk=34)
    after = wifi.run_active(phone, before, {}, sleep=clock.sleep, clock=clock)
    assert phone.enabled is True and not after.turned_on_by_check
    assert not any("disable" in c for c in phone.commands)


def test_active_wifi_that_never_turns_on_fails_within_the_timeout():
    phone, clock = FakePhone(30, can_enable=False), Clock()
    after = wifi.run_active(phone, wifi.Facts(False, False, Unknown("x"), sdk=30),
                            {"scan_timeout_s": 9.0}, sleep=clock.sleep, clock=clock)
    assert after.enable_failed
    assert wifi.evaluate(after, {}).status is Status.FAIL
    assert clock.now <= 9.0 + 3.0


def test_active_no_networks_asks_for_a_hotspot():
    phone, clock = FakePhone(30, networks=0), Clock()
    after = wifi.run_active(phone, wifi.Facts(False, False, Unknown("x"), sdk=30), {},
                            sleep=clock.sleep, clock=clock)
    assert wifi.evaluate(after, {}).status is Status.NEEDS_OPERATOR
    assert phone.enabled is False


def test_active_restores_even_when_the_phone_goes_away():
    class Vanishing(FakePhone):
        def shell(self, command, timeout=30.0):
            if command == "cmd wifi status":
                raise ConnectionError("gone")
            return super().shell(command, timeout)

    phone = Vanishing(30)
    with pytest.raises(ConnectionError):
        wifi.run_active(phone, wifi.Facts(False, False, Unknown("x"), sdk=30), {},
                        sleep=lambda s: None)
    assert phone.commands[-1] == "cmd wifi set-wifi-enabled disabled"


def test_active_skips_a_phone_that_already_passes():
    phone = FakePhone(30)
    facts = wifi.Facts(True, True, 3, sdk=30)
    assert wifi.run_active(phone, facts, {}) is facts and phone.commands == []


def test_defaults_documented_in_criteria_yaml():
    text = (REPO / "criteria.yaml").read_text(encoding="utf-8")
    assert dict(yaml.safe_load(text)["wifi"]) == dict(wifi.DEFAULT_CRITERIA)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["wifi", "wifi_status", "wifi_scan", "wifi_scanner",
                                        "getprop"]), st.text()))
def test_parse_never_raises(sections):
    wifi.evaluate(wifi.parse(sections), {})


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["    BSSID   Frequency  RSSI", "  aa:bb:cc:dd:ee:ff  2412  -5",
                                 "Wi-Fi is enabled", "Latest scan results:", "", "junk",
                                 "mNetworkInfo [type: WIFI[], state: CONNECTED/"])))
def test_parse_never_raises_on_shuffled_lines(lines):
    wifi.evaluate(wifi.parse({"wifi": "\n".join(lines)}), {})


def test_active_unreadable_state_is_unknown_not_a_failure():
    class Denied(FakePhone):
        def shell(self, command, timeout=30.0):
            if command.startswith("cmd wifi status") or "list-scan" in command:
                self.commands.append(command)
                return ShellResult("Uid 2000 does not have access to status wifi command", 0)
            return super().shell(command, timeout)

    phone, clock = Denied(33), Clock()
    after = wifi.run_active(phone, wifi.Facts(False, False, Unknown("x"), sdk=33),
                            {"scan_timeout_s": 6.0}, sleep=clock.sleep, clock=clock)
    assert not after.enable_failed
    assert wifi.evaluate(after, {}).status is Status.ERROR
    assert phone.enabled is False
