"""Mutation tests: no check passes without evidence (issue 9, items 1 and 2).

Every registered check is run on real outputs: the captures in ../shared/captures (READ
from there, never copied; skipped with the reason when absent), what each simulator profile
answers to the check's own commands (``Phone.run``, the same shell the simulated adbd runs;
as found on the hub and with its radios on, as the active steps leave it) and
tests/fixtures/storage. Each section a check reads (its COMMANDS plus ``getprop``) is
then damaged one way at a time: cut after every line, cut inside a line, every line
dropped, every line doubled, every number changed (0, 1, n+1, n-1, huge, negative), the
whole output replaced by a service error, cut and followed by dumpsys' timeout line.

The property: **a mutation may make a result less favourable or less certain, never more
favourable** (``FAVOUR``: fail < error / needs_operator / skipped < pass). A mutated
``pass`` on a ``pass`` base is right only when the evidence it rests on is still genuinely
in the text (:func:`pass_still_genuine`). A mutation that writes text a real phone prints
(a one-digit change of a value the output states once and nothing can check) is counted
apart, each such case explained in :func:`indistinguishable`; anything else is a wrong pass.

The parsers are called UNDECORATED (tests/fakes.py), so a parser that raises fails here
instead of hiding behind ``never_raises``. ``make test`` runs a deterministic sample of a
few thousand mutations; ``benchmarks/mutations.py`` runs the long version.
"""

from __future__ import annotations

import bisect
import csv
import json
import random
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest
from fakes import undecorated

from tests.conftest import CAPTURES, REPO
from traomay.checks import battery as battery_check
from traomay.checks import gps as gps_check
from traomay.checks.registry import CHECKS, REGISTRY, CheckSpec
from traomay.core.results import FAVOUR, CheckResult, Status, Unknown

# -- sources: real outputs --------------------------------------------------------------------

# Capture file name -> the section name the toolkit gives that command's output.
CAPTURE_FILES: Mapping[str, str] = {
    "getprop.txt": "getprop",
    "dumpsys_account.txt": "accounts",
    "dumpsys_battery.txt": "battery",
    "dumpsys_batterystats.txt": "batterystats",
    "dumpsys_media.camera.txt": "camera",
    "dumpsys_wifi.txt": "wifi",
    "dumpsys_bluetooth_manager.txt": "bluetooth",
    "dumpsys_location.txt": "location",
    "dumpsys_telephony.registry.txt": "telephony",
    "dumpsys_input.txt": "input",
    "getevent_-lp.txt": "getevent",
}
STORAGE_FIXTURES = REPO / "tests" / "fixtures" / "storage"
# What the CLI records for the appearance check (a person's attestation, not phone output).
ATTESTATION = json.dumps({"screen_ok": True, "back_ok": True, "who": "Nguyễn Văn A",
                          "when": "2026-11-22T10:00"}, ensure_ascii=False)


@dataclass(frozen=True)
class Source:
    """One phone's (or one fixture's) real outputs, by section name."""

    name: str
    sections: Mapping[str, str]


def capture_sources() -> list[Source]:
    """One source per capture folder listed in SOURCES.tsv (empty when absent)."""
    listing = CAPTURES / "SOURCES.tsv"
    if not listing.is_file():
        return []
    folders: dict[str, dict[str, str]] = {}
    with listing.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            section = CAPTURE_FILES.get(row["file"])
            path = CAPTURES / row["folder"] / row["file"]
            if section and path.is_file():
                folders.setdefault(row["folder"], {})[section] = path.read_text(
                    encoding="utf-8")
    return [Source(f"capture:{name}", sections) for name, sections in sorted(folders.items())]


