"""Appearance: the screen is not cracked and the back cover does not bulge (a swollen
battery). Nothing on the phone can tell this; an operator looks and the CLI records the
attestation as a small JSON object::

    {"screen_ok": true, "back_ok": true, "who": "Nguyen Van A", "when": "2026-11-22T10:00"}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traomay.core.msg import Msg
from traomay.core.results import CheckResult, Status, Unknown

NAME = "appearance"

COMMANDS: dict[str, str] = {}  # nothing to ask the phone

DEFAULT_CRITERIA: Mapping[str, Any] = {"require_who": True}

SECTION = "appearance"  # the key the CLI stores the attestation JSON under
_NOT_RECORDED = Unknown("no attestation recorded yet")


@dataclass(frozen=True)
class Facts:
    screen_ok: bool | Unknown
    back_ok: bool | Unknown
    who: str | Unknown
    when: str | Unknown


def parse(sections: Mapping[str, str]) -> Facts:
    """Pure; never raises. ``sections["appearance"]`` is the attestation JSON."""
    try:
        text = sections.get(SECTION)
    except Exception:
        text = None
    if not isinstance(text, str) or not text.strip():
        return Facts(_NOT_RECORDED, _NOT_RECORDED, _NOT_RECORDED, _NOT_RECORDED)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        bad = Unknown("the recorded attestation is not valid JSON")
        return Facts(bad, bad, bad, bad)
    return parse_attestation(data)


def parse_attestation(data: object) -> Facts:
    """From the dict the CLI recorded. Only real JSON booleans count as answers."""
    if not isinstance(data, Mapping):
        bad = Unknown("the recorded attestation is not an object")
        return Facts(bad, bad, bad, bad)

    def answer(key: str) -> bool | Unknown:
        value = data.get(key)
        return value if isinstance(value, bool) else Unknown(f"'{key}' not answered")

    def text(key: str) -> str | Unknown:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
        return Unknown(f"'{key}' not recorded")

    return Facts(answer("screen_ok"), answer("back_ok"), text("who"), text("when"))


def with_operator_input(facts: Facts, data: object) -> Facts:
    """A person's attestation (a dict or JSON text) recorded through the phone session."""
    if isinstance(data, str):
        return parse({SECTION: data})
    return parse_attestation(data)


def attestation_json(screen_ok: bool, back_ok: bool, who: str, when: str) -> str:
    """What the CLI stores under ``sections["appearance"]``."""
    return json.dumps({"screen_ok": screen_ok, "back_ok": back_ok, "who": who, "when": when},
                      ensure_ascii=False)


def evaluate(facts: Facts, criteria: Mapping[str, Any]) -> CheckResult:
    c = {**DEFAULT_CRITERIA, **criteria}
    m = {
        "screen_ok": facts.screen_ok if isinstance(facts.screen_ok, bool) else None,
        "back_ok": facts.back_ok if isinstance(facts.back_ok, bool) else None,
        "who": facts.who if isinstance(facts.who, str) else None,
        "when": facts.when if isinstance(facts.when, str) else None,
    }
    if facts.screen_ok is False and facts.back_ok is False:
        return CheckResult(NAME, Status.FAIL, Msg(
            "Screen is cracked and the back cover bulges (swollen battery)"), m)
    if facts.screen_ok is False:
        return CheckResult(NAME, Status.FAIL, Msg("Screen is cracked or broken"), m)
    if facts.back_ok is False:
        return CheckResult(NAME, Status.FAIL, Msg(
            "Back cover bulges: the battery may be swollen, do not charge this phone"), m)
    if isinstance(facts.screen_ok, Unknown) or isinstance(facts.back_ok, Unknown):
        return CheckResult(NAME, Status.NEEDS_OPERATOR, Msg(
            "Look at the screen and the back cover, then record what you see"), m)
    if c["require_who"] and isinstance(facts.who, Unknown):
        return CheckResult(NAME, Status.NEEDS_OPERATOR, Msg(
            "Record who checked the screen and the back cover"), m)
    return CheckResult(NAME, Status.PASS, Msg("Screen and back cover look fine"), m)
