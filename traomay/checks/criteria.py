"""Acceptance criteria: ``criteria.yaml`` read into a frozen mapping per check name.

Each registered check defines ``DEFAULT_CRITERIA: Mapping[str, object]``: the thresholds it
uses when ``criteria.yaml`` says nothing. The same values are written, with comments, in
the template ``traomay/templates/criteria.yaml`` (a test keeps the two in step), which
``traomay init`` copies into the campaign folder. The file overrides defaults
key by key; a key the check does not know, or a value of the wrong type, is an error that
names the file, the section and the key, so a typo never silently falls back to a default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from traomay.checks.registry import CHECK_ORDER, CHECKS
from traomay.core.campaign import TEMPLATES, CampaignFolder, find_folder
from traomay.core.strict_yaml import load_strict

Criteria = Mapping[str, Mapping[str, Any]]

CRITERIA_FILE_NAME = "criteria.yaml"
TEMPLATE_CRITERIA_FILE = TEMPLATES / CRITERIA_FILE_NAME


def default_criteria() -> dict[str, Mapping[str, Any]]:
    """Each registered check's ``DEFAULT_CRITERIA``."""
    return {spec.name: dict(spec.default_criteria) for spec in CHECKS}


def find_criteria_file(folder: CampaignFolder | None = None) -> Path:
    """The campaign folder's ``criteria.yaml`` (``folder``, default :func:`find_folder`),
    else the template shipped in the package (the built-in thresholds, commented)."""
    path = (folder or find_folder()).criteria_file
    return path if path.is_file() else TEMPLATE_CRITERIA_FILE


def load_criteria(path: Path | None = None) -> Criteria:
    """Defaults overridden by ``path`` (default: :func:`find_criteria_file`).

    Raises ValueError naming the file (and section and key when there is one) on a YAML
    syntax error, an unknown section or key, or a value of the wrong type.
    """
    if path is None:
        path = find_criteria_file()
    document: Any = {}
    if path is not None:
        document = _read_yaml(Path(path))
        if not document:
            # An empty file silently meaning "the built-in defaults" hides a lost or
            # truncated file: say so instead.
            raise ValueError(f"{path}: the criteria file is empty. Delete it to use the "
                             "built-in thresholds, or write the thresholds in it")
    return merge_criteria(default_criteria(), document, source=str(path or "<defaults>"))


@dataclass(frozen=True)
class ActiveCriteria:
    """What ``traomay criteria`` shows: where the values come from, each value next to its
    default, and the campaign rules the file acknowledges weakening (with the reason)."""

    source: str  # the file, or "<defaults>"
    values: Criteria
    defaults: Mapping[str, Mapping[str, Any]]
    acknowledged: Mapping[str, str]


def active_criteria(path: Path | None = None) -> ActiveCriteria:
    if path is None:
        path = find_criteria_file()
    document = _read_yaml(Path(path)) if path is not None else {}
    acknowledged = _acknowledgements(document.get(ACKNOWLEDGE) if isinstance(document, Mapping)
                                     else None, str(path))
    return ActiveCriteria(str(path or "<defaults>"), load_criteria(path), default_criteria(),
                          acknowledged)


def merge_criteria(
    defaults: Mapping[str, Mapping[str, Any]], document: Any, source: str
) -> Criteria:
    """Pure: overlay a parsed YAML ``document`` on ``defaults``; freeze the result."""
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise ValueError(f"{source}: the top level must be sections named after checks")
    merged: dict[str, dict[str, Any]] = {name: dict(values) for name, values in defaults.items()}
    acknowledged = _acknowledgements(document.get(ACKNOWLEDGE), source)
    for section, values in document.items():
        if section == ACKNOWLEDGE:
            continue
        if not isinstance(section, str) or section not in CHECK_ORDER:
            raise ValueError(
                f"{source}: unknown section {section!r} (known: {', '.join(CHECK_ORDER)})"
            )
        if values is None:
            continue
        if not isinstance(values, Mapping):
            raise ValueError(f"{source}: section {section!r} must be key: value lines")
        known = defaults.get(section) or {}
        for key, value in values.items():
            if key not in known:
                raise ValueError(
                    f"{source}: section {section!r}, key {key!r}: unknown key"
                    f" (known: {', '.join(sorted(known))})"
                )
            if key in known:
                _check_type(source, section, key, value, known[key])
            merged.setdefault(section, {})[str(key)] = value
    _check_safety(merged, acknowledged, source)
    return MappingProxyType(
        {name: MappingProxyType({k: _freeze(v) for k, v in values.items()})
         for name, values in merged.items()}
    )


# -- values that would weaken the campaign's rules ----------------------------------------
ACKNOWLEDGE = "acknowledge"


@dataclass(frozen=True)
class SafetyRule:
    section: str
    key: str
    holds: Callable[[Any], bool]
    why: str  # the campaign rule the default enforces (mission.md: plan 04-KH/BTC III.3)


