"""Fault plans for simulated phones: what goes wrong, where, and how often.

A plan is a list of rules given to one phone (``SimulatedHub(phones, faults=[plan, ...])``)::

    FaultPlan(DropDuring("install", come_back_after=2.0),   # cable pulled mid-transfer
              Slow(0.5, what="shell"),                       # every command 0.5 s late
              Garble(section="battery"),                     # junk where dumpsys battery was
              InstallFails("INSUFFICIENT_STORAGE"),          # the phone says storage is full
              Unauthorized(allow_after=1.0))                 # "Allow USB debugging?" first

Every rule fires ``times`` times (None: every time) and counts what it did in ``fired``;
the plan keeps a journal of every service the phone answered, so a test can say what the
phone went through (``plan.services("install")``). Rules can be added while the hub runs
(``plan.add(...)``), from any thread.

What a rule matches (``what``):
- ``"shell"``: a shell or exec command that is not an install;
- ``"install"``: ``cmd package install``/``install-write``/``install-commit``, ``pm install``
  (streamed or of a pushed file);
- ``"push"``: the ``sync:`` service (adb push, pull, stat);
- ``"reboot"``: the phone going down for a reboot (``reboot:``, ``cmd testharness enable``);
- ``"any"``: every service.
``contains`` narrows it to services whose text holds that string (``"dumpsys account"``).

All hooks run on the simulator's event loop (wire_faults.WireFaults). This module knows the
ADB wire and the phone model's public methods, nothing of the toolkit; ``Garble(section=)``
knows only the marker lines that follow each section of a batched command
(``@@TM:<nonce>:<name>:<status>@@``), the way a test reading the wire would.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from traomay.simulator.adb_wire import A_CNXN, A_WRTE, Message
from traomay.simulator.wire_faults import DropConnection, WireFaults

if TYPE_CHECKING:
    from traomay.simulator.server import PhoneServer
    from traomay.simulator.wire_stream import Stream

WHATS = ("shell", "install", "push", "reboot", "any")
_INSTALL = re.compile(r"(?:^|[\s:\0])(?:cmd\s+package|pm|package)[\s\0]+"
                      r"(?:install|install-write|install-commit)(?:[\s\0]|$)")
_REBOOTS = ("reboot", "testharness enable")
_MARKER = re.compile(rb"@@TM:[0-9A-Za-z]+:([A-Za-z0-9_.-]+):\d*@@\r?\n?")


def kind_of(service: str) -> str:
    """What a service string is: shell | install | push | reboot | other."""
    head, _, command = service.partition(":")
    name = head.split(",")[0]
    if name == "sync":
        return "push"
    if name == "reboot":
        return "reboot"
    if name in ("shell", "exec", "abb_exec"):
        if _INSTALL.search(command):
            return "install"
        if any(word in command for word in _REBOOTS):
            return "reboot"
        return "shell"
    return "other"


# -- helpers every rule uses -------------------------------------------------------------------

_later: set[asyncio.Task[None]] = set()  # replugs scheduled for later (kept alive here)


async def unplug(server: PhoneServer, come_back_after: float | None) -> None:
    """Pull the phone's cable now (it leaves adb's list, runs on battery) and push it back in
    after ``come_back_after`` seconds (None: never)."""
    set_usb = getattr(server.phone, "set_usb_connected", None)
    if set_usb is not None:
        set_usb(False)
    await server.unplug()
    if come_back_after is not None:
        task = asyncio.get_running_loop().create_task(_replug(server, come_back_after))
        _later.add(task)
        task.add_done_callback(_later.discard)


async def _replug(server: PhoneServer, seconds: float) -> None:
    await asyncio.sleep(max(0.0, seconds))
    if server.on_back is None:  # the hub is shutting down: nothing to plug into
        return
    set_usb = getattr(server.phone, "set_usb_connected", None)
    if set_usb is not None:
        set_usb(True)
    await server.replug()


def _stream_of(server: PhoneServer, local_id: int) -> Stream | None:
    for conn in list(server.connections):
        stream = conn.stream(local_id)
        if stream is not None:
            return stream
    return None


# -- the rules ---------------------------------------------------------------------------------

class Fault(WireFaults):
    """One rule. ``what``/``contains`` say which services it touches; it lets the first
    ``skip`` of them go by, then fires ``times`` times (None: always) and counts in
    ``fired``."""

    def __init__(self, what: str = "any", *, contains: str | None = None,
                 times: int | None = 1, skip: int = 0) -> None:
        if what not in WHATS:
            raise ValueError(f"what must be one of {WHATS}, not {what!r}")
        self.what, self.contains, self.times, self.skip = what, contains, times, skip
        self.fired = 0
        self.seen = 0  # matching services opened so far

    def matches(self, service: str) -> bool:
        kind = kind_of(service)
        if self.what != "any" and kind != self.what:
            return False
        return self.contains is None or self.contains in service

    def armed(self) -> bool:
        return self.seen > self.skip and (self.times is None or self.fired < self.times)

    def fire(self) -> None:
        self.fired += 1

    async def before_service(self, server: PhoneServer, service: str) -> None:
        if self.matches(service):
            self.seen += 1
            if self.armed():
                await self.on_service(server, service)

    async def on_service(self, server: PhoneServer, service: str) -> None:
        """A matching service opens and the rule is armed (subclasses)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.what!r}, fired={self.fired})"