def simulator_sources() -> list[Source]:
    """Each bundled profile's answers to every check's commands, as its shell gives them
    (``2>&1``, like the batch the inspection sends)."""
    from traomay.simulator.phone import Phone
    from traomay.simulator.profile import list_profiles

    commands = {"getprop": "getprop"}
    for spec in CHECKS:
        commands.update(spec.commands)
    sources = []
    for profile in list_profiles():
        # As found on the hub, and as the active steps leave it (radios and location on,
        # so the dumps hold the passing evidence: scan results, state ON, satellites).
        for suffix in ("", "+radios"):
            phone = Phone.from_profile(profile)
            if suffix:
                phone.set_wifi(True)
                phone.set_bluetooth(True)
                phone.location_enabled = True
            sections = {}
            for name, command in commands.items():
                out = phone.run(command)
                sections[name] = (out.stdout + out.stderr).decode("utf-8", "replace")
            sections["appearance"] = ATTESTATION
            sources.append(Source(f"sim:{profile}{suffix}", sections))
    return sources


def fixture_sources() -> list[Source]:
    """The permissively licensed storage outputs in the repository, one source each."""
    sources = []
    for path in sorted(STORAGE_FIXTURES.glob("*.txt")):
        section = "diskstats" if path.name.endswith(".diskstats.txt") else "storage_df"
        sources.append(Source(f"fixture:{path.name}", {section: path.read_text(
            encoding="utf-8")}))
    return sources


@cache
def all_sources() -> tuple[Source, ...]:
    return (*simulator_sources(), *fixture_sources(), *capture_sources())


def sections_read(spec: CheckSpec) -> tuple[str, ...]:
    """The sections a check reads: its commands, getprop, and (appearance) the attestation."""
    names = ["getprop", *spec.commands]
    if spec.name == "appearance":
        names.append("appearance")
    return tuple(names)


# Checks decided from getprop (origin also reads Samsung's device-name setting, optional).
GETPROP_CHECKS = frozenset({"origin", "compatibility"})


def applies(spec: CheckSpec, source: Source) -> bool:
    """A check is run on a source that holds at least one of its own outputs (getprop
    counts for the checks decided from it)."""
    if spec.name in GETPROP_CHECKS and "getprop" in source.sections:
        return True
    return any(s in source.sections for s in sections_read(spec) if s != "getprop")


# -- scenarios: criteria and a person's input -------------------------------------------------

@dataclass(frozen=True)
class Scenario:
    label: str
    criteria: Mapping[str, Any] = field(default_factory=dict)
    operator: Any = None  # with_operator_input(facts, operator) when not None


# With default criteria some checks can never pass (compatibility needs the manifest's apps,
# cellular and touchscreen need a person): those are also run the way a station runs them,
# so a mutation that fakes what the person could not see is caught.
SCENARIOS: Mapping[str, tuple[Scenario, ...]] = {
    "compatibility": (Scenario("VNeID", {"required_apps": [
        {"name": "VNeID", "min_sdk": 26, "abis": ["arm64-v8a", "armeabi-v7a"]}]}),),
    "cellular": (Scenario("default"),
                 Scenario("call rang", operator={"rang": True, "method": "operator"}),
                 Scenario("call optional", {"call_test_optional": True})),
    "touchscreen": (Scenario("default"),
                    Scenario("grid done", operator={"cols": 4, "rows": 7, "cells_hit": 28})),
}


def scenarios(spec: CheckSpec) -> tuple[Scenario, ...]:
    return SCENARIOS.get(spec.name, (Scenario("default"),))


def run(spec: CheckSpec, sections: Mapping[str, str], scenario: Scenario
        ) -> tuple[Any, CheckResult]:
    """Parse (undecorated: an exception fails the test) and evaluate."""
    module = spec.module
    facts = undecorated(module.parse)(sections)
    if scenario.operator is not None:
        facts = module.with_operator_input(facts, scenario.operator)  # type: ignore[attr-defined]
    criteria = {**spec.default_criteria, **scenario.criteria}
    return facts, module.evaluate(facts, criteria)


# -- mutations --------------------------------------------------------------------------------

HUGE = "99999999999999999999"
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class Mutation:
    section: str
    kind: str  # cut, cut_mid, cut_eol, drop, dup, number, replace, timeout_cut, missing
    where: int  # line index (number: character offset of the number)
    detail: str = ""
    line: int = -1  # the line it touches (-1: the whole output)

    def describe(self) -> str:
        return f"{self.section}:{self.kind}@{self.where}{':' + self.detail if self.detail else ''}"


