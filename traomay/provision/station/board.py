"""The station's board: one row per phone, what the screen shows, and the questions waiting
for a person. Workers write their row; the screen (or a test, or the demo's simulated
volunteer) reads snapshots and answers questions. Thread-safe; no printing."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from traomay.core.msg import Msg


@dataclass(frozen=True)
class Choice:
    key: str  # what the volunteer presses ("1", "y", ...)
    label: Msg
    value: Any


@dataclass(frozen=True)
class Ask:
    """A question for the person at the station about one phone."""

    kind: str  # appearance | origin | rang | touch_retry
    prompt: Msg
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class Row:
    transport_id: int
    adb_serial: str
    number: int | None = None  # the phone's inventory id: "#N" on screen, id:N in commands
    phone: str = ""  # brand and model (untrusted text: escaped when shown)
    android: str = ""
    state: str = "working"  # working | person | done | set_aside | gone | problem | waiting_back
    stage: str = ""  # the station step (plan.StepKind value)
    action: Msg | None = None  # the one next thing the volunteer must do for this phone
    detail: tuple[Msg, ...] = ()  # the steps behind the action (shown for the chosen row)
    progress: str = ""  # "12/28", "45 s", ... (our own text)
    wait_until: float | None = None  # monotonic deadline of the current wait (countdown)
    verdict: str = ""
    ask: Ask | None = None
    kind: str = "phone"


@dataclass(frozen=True)
class Summary:
    passed: int
    failed: int
    waiting: int  # for a person
    working: int
    done: int  # finished at the station (passed and unplugged, or set aside)


@dataclass(frozen=True)
class Snapshot:
    rows: tuple[Row, ...]
    summary: Summary
    notices: tuple[Msg, ...]  # station-wide news (a hub that lost power, ...)


class Board:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[int, Row] = {}  # by transport id
        self._answers: dict[int, tuple[threading.Event, list[Any], Ask]] = {}
        self._notices: list[Msg] = []
        self.changed = threading.Condition(self._lock)
        # Every version of every row, in order (bounded): a plain log prints each step even
        # when it lasted less than one redraw.
        self._seq = 0
        self._history: deque[tuple[int, Row]] = deque(maxlen=20_000)

    # -- rows --------------------------------------------------------------------------
    def update(self, transport_id: int, adb_serial: str = "", **fields: Any) -> Row:
        with self._lock:
            row = self._rows.get(transport_id) or Row(transport_id, adb_serial)
            row = dataclasses.replace(row, **fields)
            self._rows[transport_id] = row
            self._seq += 1
            self._history.append((self._seq, row))
            self.changed.notify_all()
            return row

    def changes_since(self, seq: int) -> tuple[int, list[Row]]:
        """The rows' versions written after ``seq`` (oldest first), and the newest seq."""
        with self._lock:
            return self._seq, [row for at, row in self._history if at > seq]

    def row(self, transport_id: int) -> Row | None:
        with self._lock:
            return self._rows.get(transport_id)

    def drop_older_rows_of(self, number: int, keep: int) -> None:
        """A phone that came back on a new transport: its old row goes."""
        with self._lock:
            for tid in [t for t, r in self._rows.items() if r.number == number and t != keep]:
                del self._rows[tid]
            self.changed.notify_all()

    def notice(self, msg: Msg) -> None:
        with self._lock:
            self._notices.append(msg)
            del self._notices[:-5]
            self.changed.notify_all()

    def snapshot(self) -> Snapshot:
        with self._lock:
            rows = tuple(sorted(self._rows.values(),
                                key=lambda r: (r.number is None, r.number or 0,
                                               r.transport_id)))
            notices = tuple(self._notices)
        summary = Summary(
            passed=sum(r.verdict == "pass" for r in rows),
            failed=sum(r.verdict == "fail" for r in rows),
            waiting=sum(r.state == "person" for r in rows),
            working=sum(r.state == "working" for r in rows),
            done=sum(r.state in ("done", "set_aside") for r in rows))
        return Snapshot(rows, summary, notices)

    # -- questions ---------------------------------------------------------------------
    def ask(self, transport_id: int, question: Ask, *, timeout: float,
            stop: threading.Event, gone: threading.Event) -> Any | None:
        """Show ``question`` on the phone's row and wait for the answer (None when the time
        is up, the station stops or the phone goes away)."""
        event, box = threading.Event(), []
        with self._lock:
            self._answers[transport_id] = (event, box, question)
        self.update(transport_id, ask=question, state="person", action=question.prompt,
                    wait_until=time.monotonic() + timeout)
        deadline = time.monotonic() + timeout
        try:
            while not event.is_set() and not stop.is_set() and not gone.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                event.wait(min(0.2, left))
        finally:
            with self._lock:
                self._answers.pop(transport_id, None)
            self.update(transport_id, ask=None, wait_until=None)
        return box[0] if box else None

    def answer(self, transport_id: int, value: Any, question: Ask | None = None) -> bool:
        """The person answered the question on that phone's row. ``question`` is the one the
        person read: a key pressed while the screen still showed an earlier question (the
        screen redraws a few times a second) must not answer the one asked since."""
        with self._lock:
            waiting = self._answers.get(transport_id)
            if waiting is None:
                return False
            event, box, asked = waiting
            if question is not None and question is not asked:
                return False
            if box:
                return False  # answered already: the first answer counts
            box.append(value)
        event.set()
        return True

    def questions(self) -> Sequence[Row]:
        return [r for r in self.snapshot().rows if r.ask is not None]


__all__ = ["Ask", "Board", "Choice", "Row", "Snapshot", "Summary", "field"]
