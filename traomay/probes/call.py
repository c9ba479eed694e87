"""The operator-confirmed incoming-call test: someone calls the phone, the phone must ring.

The phone's SIM must be registered for voice first (the cellular check's own facts say what
the volunteer must do otherwise: insert a SIM, unlock it, ...). Then ``dumpsys
telephony.registry`` is polled for ``mCallState`` (TelephonyManager: 0 IDLE, 1 RINGING,
2 OFFHOOK); RINGING seen once = the phone received the call. Phones whose dump has no
``mCallState`` need the volunteer's word instead (``confirm``).

Privacy: the dump also carries ``mCallIncomingNumber`` (the caller's number) and the SIM may
still be the donor's: neither is kept. Only the per-slot call states are read, and the
phone's own number is shown masked unless asked for.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from traomay.checks import cellular
from traomay.core.errors import TraomayError
from traomay.core.msg import Msg
from traomay.core.polling import Clock, Sleep, poll_until
from traomay.core.results import ShellRunner, Status

READY_MSGID = "Call this phone from another phone and confirm that it rings"
# siminfo keeps a row for every SIM the phone has ever seen (the donor's old SIMs too); only
# rows whose sim_id is a slot (>= 0) are SIMs in the phone now.
_NUMBER_ROW = re.compile(
    r"^Row: *\d+ (?=.*\bsim_id=\d)(?=.*\bnumber=([+\d][\d ]{2,19})(?:,|$)).*$", re.MULTILINE)


class CallTestError(TraomayError):
    """The call test cannot run now; the message says what the volunteer must do."""


@dataclass(frozen=True)
class CallReadiness:
    operators: tuple[str, ...]
    call_state_readable: bool
    own_number: str | None  # the SIM's number when the phone stores it (not kept anywhere)


@dataclass(frozen=True)
class CallOutcome:
    rang: bool
    ended_by: str  # rang | timeout
    seconds: float
    polls: int


def mask_number(number: str) -> str:
    digits = "".join(c for c in number if c.isdigit())
    return "…" + digits[-4:] if len(digits) > 4 else "…"


def read_own_number(link) -> str | None:
    """The SIM's own number (MSISDN) if the phone stores it; many SIMs do not. [INF] read
    from TelephonyProvider's siminfo table, which the shell may be refused on some phones."""
    try:
        out = link.shell("content query --uri content://telephony/siminfo "
                         "--projection sim_id:number", timeout=15.0).output
    except TraomayError:
        return None
    match = _NUMBER_ROW.search(out)
    return match.group(1).strip() if match else None


def prepare_call_test(link: ShellRunner) -> CallReadiness:
    """Check the SIM is in service; raise CallTestError with the instruction otherwise."""
    facts = cellular.parse({
        "telephony": link.shell("dumpsys telephony.registry", timeout=30.0).output,
        "getprop": link.shell("getprop", timeout=30.0).output})
    result = cellular.evaluate(facts, {})
    if result.status is not Status.NEEDS_OPERATOR or result.summary.msgid != READY_MSGID:
        if result.status is Status.ERROR:
            raise CallTestError(Msg("Could not read the mobile network state; restart the "
                                    "phone and try again."), detail=repr(result.summary.args))
        raise CallTestError(result.summary)  # no SIM, locked SIM, not registered, ...
    slots = facts.slots if isinstance(facts.slots, tuple) else ()
    readable = any(s.call_state is not None for s in slots)
    operators = tuple(sorted({s.operator for s in slots if s.operator and s.voice_reg == 0}))
    return CallReadiness(operators, readable, read_own_number(link))


def run_call_test(link: ShellRunner, timeout: float, poll: float = 0.5,
                  on_poll: Callable[[float], None] | None = None,
                  clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> CallOutcome:
    """Poll mCallState until RINGING is seen or ``timeout`` seconds pass."""
    started = clock()

    def read() -> bool:
        text = link.shell("dumpsys telephony.registry", timeout=30.0).output
        return cellular.rang(cellular.call_states(text))

    polled = poll_until(read, bool, timeout, poll, clock=clock, sleep=sleep,
                        on_wait=(lambda _v, _left: on_poll(clock() - started)) if on_poll
                        else None)
    seconds = round(polled.seconds, 2)
    return CallOutcome(polled.done, "rang" if polled.done else "timeout", seconds, polled.reads)


def operator_input(rang: bool, method: str, by: str = "") -> dict[str, object]:
    """What the cellular check receives (cellular.with_operator_input)."""
    return {"rang": rang, "method": method, "by": by}
