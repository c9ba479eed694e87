"""GPS check: the real location dumps (old and Android 10 layouts), a 12+ layout, the
active step."""

from __future__ import annotations

import json

import pytest
from fakes import undecorated
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import capture_rows, require_captures
from traomay.checks import gps
from traomay.core.results import Status, Unknown

ROWS = capture_rows("dumpsys_location.txt")

# folder -> (gps_enabled, ttff, fix since boot, satellites, decision), read by hand:
# Pixel 10: "gps provider: useable=true", KPI "Number of TTFF reports: 0";
# Meizu/MIUI/vivo/Sunmi/Smartron: "Enabled Providers:" lists only fused and passive (GPS
# off); vivo X9 keeps "gps: Location[gps ... et=+3h9m15s720ms ... satellites=7]" => a fix
# this boot. The MIUI capture has no getprop (Android 7-8 per its "Reciever[" layout).
EXPECTED = {
    "google-pixel_sailfish-10": (True, 0, False, None, "needs_operator"),
    "meizu-MX6-7.1.1": (False, None, False, None, "needs_operator"),
    "smartron-tphoneE_T5911-8.1.0": (False, 0, False, None, "needs_operator"),
    "sunmi-T2s_LITE-9": (False, 0, False, None, "needs_operator"),
    "vivo-X9_PD1616-7.1.2": (False, None, True, 7, "pass"),
    "xiaomi-unknown_MIUI-7or8": (False, None, False, None, "needs_operator"),
}


def _sections(path):
    sections = {"location": path.read_text(encoding="utf-8")}
    getprop = path.parent / "getprop.txt"
    if getprop.is_file():
        sections["getprop"] = getprop.read_text(encoding="utf-8")
    return sections


@pytest.mark.parametrize(("folder", "path"), ROWS, ids=[f for f, _ in ROWS])
def test_parse_real_location_dump(folder, path):
    require_captures()
    enabled, ttff, fix, sats, decision = EXPECTED[folder]
    facts = gps.parse(_sections(path))
    assert facts.gnss_present is True  # every capture is a phone with GNSS
    assert facts.gps_enabled is enabled
    assert facts.ttff_reports == ttff
    assert facts.gps_fix_since_boot is fix
    assert facts.satellites_in_fix == sats
    result = gps.evaluate(facts, {})
    assert result.status.value == decision
    text = json.dumps(result.to_json())
    assert "12.345678" not in text and "12.345678" not in repr(facts)  # no coordinates kept


def test_every_capture_has_an_expectation():
    require_captures()
    assert {f for f, _ in ROWS} == set(EXPECTED)


def test_no_satellites_asks_for_a_window():
    require_captures()
    path = dict(ROWS)["google-pixel_sailfish-10"]
    result = gps.evaluate(gps.parse(_sections(path)), {})
    assert "window" in result.summary.msgid


def test_old_fix_refused_when_freshness_required():
    require_captures()
    facts = gps.parse(_sections(dict(ROWS)["vivo-X9_PD1616-7.1.2"]))
    assert facts.fix_age_s is None  # that dump has no current elapsed time
    assert gps.evaluate(facts, {"max_fix_age_s": 600}).status is Status.NEEDS_OPERATOR


# Android 12+ layout (LocationManagerService, frameworks/base; android-facts.md §5).
# Synthetic text in that shape, not a capture.
MODERN = """Location Manager State:
  User Info:
    current users: [0]
  Location Settings:
    Location Setting: true
  Location Providers:
    passive provider:
      last location=null
    gps provider:
      last location=Location[gps 10,123456,106,654321 hAcc=4 et=+1h2m3s4ms {Bundle[{satellites=9}]}]
      enabled=true
      mStarted=true (changed +12s ago)
      GNSS_KPI_START
        Number of location reports: 40
        Number of TTFF reports: 1
        TTFF mean (sec): 21.5
        Number of CN0 reports: 38
        Top 4 Avg CN0 mean (dB-Hz): 31.2
        Total number of sv status messages processed: 41
      GNSS_KPI_END
  GNSS Manager:
    GNSS Hardware Model Name: qcom,MPSS.HI.4.3
"""


# GnssMetrics prints a mean only under a count above 0: a phone without fixes has neither.
NO_TTFF = ("Number of TTFF reports: 1\n        TTFF mean (sec): 21.5",
           "Number of TTFF reports: 0")
NO_CN0 = ("Number of CN0 reports: 38\n        Top 4 Avg CN0 mean (dB-Hz): 31.2",
          "Number of CN0 reports: 0")


def test_android_12_layout():
    facts = gps.parse({"location": MODERN, "location_mode": "3\n"})
    assert facts.gnss_present is True and facts.gps_enabled is True
    assert (facts.ttff_reports, facts.cn0_reports, facts.sv_status_reports) == (1, 38, 41)
    assert facts.gps_fix_since_boot and facts.satellites_in_fix == 9
    assert gps.evaluate(facts, {}).status is Status.PASS


def test_cn0_and_sv_without_ttff_is_evidence():
    facts = gps.parse({"location": MODERN.replace(NO_TTFF[0], NO_TTFF[1])
                       .replace("last location=Location[gps", "last location=null[")})
    assert gps.satellite_evidence(facts, {}) == "cn0"


