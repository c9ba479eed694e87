"""The services a simulated phone answers on an OPEN: shell (raw and v2), exec, abb_exec,
reboot and sync. Each one is ``async def (stream, phone) -> None``; the connection sends
CLSE when it returns.

Android oddities kept on purpose:
- ``shell:`` without shell_v2 (Android 6 and older) and ``exec:`` give one raw byte stream
  with stdout and stderr mixed and no exit code.
- shell_v2 (Android 7+) frames everything: id byte + u32 length; stdin 0, stdout 1,
  stderr 2, exit 3 (one byte), close-stdin 4.
- ``abb_exec:`` (Android 10+, feature ``abb_exec``) carries ``cmd``'s arguments split by NUL.
- A command that runs until stopped (``getevent``) is streamed in timed chunks when the phone
  offers ``stream(command)``; the host closing the stream ends it.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable, Callable, Iterator

from traomay.simulator.phone_api import ShellOutcome, SimulatedPhone
from traomay.simulator.sync_service import serve_sync
from traomay.simulator.wire_stream import Stream, StreamClosed

Service = Callable[[Stream, SimulatedPhone], Awaitable[None]]

SHELL_STDIN, SHELL_STDOUT, SHELL_STDERR, SHELL_EXIT, SHELL_CLOSE_STDIN = 0, 1, 2, 3, 4
DEFAULT_REBOOT_SECONDS = 3.0


def _v2_packet(kind: int, payload: bytes) -> bytes:
    return struct.pack("<BI", kind, len(payload)) + payload


async def _read_raw_stdin(stream: Stream, size: int) -> bytes:
    return await stream.read_exactly(size) if size > 0 else b""


async def _read_v2_stdin(stream: Stream, size: int) -> bytes:
    """Collect stdin packets until ``size`` bytes or close-stdin."""
    data = bytearray()
    while len(data) < size:
        kind, length = struct.unpack("<BI", await stream.read_exactly(5))
        payload = await stream.read_exactly(length) if length else b""
        if kind == SHELL_STDIN:
            data += payload
        elif kind == SHELL_CLOSE_STDIN:
            break
    return bytes(data[:size])


def _run(phone: SimulatedPhone, command: str, stdin: bytes) -> ShellOutcome:
    try:
        return phone.run(command, stdin)
    except Exception as exc:  # a bug in the phone model must not kill the wire
        return ShellOutcome(stdout=b"", stderr=f"simulator error: {exc!r}\n".encode(),
                            exit_code=255)


async def _take_time(outcome: ShellOutcome) -> None:
    """A phone with a latency model (latency.py) answers after the time the command line
    takes; the loop serves every other phone meanwhile."""
    seconds = getattr(outcome, "seconds", 0.0) or 0.0
    if seconds > 0:
        await asyncio.sleep(seconds)


def _streamed(phone: SimulatedPhone, command: str) -> Iterator[tuple[float, bytes]] | None:
    """Optional: a phone may stream a long-running command's output (``getevent``) as
    (delay, bytes) chunks through ``stream(command)``; None = answer through run()."""
    stream_fn = getattr(phone, "stream", None)
    if stream_fn is None:
        return None
    try:
        return stream_fn(command)
    except Exception:  # a bug in the phone model must not kill the wire
        return None


async def _write_streamed(stream: Stream, chunks: Iterator[tuple[float, bytes]],
                          frame: Callable[[bytes], bytes]) -> None:
    for delay, data in chunks:
        if delay > 0:
            await asyncio.sleep(delay)
        if data:
            await stream.write(frame(data))


def raw_command(command: str) -> Service:
    """``shell:CMD`` without v2, ``exec:CMD``: stdout+stderr as one raw stream."""

    async def serve(stream: Stream, phone: SimulatedPhone) -> None:
        chunks = _streamed(phone, command)
        if chunks is not None:
            await _write_streamed(stream, chunks, lambda data: data)
            return
        stdin = await _read_raw_stdin(stream, phone.stdin_bytes_expected(command))
        outcome = _run(phone, command, stdin)
        await _take_time(outcome)
        # The model keeps stdout and stderr apart and loses their interleaving; stderr goes
        # first so that a trailing ``; echo MARKER$?`` (adbutils, PhoneLink) stays last.
        await stream.write(outcome.stderr + outcome.stdout)

    return serve


def v2_command(command: str) -> Service:
    async def serve(stream: Stream, phone: SimulatedPhone) -> None:
        chunks = _streamed(phone, command)
        if chunks is not None:
            await _write_streamed(stream, chunks, lambda data: _v2_packet(SHELL_STDOUT, data))
            await stream.write(_v2_packet(SHELL_EXIT, b"\x00"))
            return
        stdin = await _read_v2_stdin(stream, phone.stdin_bytes_expected(command))
        outcome = _run(phone, command, stdin)
        await _take_time(outcome)
        out = b""
        if outcome.stdout:
            out += _v2_packet(SHELL_STDOUT, outcome.stdout)
        if outcome.stderr:
            out += _v2_packet(SHELL_STDERR, outcome.stderr)
        out += _v2_packet(SHELL_EXIT, bytes([outcome.exit_code & 0xFF]))
        await stream.write(out)

    return serve


def reboot_service(target: str) -> Service:
    """``reboot:`` / ``reboot:recovery``: the phone model decides how long it stays away."""

    async def serve(stream: Stream, phone: SimulatedPhone) -> None:
        _run(phone, f"reboot {target}".strip(), b"")

    return serve


async def _sync(stream: Stream, phone: SimulatedPhone) -> None:
    await serve_sync(stream, phone)


def pick_service(service: str, phone: SimulatedPhone) -> Service | None:
    """The handler for an OPEN's service string, or None (the phone answers CLSE)."""
    features = set(phone.features())
    name, _, arg = service.partition(":")
    head, *options = name.split(",")
    if head == "shell":
        if not arg:
            return None  # interactive pty shell: not simulated
        if "v2" in options and "shell_v2" in features:
            return v2_command(arg)
        return raw_command(arg)
    if head == "exec" and arg:
        return raw_command(arg)
    if head == "abb_exec" and "abb_exec" in features and arg:
        # Android 10+: ``abb_exec:package\0install\0-S\0123`` == ``cmd package install -S 123``
        return raw_command("cmd " + " ".join(p for p in arg.split("\0") if p))
    if name == "sync":
        return _sync
    if head == "reboot":
        return reboot_service(arg)
    return None


__all__ = ["DEFAULT_REBOOT_SECONDS", "Service", "StreamClosed", "pick_service"]
