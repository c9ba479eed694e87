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


def _wait(hub: AdbHub, predicate: Callable[[list[PhoneListing]], PhoneListing | bool | None],
          timeout: float, clock: Clock, sleep: Sleep,
          interval: float) -> tuple[PhoneListing | bool | None, float]:
    """Poll adb's list until ``predicate`` gives something; (result, clock at that poll)."""
    seen_at = [clock()]

    def read() -> PhoneListing | bool | None:
        seen_at[0] = clock()
        return predicate(hub.list_phones())

    polled = poll_until(read, bool, timeout, interval, clock=clock, sleep=sleep)
    return (polled.value if polled.done else None), seen_at[0]


def run_drain_test(hub: AdbHub, listing: PhoneListing, model: str, minutes: float, *,
                   leave_timeout: float = 300.0, return_timeout: float | None = None,
                   on_step: Callable[[Msg], None] | None = None,
                   clock: Clock = time.monotonic, sleep: Sleep = time.sleep,
                   interval: float = 0.25) -> tuple[DrainOutcome, PhoneListing]:
    """Run the test; returns the outcome and the phone's listing after it came back."""
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

    gone, unplugged_at = _wait(hub, left, leave_timeout, clock, sleep, interval)
    if not gone:
        _restore(link, old_timeout)
        raise DrainTestError(Msg("The phone was not unplugged within {s} s; the drain test "
                                 "was stopped. Run it again when ready.",
                                 {"s": int(leave_timeout)}))
    if on_step:
        on_step(Msg("Phone unplugged. Plug it back in after {minutes} minutes.",
                    {"minutes": _plain(minutes)}))
    wait_back = return_timeout if return_timeout is not None else (minutes + 30) * 60
    same = same_phone_back(listing, model)
    back, back_at = _wait(
        hub, lambda phones: next((p for p in phones
                                  if same(p) and p.transport_id not in present_then), None),
        wait_back, clock, sleep, interval)
    if not isinstance(back, PhoneListing):
        raise DrainTestError(Msg("The phone did not come back within {minutes} minutes. Plug "
                                 "it in, unlock it, and run the drain test again.",
                                 {"minutes": int(wait_back // 60)}))
    link2 = hub.link(back)
    level_end = read_level(link2)
    restored = _restore(link2, old_timeout)
    away_minutes = round((back_at - unplugged_at) / 60.0, 2)
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
