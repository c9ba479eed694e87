"""``traomay station``: the whole hub carried to hand-over readiness.

The station watches the adb server (a ``track-devices`` stream to wake at once, plus a
listing every half second, since one event stream alone has missed offline transitions) and
gives every ready phone its own worker (traomay.provision.station.worker). Phones that are
not ready get their instruction on the board; offline ones are reconnected; several phones
vanishing within a second are one hub problem, not many phone problems. ``once``: process
the phones attached now (and those coming back from their erase), stop when each is finished
or waiting for a person. Nothing here prints: the screen reads the board.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from traomay.core.errors import AdbServerError
from traomay.core.msg import Msg
from traomay.device.adb import AdbHub, PhoneListing, instruction_for_state
from traomay.inventory.store import Inventory, utc_now
from traomay.provision.config import SessionConfig
from traomay.provision.station.board import Ask, Board, Row, Snapshot
from traomay.provision.station.worker import PhoneWorker, StationOptions

LIST_EVERY_S = 0.5
HUB_DROP_PHONES = 3  # this many ready phones vanishing ...
HUB_DROP_WINDOW_S = 1.5  # ... within this many seconds: the hub, not the phones
RECONNECT_OFFLINE_AFTER_S = 5.0
RETRY_WORKER_AFTER_S = 1.0  # a phone back on the same transport gets a new worker after this

HUB_PROBLEM = Msg("{n} phones disconnected at once: the hub lost power or its cable. Check "
                  "the hub's power and its cable to the computer, then replug the hub.")


@dataclass(frozen=True)
class StationResult:
    snapshot: Snapshot
    seconds: float


class Station:
    def __init__(self, hub: AdbHub, inventory: Inventory, config: SessionConfig,
                 options: StationOptions | None = None, board: Board | None = None) -> None:
        self.hub, self.inventory, self.config = hub, inventory, config
        self.options = options or StationOptions()
        self.board = board or Board()
        self.stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self.workers: dict[int, PhoneWorker] = {}
        self._ended: list[PhoneWorker] = []
        self._known: dict[int, PhoneListing] = {}
        self._offline_since: dict[int, float] = {}
        self._vanished: deque[float] = deque()
        self._log_lock = threading.Lock()
        self._started_with: set[int] = set()
        self._last_left = 0.0  # when a phone last left for its erase

    # -- running -------------------------------------------------------------------------
    def run(self, until: Callable[[], bool] | None = None) -> StationResult:
        """Run until ``stop`` is set (Ctrl-C, the screen's quit key), ``until()`` is true,
        or, with ``once``, every phone is finished or waiting for a person."""
        started = time.monotonic()
        watcher = threading.Thread(target=self._track, name="traomay-track", daemon=True)
        watcher.start()
        first = True
        try:
            while not self.stop.is_set():
                try:
                    listings = self.hub.list_phones()
                except AdbServerError as exc:
                    self.board.notice(exc.message)
                    self.stop.wait(1.0)
                    continue
                self._sync(listings)
                if first:
                    self._started_with = {p.transport_id for p in listings}
                    first = False
                if until is not None and until():
                    break
                if self.options.once and self._settled():
                    break
                self._wake.wait(LIST_EVERY_S)
                self._wake.clear()
        finally:
            self.stop.set()
            for worker in list(self.workers.values()):
                worker.gone.set()  # wakes a worker waiting for its phone to leave
            for worker in list(self.workers.values()):
                worker.join(timeout=10.0)
        return StationResult(self.board.snapshot(), time.monotonic() - started)

    def _track(self) -> None:
        """Wake the loop as soon as adb reports a change (best effort)."""
        while not self.stop.is_set():
            try:
                for _event in self.hub.track_changes(self.stop):
                    self._wake.set()
            except Exception:  # the server restarted, or went away: the listing goes on
                self.stop.wait(1.0)

    def _settled(self) -> bool:
        with self._lock:
            busy = [w for w in self.workers.values() if w.is_alive() or (
                w.retry and w.tid in self._known and self._known[w.tid].ready)]
        if busy:
            return False
        waiting_back = any(r.state == "waiting_back" for r in self.board.snapshot().rows)
        return not waiting_back or time.monotonic() - self._last_left > self.options.wait_back

    # -- the list of phones ------------------------------------------------------------------
    def _sync(self, listings: list[PhoneListing]) -> None:
        now = time.monotonic()
        current = {p.transport_id: p for p in listings}
        for tid, listing in current.items():
            self._known[tid] = listing
            if listing.ready:
                self._offline_since.pop(tid, None)
                with self._lock:
                    worker = self.workers.get(tid)
                    if worker is None or _again(worker, now):
                        worker = PhoneWorker(self, listing)
                        self.workers[tid] = worker
                        worker.start()
                continue
            known = self.board.row(tid)
            if listing.state == "offline" and _leaving_to_erase(known):
                # A phone restarting for its erase is often listed "offline" for a moment
                # before it leaves the list (adb sees the link drop first; USB and TCP alike).
                self._last_left = now
                self.board.update(tid, state="waiting_back", action=_wait_back_msg())
                continue
            named = {} if known is not None and known.phone else {
                "phone": listing.model.replace("_", " ")}  # identified rows keep their name
            self.board.update(tid, listing.serial, state="problem",
                              action=instruction_for_state(listing.state), **named)
            if listing.state == "offline":
                since = self._offline_since.setdefault(tid, now)
                if now - since > RECONNECT_OFFLINE_AFTER_S:
                    self.hub.reconnect_offline()
                    self._offline_since[tid] = now
        vanished = [tid for tid in list(self._known) if tid not in current]
        for tid in vanished:
            listing = self._known.pop(tid)
            with self._lock:
                worker = self.workers.get(tid)
            if worker is not None:
                worker.gone.set()
            row = self.board.row(tid)
            if _leaving_to_erase(row):
                self._last_left = now  # expected: it restarts to erase itself
                self.board.update(tid, state="waiting_back", action=_wait_back_msg())
                continue
            if row is not None and row.state in ("done", "set_aside"):
                continue  # expected: finished (finalize turns USB debugging off)
            if row is not None:
                self.board.update(tid, state="gone", action=Msg("unplugged"))
            # An unexpected departure of a connected phone. adb often lists a dropping link
            # "offline" for a moment before the phone leaves the list: that counts too.
            if listing.ready or listing.state == "offline":
                self._vanished.append(now)
        while self._vanished and now - self._vanished[0] > HUB_DROP_WINDOW_S:
            self._vanished.popleft()
        if len(self._vanished) >= HUB_DROP_PHONES:
            self.board.notice(Msg(HUB_PROBLEM.msgid, {"n": len(self._vanished)}))
            self._vanished.clear()

    def worker_ended(self, worker: PhoneWorker) -> None:
        with self._lock:
            self._ended.append(worker)
        self._wake.set()

    # -- per-phone logs ----------------------------------------------------------------------
    def log_phone(self, device_id: int | None, transport_id: int, what: str,
                  data: dict[str, Any]) -> None:
        """One line per step in logs/phones/<id>.log: our own words and the phone's inventory
        id, never the previous owner's data (no device output goes here)."""
        folder = self.options.logs_dir
        if folder is None:
            return
        name = f"{device_id}.log" if device_id is not None else f"t{transport_id}.log"
        line = json.dumps({"at": utc_now(), "station": self.inventory.station,
                           "transport": transport_id, "what": what, **data},
                          ensure_ascii=False)
        try:
            with self._log_lock:
                path = Path(folder) / "phones"
                path.mkdir(parents=True, exist_ok=True)
                with (path / name).open("a", encoding="utf-8") as fh:
                    fh.write(line + "\n")
        except OSError:
            pass  # a log that cannot be written never stops the station

    # -- the person's keys -------------------------------------------------------------------
    def answer(self, number: int, value: Any, question: Ask | None = None) -> bool:
        """Answer phone #number's question; ``question``: the one the person read."""
        row = self._row_by_number(number)
        return row is not None and self.board.answer(row.transport_id, value, question)

    def find(self, number: int) -> bool:
        from traomay.provision.station.worker import find_phone

        row = self._row_by_number(number)
        worker = self.workers.get(row.transport_id) if row else None
        if worker is None or worker.session is None:
            return False
        find_phone(worker.session)
        return True

    def _row_by_number(self, number: int) -> Row | None:
        rows = [r for r in self.board.snapshot().rows if r.number == number
                and r.state not in ("gone", "waiting_back")]
        return rows[-1] if rows else None


def _again(worker: PhoneWorker, now: float) -> bool:
    """Its worker ended because the phone stopped answering, yet adb lists the transport
    ready (still, or again): a USB hiccup that adb reconnected under the same transport id.
    Another worker resumes from the inventory (not at once, so a phone that keeps failing
    is not hammered)."""
    return (worker.retry and not worker.is_alive() and worker.ended_at is not None
            and now - worker.ended_at >= RETRY_WORKER_AFTER_S)


def _leaving_to_erase(row: Row | None) -> bool:
    """The row waits for the volunteer to erase the phone from Settings (or saw it go)."""
    return row is not None and row.stage == "erase" and row.state in ("person",
                                                                       "waiting_back")


def _wait_back_msg() -> Msg:
    from traomay.provision.station import guide

    return guide.WAIT_BACK