class DropDuring(Fault):
    """The cable is pulled while the phone does ``what``; it is plugged back in after
    ``come_back_after`` seconds (None: never).

    ``at`` says when exactly:
    - ``"start"``: as the service opens (the command never runs);
    - ``"data"``: once more than ``after_bytes`` bytes came from the computer (mid-push,
      mid-install: what was sent is lost);
    - ``"output"``: as the phone starts answering (the command ran, its answer is lost:
      the phone installed the app, the computer never heard it).
    Default: ``data`` for install and push, ``output`` for shell. For ``"reboot"`` the
    phone goes down as asked and stays away ``come_back_after`` seconds (or for good);
    ``at="output"`` there: it goes down before its answer leaves, so the computer never
    hears it (``cmd testharness enable``'s reset broadcast can beat its exit code).
    """

    def __init__(self, what: str = "shell", *, come_back_after: float | None = 0.5,
                 at: str | None = None, after_bytes: int = 0, contains: str | None = None,
                 times: int | None = 1, skip: int = 0) -> None:
        super().__init__(what, contains=contains, times=times, skip=skip)
        default = {"install": "data", "push": "data", "reboot": "asked"}.get(what, "output")
        self.at = at or default
        allowed = ("asked", "output") if what == "reboot" else ("start", "data", "output")
        if self.at not in allowed:
            raise ValueError(f"at must be one of {allowed}, not {self.at!r}")
        self.come_back_after = come_back_after
        self.after_bytes = after_bytes
        self._received: dict[int, int] = {}  # stream local id -> bytes from the computer

    async def _drop(self, server: PhoneServer) -> None:
        self.fire()
        await unplug(server, self.come_back_after)
        raise DropConnection()

    async def on_service(self, server: PhoneServer, service: str) -> None:
        if self.what != "reboot" and self.at == "start":
            await self._drop(server)

    async def on_message(self, server: PhoneServer, message: Message) -> None:
        if self.what == "reboot" or self.at != "data" or message.command != A_WRTE or \
                not self.armed():
            return
        stream = _stream_of(server, message.arg1)
        if stream is None or not self.matches(stream.service):
            return
        got = self._received.get(stream.local_id, 0) + len(message.data)
        self._received[stream.local_id] = got
        if got > self.after_bytes:
            self._received.pop(stream.local_id, None)
            await self._drop(server)

    async def before_write(self, server: PhoneServer, stream: Stream, chunk: bytes) -> bytes:
        if self.at == "output" and self.armed() and stream.bytes_written == 0 and \
                self.matches(stream.service):
            if self.what == "reboot":
                if server.phone.reboot_asked():  # it follows (and is counted there)
                    raise DropConnection()
                return chunk  # a refusal (a screen lock): no reboot, the answer goes
            await self._drop(server)
        return chunk

    def reboot_seconds(self, server: PhoneServer, seconds: float) -> float | None:
        if self.what != "reboot":
            return seconds
        self.seen += 1  # a reboot has no service of its own when the phone model asks it
        if not self.armed():
            return seconds
        self.fire()
        return self.come_back_after


class Glitch(Fault):
    """A USB hiccup while the phone does ``what``: the connection is cut, the phone stays
    plugged in, and adb reconnects by itself within a second under the SAME transport id
    (adb retries a dropped device after 250 ms; only an unplug makes a new transport)."""

    def __init__(self, what: str = "shell", *, at: str = "output",
                 contains: str | None = None, times: int | None = 1, skip: int = 0) -> None:
        super().__init__(what, contains=contains, times=times, skip=skip)
        if at not in ("start", "output"):
            raise ValueError(f"at must be start or output, not {at!r}")
        self.at = at

    async def on_service(self, server: PhoneServer, service: str) -> None:
        if self.at == "start":
            self.fire()
            raise DropConnection()

    async def before_write(self, server: PhoneServer, stream: Stream, chunk: bytes) -> bytes:
        if self.at == "output" and self.armed() and stream.bytes_written == 0 and \
                self.matches(stream.service):
            self.fire()
            raise DropConnection()
        return chunk


