"""A simulated volunteer for the station on simulated phones (the demo, tests, training):
it reads the station's board like a person reads the screen, answers its questions, and
does on the simulated phones what the rows ask (rings the phone, removes the donor's
account, erases it from Settings and turns USB debugging on again, taps Allow)."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from traomay.provision.station.board import Board, Row
from traomay.simulator.actions import perform
from traomay.simulator.hub import SimulatedHub
from traomay.simulator.phone import Phone


class SimulatedVolunteer(threading.Thread):
    def __init__(self, board: Board, sim_hub: SimulatedHub, phones: Mapping[str, Phone],
                 stop: threading.Event, *, accept_origin: bool = True,
                 appearance: Mapping[str, Any] | None = None, erase_seconds: float = 0.3,
                 answer_questions: bool = True, settle_waiting_checks: bool = False) -> None:
        super().__init__(name="traomay-demo-volunteer", daemon=True)
        self.board, self.sim, self.phones, self.stop = board, sim_hub, phones, stop
        self.accept_origin = accept_origin
        self.appearance = appearance or {"screen_ok": True, "back_ok": True}
        self.erase_seconds = erase_seconds
        self.answer_questions = answer_questions  # False: a test answers with key presses
        # True: also does what a waiting check asks (takes the phone to a window, plugs a
        # wall charger, switches Bluetooth on), once per phone; the demo leaves them waiting.
        self.settle_waiting_checks = settle_waiting_checks
        self._settled: set[int] = set()
        self._done: set[tuple[Any, ...]] = set()
        self._rang: dict[int, float] = {}
        self._touch_tries: dict[int, int] = {}  # touch_retry questions seen, per transport
        self.actions: list[tuple[str, str]] = []  # (phone address, what was done)

    def run(self) -> None:
        while not self.stop.is_set():
            for row in self.board.snapshot().rows:
                try:
                    self._act(row)
                except Exception:  # a phone that went away meanwhile: look again next round
                    pass
            self.stop.wait(0.05)

    def _index(self, address: str) -> int | None:
        return self.sim.addresses.index(address) if address in self.sim.addresses else None

    def _act(self, row: Row) -> None:
        index = self._index(row.adb_serial)
        if index is None:
            return
        if row.ask is not None:
            if not self.answer_questions:
                return
            value = {"appearance": self.appearance, "origin": self.accept_origin,
                     "rang": True, "touch_retry": self._touch_answer(row)}.get(row.ask.kind)
            if self.board.answer(row.transport_id, value, row.ask):
                self.actions.append((row.adb_serial, f"answered {row.ask.kind}"))
                if row.ask.kind == "touch_retry":
                    self._touch_tries[row.transport_id] = \
                        self._touch_tries.get(row.transport_id, 0) + 1
            return
        if row.state == "problem" and row.action is not None and "Allow" in row.action.msgid:
            self._once(row, "allow", lambda: self.sim.allow(index))
            return
        if row.state != "person":
            return
        if row.stage == "recheck" and self.settle_waiting_checks and \
                row.transport_id not in self._settled:
            self._settled.add(row.transport_id)
            for action in ("outdoors", "charger-wall", "bluetooth-on"):
                perform(self.sim, index, action)
        elif row.stage == "call":
            last = self._rang.get(row.transport_id, 0.0)
            if time.monotonic() - last > 1.5:  # someone calls, and calls again if missed
                self._rang[row.transport_id] = time.monotonic()
                self.sim.ring(index, seconds=1.0)
                self.actions.append((row.adb_serial, "called"))
        elif row.stage == "remove_account":
            self._once(row, "remove_account",
                       lambda: self.phones[row.adb_serial].accounts.clear())
        elif row.stage == "erase":
            self._once(row, "erase", lambda: threading.Thread(
                target=self._erase, args=(index, row.adb_serial), daemon=True).start())

    def _touch_answer(self, row: Row) -> str | None:
        """As a person does: squares that never responded are tried once more (a slow
        machine, a hurried finger), then recorded as faulty."""
        if row.ask is None or row.ask.kind != "touch_retry":
            return None
        tries = self._touch_tries.get(row.transport_id, 0)
        return "retry" if tries == 0 else "faulty"

    def _once(self, row: Row, what: str, action: Any) -> None:
        key = (row.transport_id, what)
        if key in self._done:
            return
        self._done.add(key)
        action()
        self.actions.append((row.adb_serial, what))

    def _erase(self, index: int, address: str) -> None:
        """Settings › erase, the setup screens without an account, developer options and
        USB debugging on again, the cable back in, Allow."""
        try:
            self._erase_steps(index, address)
        except Exception:  # the hub was stopped meanwhile
            pass  # (the demo or the test ended)

    def _erase_steps(self, index: int, address: str) -> None:
        phone = self.phones[address]
        self.sim.unplug(index)
        phone.factory_reset_from_settings()
        time.sleep(self.erase_seconds)
        phone.settings["global"].update(device_provisioned="1", adb_enabled="1",
                                        development_settings_enabled="1")
        phone.settings["secure"]["user_setup_complete"] = "1"
        self._plug_back(index)

    def _plug_back(self, index: int) -> None:
        """The erased phone's cable back in, then Allow on its screen."""
        self.sim.replug(index)
        time.sleep(0.2)
        self.sim.allow(index)
