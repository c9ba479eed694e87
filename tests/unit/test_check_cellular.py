"""Cellular check: telephony.registry (old positional and named ServiceState, multi-SIM),
gsm.sim.state per slot, the operator-confirmed call and the ring helpers."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from fakes import undecorated
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import capture_rows, require_captures
from traomay.checks import cellular
from traomay.core.results import Status, Unknown

ROWS = capture_rows("dumpsys_telephony.registry.txt")

# folder -> (sim states, [(voice, data)] per Phone Id, operators, decision), read by hand.
# Meizu/vivo 7.1 use the positional "mServiceState=1 1 voice home ..." form; Smartron
# 8.1 has its SIM in slot 2 on "Jio 4G"; Sunmi 9 has no gsm.sim.state at all.
EXPECTED = {
    "google-pixel_sailfish-10": (("ABSENT",), [(1, 1)], [], "needs_operator"),
    "meizu-MX6-7.1.1": (("ABSENT", "ABSENT"), [(1, 1), (3, 3)], [], "needs_operator"),
    "smartron-tphoneE_T5911-8.1.0": (("ABSENT", "READY"), [(1, 1), (0, 0)], ["Jio 4G"],
                                     "needs_operator"),
    "sunmi-T2s_LITE-9": (None, [(1, 1)], [], "needs_operator"),
    "vivo-X9_PD1616-7.1.2": (("READY", "ABSENT"), [(0, 0), (1, 1)], ["CHN-UNICOM"],
                             "needs_operator"),
}
MSG = {
    "google-pixel_sailfish-10": "No SIM card",
    "meizu-MX6-7.1.1": "No SIM card",
    "smartron-tphoneE_T5911-8.1.0": "Call this phone",
    "sunmi-T2s_LITE-9": "No mobile network",
    "vivo-X9_PD1616-7.1.2": "Call this phone",
}


def _facts(path):
    getprop = (path.parent / "getprop.txt").read_text(encoding="utf-8")
    return cellular.parse({"telephony": path.read_text(encoding="utf-8"), "getprop": getprop})


@pytest.mark.parametrize(("folder", "path"), ROWS, ids=[f for f, _ in ROWS])
def test_parse_real_telephony_dump(folder, path):
    require_captures()
    sims, regs, operators, decision = EXPECTED[folder]
    facts = _facts(path)
    if sims is None:
        assert isinstance(facts.sim_states, Unknown)
    else:
        assert facts.sim_states == sims
    assert [(s.voice_reg, s.data_reg) for s in facts.slots] == regs
    assert [s.phone_id for s in facts.slots] == list(range(len(regs)))
    assert all(s.call_state == cellular.CALL_IDLE for s in facts.slots)
    result = cellular.evaluate(facts, {})
    assert result.status.value == decision
    assert result.summary.msgid.startswith(MSG[folder])
    assert result.measurements["operators"] == operators
    json.dumps(result.to_json())


def test_every_capture_has_an_expectation():
    require_captures()
    assert {f for f, _ in ROWS} == set(EXPECTED)


def test_registered_phone_passes_once_the_call_is_confirmed():
    require_captures()
    facts = _facts(dict(ROWS)["smartron-tphoneE_T5911-8.1.0"])
    assert cellular.evaluate(replace(facts, operator_call_confirmed=True), {}).status is (
        Status.PASS)
    assert cellular.evaluate(replace(facts, operator_call_confirmed=False), {}).status is (
        Status.FAIL)
    assert cellular.evaluate(facts, {"call_test_optional": True}).status is Status.PASS
    assert facts.network_types == ("Unknown", "LTE")


def _dump(voice: int, data: int, call: int = 0, op: str = "Viettel") -> str:
    return ("last known state:\n  Phone Id=0\n"
            f"    mCallState={call}\n"
            f"    mServiceState={{mVoiceRegState={voice}({cellular.REG_STATES[voice]}), "
            f"mDataRegState={data}({cellular.REG_STATES[data]}), "
            f"mOperatorAlphaLong={op}, mOperatorAlphaShort=VT}}\n"
            "local logs:\n  mServiceState={mVoiceRegState=0(IN_SERVICE), mDataRegState=0}\n")


def test_android_12_names_and_local_logs_are_ignored():
    facts = cellular.parse({"telephony": _dump(1, 1), "getprop": "[gsm.sim.state]: [LOADED]"})
    assert [(s.voice_reg, s.data_reg) for s in facts.slots] == [(1, 1)]  # not the log line
    assert facts.slots[0].operator == "Viettel"
    assert cellular.evaluate(facts, {}).summary.msgid.startswith("The SIM is not connected")


def test_voice_only_registration_and_criteria():
    facts = cellular.parse({"telephony": _dump(0, 1), "getprop": "[gsm.sim.state]: [READY]"})
    assert cellular.evaluate(facts, {"call_test_optional": True}).status is (
        Status.NEEDS_OPERATOR)
    assert cellular.evaluate(facts, {"call_test_optional": True, "require_data": False}
                             ).status is Status.PASS


def test_locked_sim_and_single_sim_layout_without_phone_id():
    text = "last known state:\n  mCallState=0\n  mServiceState=1 1 voice home data home\n"
    facts = cellular.parse({"telephony": text, "getprop": "[gsm.sim.state]: [PIN_REQUIRED]"})
    assert [(s.voice_reg, s.data_reg) for s in facts.slots] == [(1, 1)]
    assert "locked" in cellular.evaluate(facts, {}).summary.msgid


def test_missing_dump_is_unknown():
    facts = cellular.parse({"telephony": "Can't find service: telephony.registry",
                            "getprop": "[gsm.sim.state]: [READY]"})
    assert isinstance(facts.slots, Unknown)
    assert cellular.evaluate(facts, {}).status is Status.ERROR


def test_ring_helpers():
    assert cellular.rang([0, 0, 1, 0])
    assert cellular.rang(["IDLE", "RINGING"])
    assert not cellular.rang([0, 2, 0, None])
    assert cellular.answered([0, 1, 1, 2, 0])
    assert not cellular.answered([0, 2, 1, 0])  # an outgoing call, then a ring never taken
    assert cellular.call_states(_dump(0, 0, call=1)) == (1,)
    assert cellular.call_states("garbage") == ()


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["telephony", "getprop"]), st.text()))
def test_parse_never_raises(sections):
    cellular.evaluate(undecorated(cellular.parse)(sections), {})


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["last known state:", "  Phone Id=0", "  Phone Id=7",
                                 "  mServiceState=0 0 voice", "mVoiceRegState=9",
                                 "  mCallState=1", "[gsm.sim.state]: [READY,,ABSENT]",
                                 "[gsm.operator.alpha]: [a,b,c]", "registrations:", ""])))
def test_parse_never_raises_on_shuffled_lines(lines):
    text = "\n".join(lines)
    cellular.evaluate(undecorated(cellular.parse)({"telephony": text, "getprop": text}), {})
    cellular.rang(cellular.call_states(text))


def test_sim_not_ready_is_not_called_missing():
    facts = cellular.parse({"telephony": _dump(3, 3), "getprop": "[gsm.sim.state]: [NOT_READY]"})
    result = cellular.evaluate(facts, {})
    assert result.status is Status.NEEDS_OPERATOR
    assert result.summary.msgid.startswith("No mobile network")


def test_call_test_input_through_the_hook():
    """The call test's outcome (traomay.probes.call) on the real Smartron 8.1 dump."""
    require_captures()
    facts = _facts(dict(ROWS)["smartron-tphoneE_T5911-8.1.0"])
    rang = cellular.with_operator_input(facts, {"rang": True, "method": "observed"})
    result = cellular.evaluate(rang, {})
    assert result.status is Status.PASS
    assert result.measurements["call_test_method"] == "observed"
    silent = cellular.with_operator_input(facts, {"rang": False, "method": "operator"})
    assert cellular.evaluate(silent, {}).summary.msgid == "The phone did not ring when called"
    assert cellular.with_operator_input(facts, True).operator_call_confirmed is True
    for junk in (None, "yes", {"rang": "yes"}, {"method": "observed"}, 1):
        assert cellular.with_operator_input(facts, junk) == facts
    # A ring on a phone without a SIM in service changes nothing: insert a SIM first.
    no_sim = _facts(dict(ROWS)["google-pixel_sailfish-10"])
    assert cellular.evaluate(cellular.with_operator_input(no_sim, True), {}).status is (
        Status.NEEDS_OPERATOR)


