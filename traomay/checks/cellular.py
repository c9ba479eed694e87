"""Cellular: is a SIM registered for voice and data, and does an incoming call ring?

Reads the "last known state:" part of ``dumpsys telephony.registry`` (one ``Phone Id=N``
block per SIM slot on multi-SIM phones; single-SIM dumps may have no Phone Id line) and
``gsm.sim.state`` / ``gsm.network.type`` from getprop (comma-separated per slot).

``mServiceState`` comes in two shapes:
- 8.x and newer: ``{mVoiceRegState=0(IN_SERVICE), mDataRegState=0(IN_SERVICE), ...}``;
- 7.x and older: positional, ``mServiceState=0 0 voice home data home CHN-UNICOM ...``
  (voice state, data state first).
RIL states: 0 IN_SERVICE, 1 OUT_OF_SERVICE, 2 EMERGENCY_ONLY, 3 POWER_OFF.

The call test needs a second phone calling in, so a person confirms it
(``Facts.operator_call_confirmed``); :func:`rang` turns a polled sequence of ``mCallState``
values into "did it ring".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from traomay.checks.base import ResultMaker, never_raises
from traomay.checks.props import parse_getprop
from traomay.core.results import CheckResult, Status, Unknown

NAME = "cellular"

COMMANDS: dict[str, str] = {"telephony": "dumpsys telephony.registry"}

DEFAULT_CRITERIA: Mapping[str, Any] = {
    "require_voice": True,
    "require_data": True,
    "call_test_optional": False,
}

_WIFI_ONLY = -18  # our marker: "in service" only over Wi-Fi calling (IWLAN), not cellular
REG_STATES = {0: "IN_SERVICE", 1: "OUT_OF_SERVICE", 2: "EMERGENCY_ONLY", 3: "POWER_OFF",
              _WIFI_ONLY: "WIFI_CALLING_ONLY"}
# TelephonyManager.CALL_STATE_*
CALL_IDLE, CALL_RINGING, CALL_OFFHOOK = 0, 1, 2
CALL_STATES = {CALL_IDLE: "IDLE", CALL_RINGING: "RINGING", CALL_OFFHOOK: "OFFHOOK"}

# gsm.sim.state values meaning a card is in the slot.
SIM_PRESENT_STATES = frozenset({"READY", "LOADED", "PIN_REQUIRED", "PUK_REQUIRED",
                                "NETWORK_LOCKED", "PERM_DISABLED", "CARD_IO_ERROR",
                                "CARD_RESTRICTED"})
SIM_LOCKED_STATES = frozenset({"PIN_REQUIRED", "PUK_REQUIRED", "NETWORK_LOCKED",
                               "PERM_DISABLED"})


@dataclass(frozen=True)
class SlotState:
    phone_id: int
    voice_reg: int | None
    data_reg: int | None
    call_state: int | None
    operator: str  # the network's name when the dump gives it ("" otherwise)


@dataclass(frozen=True)
class Facts:
    slots: tuple[SlotState, ...] | Unknown
    sim_states: tuple[str, ...] | Unknown
    network_types: tuple[str, ...] = ()
    operator_call_confirmed: bool | None = None  # set by the guided call test
    call_test_method: str = ""  # "observed" (RINGING polled) | "operator" (a person's word)
    call_confirmed_by: str = ""  # who watched the phone ring (or not)


_PHONE_ID = re.compile(r"^\s*Phone Id=(\d+)\s*$", re.MULTILINE)
# 8.0+ prints the state's name after its number: "mVoiceRegState=0(IN_SERVICE)". The two
# must agree, so one damaged digit cannot put a phone in service.
_VOICE = re.compile(r"mVoiceRegState=(\d+)(?:\(([A-Z_]+)\))?")
_DATA = re.compile(r"mDataRegState=(\d+)(?:\(([A-Z_]+)\))?")
_OLD_SERVICE = re.compile(r"^\s*mServiceState=(\d+) (\d+) ", re.MULTILINE)
# 7.x and older: the voice and data radio technologies come right before "CSS ..." (the
# concurrent-services flag), "Unknown Unknown" when out of service.
_OLD_RATS = re.compile(r" (\S+) (\S+) CSS (?:not )?supported")
_CALL = re.compile(r"^\s*mCallState=(\d+)", re.MULTILINE)
_OPERATOR = re.compile(r"m(?:Voice)?OperatorAlphaLong=([^,}]*)")
# Wi-Fi calling (10+): getRil{Voice,Data}RadioTechnology=18(IWLAN) with the reg state
# IN_SERVICE while the cellular radio may have no signal. That is not the mobile network.
_VOICE_IWLAN = re.compile(r"getRilVoiceRadioTechnology=18\b")
_DATA_IWLAN = re.compile(r"getRilDataRadioTechnology=18\b")


def _last_known_state(text: str) -> str | None:
    start = text.find("last known state:")
    if start < 0:
        return None
    body = text[start:]
    end = re.search(r"^(local logs:|registrations:)", body, re.MULTILINE)
    return body[: end.start()] if end else body


def _slot(phone_id: int, block: str) -> SlotState | Unknown:
    voice = _VOICE.search(block)
    data = _DATA.search(block)
    old = _OLD_SERVICE.search(block)
    for match in (voice, data):
        if match and match.group(2) and REG_STATES.get(int(match.group(1))) != match.group(2):
            return Unknown(f"the telephony dump says {match.group(0)[:40]} (does not add up)")
    if old and not voice:
        line = block[old.start():].split("\n", 1)[0]
        rats = _OLD_RATS.search(line)
        for reg, rat in zip((old.group(1), old.group(2)), rats.groups() if rats else (None,) * 2,
                            strict=True):
            if reg == "0" and (rat is None or rat == "Unknown"):
                return Unknown("the telephony dump says in service without a radio "
                               "technology (does not add up)")
    call = _CALL.search(block)
    operator = _OPERATOR.search(block)
    name = operator.group(1).strip() if operator else ""
    voice_reg = int(voice.group(1)) if voice else (int(old.group(1)) if old else None)
    data_reg = int(data.group(1)) if data else (int(old.group(2)) if old else None)
    # the mServiceState={...} line only (other lines repeat RATs of past calls)
    service = block[voice.start():].split("\n", 1)[0] if voice else ""
    if voice_reg == 0 and _VOICE_IWLAN.search(service):
        voice_reg = _WIFI_ONLY
    if data_reg == 0 and _DATA_IWLAN.search(service):
        data_reg = _WIFI_ONLY
    return SlotState(
        phone_id=phone_id,
        voice_reg=voice_reg,
        data_reg=data_reg,
        call_state=int(call.group(1)) if call else None,
        operator="" if name == "null" else name[:64],
    )


@never_raises("telephony dump", lambda u: Facts(u, u))
def parse(sections: Mapping[str, str]) -> Facts:
    get = sections.get if isinstance(sections, Mapping) else (lambda _k: None)
    text = get("telephony")
    getprop = get("getprop")
    props = parse_getprop(getprop) if isinstance(getprop, str) else {}
    sim_raw = props.get("gsm.sim.state")
    sim_states: tuple[str, ...] | Unknown = (
        tuple(s.strip().upper() or "UNKNOWN" for s in sim_raw.split(","))
        if isinstance(sim_raw, str) and sim_raw.strip()
        else Unknown("gsm.sim.state is not set")
    )
    network_types = tuple(t.strip() for t in props.get("gsm.network.type", "").split(",")
                          if t.strip())
    state = _last_known_state(text) if isinstance(text, str) else None
    if state is None:
        return Facts(Unknown("no 'last known state' in the telephony dump"), sim_states,
                     network_types)
    marks = list(_PHONE_ID.finditer(state))
    if marks:
        read = tuple(
            _slot(int(mark.group(1)), state[mark.end(): marks[i + 1].start()
                                            if i + 1 < len(marks) else len(state)])
            for i, mark in enumerate(marks)
        )
    else:  # single-SIM layouts without "Phone Id="
        read = (_slot(0, state),)
    damaged = next((s for s in read if isinstance(s, Unknown)), None)
    if damaged is not None:
        return Facts(damaged, sim_states, network_types)
    slots = tuple(s for s in read if isinstance(s, SlotState))
    # 7.x positional mServiceState has no field names: take the name from getprop per slot.
    alphas = props.get("gsm.operator.alpha", "").split(",")
    slots = tuple(
        replace(s, operator=alphas[s.phone_id].strip()[:64])
        if not s.operator and 0 <= s.phone_id < len(alphas) else s
        for s in slots
    )
    if all(s.voice_reg is None and s.data_reg is None for s in slots):
        return Facts(Unknown("no mServiceState in the telephony dump"), sim_states,
                     network_types)
    return Facts(slots, sim_states, network_types)


def with_operator_input(facts: Facts, data: object) -> Facts:
    """Hook for traomay.provision.inspect: the call test's outcome, a bool or a mapping with
    ``rang`` (bool), ``method`` ("observed" | "operator") and ``by`` (who confirmed).