def test_no_gnss_provider_fails():
    tablet = ("Location Manager State:\n  Location Providers:\n    passive provider:\n"
              "      enabled=true\n    network provider:\n      enabled=true\n"
              "  Historical Aggregate Location Provider Data:\n")
    facts = gps.parse({"location": tablet})
    assert facts.gnss_present is False
    assert gps.evaluate(facts, {}).status is Status.FAIL
    # the same dump cut off before its end is "unknown", not a failure
    cut = gps.parse({"location": tablet.rsplit("  Historical", 1)[0]})
    assert isinstance(cut.gnss_present, Unknown)
    assert gps.evaluate(cut, {}).status is Status.ERROR


@pytest.mark.parametrize(("mode", "enabled"), [("0", False), ("1", True), ("2", False),
                                                ("3", True)])
def test_location_mode_decides_when_the_dump_does_not(mode, enabled):
    old = "Current Location Manager state:\ngps Internal State:\n  mFixInterval=1000\n"
    assert gps.parse({"location": old, "location_mode": mode}).gps_enabled is enabled


def test_missing_dump_is_unknown():
    facts = gps.parse({"location": "Can't find service: location"})
    assert isinstance(facts.gnss_present, Unknown)
    assert gps.evaluate(facts, {}).status is Status.ERROR


@pytest.mark.parametrize(("text", "seconds"), [("+7d20h23m26s360ms", 678206.36),
                                               ("2m18s627ms", 138.627), ("+0ms", 0.0),
                                               ("abc", None), ("", None), ("5x", None)])
def test_parse_duration(text, seconds):
    assert gps.parse_duration(text) == (pytest.approx(seconds) if seconds is not None else None)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["location", "location_mode", "getprop"]), st.text()))
def test_parse_never_raises(sections):
    gps.evaluate(undecorated(gps.parse)(sections), {})


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(MODERN.splitlines() + ["gps Internal State:", "Location[gps",
                                                       "Enabled Providers:", "    gps", ""])))
def test_parse_never_raises_on_shuffled_lines(lines):
    gps.evaluate(undecorated(gps.parse)({"location": "\n".join(lines)}), {})


def test_mock_fix_is_not_satellite_evidence():
    # Location.toString marks a fake-GPS app's fix with " mock"; it proves nothing.
    text = (MODERN.replace(NO_TTFF[0], NO_TTFF[1]).replace(NO_CN0[0], NO_CN0[1])
            .replace("hAcc=4 et=", "hAcc=4 mock et="))
    facts = gps.parse({"location": text})
    assert facts.gnss_present is True and not facts.gps_fix_since_boot
    assert gps.evaluate(facts, {}).status is Status.NEEDS_OPERATOR


def test_location_setting_per_user_lines():
    # 12+ with a second user (seen on a Pixel 13/14 dump): one "[uN] bool" line per user.
    text = ("Location Manager State:\n  Location Settings:\n    Location Setting:\n"
            "      [u0] false\n      [u10] true\n  Location Providers:\n    gps provider:\n"
            "      user 0:\n        last location=null\n")
    facts = gps.parse({"location": text})
    assert facts.gnss_present is True and facts.gps_enabled is False


KPI = """Current Location Manager state:
gps Internal State:
  mStarted=false
GNSS_KPI_START
  KPI logging start time: +15s143ms
  Number of location reports: {location}
  Number of TTFF reports: {ttff}
{ttff_mean}  Number of position accuracy reports: 0
  Number of CN0 reports: {cn0}
{cn0_mean}GNSS_KPI_END
"""


def _kpi(location="0", ttff="0", cn0="0", ttff_mean="", cn0_mean="", sv=""):
    text = KPI.format(location=location, ttff=ttff, cn0=cn0, ttff_mean=ttff_mean,
                      cn0_mean=cn0_mean)
    if sv:
        text = text.replace("GNSS_KPI_END", f"  Total number of sv status messages processed: "
                            f"{sv}\nGNSS_KPI_END")
    return gps.parse({"location": text})


@pytest.mark.parametrize("damaged", [
    # the mutation fuzz's finding: a huge TTFF count turned "take it outdoors" into a pass
    {"ttff": "99999999999999999999"},
    {"ttff": "1"},  # a count above 0 without the "TTFF mean" line GnssMetrics then prints
    {"ttff": "-1"},
    {"location": "0", "ttff": "2", "ttff_mean": "  TTFF mean (sec): 7.5\n"},  # > locations
    {"ttff": "1", "location": "5", "ttff_mean": "  TTFF mean (sec): -3\n"},  # impossible mean
    {"cn0": "38", "sv": "41"},  # CN0 reports without their mean line
    {"ttff_mean": "  TTFF mean (sec): 7.5\n"},  # a mean under a count of 0
])
def test_gnss_counters_that_do_not_add_up_are_no_evidence(damaged):
    facts = _kpi(**damaged)
    assert facts.counters_problem
    assert gps.satellite_evidence(facts, {}) is None
    result = gps.evaluate(facts, {})
    assert result.status is Status.ERROR
    assert result.summary.msgid == "Could not tell whether GPS works: {reason}"


def test_consistent_gnss_counters_are_evidence():
    facts = _kpi(location="24", ttff="1", ttff_mean="  TTFF mean (sec): 7.214\n")
    assert not facts.counters_problem and gps.satellite_evidence(facts, {}) == "ttff"
    facts = _kpi(location="24", cn0="24", cn0_mean="  Top 4 Avg CN0 mean (dB-Hz): 31.5\n",
                 sv="24")
    assert gps.satellite_evidence(facts, {}) == "cn0"
    none = _kpi()
    assert not none.counters_problem
    assert gps.evaluate(none, {}).status is Status.NEEDS_OPERATOR