def test_polled_call_states_from_a_ringing_dump():
    ringing = _dump(0, 0, call=1)
    assert cellular.call_states(ringing) == (1,)
    assert cellular.rang(cellular.call_states(_dump(0, 0)) + cellular.call_states(ringing))


def test_wifi_calling_is_not_the_mobile_network():
    # 10+: IN_SERVICE over IWLAN (Wi-Fi calling, RAT 18) while the cellular radio has no
    # signal. Shape of an Android 12 mServiceState line, values changed.
    text = ("last known state:\n  Phone Id=0\n    mCallState=0\n"
            "    mServiceState={mVoiceRegState=0(IN_SERVICE), mDataRegState=0(IN_SERVICE), "
            "mOperatorAlphaLong=Viettel, getRilVoiceRadioTechnology=18(IWLAN), "
            "getRilDataRadioTechnology=18(IWLAN), mIsEmergencyOnly=false}\n"
            "    mCallNetworkType=13\n")
    facts = cellular.parse({"telephony": text, "getprop": "[gsm.sim.state]: [LOADED]"})
    assert cellular.evaluate(facts, {}).measurements["voice_reg"] == ["WIFI_CALLING_ONLY"]
    assert cellular.evaluate(facts, {}).summary.msgid.startswith("The SIM is not connected")
    lte = text.replace("18(IWLAN)", "14(LTE)")
    facts = cellular.parse({"telephony": lte, "getprop": "[gsm.sim.state]: [LOADED]"})
    assert cellular.evaluate(facts, {}).measurements["voice_in_service"] is True