def _service_of(command: str) -> str:
    words = command.split()
    return words[1] if len(words) > 1 and words[0] == "dumpsys" else words[0]


def service_errors(section: str, command: str) -> dict[str, str]:
    """Whole-output replacements: what phones print when a command cannot run."""
    service = _service_of(command)
    return {
        "empty": "",
        "cant_find": f"Can't find service: {service}\n",
        "denied": (f"Permission Denial: can't dump {service} from from pid=4242, uid=2000 due "
                   "to missing android.permission.DUMP permission\n"),
        "timeout": f"*** SERVICE '{service}' DUMP TIMEOUT (10000ms) EXPIRED ***\n",
        "not_found": f"/system/bin/sh: {command.split()[0]}: not found\n",
        "exception": ("Exception occurred while executing:\njava.lang.SecurityException: "
                      "Permission Denial: caller uid 2000\n"),
    }


def number_values(number: str) -> list[str]:
    n = int(number)
    values = {"0", "1", str(n + 1), HUGE, f"-{n or 1}", str(n * 10 + 7)}
    if n > 0:
        values.add(str(n - 1))
    values.discard(number)
    return sorted(values)


def mutation_specs(section: str, text: str, command: str) -> list[Mutation]:
    """Every mutation of one section's text (cheap descriptions; see :func:`apply`)."""
    lines = text.split("\n")
    specs: list[Mutation] = [Mutation(section, "missing", 0)]
    specs += [Mutation(section, "replace", 0, key) for key in service_errors(section, command)]
    for i, line in enumerate(lines):
        specs.append(Mutation(section, "cut", i, line=i))
        if len(line) > 1:
            specs.append(Mutation(section, "cut_mid", i, line=i))
            specs.append(Mutation(section, "cut_eol", i, line=i))
        specs.append(Mutation(section, "drop", i, line=i))
        specs.append(Mutation(section, "dup", i, line=i))
        if command.startswith("dumpsys"):
            specs.append(Mutation(section, "timeout_cut", i, line=i))
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    for match in _NUMBER.finditer(text):
        if len(match.group()) > 18:
            continue
        line = bisect.bisect_right(starts, match.start()) - 1
        for value in number_values(match.group()):
            specs.append(Mutation(section, "number", match.start(), value, line))
    return specs


