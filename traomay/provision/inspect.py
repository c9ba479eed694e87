"""Run checks on one phone: collect, parse, (probe,) evaluate. Nothing is recorded here:
the phone session (traomay.provision.session) records the run.

The read-only part of every selected check is collected in ONE adb shell call (sections
split by nonce markers, traomay.device.batch); then each check parses its sections, gets a
person's input where one was given, runs its active probe if it has one (radios on, scan,
wait — restoring what it changed; traomay.probes.ACTIVE), and is evaluated. One check's
unexpected exception becomes an ``error`` result for that check only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from traomay.checks.registry import CHECK_ORDER, PRIVATE_SECTIONS, REGISTRY
from traomay.core.errors import DeviceGone, TraomayError, UsageError
from traomay.core.msg import Msg
from traomay.core.redact import redact_section
from traomay.core.results import CheckResult, ShellRunner, Status
from traomay.device import batch
from traomay.probes import ACTIVE

ALWAYS_SECTIONS = {"getprop": "getprop"}


def parse_only(value: str | None) -> list[str]:
    """``--only a,b`` -> names in registry order; an unknown name is a usage error (2)."""
    if not value:
        return list(CHECK_ORDER)
    wanted = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [w for w in wanted if w not in REGISTRY]
    if unknown or not wanted:
        raise UsageError(Msg("Unknown check {name}. Checks: {names}.",
                             {"name": unknown[0] if unknown else value,
                              "names": ", ".join(CHECK_ORDER)}))
    return [name for name in CHECK_ORDER if name in wanted]


@dataclass
class CheckRun:
    """What one collection produced: results, the raw outputs that may be kept (redacted),
    the adb round trips it cost, and each check's facts (for the pipeline, never stored)."""

    results: list[CheckResult]
    raw_outputs: dict[str, str]
    round_trips: int
    facts: dict[str, Any] = field(default_factory=dict)


class CountingShell:
    """Counts the shell calls a run makes on a link that does not count them itself."""

    def __init__(self, link: ShellRunner) -> None:
        self._link = link
        self.jobs_owner = link  # batch.run remembers on the link whether jobs work there
        self.calls = 0

    def shell(self, command: str, timeout: float = 30.0) -> Any:
        self.calls += 1
        return self._link.shell(command, timeout=timeout)


def _sections_for(names: Sequence[str]) -> dict[str, str]:
    sections = dict(ALWAYS_SECTIONS)
    for name in names:
        sections.update(REGISTRY[name].commands)
    return sections


def run_checks(link: ShellRunner, names: Sequence[str],
               criteria: Mapping[str, Mapping[str, Any]],
               operator_inputs: Mapping[str, Any] | None = None,
               active: bool = True) -> CheckRun:
    """Collect, parse, (probe,) evaluate. ``operator_inputs``: per check, what a person
    confirmed (appearance attestation, call test, touch grid, drain test, decision)."""
    operator_inputs = operator_inputs or {}
    for name in operator_inputs:
        if name not in REGISTRY or not REGISTRY[name].person:
            raise UsageError(Msg("The check {name} takes no input from a person.",
                                 {"name": name}))
    shell = CountingShell(link)
    cmd, found = batch.run(shell, _sections_for(names), timeout=120.0)
    if cmd.names and cmd.names[-1] not in found:
        # Every section ends with an echo, so a missing last marker means the phone went away
        # (unplugged, USB reset) mid-call: record nothing rather than half an inspection.
        raise DeviceGone(Msg("The phone stopped answering during the checks: check the cable "
                             "and run the inspection again."),
                         detail=f"sections received: {len(found)} of {len(cmd.names)}")
    sections = {name: s.text for name, s in found.items()}
    results: list[CheckResult] = []
    all_facts: dict[str, Any] = {}
    for name in names:
        spec = REGISTRY[name]
        crit = criteria.get(name, {})
        try:
            facts = spec.module.parse(sections)
            if name in operator_inputs:
                facts = spec.module.with_operator_input(  # type: ignore[attr-defined]
                    facts, operator_inputs[name])
            probe = ACTIVE.get(name)
            if active and probe is not None:
                facts = probe(shell, facts, crit)
            all_facts[name] = facts
            result = spec.module.evaluate(facts, crit)
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
    kept = {name: redact_section(name, text, PRIVATE_SECTIONS)
            for name, text in sections.items()}
    return CheckRun(results, kept, shell.calls, facts=all_facts)


def keep_settled(results: Sequence[CheckResult],
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