@pytest.mark.parametrize(("text", "why"), [
    # mutation "number": one digit puts an out-of-service phone in service
    (_dump(1, 1).replace("mVoiceRegState=1", "mVoiceRegState=0", 1), "does not add up"),
    (_dump(1, 1).replace("mDataRegState=1", "mDataRegState=0", 1), "does not add up"),
    # 7.x positional: in service without any radio technology
    ("last known state:\n  Phone Id=0\n  mCallState=0\n  mServiceState=0 1 voice home data "
     "home null null 00000 null null 00000  Unknown Unknown CSS not supported 0 0\n",
     "without a radio technology"),
])
def test_a_registration_state_that_does_not_add_up_is_unknown(text, why):
    facts = cellular.parse({"telephony": text, "getprop": "[gsm.sim.state]: [READY]"})
    assert isinstance(facts.slots, Unknown) and why in facts.slots.reason
    confirmed = cellular.with_operator_input(facts, {"rang": True, "method": "operator"})
    assert cellular.evaluate(confirmed, {}).status is Status.ERROR


def test_real_7x_in_service_line_keeps_working():
    line = ("last known state:\n  Phone Id=0\n  mCallState=0\n  mServiceState=0 0 voice home "
            "data home CHN-UNICOM UNICOM 46001 CHN-UNICOM UNICOM 46001  LTE LTE CSS not "
            "supported -1 -1 RoamInd=-1 DefRoamInd=-1 EmergOnly=false\n")
    facts = cellular.parse({"telephony": line, "getprop": "[gsm.sim.state]: [READY]"})
    assert [(s.voice_reg, s.data_reg) for s in facts.slots] == [(0, 0)]