Anything else changes nothing."""
    method, who = "", ""
    if isinstance(data, Mapping):
        method = str(data.get("method") or "")[:16]
        who = str(data.get("by") or "")[:64]
        data = data.get("rang")
    if not isinstance(data, bool):
        return facts
    return replace(facts, operator_call_confirmed=data, call_test_method=method,
                   call_confirmed_by=who)


# -- guided call test helpers ------------------------------------------------------------


def call_states(text: str) -> tuple[int | None, ...]:
    """``mCallState`` per slot from one ``dumpsys telephony.registry`` (for polling)."""
    facts = parse({"telephony": text})
    if isinstance(facts.slots, Unknown):
        return ()
    return tuple(s.call_state for s in facts.slots)


def rang(observed: Iterable[int | str | None]) -> bool:
    """Did a polled sequence of ``mCallState`` values (ints or their text) ever ring?"""
    for value in observed:
        text = str(value).strip().upper() if value is not None else ""
        if text in ("1", "RINGING"):
            return True
    return False


def answered(observed: Iterable[int | str | None]) -> bool:
    """RINGING followed later by OFFHOOK: the incoming call was picked up."""
    seen_ring = False
    for value in observed:
        text = str(value).strip().upper() if value is not None else ""
        if text in ("1", "RINGING"):
            seen_ring = True
        elif seen_ring and text in ("2", "OFFHOOK"):
            return True
    return False


# -- evaluate ---------------------------------------------------------------------------


def evaluate(facts: Facts, criteria: Mapping[str, Any]) -> CheckResult:
    c = {**DEFAULT_CRITERIA, **criteria}
    slots: tuple[SlotState, ...] = facts.slots if isinstance(facts.slots, tuple) else ()
    sims = facts.sim_states if isinstance(facts.sim_states, tuple) else None
    voice = any(s.voice_reg == 0 for s in slots)
    data = any(s.data_reg == 0 for s in slots)
    operators = sorted({s.operator for s in slots if s.operator})
    m = {
        "sim_states": list(sims) if sims is not None else None,
        "voice_reg": [_reg_name(s.voice_reg) for s in slots],
        "data_reg": [_reg_name(s.data_reg) for s in slots],
        "voice_in_service": voice, "data_in_service": data,
        "network_types": list(facts.network_types), "operators": operators,
        "operator_call_confirmed": facts.operator_call_confirmed,
    }
    if facts.call_test_method:
        m["call_test_method"] = facts.call_test_method
    if facts.call_confirmed_by:
        m["confirmed_by"] = facts.call_confirmed_by
    in_service = (voice or not c["require_voice"]) and (data or not c["require_data"])
    if sims is not None and all(s == "ABSENT" for s in sims) and not (voice or data):
        return _result(Status.NEEDS_OPERATOR, "No SIM card: insert a SIM to test calls and 4G",
                       m)
    # Unknown SIM state, or only UNKNOWN/NOT_READY slots (airplane mode, radio off).
    no_card_seen = sims is None or not any(s in SIM_PRESENT_STATES for s in sims)
    if no_card_seen and not (voice or data):
        return _result(Status.NEEDS_OPERATOR, "No mobile network: insert a working SIM card if "
                       "there is none, then check again", m)
    if sims is not None and any(s in SIM_LOCKED_STATES for s in sims) and not in_service:
        return _result(Status.NEEDS_OPERATOR, "The SIM card is locked: unlock it (PIN) or use "
                       "another SIM, then check again", m)
    if isinstance(facts.slots, Unknown):
        return _result(Status.ERROR, "Could not read the mobile network state: {reason}", m,
                       reason=facts.slots.reason)
    if not in_service:
        return _result(Status.NEEDS_OPERATOR, "The SIM is not connected to the mobile network: "
                       "check the SIM works in another phone, then check again", m)
    if facts.operator_call_confirmed is False:
        return _result(Status.FAIL, "The phone did not ring when called", m)
    if facts.operator_call_confirmed is True:
        return _result(Status.PASS, "Mobile network works and an incoming call rang", m)
    if c["call_test_optional"]:
        return _result(Status.PASS, "Mobile network works (call test not required)", m)
    return _result(Status.NEEDS_OPERATOR, "Call this phone from another phone and confirm "
                   "that it rings", m)


def _reg_name(value: int | None) -> str | None:
    return None if value is None else REG_STATES.get(value, str(value))


_result = ResultMaker(NAME)
