"""What a phone needs next at the station, from what the inventory says (pure).

Every completed step is recorded in the inventory, so the next step is always computed from
there: a phone unplugged at any step and plugged back, or a station killed and restarted,
resumes at the next step, and nothing done is done twice. The hand-over flow (README,
"Station: the hand-over flow"):

    inspect → a person's checks (appearance, origin decision, touch grid, incoming call)
    → the previous owner's account removed → erase from Settings by the volunteer (setup
    wizard without an account, USB debugging on again) → erase verified → apps installed
    → waiting checks settled → finalize (developer options and USB debugging off) → unplug.

Test Harness Mode (``traomay reset``) is not part of it: a phone reset that way stays in the
mode until a Settings reset, which would wipe the installed apps again (docs/test-harness.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from traomay.checks.registry import APPS, CHECK_ORDER, REGISTRY
from traomay.inventory.verdict import compute_verdict

# A check whose result a person gives (they are asked in this order).
PERSON_STEPS = ("appearance", "origin", "touchscreen", "cellular")
READY_TO_CALL = "Call this phone from another phone and confirm that it rings"
MAKER_ACCOUNT = "Sign out of the phone maker's account ({types}) in Settings, then check again"


class StepKind(str, Enum):
    INSPECT = "inspect"
    APPEARANCE = "appearance"  # a question: screen cracked? back bulging?
    ORIGIN = "origin"  # a question: accept the phone's origin?
    TOUCH = "touch"  # the volunteer swipes the grid
    CALL = "call"  # the volunteer calls the phone
    REMOVE_ACCOUNT = "remove_account"  # the donor's Google account, in Settings
    MAKER_ACCOUNT = "maker_account"  # Mi / Samsung / vivo account, in Settings
    ERASE = "erase"  # the volunteer erases the phone from Settings
    VERIFY_ERASE = "verify_erase"  # the phone came back: was it erased?
    INSTALL = "install"
    RECHECK = "recheck"  # automatic checks waiting for something (a window, a charger, ...)
    FINALIZE = "finalize"
    DONE = "done"  # passed and finalized: unplug
    SET_ASIDE = "set_aside"  # failed (or locked to its donor): not for a household


@dataclass(frozen=True)
class Step:
    kind: StepKind
    checks: tuple[str, ...] = ()  # RECHECK: which checks; SET_ASIDE: which criteria failed


@dataclass(frozen=True)
class PhoneState:
    """What the plan reads: the latest result of each check (Inventory.latest_results) and
    the phone's events (kind, data) in order."""

    latest: Mapping[str, Mapping[str, Any]]
    events: Sequence[tuple[str, Mapping[str, Any]]] = field(default_factory=tuple)

    def status(self, check: str) -> str | None:
        row = self.latest.get(check)
        return str(row["status"]) if row is not None else None

    def settled_by_person(self, check: str) -> bool:
        row = self.latest.get(check)
        return bool(row is not None and row["status"] in ("pass", "fail")
                    and row["measurements"].get("operator"))

    def msgid(self, check: str) -> str:
        row = self.latest.get(check)
        summary = row.get("summary") if row is not None else None
        return str(getattr(summary, "msgid", "") or "")

    def last(self, *kinds: str) -> int:
        """Index of the last event of these kinds (-1 when none)."""
        return max((i for i, (kind, _d) in enumerate(self.events) if kind in kinds),
                   default=-1)

    def last_person(self, check: str) -> int:
        """Index of the last time a person gave ``check`` its result (the session records
        a person's input as a recheck of that one check)."""
        return max((i for i, (kind, data) in enumerate(self.events)
                    if kind == "recheck" and list(data.get("checks") or ()) == [check]),
                   default=-1)


def _automatic(name: str) -> bool:
    return not REGISTRY[name].person or name == "battery"  # battery: capacity, else drain


def next_step(state: PhoneState, *, only_checks: bool = False) -> Step:
    # A phone a household brought back (traomay return) is checked, looked at, erased,
    # given its apps and finished again: what it went through since is unknown.
    returned = state.last("returned")
    if any(state.status(name) is None for name in CHECK_ORDER if _automatic(name)) or \
            returned > state.last("inspect"):
        return Step(StepKind.INSPECT)
    accounts = state.latest.get("accounts") or {}
    if (accounts.get("measurements") or {}).get("frp_active") is True:
        return Step(StepKind.SET_ASIDE, ("accounts",))
    verdict = compute_verdict(state.latest)
    # A phone that already fails (dead battery, no camera, too old) gets no person's tests:
    # it is erased (the donor's data) and set aside.
    hopeless = [k for k in verdict.failing if k not in ("accounts", APPS)]
    if not hopeless:
        if not state.settled_by_person("appearance") or \
                returned > state.last_person("appearance"):
            return Step(StepKind.APPEARANCE)
        if state.status("origin") == "needs_operator":
            return Step(StepKind.ORIGIN)
        if state.status("touchscreen") == "needs_operator":
            return Step(StepKind.TOUCH)
        if state.status("cellular") == "needs_operator" and \
                state.msgid("cellular") == READY_TO_CALL:
            return Step(StepKind.CALL)
    if not only_checks:
        if state.status("accounts") == "fail":
            return Step(StepKind.REMOVE_ACCOUNT)
        if state.status("accounts") == "needs_operator" and state.msgid("accounts") == \
                MAKER_ACCOUNT:
            return Step(StepKind.MAKER_ACCOUNT)
        requested = state.last("erase_requested")
        if requested > max(state.last("erased"), state.last("erase_unverified")):
            return Step(StepKind.VERIFY_ERASE)
        if state.last("erased") < max(returned, 0):
            return Step(StepKind.ERASE)
    failing = tuple(k for k in verdict.failing if k != APPS)
    if failing:
        return Step(StepKind.SET_ASIDE, failing)
    if not only_checks and state.last("install") < state.last("erased"):
        return Step(StepKind.INSTALL)  # on the erased phone, once (then rechecked)
    waiting = tuple(line.key for line in verdict.lines if line.status != "pass"
                    and not (only_checks and line.key == APPS))
    if waiting:
        return Step(StepKind.RECHECK, waiting)  # "apps": the install is tried again
    if only_checks:
        return Step(StepKind.DONE)
    if state.last("finalize") < max(state.last("erased"), 0):
        return Step(StepKind.FINALIZE)
    return Step(StepKind.DONE)