class Slow(Fault):
    """Every matching service waits ``seconds`` before it runs (a busy or slow phone)."""

    def __init__(self, seconds: float, what: str = "shell", *, contains: str | None = None,
                 times: int | None = None, skip: int = 0) -> None:
        super().__init__(what, contains=contains, times=times, skip=skip)
        self.seconds = seconds

    async def on_service(self, server: PhoneServer, service: str) -> None:
        self.fire()
        await asyncio.sleep(self.seconds)


class Garble(Fault):
    """Spoils a shell command's answer.

    ``section``: only that section of a batched command (the text before its marker line);
    without it, the whole answer. ``how``:
    - ``"garbage"``: the text replaced by junk of the same length (markers stay);
    - ``"truncate"``: the second half of the text gone (blank lines instead);
    - ``"cut"``: the answer stops where the section starts and the cable is pulled
      (plugged back in after ``come_back_after`` seconds).
    """

    JUNK = bytes(range(0x21, 0x7F)) + b"\xff\xfe\x00\t"

    def __init__(self, section: str | None = None, *, how: str = "garbage",
                 contains: str | None = None, times: int | None = 1, skip: int = 0,
                 come_back_after: float | None = 0.5) -> None:
        super().__init__("shell", contains=contains, times=times, skip=skip)
        if how not in ("garbage", "truncate", "cut"):
            raise ValueError(f"how must be garbage, truncate or cut, not {how!r}")
        self.section, self.how, self.come_back_after = section, how, come_back_after

    def _region(self, stream: Stream, chunk: bytes) -> tuple[int, int] | None:
        """Where the text to spoil is in ``chunk`` (start, end), or None."""
        start = 5 if ",v2" in stream.service.split(":")[0] and stream.bytes_written == 0 \
            else 0  # shell_v2: skip the first packet's 5-byte header
        if self.section is None:
            return (start, len(chunk)) if len(chunk) > start else None
        for match in _MARKER.finditer(chunk):
            if match.group(1).decode() == self.section:
                return start, match.start()
            start = match.end()
        return None

    async def before_write(self, server: PhoneServer, stream: Stream, chunk: bytes) -> bytes:
        if not (self.armed() and self.matches(stream.service)):
            return chunk
        region = self._region(stream, chunk)
        if region is None:
            return chunk
        begin, end = region
        self.fire()
        if self.how == "cut":
            loop = asyncio.get_running_loop()
            task = loop.create_task(_cut_after_send(server, self.come_back_after))
            _later.add(task)
            task.add_done_callback(_later.discard)
            return chunk[:begin]
        text = bytearray(chunk[begin:end])
        if self.how == "garbage":
            for i in range(len(text)):
                text[i] = self.JUNK[(i * 7 + 3) % len(self.JUNK)]
        else:
            half = len(text) // 2
            text[half:] = b"\n" * (len(text) - half)
        return chunk[:begin] + bytes(text) + chunk[end:]


async def _cut_after_send(server: PhoneServer, come_back_after: float | None) -> None:
    await asyncio.sleep(0.02)  # the cut answer goes out first
    await unplug(server, come_back_after)


class InstallFails(Fault):
    """The phone refuses an install: ``INSUFFICIENT_STORAGE`` (the phone's own storage rule
    sees no room during that one install: nothing is installed, and ``df`` before and after
    reads as usual, as when dexopt needs more space than the pre-check saw)."""

    CODES = ("INSUFFICIENT_STORAGE",)

    def __init__(self, code: str = "INSUFFICIENT_STORAGE", *, contains: str | None = None,
                 times: int | None = 1, skip: int = 0) -> None:
        super().__init__("install", contains=contains, times=times, skip=skip)
        if code not in self.CODES:
            raise ValueError(f"simulated install failures: {self.CODES}")
        self.code = code

    def matches(self, service: str) -> bool:
        # Only the step that decides (not install-write of a session).
        return super().matches(service) and "install-write" not in service

    async def before_service(self, server: PhoneServer, service: str) -> None:
        # The room comes back by the next command at the latest, even when the install's
        # answer never went out (its connection was cut meanwhile).
        _give_room_back(server.phone)
        await super().before_service(server, service)

    async def on_service(self, server: PhoneServer, service: str) -> None:
        phone = server.phone
        if not hasattr(phone, "storage_free"):
            return
        self.fire()
        _ROOM.setdefault(phone, phone.storage_free)  # two rules at once: the first one's
        phone.storage_free = 0

    async def before_write(self, server: PhoneServer, stream: Stream, chunk: bytes) -> bytes:
        if kind_of(stream.service) == "install":
            _give_room_back(server.phone)  # the answer is out: the room is back
        return chunk


_ROOM: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()  # phone -> its room


def _give_room_back(phone: Any) -> None:
    saved = _ROOM.pop(phone, None)
    if saved is not None:
        phone.storage_free = saved


