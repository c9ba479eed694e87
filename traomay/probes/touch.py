"""The interactive touch grid test: the volunteer drags a finger over every square.

1. Find the touch screen (checks.touchscreen facts from ``dumpsys input`` and
   ``getevent -lp``: its /dev/input path and raw X/Y ranges).
2. Optionally switch on "Pointer location" (``settings put system pointer_location 1``) so
   the volunteer sees the trace on the phone; the old value is put back afterwards.
3. Stream ``getevent -lt <device>`` and feed it to checks.touch_grid.TouchGrid, calling
   ``on_progress`` after each piece so the CLI can draw the grid live.
4. Stop when every square was touched, at the timeout, or when the stream ends; the
   GridResult goes to the inventory through the touchscreen check (a grid that is not
   complete makes that check fail, with the share of squares that responded).

No printing here: the CLI renders through ``on_progress``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from traomay.checks import touchscreen
from traomay.checks.touch_grid import GridResult, TouchGrid
from traomay.core.errors import TraomayError
from traomay.core.msg import Msg

POINTER_LOCATION = ("system", "pointer_location")


_INPUT_NODE = re.compile(r"^/dev/input/event\d{1,3}$")


class TouchTestError(TraomayError):
    """The touch test cannot run on this phone; the message says why."""


@dataclass(frozen=True)
class TouchTarget:
    name: str
    path: str | None  # None: the path is unknown, every device is streamed
    x_range: tuple[int, int]
    y_range: tuple[int, int]


@dataclass(frozen=True)
class TouchOutcome:
    grid: GridResult
    ended_by: str  # complete | timeout | stream_ended
    seconds: float
    missing: tuple[tuple[int, int], ...]  # (col, row) squares never touched


def find_touchscreen(link) -> TouchTarget:
    """The screen to test, from the same facts the touchscreen check reads."""
    sections = {"input": link.shell("dumpsys input", timeout=30.0).output,
                "getevent": link.shell("getevent -lp", timeout=30.0).output}
    facts = touchscreen.parse(sections)
    primary = facts.primary
    if primary is None:
        raise TouchTestError(Msg("No touchscreen found on this phone: it fails the touch "
                                 "check. Run 'traomay recheck --only touchscreen' to record it."))
    x_range, y_range = primary.x_range, primary.y_range
    if not (isinstance(x_range, tuple) and isinstance(y_range, tuple)):
        # dumpsys may print "unknown range": getevent -lp usually still has the axes
        other = next((d for d in facts.touchscreens if isinstance(d.x_range, tuple)
                      and isinstance(d.y_range, tuple)), None)
        if other is None:
            raise TouchTestError(Msg("The touchscreen does not report its size, so the touch "
                                     "test cannot map touches to squares. Check the screen by "
                                     "hand and record it with --failed if it is faulty."))
        x_range, y_range = other.x_range, other.y_range
        primary = other
    path = primary.path if isinstance(primary.path, str) else None
    return TouchTarget(primary.name, path, x_range, y_range)  # type: ignore[arg-type]


def _read_setting(link, namespace: str, key: str) -> str | None:
    value = link.shell(f"settings get {namespace} {key}", timeout=15.0).output.strip()
    return None if value in ("", "null") else value


def _restore_setting(link, namespace: str, key: str, old: str | None) -> None:
    if old is None:
        link.shell(f"settings delete {namespace} {key}", timeout=15.0)
    elif old.isdigit():  # only our own numeric values are ever written back
        link.shell(f"settings put {namespace} {key} {old}", timeout=15.0)


def run_touch_test(link, cols: int, rows: int, timeout: float,
                   on_progress: Callable[[TouchGrid], None] | None = None,
                   show_touches: bool = True, target: TouchTarget | None = None,
                   clock: Callable[[], float] = time.monotonic,
                   poll: float = 0.2) -> TouchOutcome:
    """Run the grid test on one phone until complete, ``timeout`` seconds, or the stream
    ends. Ctrl-C (KeyboardInterrupt) stops the stream and propagates."""
    target = target or find_touchscreen(link)
    grid = TouchGrid(cols, rows, target.x_range, target.y_range, device=target.path)
    old_pointer = None
    if show_touches:
        old_pointer = _read_setting(link, *POINTER_LOCATION)
        link.shell("settings put system pointer_location 1", timeout=15.0)
    started = clock()
    ended_by = "timeout"
    # The path comes from the phone's own dump: only a plain input node goes on the command line.
    path = target.path if target.path and _INPUT_NODE.match(target.path) else None
    command = "getevent -lt" + (f" {path}" if path else "")
    pending = ""
    try:
        with link.open_stream(command) as stream:
            if on_progress:
                on_progress(grid)
            while clock() - started < timeout:
                text = stream.read(min(poll, max(0.0, timeout - (clock() - started))))
                if text is None:
                    ended_by = "stream_ended"
                    break
                if not text:
                    continue
                pending += text
                lines = pending.split("\n")
                pending = lines.pop()  # a partial last line waits for the rest
                grid.feed(lines)
                if on_progress:
                    on_progress(grid)
                if grid.complete:
                    ended_by = "complete"
                    break
            if pending and not grid.complete:
                grid.feed([pending])
                ended_by = "complete" if grid.complete else ended_by
    finally:
        if show_touches:
            try:
                _restore_setting(link, *POINTER_LOCATION, old_pointer)
            except TraomayError:
                pass  # the phone went away: nothing to restore on it now
    if on_progress:
        on_progress(grid)
    return TouchOutcome(grid.result(), ended_by, round(clock() - started, 2),
                        tuple(grid.missing()))
