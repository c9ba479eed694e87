"""The timed battery drain test, run with the volunteer.

A phone on the station's USB hub is charging, so it has to leave the hub to discharge:
1. read the level (``dumpsys battery``) and keep the screen on for the whole test
   (``settings put system screen_off_timeout``; the old value is put back afterwards);
2. the volunteer unplugs the phone and keeps it unplugged, screen on, for N minutes, then
   plugs it back in;
3. the phone is matched on return by adb serial and model (a new transport id is normal);
4. the level is read again. The minutes counted are the ones the phone was away from the
   hub (first poll that missed it to first poll that saw it back), so an early or late
   replug is measured, not assumed. checks.battery_drain turns it into hours.

``clock``/``sleep`` are injectable: tests run the simulated phone's battery time_scale times
faster and pass a host clock scaled the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from traomay.checks.battery_drain import DrainTest
from traomay.checks.battery_service import parse_battery_service
from traomay.core.errors import TraomayError
from traomay.core.msg import Msg
from traomay.core.polling import Clock, Sleep, poll_until
from traomay.core.results import Unknown
from traomay.device.adb import AdbHub, PhoneListing, same_phone_back

SCREEN_TIMEOUT = ("system", "screen_off_timeout")
KEEP_ON_MARGIN_MIN = 15  # the screen stays on this much longer than the test


class DrainTestError(TraomayError):
    """The drain test could not be completed; the message says what to do."""


@dataclass(frozen=True)
class DrainOutcome:
    test: DrainTest
    screen_timeout_restored: bool


def read_level(link) -> int:
    state = parse_battery_service(link.shell("dumpsys battery", timeout=30.0).output)
    level = state.level_percent
    if isinstance(level, Unknown):
        raise DrainTestError(Msg("Could not read the battery level: {reason}",
                                 {"reason": level.reason}))
    return int(level)


OnWait = Callable[[Msg, float], None]  # what is awaited, seconds left: a countdown


def _wait(hub: AdbHub, predicate: Callable[[list[PhoneListing]], PhoneListing | bool | None],
          timeout: float, clock: Clock, sleep: Sleep, interval: float,
          tick: Callable[[float], None] | None = None) -> tuple[PhoneListing | bool | None,
                                                                 float]:
    """Poll adb's list until ``predicate`` gives something; (result, clock at that poll).
    ``tick(seconds_left)`` is called before each sleep."""
    seen_at = [clock()]

    def read() -> PhoneListing | bool | None:
        seen_at[0] = clock()
        return predicate(hub.list_phones())

    polled = poll_until(read, bool, timeout, interval, clock=clock, sleep=sleep,
                        on_wait=(lambda _v, left: tick(left)) if tick else None)
    return (polled.value if polled.done else None), seen_at[0]


def run_drain_test(hub: AdbHub, listing: PhoneListing, model: str, minutes: float, *,
                   leave_timeout: float = 300.0, return_timeout: float | None = None,
                   on_step: Callable[[Msg], None] | None = None,
                   on_wait: OnWait | None = None, time_scale: float = 1.0,
                   clock: Clock = time.monotonic, sleep: Sleep = time.sleep,
                   interval: float = 0.25) -> tuple[DrainOutcome, PhoneListing]:
    """Run the test; returns the outcome and the phone's listing after it came back.

    ``on_step`` gets each instruction once; ``on_wait(msg, seconds_left)`` a countdown
    while waiting for the unplug, for the end of the test, and for the phone to come back.
    ``time_scale``: how much faster the phone's battery clock runs than ``clock`` (1 for a
    real phone; a simulated phone of ``traomay sim --time-scale N`` runs N times faster,
    so the minutes away are counted at that rate). Ctrl-C puts the screen timeout back
    when the phone is still there, then lets the interrupt through (nothing is recorded).
    """
    scale = max(1.0, float(time_scale))
    link = hub.link(listing)
    level_start = read_level(link)
    old_timeout = link.shell("settings get system screen_off_timeout", timeout=15.0).output
    old_timeout = old_timeout.strip()
    keep_on_ms = int((minutes + KEEP_ON_MARGIN_MIN) * 60_000)
    link.shell(f"settings put system screen_off_timeout {keep_on_ms}", timeout=15.0)
    if on_step:
        on_step(Msg("Battery now {level}%. Unplug the phone now and keep it unplugged for "
                    "{minutes} minutes with the screen on (use it lightly). Then plug it back "
                    "in.", {"level": level_start, "minutes": _plain(minutes)}))
    present_then: set[int] = set()

    def left(phones: list[PhoneListing]) -> bool:
        if any(p.transport_id == listing.transport_id and p.ready for p in phones):
            return False
        present_then.update(p.transport_id for p in phones)  # e.g. a twin with our serial
        return True

    def unplug_tick(seconds_left: float) -> None:
        if on_wait:
            on_wait(Msg("Waiting for you to unplug the phone."), seconds_left)

    try:
        gone, unplugged_at = _wait(hub, left, leave_timeout, clock, sleep, interval,
                                   unplug_tick)
    except KeyboardInterrupt:
        _restore(link, old_timeout)
        raise
    if not gone:
        _restore(link, old_timeout)
        raise DrainTestError(Msg("The phone was not unplugged within {s} s; the drain test "
                                 "was stopped. Run it again when ready.",
                                 {"s": int(leave_timeout)}))
    if on_step:
        on_step(Msg("Phone unplugged. Plug it back in after {minutes} minutes.",
                    {"minutes": _plain(minutes)}))
    test_seconds = minutes * 60.0 / scale  # on this computer's clock
    # The test runs on the battery's clock; the 30 minutes' grace to plug it back are the
    # volunteer's (the same on a simulated phone).
    wait_back = return_timeout if return_timeout is not None else test_seconds + 30 * 60
    same = same_phone_back(listing, model)

    def away_tick(seconds_left: float) -> None:
        if not on_wait:
            return
        until_replug = test_seconds - (clock() - unplugged_at)
        if until_replug > 0:
            on_wait(Msg("Keep the phone unplugged, screen on; plug it back in when the time "
                        "is up."), until_replug)
        else:
            on_wait(Msg("Time is up: plug the phone back in now."), seconds_left)

    back, back_at = _wait(
        hub, lambda phones: next((p for p in phones
                                  if same(p) and p.transport_id not in present_then), None),
        wait_back, clock, sleep, interval, away_tick)
    if not isinstance(back, PhoneListing):
        raise DrainTestError(Msg("The phone did not come back within {minutes} minutes. Plug "
                                 "it in, unlock it, and run the drain test again.",
                                 {"minutes": int(wait_back // 60)}))
    link2 = hub.link(back)
    level_end = read_level(link2)
    restored = _restore(link2, old_timeout)
    away_minutes = round((back_at - unplugged_at) * scale / 60.0, 2)
    return DrainOutcome(DrainTest(level_start, level_end, away_minutes), restored), back


def _restore(link, old: str) -> bool:
    try:
        if old.isdigit():
            link.shell(f"settings put system screen_off_timeout {old}", timeout=15.0)
        else:
            link.shell("settings delete system screen_off_timeout", timeout=15.0)
        return True
    except TraomayError:
        return False


def _plain(minutes: float) -> int | float:
    return int(minutes) if float(minutes).is_integer() else minutes