class Unauthorized(Fault):
    """The phone asks "Allow USB debugging?" when it is plugged in (its adb keys were
    forgotten); it is allowed after ``allow_after`` seconds, or when someone taps Allow
    (``SimulatedHub.allow``) when None."""

    def __init__(self, allow_after: float | None = None, *, times: int | None = 1) -> None:
        super().__init__("any", times=times)
        self.allow_after = allow_after

    def armed(self) -> bool:  # fires on a connection, not on a service
        return self.times is None or self.fired < self.times

    async def on_message(self, server: PhoneServer, message: Message) -> None:
        if message.command != A_CNXN or not self.armed():
            return
        revoke = getattr(server.phone, "deauthorize", None)
        if revoke is None or not server.phone.is_authorized():
            return
        self.fire()
        revoke()
        if self.allow_after is not None:
            task = asyncio.get_running_loop().create_task(_allow_later(server, self.allow_after))
            _later.add(task)
            task.add_done_callback(_later.discard)


async def _allow_later(server: PhoneServer, seconds: float) -> None:
    await asyncio.sleep(seconds)
    server.phone.authorize()
    server.authorize_now()


# -- the plan ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Served:
    """One service the phone answered: when (monotonic), what, and whether it finished."""

    at: float
    service: str
    kind: str


class FaultPlan(WireFaults):
    """The rules for one phone, applied in order, and the journal of what it answered."""

    def __init__(self, *faults: WireFaults) -> None:
        self._lock = threading.Lock()
        self._faults: list[WireFaults] = list(faults)
        self.journal: list[Served] = []

    def add(self, *faults: WireFaults) -> FaultPlan:
        """More rules, from any thread (they apply from the next message on)."""
        with self._lock:
            self._faults.extend(faults)
        return self

    @property
    def faults(self) -> list[WireFaults]:
        with self._lock:
            return list(self._faults)

    @property
    def fired(self) -> int:
        """How many faults fired on this phone so far."""
        return sum(getattr(f, "fired", 0) for f in self.faults)

    def services(self, kind: str | None = None, contains: str | None = None) -> list[Served]:
        with self._lock:
            return [s for s in self.journal if (kind is None or s.kind == kind)
                    and (contains is None or contains in s.service)]

    async def on_message(self, server: PhoneServer, message: Message) -> None:
        for fault in self.faults:
            await fault.on_message(server, message)

    async def before_service(self, server: PhoneServer, service: str) -> None:
        with self._lock:
            self.journal.append(Served(time.monotonic(), service, kind_of(service)))
        for fault in self.faults:
            await fault.before_service(server, service)

    async def before_write(self, server: PhoneServer, stream: Stream, chunk: bytes) -> bytes:
        for fault in self.faults:
            chunk = await fault.before_write(server, stream, chunk)
        return chunk

    def reboot_seconds(self, server: PhoneServer, seconds: float) -> float | None:
        away: float | None = seconds
        for fault in self.faults:
            if away is None:
                break
            away = fault.reboot_seconds(server, away)
        return away


# -- one USB bus shared by every phone on a hub --------------------------------------------------

class UsbBus:
    """The hub's shared bandwidth (USB 2.0 High Speed moves about 35 MB/s of payload in
    practice, for all its ports together). Transfers queue for the bus in arrival order:
    each one takes len/rate seconds of it."""

    def __init__(self, bytes_per_second: float = 35e6) -> None:
        self.rate = float(bytes_per_second)
        self._free_at = 0.0
        self.bytes = 0  # moved so far (both ways)

    async def transfer(self, size: int) -> None:
        if size <= 0:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        self._free_at = max(now, self._free_at) + size / self.rate
        self.bytes += size
        delay = self._free_at - now
        if delay > 0.0005:
            await asyncio.sleep(delay)


class SharedBandwidth(WireFaults):
    """This phone's traffic goes through ``bus`` (give every phone of a hub the same bus):
    a WRTE from the computer is read only once the bus carried it, so adb's flow control
    slows pushes and installs down as a real hub does; answers wait for the bus too."""

    def __init__(self, bus: UsbBus) -> None:
        self.bus = bus

    async def on_message(self, server: PhoneServer, message: Message) -> None:
        if message.command == A_WRTE and message.data:
            await self.bus.transfer(len(message.data))

    async def before_write(self, server: PhoneServer, stream: Stream, chunk: bytes) -> bytes:
        await self.bus.transfer(len(chunk))
        return chunk


__all__ = ["WHATS", "DropDuring", "Fault", "FaultPlan", "Garble", "Glitch", "InstallFails",
           "Served", "SharedBandwidth", "Slow", "Unauthorized", "UsbBus", "kind_of", "unplug"]


def describe(plan: Any) -> str:
    """One line: the rules and how often each fired (for a failing test's message)."""
    faults = plan.faults if isinstance(plan, FaultPlan) else [plan]
    return ", ".join(repr(f) for f in faults)