SAFETY_RULES: tuple[SafetyRule, ...] = (
    SafetyRule("camera", "min_front", lambda v: v >= 1, "the front camera must work (III.3.4)"),
    SafetyRule("camera", "min_back", lambda v: v >= 1, "a rear camera must work (III.3.4)"),
    SafetyRule("accounts", "blocking_account_types", lambda v: "com.google" in v,
               "a Google account left on the phone locks it for the next owner (III.3.5)"),
    SafetyRule("battery", "min_hours", lambda v: v >= 4,
               "the battery must last more than 4 hours (III.3.4)"),
    SafetyRule("battery", "pass_margin", lambda v: v >= 1,
               "an estimate must clear the minimum to pass"),
    SafetyRule("wifi", "min_networks", lambda v: v >= 1,
               "Wi-Fi passes only when it sees a network (III.3.4)"),
    SafetyRule("cellular", "require_voice", lambda v: v is True,
               "the phone must receive calls over the mobile network (III.3.4)"),
    SafetyRule("cellular", "require_data", lambda v: v is True, "4G must work (III.3.4)"),
    SafetyRule("cellular", "call_test_optional", lambda v: v is False,
               "receiving a call is tested (III.3.4)"),
    SafetyRule("appearance", "require_who", lambda v: v is True,
               "who looked at the phone is recorded"),
)


def _acknowledgements(section: Any, source: str) -> dict[str, str]:
    if section is None:
        return {}
    if not isinstance(section, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip()
            for k, v in section.items()):
        raise ValueError(f"{source}: section {ACKNOWLEDGE!r} must be 'check.key: why' lines, "
                         "each with the reason and who decided")
    return {str(k): str(v).strip() for k, v in section.items()}


def weakened(criteria: Mapping[str, Mapping[str, Any]]) -> list[SafetyRule]:
    """The campaign rules these criteria would no longer enforce."""
    return [rule for rule in SAFETY_RULES
            if rule.key in criteria.get(rule.section, {})
            and not rule.holds(criteria[rule.section][rule.key])]


def _check_safety(merged: Mapping[str, Mapping[str, Any]], acknowledged: Mapping[str, str],
                  source: str) -> None:
    for rule in weakened(merged):
        name = f"{rule.section}.{rule.key}"
        if name not in acknowledged:
            value = merged[rule.section][rule.key]
            raise ValueError(
                f"{source}: section {rule.section!r}, key {rule.key!r}: {value!r} weakens a "
                f"campaign rule ({rule.why}). If the campaign decided this, say so in the "
                f"file: '{ACKNOWLEDGE}:' then '  {name}: \"why, and who decided\"'")
    known = {f"{r.section}.{r.key}" for r in SAFETY_RULES}
    for name in acknowledged:
        if name not in known:
            raise ValueError(f"{source}: section {ACKNOWLEDGE!r}: {name!r} is not a rule that "
                             f"can be acknowledged (known: {', '.join(sorted(known))})")


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read criteria file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: criteria file is not UTF-8 text") from None
    try:
        return load_strict(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if mark is None:
            raise ValueError(f"{path}: YAML error: {problem}") from None
        # context_mark is where the broken construct began (e.g. an unclosed "[");
        # problem_mark is where the parser noticed, often the next line.
        context = str(getattr(exc, "context", "") or "")
        start = mark
        if ("flow" in context or "scalar" in context) and exc.context_mark is not None:
            start = exc.context_mark
        section, key = _section_and_key_at(text, start.line)
        raise ValueError(
            f"{path}: line {start.line + 1} (section {section!r}, key {key!r}):"
            f" YAML error: {problem} (noticed at line {mark.line + 1})"
        ) from None


def _section_and_key_at(text: str, line_index: int) -> tuple[str, str]:
    """Best guess of the section and key around a YAML error, for the message."""
    lines = text.splitlines()[: line_index + 1]
    section, key = "?", "?"
    for line in lines:
        stripped = line.split("#", 1)[0].rstrip()
        if not stripped or ":" not in stripped:
            continue
        name = stripped.split(":", 1)[0].strip()
        if not line[:1].isspace():
            section, key = name, "?"
        else:
            key = name
    return section, key


def _check_type(source: str, section: str, key: str, value: Any, default: Any) -> None:
    ok: bool
    if isinstance(default, bool):
        ok = isinstance(value, bool)
        wanted = "true or false"
    elif isinstance(default, (int, float)):
        # an int default accepts only ints; a float default accepts ints too (4 == 4.0)
        numeric = (int,) if isinstance(default, int) else (int, float)
        ok = isinstance(value, numeric) and not isinstance(value, bool)
        wanted = "a whole number" if isinstance(default, int) else "a number"
    elif isinstance(default, str):
        ok = isinstance(value, str)
        wanted = "text"
    elif isinstance(default, (list, tuple)):
        ok = isinstance(value, (list, tuple))
        wanted = "a list"
    else:
        return
    if not ok:
        raise ValueError(
            f"{source}: section {section!r}, key {key!r}: expected {wanted}, got {value!r}"
        )
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_range(source, section, key, float(value))


MAX_WAIT_S = 3600.0  # every wait has a limit: no criteria value may make one endless


def _check_range(source: str, section: str, key: str, value: float) -> None:
    where = f"{source}: section {section!r}, key {key!r}"
    if value != value or value in (float("inf"), float("-inf")) or value < 0:
        raise ValueError(f"{where}: expected a number of 0 or more, got {value!r}")
    if key.endswith("_s") and value > MAX_WAIT_S:
        raise ValueError(f"{where}: at most {MAX_WAIT_S:.0f} seconds, got {value!r}")
    if key.startswith("poll_interval") and value < 0.05:
        raise ValueError(f"{where}: at least 0.05 seconds, got {value!r}")


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    return value
