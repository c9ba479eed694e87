"""Every wait has a limit: one polling helper with an injectable clock.

Probes and the pipeline wait for phones (a scan result, Bluetooth ON, a ring, a phone back
after a reboot). They all call :func:`poll_until`, so each wait reads at least once, never
sleeps past its deadline, and can be run against a scaled or fake clock in tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

Clock = Callable[[], float]
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class Polled(Generic[T]):
    """The last value read, whether it satisfied the wait, and how long the wait took."""

    value: T
    done: bool
    seconds: float
    reads: int


def poll_until(read: Callable[[], T], done: Callable[[T], bool], timeout: float,
               interval: float, *, clock: Clock = time.monotonic,
               sleep: Sleep = time.sleep,
               on_wait: Callable[[T, float], None] | None = None) -> Polled[T]:
    """Call ``read()`` until ``done(value)`` or ``timeout`` seconds have passed.

    Always reads once, even with ``timeout`` 0. ``on_wait(value, seconds_left)`` is called
    before each sleep (a countdown for the screen). Exceptions from ``read`` propagate."""
    started = clock()
    deadline = started + max(0.0, timeout)
    reads = 0
    while True:
        value = read()
        reads += 1
        if done(value):
            return Polled(value, True, clock() - started, reads)
        now = clock()
        if now >= deadline:
            return Polled(value, False, now - started, reads)
        if on_wait is not None:
            on_wait(value, deadline - now)
        sleep(max(0.0, min(interval, deadline - now)))
