"""Run the checks on one phone and record the run.

The read-only part of every selected check is collected in ONE adb shell call (sections
split by nonce markers, traomay.device.batch); then each check parses its sections, runs its
active step if it has one (radios on, scan, wait — restoring what it changed), and is
evaluated. One check's unexpected exception becomes an ``error`` result for that check only.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from traomay.checks.registry import CHECK_ORDER
from traomay.core.errors import BadInputError, DeviceGone, TraomayError
from traomay.core.msg import Msg
from traomay.core.redact import redact_section
from traomay.core.results import CheckResult, Status
from traomay.device import batch
from traomay.inventory.store import Inventory, utc_now

ALWAYS_SECTIONS = {"getprop": "getprop"}


def check_module(name: str) -> ModuleType:
    return importlib.import_module(f"traomay.checks.{name}")


def parse_only(value: str | None) -> list[str]:
    """``--only a,b`` -> names in registry order; unknown names are a usage error."""
    if not value:
        return list(CHECK_ORDER)
    wanted = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [w for w in wanted if w not in CHECK_ORDER]
    if unknown:
        raise BadInputError(Msg("Unknown check {name}. Checks: {names}.",
                                {"name": unknown[0], "names": ", ".join(CHECK_ORDER)}))
    return [name for name in CHECK_ORDER if name in wanted]


@dataclass
class Inspection:
    results: list[CheckResult]
    raw_outputs: dict[str, str]
    round_trips: int
    run_id: int | None = None
    facts: dict[str, Any] = field(default_factory=dict)


def _sections_for(modules: Iterable[ModuleType]) -> dict[str, str]:
    sections = dict(ALWAYS_SECTIONS)
    for mod in modules:
        sections.update(getattr(mod, "COMMANDS", {}))
    return sections


def run_checks(link, names: list[str], criteria: Mapping[str, Mapping[str, Any]],
               operator_inputs: Mapping[str, Any] | None = None,
               active: bool = True) -> Inspection:
    """Collect, parse, (activate,) evaluate. ``operator_inputs``: per check, what a person
    confirmed (appearance attestation, call test, touch grid result)."""
    operator_inputs = operator_inputs or {}
    modules = {name: check_module(name) for name in names}
    start_trips = link.round_trips
    cmd = batch.build(_sections_for(modules.values()))
    output = link.shell(cmd.command_line, timeout=120.0).output
    found = batch.split(cmd, output)
    if cmd.names and cmd.names[-1] not in found:
        # Every section ends with an echo, so a missing last marker means the phone went away
        # (unplugged, USB reset) mid-call: record nothing rather than half an inspection.
        raise DeviceGone(Msg("The phone stopped answering during the checks: check the cable "
                             "and run the inspection again."),
                         detail=f"sections received: {len(found)} of {len(cmd.names)}")
    sections = {name: s.text for name, s in found.items()}
    results: list[CheckResult] = []
    all_facts: dict[str, Any] = {}
    for name, mod in modules.items():
        crit = criteria.get(name, {})
        try:
            facts = mod.parse(sections)
            if name in operator_inputs and hasattr(mod, "with_operator_input"):
                facts = mod.with_operator_input(facts, operator_inputs[name])
            if active and hasattr(mod, "run_active"):
                facts = mod.run_active(link, facts, crit)
            all_facts[name] = facts
            result = mod.evaluate(facts, crit)
            if name in operator_inputs:  # a person's input decided it: mark the evidence
                result = CheckResult(result.name, result.status, result.summary,
                                     {**result.measurements, "operator": True})
            results.append(result)
        except TraomayError:
            raise  # the phone went away: the caller records nothing for this run
        except Exception as exc:  # one broken check never stops the rest
            results.append(CheckResult(name, Status.ERROR, Msg(
                "This check failed unexpectedly ({kind}); rerun it, and report it if it "
                "happens again.", {"kind": type(exc).__name__}), {}))
    kept = {name: redact_section(name, text) for name, text in sections.items()}
    return Inspection(results, kept, link.round_trips - start_trips, facts=all_facts)


def keep_settled(results: list[CheckResult],
                 latest: Mapping[str, Mapping[str, Any]]) -> list[CheckResult]:
    """A rerun without a person cannot undo what a person settled: where a check now only
    says "needs a person" but its latest result was decided with a person's input (touch
    grid, call test, appearance, origin decision, drain test), that result stands."""
    kept = []
    for result in results:
        prev = latest.get(result.name)
        if (result.status is Status.NEEDS_OPERATOR and prev is not None
                and prev["measurements"].get("operator") and prev["status"] in ("pass", "fail")):
            result = CheckResult(result.name, Status(prev["status"]), prev["summary"],
                                 prev["measurements"])
        kept.append(result)
    return kept


def inspect_and_record(link, inventory: Inventory, device_id: int, names: list[str],
                       criteria: Mapping[str, Mapping[str, Any]], kind: str = "inspect",
                       operator_inputs: Mapping[str, Any] | None = None,
                       active: bool = True) -> Inspection:
    started = utc_now()
    inspection = run_checks(link, names, criteria, operator_inputs, active)
    inspection.results = keep_settled(inspection.results, inventory.latest_results(device_id))
    inspection.run_id = inventory.record_run(device_id, kind, started, inspection.results,
                                             inspection.raw_outputs, inspection.round_trips)
    return inspection
