"""One worker per attached phone: plan the next step from the inventory, do it, repeat.

A worker lives as long as its adb transport. When the phone goes away (unplugged, erased,
rebooted) the worker ends; when it comes back on a new transport a new worker finds the
same phone (device key) and the plan resumes at the next step. A step that needs a person
posts what to do on the phone's row and waits for the phone to show it was done (account
gone, grid swiped, ring seen), or asks a question on the board; it never blocks the other
phones.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from traomay.checks.registry import CHECK_LABELS
from traomay.core.errors import DeviceGone, DeviceNotReady, DeviceTimeout, TraomayError
from traomay.core.i18n import render
from traomay.core.msg import Msg
from traomay.core.results import Status
from traomay.device.adb import PhoneListing, instruction_for_state
from traomay.inventory.verdict import compute_verdict
from traomay.probes import call as call_probe
from traomay.probes import touch as touch_probe
from traomay.probes.find import show_number
from traomay.provision.session import PhoneSession
from traomay.provision.station import guide
from traomay.provision.station.board import Ask, Choice
from traomay.provision.station.plan import PhoneState, Step, StepKind, next_step

if TYPE_CHECKING:
    from traomay.provision.station.runner import Station


class Outcome(str, Enum):
    NEXT = "next"  # plan again
    PARK = "park"  # waiting for a person who is not there (--once): stop here
    FINISHED = "finished"  # done or set aside: nothing more at this station
    GONE = "gone"


@dataclass(frozen=True)
class StationOptions:
    once: bool = False  # process the phones attached now, then stop
    only_checks: bool = False  # inspection only: no erase, install or finalize
    person_present: bool = True  # False: steps needing a person park (--once in scripts)
    operator: str = ""  # who answers at the station (recorded with what they attest)
    person_timeout: float = 900.0  # a question or instruction waits this long, then asks again
    recheck_every: float = 30.0  # waiting checks are read again this often
    poll: float = 2.0  # how often a person's action is looked for on the phone
    touch_timeout: float = 180.0
    call_timeout: float = 120.0
    wait_back: float = 900.0  # how long a phone that left for its erase is waited for
    logs_dir: Path | None = None


class PhoneWorker(threading.Thread):
    def __init__(self, station: Station, listing: PhoneListing) -> None:
        super().__init__(name=f"traomay-phone-t{listing.transport_id}", daemon=True)
        self.station = station
        self.listing = listing
        self.gone = threading.Event()
        self.parked = False
        self.finished = False
        # The phone stopped answering (or left): if adb lists this transport ready again
        # (a USB hiccup: adb reconnects under the same id), the station starts another
        # worker, which resumes from the inventory.
        self.retry = False
        self.ended_at: float | None = None
        self.session: PhoneSession | None = None
        self.board = station.board
        self.options = station.options
        self.tid = listing.transport_id

    # -- the row -------------------------------------------------------------------------
    def show(self, **fields: Any) -> None:
        self.board.update(self.tid, self.listing.serial, **fields)

    def log(self, what: str, **data: Any) -> None:
        self.station.log_phone(self.session.device_id if self.session else None, self.tid,
                               what, data)

    def stopping(self) -> bool:
        return self.gone.is_set() or self.station.stop.is_set()

    def wait_for(self, action: Msg, done: Callable[[], bool], *, every: float | None = None,
                 timeout: float | None = None, detail: tuple[Msg, ...] = ()) -> bool:
        """Show ``action`` and look for it done on the phone every ``every`` seconds."""
        limit = timeout if timeout is not None else self.options.person_timeout
        deadline = time.monotonic() + limit
        self.show(state="person", action=action, detail=detail, wait_until=deadline)
        try:
            while not self.stopping():
                if done():
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.gone.wait(min(every or self.options.poll, left))
            return False
        finally:
            self.show(state="working", wait_until=None)

    # -- the loop --------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._run()
        except DeviceNotReady as exc:
            self.show(state="problem", action=exc.message)
        except (DeviceGone, DeviceTimeout):
            self.gone.set()
            self.retry = True
        except TraomayError as exc:  # the inventory, a broken file: say it on the row
            self.show(state="problem", action=exc.message)
            self.log("problem", msgid=exc.message.msgid)
        except Exception as exc:  # a bug: this phone only; the station goes on
            self.show(state="problem", action=Msg(
                "Unexpected error ({kind}) on this phone; unplug and replug it, and report it "
                "if it happens again.", {"kind": type(exc).__name__}))
            self.log("bug", kind=type(exc).__name__)
        finally:
            self.retry = self.retry or (self.gone.is_set() and not self.finished)
            self.ended_at = time.monotonic()
            self.station.worker_ended(self)

    def _run(self) -> None:
        station = self.station
        session = PhoneSession.open(station.hub, station.inventory, self.listing,
                                    station.config)
        self.session = session
        self.board.drop_older_rows_of(session.device_id, keep=self.tid)
        self.show(number=session.device_id, phone=_name(session), state="working",
                  android=session.identity.android_version, action=None)
        self.log("seen", transport=self.tid)
        last: tuple[StepKind, tuple[str, ...]] | None = None
        repeats = 0
        while not self.stopping():
            state = self._state(session)
            step = next_step(state, only_checks=self.options.only_checks)
            if last is None or step.kind != last[0]:
                # A new step starts as the station's work: the row must not keep the last
                # step's "person" state (a volunteer reading "erase" + "waiting for you"
                # would erase the phone before the station recorded what it looked like).
                self.show(stage=step.kind.value, state="working", action=None, detail=(),
                          wait_until=None, verdict=compute_verdict(state.latest).verdict)
            repeats = repeats + 1 if (step.kind, step.checks) == last else 0
            last = (step.kind, step.checks)
            if repeats > 3 and step.kind not in (StepKind.RECHECK, StepKind.DONE):
                self.show(state="problem", action=Msg(
                    "This step did not complete ({step}); unplug and replug the phone.",
                    {"step": step.kind.value}))
                self.log("stuck", step=step.kind.value)
                self.parked = True
                return
            outcome = STEPS[step.kind](self, session, step)
            self.log("step", step=step.kind.value, outcome=outcome.value)
            if outcome is Outcome.PARK:
                self.parked = True
                return
            if outcome is Outcome.FINISHED:
                self.finished = True
                if self.options.once:
                    return
                self.gone.wait()  # until unplugged
                return
            if outcome is Outcome.GONE:
                return

    def _state(self, session: PhoneSession) -> PhoneState:
        inv = session.inventory
        events = tuple((str(e["kind"]), _json(e["data"])) for e in inv.events(session.device_id))
        return PhoneState(inv.latest_results(session.device_id), events)

    def person_or_park(self, action: Msg, detail: tuple[Msg, ...] = ()) -> bool:
        """False (and the row says what to do) when no person is there to act (--once)."""
        if self.options.person_present:
            return True
        self.show(state="person", action=action, detail=detail, wait_until=None)
        return False


# -- the steps ---------------------------------------------------------------------------------

def _inspect(w: PhoneWorker, s: PhoneSession, step: Step) -> Outcome:
    w.show(action=Msg("checking…"), state="working")
    inspection = s.inspect()
    w.show(verdict=inspection.verdict.verdict, action=None)
    return Outcome.NEXT


def _appearance(w: PhoneWorker, s: PhoneSession, step: Step) -> Outcome:
    question = Ask("appearance", Msg("Look at the phone: screen and back cover?"), (
        Choice("1", Msg("both fine"), {"screen_ok": True, "back_ok": True}),
        Choice("2", Msg("screen cracked"), {"screen_ok": False, "back_ok": True}),
        Choice("3", Msg("back cover bulging"), {"screen_ok": True, "back_ok": False}),
        Choice("4", Msg("both"), {"screen_ok": False, "back_ok": False})))
    return _ask_then(w, question, lambda answer: s.record_person(
        "appearance", {**answer, "who": w.options.operator or "station"}))


def _origin(w: PhoneWorker, s: PhoneSession, step: Step) -> Outcome:
    row = s.inventory.latest_results(s.device_id).get("origin") or {}
    question = Ask("origin", Msg("Origin in doubt: {why}. Accept this phone?", {
        "why": _rendered_args(row.get("summary"))}), (
        Choice("y", Msg("accept (box, invoice or donor known)"), True),
        Choice("n", Msg("reject"), False)))
    return _ask_then(w, question, lambda accepted: s.decide(
        "origin", accepted, w.options.operator or "station", "station"))


def _ask_then(w: PhoneWorker, question: Ask, record: Callable[[Any], object]) -> Outcome:
    if not w.person_or_park(question.prompt):
        return Outcome.PARK
    answer = w.board.ask(w.tid, question, timeout=w.options.person_timeout,
                         stop=w.station.stop, gone=w.gone)
    if answer is None:
        return Outcome.GONE if w.stopping() else Outcome.NEXT
    record(answer)
    w.show(state="working", action=None)
    return Outcome.NEXT


def _touch(w: PhoneWorker, s: PhoneSession, step: Step) -> Outcome:
    if not w.person_or_park(guide.SWIPE_GRID):
        return Outcome.PARK
    cols, rows = 4, 7
    w.show(state="person", action=guide.SWIPE_GRID, progress=f"0/{cols * rows}",
           wait_until=time.monotonic() + w.options.touch_timeout)

    def progress(grid: Any) -> None:
        w.show(progress=f"{len(grid.hit)}/{cols * rows}")

    try:
        outcome = touch_probe.run_touch_test(s.link, cols, rows, w.options.touch_timeout,
                                             on_progress=progress, show_touches=True)
    except touch_probe.TouchTestError as exc:
        w.show(state="person", action=exc.message, wait_until=None)
        return Outcome.PARK
    finally:
        w.show(progress="", wait_until=None)
    if outcome.grid.complete:
        s.record_person("touchscreen", outcome.grid)
        return Outcome.NEXT
    question = Ask("touch_retry", Msg("Touch test: {missing} squares never responded.",
                                      {"missing": len(outcome.missing)}), (
        Choice("r", Msg("try again"), "retry"),
        Choice("x", Msg("record it as faulty"), "faulty")))  # not "f": the screen's find key
    answer = w.board.ask(w.tid, question, timeout=w.options.person_timeout,
                         stop=w.station.stop, gone=w.gone)
    if answer == "faulty":
        s.record_person("touchscreen", outcome.grid)
    return Outcome.NEXT if answer else (Outcome.GONE if w.stopping() else Outcome.NEXT)


def _call(w: PhoneWorker, s: PhoneSession, step: Step) -> Outcome:
    ready = call_probe.prepare_call_test(s.link)
    number = call_probe.mask_number(ready.own_number) if ready.own_number else ""
    action = guide.CALL_PHONE_NUMBER if number else guide.CALL_PHONE
    action = Msg(action.msgid, {"number": number})
    if not w.person_or_park(action):
        return Outcome.PARK
    who = w.options.operator or "station"
    if not ready.call_state_readable:
        question = Ask("rang", Msg("Call this phone: did it ring?"), (
            Choice("y", Msg("it rang"), True), Choice("n", Msg("it did not ring"), False)))
        return _ask_then(w, question, lambda rang: s.record_person(
            "cellular", call_probe.operator_input(rang, "operator", who)))
    w.show(state="person", action=action,
           wait_until=time.monotonic() + w.options.call_timeout)
    rang = call_probe.run_call_test(s.link, w.options.call_timeout, poll=0.5).rang
    w.show(state="working", wait_until=None)
    if rang:  # nobody may have called: a timeout records nothing, the row keeps asking
        s.record_person("cellular", call_probe.operator_input(True, "observed", who))
    return Outcome.NEXT


def _remove_account(w: PhoneWorker, s: PhoneSession, step: Step) -> Outcome:
    fam = guide.family(s.identity.brand, s.identity.manufacturer)
    detail = guide.remove_account_steps(fam)
    if not w.person_or_park(guide.REMOVE_GOOGLE, detail):
        return Outcome.PARK
    w.wait_for(guide.REMOVE_GOOGLE, lambda: s.accounts().status is not Status.FAIL,
               every=w.options.poll, detail=detail)
    return Outcome.GONE if w.stopping() else Outcome.NEXT


def _maker_account(w: PhoneWorker, s: PhoneSession, step: Step) -> Outcome:
    row = s.inventory.latest_results(s.device_id).get("accounts") or {}
    detail = (row["summary"],) if row.get("summary") else ()
    if not w.person_or_park(guide.SIGN_OUT_MAKER, detail):
        return Outcome.PARK
    w.wait_for(guide.SIGN_OUT_MAKER,
               lambda: s.accounts().status is not Status.NEEDS_OPERATOR,
               every=w.options.poll, detail=detail)
    return Outcome.GONE if w.stopping() else Outcome.NEXT


def _erase(w: PhoneWorker, s: PhoneSession, step: Step) -> Outcome:
    fam = guide.family(s.identity.brand, s.identity.manufacturer)
    detail = guide.erase_steps(fam)
    if not w.person_or_park(guide.ERASE, detail):
        return Outcome.PARK
    s.request_erase()
    w.show(state="person", action=guide.ERASE, detail=detail, wait_until=None)
    w.gone.wait()  # the phone restarts: this transport ends; it comes back as another
    return Outcome.GONE


def _verify_erase(w: PhoneWorker, s: PhoneSession, step: Step) -> Outcome:
    w.show(action=Msg("checking the erase…"), state="working")
    erased = s.verify_erase()
    if erased.verified:
        # What an erase can change (free storage, maker accounts) is read again now.
        waiting = [name for name, row in s.inventory.latest_results(s.device_id).items()
                   if name in ("storage", "accounts") and row["status"] != "pass"]
        if waiting:
            s.inspect(waiting, kind="recheck")
    else:
        w.board.notice(Msg("Phone #{number} was not erased ({why}); erase it from Settings.",
                           {"number": s.device_id, "why": erased.why}))
    return Outcome.NEXT


def _install(w: PhoneWorker, s: PhoneSession, step: Step) -> Outcome:
    w.show(action=Msg("installing the apps…"), state="working")
    installed = s.install()
    w.show(verdict=installed.verdict.verdict, action=None)
    return Outcome.NEXT


def _recheck(w: PhoneWorker, s: PhoneSession, step: Step) -> Outcome:
    latest = s.inventory.latest_results(s.device_id)
    first = next((latest[c] for c in step.checks if c in latest), None)
    action = first["summary"] if first is not None else Msg("waiting for {checks}",
                                                          {"checks": ", ".join(step.checks)})
    if not w.person_or_park(action) or w.options.once:
        w.show(state="person", action=action, wait_until=None)
        return Outcome.PARK  # --once: the checks were just read; what waits stays waiting
    w.show(state="person", action=action,
           wait_until=time.monotonic() + w.options.recheck_every)
    w.gone.wait(w.options.recheck_every)
    if w.stopping():
        return Outcome.GONE
    w.show(state="working")
    checks = [c for c in step.checks if c != "apps"]
    if "apps" in step.checks:
        s.install()
    if checks:
        inspection = s.inspect(checks, kind="recheck")
        w.show(verdict=inspection.verdict.verdict)
    return Outcome.NEXT


def _finalize(w: PhoneWorker, s: PhoneSession, step: Step) -> Outcome:
    w.show(action=Msg("finishing: updates on, USB debugging off…"), state="working")
    finalized = s.finalize()
    if finalized.outcome.still_test_harness:
        w.show(state="person", action=finalized.outcome.warnings[0])
        return Outcome.PARK
    w.show(state="done", verdict="pass", action=guide.UNPLUG_DONE)
    return Outcome.FINISHED


def _done(w: PhoneWorker, s: PhoneSession, step: Step) -> Outcome:
    verdict = s.verdict().verdict
    w.show(state="done", verdict=verdict,
           action=guide.UNPLUG_DONE if verdict == "pass" or w.options.only_checks
           else Msg("unplug"))
    return Outcome.FINISHED


def _set_aside(w: PhoneWorker, s: PhoneSession, step: Step) -> Outcome:
    if step.checks == ("accounts",):
        action = guide.CONTACT_DONOR
    else:
        # The board is shown at once: the reasons are put in the screen's language here.
        labels = ", ".join(render(Msg(CHECK_LABELS.get(c, c))) for c in step.checks)
        action = Msg(guide.SET_ASIDE.msgid, {"reasons": labels})
    w.show(state="set_aside", verdict="fail", action=action)
    return Outcome.FINISHED


STEPS: dict[StepKind, Callable[[PhoneWorker, PhoneSession, Step], Outcome]] = {
    StepKind.INSPECT: _inspect, StepKind.APPEARANCE: _appearance, StepKind.ORIGIN: _origin,
    StepKind.TOUCH: _touch, StepKind.CALL: _call, StepKind.REMOVE_ACCOUNT: _remove_account,
    StepKind.MAKER_ACCOUNT: _maker_account, StepKind.ERASE: _erase,
    StepKind.VERIFY_ERASE: _verify_erase, StepKind.INSTALL: _install,
    StepKind.RECHECK: _recheck, StepKind.FINALIZE: _finalize, StepKind.DONE: _done,
    StepKind.SET_ASIDE: _set_aside,
}


def find_phone(session: PhoneSession) -> None:
    """Light the phone's screen, vibrate, and show its station number (best effort)."""
    show_number(session.link, session.device_id)


def _name(session: PhoneSession) -> str:
    ident = session.identity
    brand, name = ident.brand or "", ident.marketing_name or ident.model
    return name if name.lower().startswith(brand.lower()) else f"{brand} {name}".strip()


def _json(text: Any) -> dict[str, Any]:
    import json

    try:
        data = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _rendered_args(summary: Any) -> str:
    args = getattr(summary, "args", {}) or {}
    return ", ".join(str(v) for v in args.values())[:120]


__all__ = ["Outcome", "PhoneWorker", "StationOptions", "find_phone", "instruction_for_state"]