def apply(mutation: Mutation, text: str, command: str) -> str | None:
    """The mutated text (None: the section is missing)."""
    kind, i = mutation.kind, mutation.where
    if kind == "missing":
        return None
    if kind == "replace":
        return service_errors(mutation.section, command)[mutation.detail]
    if kind == "number":
        match = _NUMBER.match(text, i)
        assert match is not None
        return text[:i] + mutation.detail + text[match.end():]
    lines = text.split("\n")
    if kind == "cut":
        return "\n".join(lines[:i]) + ("\n" if i else "")
    if kind == "cut_eol":  # the line arrives whole but its newline never does
        return "\n".join(lines[: i + 1])
    if kind == "cut_mid":
        return "\n".join([*lines[:i], lines[i][: len(lines[i]) // 2]])
    if kind == "drop":
        return "\n".join(lines[:i] + lines[i + 1:])
    if kind == "dup":
        return "\n".join(lines[: i + 1] + lines[i:])
    if kind == "timeout_cut":
        service = _service_of(command)
        head = "\n".join(lines[:i]) + ("\n" if i else "")
        return head + f"*** SERVICE '{service}' DUMP TIMEOUT (10000ms) EXPIRED ***\n"
    raise ValueError(kind)


def command_of(spec: CheckSpec, section: str) -> str:
    return {"getprop": "getprop", "appearance": "appearance"}.get(section) or \
        spec.commands[section]


# -- the oracle -------------------------------------------------------------------------------

def _known(value: object) -> bool:
    return not isinstance(value, Unknown)


def pass_still_genuine(spec: CheckSpec, base: Any, mut: Any, mutation: Mutation,
                       base_sections: Mapping[str, str]) -> str | None:
    """A ``pass`` that stays a ``pass``: None when the evidence it rests on is still what
    the real output holds, else why not (a wrong pass)."""
    check = GENUINE.get(spec.name)
    return check(base, mut, mutation, base_sections) if check else None


def _accounts_genuine(base: Any, mut: Any, mutation: Mutation,
                      base_sections: Mapping[str, str]) -> str | None:
    if mut.frp_active != base.frp_active:
        return f"FRP state read as {mut.frp_active} (real: {base.frp_active})"
    if not isinstance(mut.users, tuple):
        return "pass without a readable account list"
    # Users in dump order: a damaged digit in a secondary user's id relabels a block whose
    # accounts are still all there; the primary user must be user 0 with its real accounts.
    real, got = list(base.users), list(mut.users)
    if not got or got[0].user_id != 0 or real[0].user_id != 0:
        return "pass without the primary user's accounts"
    if len(got) > len(real):
        return f"{len(got)} users (real: {len(real)})"
    for index, user in enumerate(got):
        if user.by_type != real[index].by_type:
            return f"user {user.user_id}: accounts {user.by_type} (real: {real[index].by_type})"
    missing = real[len(got):]
    if missing and mutation.section == "accounts" and mutation.kind in CUTS:
        # A dump cut exactly where a secondary user's block begins (or inside the trailing
        # "Account visibility" of the block before it) is, byte for byte, the complete dump
        # of a phone without that user: no parser can see the difference. The evidence for
        # the users it shows is intact, and a secondary user's (work profile, dual apps 999,
        # Secure Folder 150) Google account does not hold the FRP lock, which comes from the
        # primary user's account [INF]. Only whole blocks after the cut may be missing.
        text = base_sections["accounts"]
        cut_at = len(apply(mutation, text, "dumpsys account") or "")
        starts = [m.start() for m in re.finditer(r"^User UserInfo\{", text, re.MULTILINE)]
        if all(start >= cut_at for start in starts[len(got):]):
            return None
    if missing:
        return f"users {[u.user_id for u in missing]} missing from a passing account list"
    return None


CUTS = frozenset({"cut", "cut_eol", "cut_mid"})


def _origin_genuine(base, mut, mutation, base_sections):
    if mut.brand != base.brand:
        return f"brand read as {mut.brand!r} (real: {base.brand!r})"
    return None


def _compatibility_genuine(base, mut, mutation, base_sections):
    if mut.sdk != base.sdk:
        return f"API level read as {mut.sdk} (real: {base.sdk})"
    if not isinstance(mut.abis, tuple) or not isinstance(base.abis, tuple):
        return None if mut.abis == base.abis else "ABI list changed"
    wanted = {"arm64-v8a", "armeabi-v7a"}
    if not (set(mut.abis) & wanted) <= set(base.abis):
        return f"ABIs read as {mut.abis} (real: {base.abis})"
    return None


def _storage_genuine(base, mut, mutation, base_sections):
    # The two sources may differ by this much on a real phone (storage._FREE_TOLERANCE):
    # a figure within it is still a reading of this phone's free space.
    size = base.total_bytes
    if abs(mut.free_bytes - base.free_bytes) > 0.05 * size + base.free_margin_bytes + 2 ** 28:
        return f"free space read as {mut.free_bytes} (real: {base.free_bytes})"
    return None


def _battery_hours(facts: Any, criteria: Mapping[str, Any]) -> float:
    """The most any genuine reading in these facts could claim (hours)."""
    s, st, fs = facts.state, facts.stats, facts.sysfs
    current = float(criteria["typical_current_ma"])
    low, high = criteria["min_plausible_capacity_mah"], criteria["max_plausible_capacity_mah"]
    caps = [v for v in (fs.charge_full_mah, st.last_learned_mah, st.min_learned_mah)
            if isinstance(v, (int, float)) and low <= v <= high]
    if (isinstance(s.charge_counter_mah, float) and isinstance(s.level, int)
            and isinstance(s.scale, int) and s.level > 0):
        caps.append(s.charge_counter_mah * s.scale / s.level)
    hours = [c / current for c in caps]
    health = battery_check.health_percent(facts)
    if health:
        hours.append(health[0] / 100 * float(criteria["hours_at_full_health"]))
    return max(hours, default=0.0)


def _battery_genuine(base, mut, mutation, base_sections):
    c = battery_check.DEFAULT_CRITERIA
    estimate = battery_check.estimate_runtime(mut, c)
    if isinstance(estimate, Unknown):
        return "pass without an estimate"
    most = _battery_hours(base, c)
    if estimate.hours > most * 1.02 + 0.01:
        return f"{estimate.hours} h estimated (real readings give at most {most})"
    return None


def _charging_genuine(base, mut, mutation, base_sections):
    if base.state.status not in (2, 5) or not set(mut.sources) <= set(base.sources):
        return f"charging read from {mut.sources} status {mut.state.status} (real: " \
               f"{base.sources} status {base.state.status})"
    return None


def _camera_genuine(base, mut, mutation, base_sections):
    # A digit changed in a camera id or facing code may move a camera from one side to the
    # other; the pass stands on the front and back cameras the real dump lists.
    c = REGISTRY["camera"].default_criteria
    if base.count("front") < c["min_front"] or base.count("back") < c["min_back"]:
        return (f"{mut.count('front')} front / {mut.count('back')} back (real: "
                f"{base.count('front')} / {base.count('back')})")
    return None


def _wifi_genuine(base, mut, mutation, base_sections):
    need = REGISTRY["wifi"].default_criteria["min_networks"]
    if mut.connected is True:
        return None if base.connected is True else "connected, but the real dump is not"
    if isinstance(mut.networks_seen, int) and mut.networks_seen >= need:
        ok = isinstance(base.networks_seen, int) and base.networks_seen >= need
        return None if ok else f"{mut.networks_seen} networks (real: {base.networks_seen})"
    ok = (base.logged_networks_found or 0) >= need
    return None if ok else f"logged scan {mut.logged_networks_found} (real: " \
                           f"{base.logged_networks_found})"


def _bluetooth_genuine(base, mut, mutation, base_sections):
    return None if base.state == "ON" else f"state ON (real: {base.state})"


def _gps_genuine(base, mut, mutation, base_sections):
    c = gps_check.DEFAULT_CRITERIA
    route = gps_check.satellite_evidence(mut, c)
    real = set()
    if (base.ttff_reports or 0) > 0:
        real.add("ttff")
    if (base.cn0_reports or 0) > 0 and (base.sv_status_reports or 0) > 0:
        real.add("cn0")
    if base.gps_fix_since_boot:
        real.add("fix")
    return None if route in real else f"evidence {route!r} (real: {sorted(real)})"


def _cellular_genuine(base, mut, mutation, base_sections):
    def in_service(facts: Any, attr: str) -> bool:
        slots = facts.slots if isinstance(facts.slots, tuple) else ()
        return any(getattr(s, attr) == 0 for s in slots)

    for attr in ("voice_reg", "data_reg"):
        if in_service(mut, attr) and not in_service(base, attr):
            return f"{attr} in service (real: not)"
    return None


def _touchscreen_genuine(base, mut, mutation, base_sections):
    return None if base.primary is not None else "a touchscreen the real dump does not have"


def _appearance_genuine(base, mut, mutation, base_sections):
    return None if (mut.screen_ok, mut.back_ok) == (base.screen_ok, base.back_ok) else \
        "attestation changed"


GENUINE: Mapping[str, Callable[..., str | None]] = {
    "accounts": _accounts_genuine, "origin": _origin_genuine,
    "compatibility": _compatibility_genuine, "storage": _storage_genuine,
    "battery": _battery_genuine, "charging": _charging_genuine, "camera": _camera_genuine,
    "wifi": _wifi_genuine, "bluetooth": _bluetooth_genuine, "gps": _gps_genuine,
    "cellular": _cellular_genuine, "touchscreen": _touchscreen_genuine,
    "appearance": _appearance_genuine,
}


# Mutations whose text is still valid positive evidence: the output states the fact once,
# and the new value is one a real phone prints, so no parser can tell it from the truth.
# Each entry says why there is nothing in the output to check the value against. Everything
# else a mutation turns into a pass is a wrong pass.
_TOOLBOX_FIGURE = re.compile(r"\d+[KMGT]\b")
_STATUS_LINE = re.compile(r"^\s*status:\s*\d+\s*$")


def indistinguishable(spec: CheckSpec, mutation: Mutation,
                      base_sections: Mapping[str, str]) -> str | None:
    """Why the mutated text is a real phone's output, or None."""
    if mutation.kind != "number":
        return None
    text = base_sections[mutation.section]
    line = text.split("\n")[mutation.line]
    old = _NUMBER.match(text, mutation.where)
    new = int(mutation.detail)
    if (spec.name == "charging" and mutation.section == "battery"
            and _STATUS_LINE.match(line) and 1 <= new <= 5):
        # BatteryService prints the status code once ("status: 3"); no other line of the
        # AOSP dump repeats it (the current flow is not printed, and Samsung's broadcast log
        # is not on every phone). A phone that IS charging prints "status: 2".
        return "BatteryService status code, printed once"
    if (spec.name == "storage" and mutation.section == "storage_df" and old is not None
            and _TOOLBOX_FIGURE.match(text, mutation.where) and "." not in line
            and abs(new - int(old.group())) == 1):
        # Android 2.3 toolbox df truncates to whole units: "3G" is 3.0-3.99 GiB, and with
        # Used and Free truncated too, "4G" is as consistent as "3G". A phone with a
        # 4.x GiB partition prints exactly the mutated text; only diskstats (a second
        # source, absent from this fixture) could disagree.
        return "toolbox df whole-unit figure off by one unit"
    if (spec.name == "compatibility" and mutation.section == "getprop"
            and line.startswith("[ro.build.version.sdk]:") and "[12]" in text
            and "ro.system.build.version.sdk" not in text and {int(old.group()), new}
            <= {31, 32} if old else False):
        # Android 12 is API 31 and 12L API 32, both with ro.build.version.release 12. Real
        # 10+ phones repeat the level in ro.system.build.version.sdk (checked); the
        # simulator's compact profiles do not, so nothing there can tell 31 from 32.
        return "Android 12 API level 31/32 without a second copy"
    return None


@dataclass(frozen=True)
class Verdict:
    wrong: str | None = None  # what makes it a wrong pass
    variant: str | None = None  # a pass from text a real phone prints (indistinguishable)


def judge(spec: CheckSpec, base: tuple[Any, CheckResult], mutated: tuple[Any, CheckResult],
          mutation: Mutation, base_sections: Mapping[str, str]) -> Verdict:
    """Whether the mutated result obeys the property."""
    (base_facts, base_result), (mut_facts, mut_result) = base, mutated
    before, after = base_result.status, mut_result.status
    # "More favourable" means a pass that was not one. Moving from fail to error,
    # needs_operator or skipped is the result becoming less certain, which damage may do.
    if after is not Status.PASS:
        return Verdict()
    if FAVOUR[after] > FAVOUR[before]:
        why = f"{before.value} -> {after.value}"
    else:
        lost = pass_still_genuine(spec, base_facts, mut_facts, mutation, base_sections)
        why = f"pass -> pass without the evidence: {lost}" if lost else None
    if why is None:
        return Verdict()
    variant = indistinguishable(spec, mutation, base_sections)
    return Verdict(variant=f"{why} ({variant})") if variant else Verdict(wrong=why)


# -- running ----------------------------------------------------------------------------------

@dataclass
class Tally:
    tried: int = 0
    wrong: list[str] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)  # passes on text a real phone prints
    became_fail: int = 0  # not a wrong pass; told so cut outputs that fail can be looked at

    def add(self, other: Tally) -> None:
        self.tried += other.tried
        self.wrong += other.wrong
        self.variants += other.variants
        self.became_fail += other.became_fail


def cases() -> Iterator[tuple[CheckSpec, Source]]:
    for spec in CHECKS:
        for source in all_sources():
            if applies(spec, source):
                yield spec, source


# Lines are dropped this many at a time to find where a parser looks (see below).
_CHUNK = 128


def influential_lines(spec: CheckSpec, sections: Mapping[str, str], section: str) -> set[int]:
    """The lines of ``section`` whose removal changes what the check parses, found by
    dropping chunks and halving those that matter (so a 13 000-line vendor dump costs a few
    hundred parses, not 13 000). A heuristic guide for sampling, not a proof: mutations
    elsewhere are still sampled."""
    parse = undecorated(spec.module.parse)
    lines = sections[section].split("\n")
    real = repr(parse(sections))

    def changed(lo: int, hi: int) -> bool:
        trial = dict(sections)
        trial[section] = "\n".join(lines[:lo] + lines[hi:])
        return repr(parse(trial)) != real

    found: set[int] = set()
    todo = [(lo, min(lo + _CHUNK, len(lines))) for lo in range(0, len(lines), _CHUNK)]
    while todo:
        lo, hi = todo.pop()
        if not changed(lo, hi):
            continue
        if hi - lo == 1:
            found.add(lo)
        else:
            mid = (lo + hi) // 2
            todo += [(lo, mid), (mid, hi)]
    return found


def plan(spec: CheckSpec, source: Source, section: str, limit: int | None,
         seed: str = "traomay", guide_lines: int | None = None) -> list[Mutation]:
    """The mutations to run on one section: all of them (``limit`` None), else every
    whole-output replacement, then mutations of the lines the parser reads (and their
    neighbours: a cut just before a line matters as much), then a deterministic random
    sample of the rest, ``limit`` in all."""
    text = source.sections[section]
    specs = mutation_specs(section, text, command_of(spec, section))
    if limit is None or len(specs) <= limit:
        return specs
    rng = random.Random(f"{seed}:{spec.name}:{source.name}:{section}")
    base_sections = {k: v for k, v in source.sections.items() if k in sections_read(spec)}
    near: set[int] = set()
    if guide_lines is None or text.count("\n") <= guide_lines:
        near = {j for i in influential_lines(spec, base_sections, section)
                for j in (i - 1, i, i + 1)}
    whole = [m for m in specs if m.line < 0]
    focus = [m for m in specs if m.line >= 0 and m.line in near]
    rest = [m for m in specs if m.line >= 0 and m.line not in near]
    chosen = whole[:limit]
    room = limit - len(chosen)
    take = rng.sample(focus, min(len(focus), max(room * 3 // 4, room - len(rest))))
    chosen += take
    room = limit - len(chosen)
    chosen += rng.sample(rest, min(len(rest), room))
    return chosen


def mutate_and_judge(spec: CheckSpec, source: Source, limit: int | None,
                     seed: str = "traomay", guide_lines: int | None = None) -> Tally:
    """Run :func:`plan`'s mutations of every section ``spec`` reads in ``source``, in every
    scenario, and judge each result against the unmutated one."""
    tally = Tally()
    base_sections = {k: v for k, v in source.sections.items() if k in sections_read(spec)}
    plans = {section: plan(spec, source, section, limit, seed, guide_lines)
             for section in base_sections}
    for scenario in scenarios(spec):
        base = run(spec, base_sections, scenario)
        for section, mutations in plans.items():
            text, command = base_sections[section], command_of(spec, section)
            for mutation in mutations:
                mutated_text = apply(mutation, text, command)
                sections = dict(base_sections)
                if mutated_text is None:
                    del sections[section]
                else:
                    sections[section] = mutated_text
                tally.tried += 1
                mutated = run(spec, sections, scenario)
                verdict = judge(spec, base, mutated, mutation, base_sections)
                where = f"{spec.name} [{scenario.label}] {source.name} {mutation.describe()}"
                if verdict.wrong:
                    tally.wrong.append(f"{where}: {verdict.wrong}")
                if verdict.variant:
                    tally.variants.append(f"{where}: {verdict.variant}")
                if mutated[1].status is Status.FAIL and base[1].status is not Status.FAIL:
                    tally.became_fail += 1
    return tally


# -- the tests --------------------------------------------------------------------------------

# `make test` runs a deterministic sample: per (check, source, section) this many mutations,
# on sources whose outputs for the check are small (the multi-megabyte vendor dumps take
# 30 ms a parse; benchmarks/mutations.py runs them).
UNIT_LIMIT = 12
UNIT_MAX_CHARS = 64_000
UNIT_GUIDE_LINES = 300  # find the lines a parser reads only in outputs this short


UNIT_NOT_PASSING = 6  # sources whose unmutated result is not a pass (where wrong passes hide)
UNIT_PASSING = 3  # and a few that pass (the evidence must survive the mutation)


def unit_sources(spec: CheckSpec) -> list[Source]:
    """A deterministic handful per check: distinct outputs only (a profile's two states
    often answer one check alike), small ones, non-passing first, real captures first."""
    seen: set[int] = set()
    failing: list[Source] = []
    passing: list[Source] = []
    ordered = sorted(all_sources(), key=lambda s: (not s.name.startswith("capture:"), s.name))
    for source in ordered:
        read = {k: v for k, v in source.sections.items() if k in sections_read(spec)}
        key = hash(tuple(sorted(read.items())))
        if not applies(spec, source) or key in seen or any(
                len(v) > UNIT_MAX_CHARS for v in read.values()):
            continue
        seen.add(key)
        statuses = {run(spec, read, sc)[1].status for sc in scenarios(spec)}
        (passing if statuses == {Status.PASS} else failing).append(source)
    return failing[:UNIT_NOT_PASSING] + passing[:UNIT_PASSING]


@pytest.mark.parametrize("spec", CHECKS, ids=lambda s: s.name)
def test_no_mutation_makes_a_result_more_favourable(spec):
    tally = Tally()
    for source in unit_sources(spec):
        tally.add(mutate_and_judge(spec, source, UNIT_LIMIT, guide_lines=UNIT_GUIDE_LINES))
    assert tally.tried > 0
    assert not tally.wrong, f"{len(tally.wrong)} wrong passes of {tally.tried}:\n" + \
        "\n".join(tally.wrong[:20])


def test_captures_are_used_when_present():
    if not (CAPTURES / "SOURCES.tsv").is_file():
        pytest.skip(f"real captures not found at {CAPTURES} (they live in ../shared/captures)")
    names = {s.name for s in capture_sources()}
    assert "capture:samsung-galaxy_s9_SM-G9600-10" in names or len(names) > 40


def test_mutations_reproduce_the_reported_wrong_passes():
    """The adversarial run's findings (issue 9): each mutation is in the generated set."""
    text = "User UserInfo{0:Owner:13}:\n  Accounts: 1\n    Account {name=x@gmail.com, " \
           "type=com.google}\n"
    specs = mutation_specs("accounts", text, "dumpsys account")
    made = {apply(m, text, "dumpsys account") for m in specs}
    assert text.split("\n")[0] + "\n" in made  # cut after the user line
    assert "\n".join(text.split("\n")[:1] + text.split("\n")[2:]) in made  # count line gone
    assert text[:26] in {apply(m, text, "dumpsys account") for m in specs} or any(
        (t or "").startswith("User UserInfo{0:Owner") and "Accounts" not in (t or "")
        for t in made)
    gps = "  Number of TTFF reports: 0\n"
    assert "  Number of TTFF reports: " + HUGE + "\n" in {
        apply(m, gps, "dumpsys location") for m in mutation_specs("location", gps,
                                                                   "dumpsys location")}
