"""SimulatedHub: a USB hub full of simulated phones, plugged into a real adb server.

Each phone listens on its own free loopback port (never 5037 or the emulator scan range
5555-5585) and is attached with the adb server's own ``host:connect`` request, spoken here
directly (smart-socket protocol: 4 hex digits of length + request; answer OKAY/FAIL + 4 hex
digits of length + text). The asyncio loop runs in a background thread; every public method
is thread-safe and blocks until done.

A connect-style device that drops is retried by adb at +250 ms and then only every 10 s, so
after a reboot or replug we send ``host:disconnect:`` then ``host:connect:`` ourselves; a
phone that goes away is disconnected at once so it vanishes from ``adb devices`` as a
USB phone would.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from traomay.simulator.phone_api import SimulatedPhone
from traomay.simulator.server import PhoneServer
from traomay.simulator.wire_faults import WireFaults

T = TypeVar("T")
SETTLED_STATES = frozenset(["device", "unauthorized", "recovery", "sideload", "rescue"])


class AdbHostError(Exception):
    """The adb server refused a request (FAIL) or could not be reached."""


def default_adb_port() -> int:
    for var in ("TRAOMAY_ADB_PORT", "ANDROID_ADB_SERVER_PORT"):
        value = os.environ.get(var, "").strip()
        if value.isdigit():
            return int(value)
    return 5037


async def host_request(host: str, port: int, request: str, timeout: float = 10.0) -> str:
    """One smart-socket request to the adb server; the text after OKAY."""

    async def talk() -> str:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            body = request.encode()
            writer.write(b"%04x" % len(body) + body)
            status = await reader.readexactly(4)
            length = int(await reader.readexactly(4), 16)
            text = (await reader.readexactly(length)).decode("utf-8", "replace")
            if status != b"OKAY":
                raise AdbHostError(f"{request}: {text}")
            return text
        finally:
            writer.close()

    try:
        return await asyncio.wait_for(talk(), timeout)
    except (OSError, asyncio.IncompleteReadError, ValueError, asyncio.TimeoutError) as exc:
        raise AdbHostError(f"{request}: {exc!r}") from exc


def parse_devices(text: str) -> dict[str, str]:
    """``host:devices-l`` text -> {serial: state}."""
    states: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            states[parts[0]] = parts[1]
    return states


class SimulatedHub:
    def __init__(self, phones: Sequence[SimulatedPhone], adb_host: str = "127.0.0.1",
                 adb_port: int | None = None,
                 faults: Sequence[WireFaults | None] | None = None) -> None:
        self.phones = list(phones)
        self.adb_host = adb_host
        self.adb_port = adb_port if adb_port is not None else default_adb_port()
        self._faults = list(faults) if faults is not None else [None] * len(self.phones)
        if len(self._faults) != len(self.phones):
            raise ValueError("give one WireFaults (or None) per phone")
        self.servers: list[PhoneServer] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.RLock()

    # --- lifecycle ------------------------------------------------------------------
    def start(self, attach: bool = True, timeout: float = 15.0) -> SimulatedHub:
        """Bind every phone, attach it to the adb server, wait until adb lists it as
        ``device`` (or ``unauthorized``)."""
        with self._lock:
            if self._loop is not None:
                return self
            loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=loop.run_forever, name="traomay-sim",
                                            daemon=True)
            self._thread.start()
            self._loop = loop
            try:
                self._call(self._start_servers(), timeout)
                if attach:
                    self._call(self._attach_all(timeout), timeout + 5)
            except BaseException:
                self.stop()
                raise
        return self

    async def _start_servers(self) -> None:
        for phone, faults in zip(self.phones, self._faults, strict=True):
            server = PhoneServer(phone, faults=faults, on_gone=self._detach,
                                 on_back=self._reattach)
            await server.start()
            self.servers.append(server)

    async def _attach_all(self, timeout: float) -> None:
        await asyncio.gather(*(self._connect(s) for s in self.servers))
        await self._wait_settled([s.address for s in self.servers], timeout)

    async def _connect(self, server: PhoneServer) -> None:
        answer = await host_request(self.adb_host, self.adb_port, f"host:connect:{server.address}")
        if "authenticate" in answer:
            return  # adb 36 says "failed to authenticate" for a phone showing the Allow dialog
        if "connected" not in answer or answer.startswith(("failed", "cannot")):
            raise AdbHostError(f"host:connect:{server.address}: {answer}")

    async def _detach(self, server: PhoneServer) -> None:
        try:
            await host_request(self.adb_host, self.adb_port, f"host:disconnect:{server.address}")
        except AdbHostError:
            pass  # already gone from adb's list

    async def _reattach(self, server: PhoneServer) -> None:
        await self._detach(server)
        try:
            await self._connect(server)
        except AdbHostError:
            pass  # adb server gone (hub stopping): nothing to re-attach to

    async def _wait_settled(self, addresses: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            states = parse_devices(
                await host_request(self.adb_host, self.adb_port, "host:devices-l"))
            waiting = [a for a in addresses if states.get(a) not in SETTLED_STATES]
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise AdbHostError(f"not online after {timeout} s: {waiting} ({states})")
            await asyncio.sleep(0.01)

    def stop(self) -> None:
        """Detach every phone from the adb server and close everything."""
        with self._lock:
            loop, thread = self._loop, self._thread
            if loop is None or thread is None:
                return
            try:
                self._call(self._close_all(), 15.0)
            finally:
                loop.call_soon_threadsafe(loop.stop)
                thread.join(timeout=5)
                loop.close()
                self._loop = self._thread = None
                self.servers = []

    async def _close_all(self) -> None:
        for server in self.servers:
            server.on_gone = server.on_back = None
            await server.close()
        await asyncio.gather(*(self._detach(s) for s in self.servers))

    def __enter__(self) -> SimulatedHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def run_forever_until_interrupted(self) -> None:
        """Block the calling thread until Ctrl-C (KeyboardInterrupt, also on Windows), then
        stop. Short sleeps keep Ctrl-C responsive on Windows."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # --- per phone ------------------------------------------------------------------
    @property
    def addresses(self) -> list[str]:
        return [s.address for s in self.servers]

    @property
    def ports(self) -> list[int]:
        return [s.port for s in self.servers]

    def index_of(self, which: int) -> int:
        """``which`` is a list index or a phone's port."""
        ports = self.ports
        if 0 <= which < len(ports):
            return which
        if which in ports:
            return ports.index(which)
        raise IndexError(f"no simulated phone {which}")

    def allow(self, which: int) -> None:
        """The volunteer taps "Allow USB debugging" on the phone."""
        server = self.servers[self.index_of(which)]

        async def tap() -> None:
            authorize = getattr(server.phone, "authorize", None)
            if authorize is None:
                raise TypeError(f"{type(server.phone).__name__} has no authorize()")
            authorize()
            server.authorize_now()

        self._call(tap())

    def unplug(self, which: int) -> None:
        """The cable is pulled: the phone leaves adb's list and (if it models a battery)
        runs on battery until replug()."""
        server = self.servers[self.index_of(which)]
        self._call(self._set_usb(server, False))
        self._call(server.unplug())

    def replug(self, which: int) -> None:
        server = self.servers[self.index_of(which)]
        self._call(self._set_usb(server, True))
        self._call(server.replug())

    @staticmethod
    async def _set_usb(server: PhoneServer, connected: bool) -> None:
        set_usb = getattr(server.phone, "set_usb_connected", None)
        if set_usb is not None:
            set_usb(connected)  # on the loop thread, like every other phone-model call

    def ring(self, which: int, seconds: float = 1.0, slot: int = 0) -> bool:
        """Someone calls the phone: it rings for ``seconds`` (False: it cannot ring, e.g. no
        SIM registered for voice)."""
        server = self.servers[self.index_of(which)]

        async def call() -> bool:
            incoming = getattr(server.phone, "incoming_call", None)
            return bool(incoming(seconds, slot)) if incoming is not None else False

        return self._call(call())

    def reboot(self, which: int, seconds: float) -> None:
        """As if the phone rebooted by itself (returns at once; it comes back later)."""
        server = self.servers[self.index_of(which)]
        self._call(self._begin_reboot(server, seconds))

    @staticmethod
    async def _begin_reboot(server: PhoneServer, seconds: float) -> None:
        server.begin_reboot(seconds)

    def act(self, which: int, fn: Callable[[Any, PhoneServer], Any],
            timeout: float = 15.0) -> Any:
        """Run ``fn(phone, server)`` on the hub's loop, where every phone-model call runs
        (a person's action on the phone, simulator/actions.py); awaited if it is async."""
        server = self.servers[self.index_of(which)]

        async def run() -> Any:
            result = fn(server.phone, server)
            return await result if inspect.isawaitable(result) else result

        return self._call(run(), timeout)

    def wait_settled(self, timeout: float = 15.0) -> None:
        """Until adb lists every phone as device/unauthorized/recovery/..."""
        self._call(self._wait_settled(self.addresses, timeout), timeout + 5)

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float = 15.0) -> T:
        if self._loop is None:
            coro.close()
            raise RuntimeError("SimulatedHub is not started")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)
