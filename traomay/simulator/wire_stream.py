"""One ADB stream (OPEN ... CLSE) seen from the phone, with the flow control adbd uses.

Host -> phone: every host WRTE is answered with OKAY at once (Connection does that) and its
payload queued here for the service to read.
Phone -> host: only one WRTE in flight per stream; the next waits for the host's OKAY.
Payloads never exceed the smaller of the two sides' maxdata.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from traomay.simulator.adb_wire import A_CLSE, A_WRTE

SendMessage = Callable[[int, int, int, bytes], None]


class StreamClosed(Exception):
    """The host closed the stream (or the connection went away)."""


class Stream:
    def __init__(self, local_id: int, remote_id: int, service: str, send: SendMessage,
                 drain: Callable[[], Awaitable[None]], max_payload: int,
                 before_write: Callable[[Stream, bytes], Awaitable[bytes]] | None = None) -> None:
        self.local_id = local_id
        self.remote_id = remote_id
        self.service = service
        self.max_payload = max_payload
        self.bytes_written = 0
        self.bytes_read = 0
        self._send = send
        self._drain = drain
        self._before_write = before_write
        self._inbox: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._buffer = bytearray()
        self._eof = False
        self._can_write = asyncio.Event()
        self._can_write.set()  # our OKAY answering OPEN does not need an OKAY back
        self.host_closed = False
        self._clse_sent = False

    # --- called by the connection ---------------------------------------------------
    def feed(self, data: bytes) -> None:
        self._inbox.put_nowait(data)

    def on_host_okay(self) -> None:
        self._can_write.set()

    def on_host_close(self) -> None:
        """Host CLSE or connection lost: wake every waiter; never answer a CLSE."""
        self.host_closed = True
        self._inbox.put_nowait(None)
        self._can_write.set()

    # --- host -> phone --------------------------------------------------------------
    async def read_some(self) -> bytes:
        """Next chunk of host data; b"" once the host closed the stream."""
        if self._buffer:
            data = bytes(self._buffer)
            self._buffer.clear()
            return data
        if self._eof:
            return b""
        chunk = await self._inbox.get()
        if chunk is None:
            self._eof = True
            return b""
        self.bytes_read += len(chunk)
        return chunk

    async def read_exactly(self, size: int) -> bytes:
        """Exactly ``size`` bytes; StreamClosed when the host closes first."""
        while len(self._buffer) < size:
            if self._eof:
                raise StreamClosed(f"host closed {self.service!r} early")
            chunk = await self._inbox.get()
            if chunk is None:
                self._eof = True
                continue
            self.bytes_read += len(chunk)
            self._buffer += chunk
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    # --- phone -> host --------------------------------------------------------------
    async def write(self, data: bytes) -> None:
        """Send ``data`` in WRTEs of at most max_payload, one in flight at a time.
        StreamClosed if the host has closed the stream."""
        view = memoryview(data)
        for start in range(0, len(view), self.max_payload):
            chunk = bytes(view[start:start + self.max_payload])
            await self._can_write.wait()
            if self.host_closed:
                raise StreamClosed(f"host closed {self.service!r}")
            if self._before_write is not None:
                chunk = await self._before_write(self, chunk)
                if self.host_closed:
                    raise StreamClosed(f"host closed {self.service!r}")
            self._can_write.clear()
            self._send(A_WRTE, self.local_id, self.remote_id, chunk)
            self.bytes_written += len(chunk)
            await self._drain()

    async def wait_written(self) -> None:
        """Until the host acknowledged our last WRTE (or closed)."""
        await self._can_write.wait()

    def close(self) -> None:
        """The service ended: tell the host, unless it closed first."""
        if self._clse_sent or self.host_closed:
            return
        self._clse_sent = True
        self._send(A_CLSE, self.local_id, self.remote_id, b"")
