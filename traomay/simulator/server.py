"""One simulated phone listening on one loopback TCP port, speaking adbd's side of ADB.

The adb server connects here after ``host:connect:127.0.0.1:PORT`` and sends CNXN. We answer
CNXN (online) or, while the phone waits for "Allow USB debugging", AUTH TOKEN: adb signs
the token with its keys, we reject every signature with a fresh TOKEN, adb then sends its
public key and lists the phone as ``unauthorized`` until the volunteer taps Allow
(``authorize_now``), when we send CNXN on the same connection, as adbd does.

Everything runs on one asyncio loop; the phone model is called from that loop only.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable

from traomay.simulator.adb_wire import (
    A_AUTH,
    A_CLSE,
    A_CNXN,
    A_OKAY,
    A_OPEN,
    A_VERSION,
    A_WRTE,
    AUTH_RSAPUBLICKEY,
    AUTH_SIGNATURE,
    AUTH_TOKEN,
    MAX_PAYLOAD,
    TOKEN_SIZE,
    Message,
    WireError,
    pack_header,
    read_message,
)
from traomay.simulator.phone_api import SimulatedPhone
from traomay.simulator.wire_faults import DropConnection, WireFaults
from traomay.simulator.wire_services import DEFAULT_REBOOT_SECONDS, pick_service
from traomay.simulator.wire_stream import Stream, StreamClosed

logger = logging.getLogger(__name__)
FORBIDDEN_PORTS = frozenset([5037, *range(5555, 5586)])  # adb server + emulator scan range


class Connection:
    """One TCP connection from the adb server (one transport)."""

    def __init__(self, server: PhoneServer, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.server = server
        self.phone = server.phone
        self._reader = reader
        self._writer = writer
        self.max_payload = MAX_PAYLOAD
        self.online = False
        self.awaiting_allow = False
        self._streams: dict[int, Stream] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._next_id = 1

    # --- sending --------------------------------------------------------------------
    def send(self, command: int, arg0: int, arg1: int, data: bytes = b"") -> None:
        if self._writer.is_closing():
            return
        # Two writes, no 1 MiB concatenation; nothing can interleave on this one loop.
        self._writer.write(pack_header(command, arg0, arg1, data, checksum=len(data) <= 4096))
        if data:
            self._writer.write(data)

    async def drain(self) -> None:
        try:
            await self._writer.drain()
        except ConnectionError as exc:
            raise StreamClosed("connection lost") from exc

    def send_cnxn(self) -> None:
        self.online = True
        self.awaiting_allow = False
        self.send(A_CNXN, A_VERSION, MAX_PAYLOAD, self.phone.banner())

    def send_token(self) -> None:
        self.send(A_AUTH, AUTH_TOKEN, 0, os.urandom(TOKEN_SIZE))

    # --- receiving ------------------------------------------------------------------
    async def serve(self) -> None:
        try:
            while True:
                message = await read_message(self._reader)
                await self.server.faults.on_message(self.server, message)
                self.handle(message)
        except (asyncio.IncompleteReadError, ConnectionError, WireError, DropConnection):
            pass
        finally:
            self.abort()

    def handle(self, msg: Message) -> None:
        if msg.command == A_CNXN:
            self.max_payload = max(256, min(msg.arg1 or MAX_PAYLOAD, MAX_PAYLOAD))
            if self.phone.is_authorized():
                self.send_cnxn()
            else:
                self.online = False
                self.send_token()
        elif msg.command == A_AUTH and not self.online:
            if self.phone.is_authorized():
                self.send_cnxn()
            elif msg.arg0 == AUTH_SIGNATURE:
                self.send_token()  # "wrong key": adb tries its next key, then sends RSAPUBLICKEY
            elif msg.arg0 == AUTH_RSAPUBLICKEY:
                self.awaiting_allow = True  # the "Allow USB debugging?" dialog is showing
        elif not self.online:
            return  # adbd ignores stream traffic before the handshake
        elif msg.command == A_OPEN:
            self._open(msg.arg0, msg.data.rstrip(b"\0").decode("utf-8", "replace"))
        elif msg.command == A_WRTE:
            stream = self._streams.get(msg.arg1)
            if stream is not None and stream.remote_id == msg.arg0:
                stream.feed(msg.data)
                self.send(A_OKAY, msg.arg1, msg.arg0)
        elif msg.command == A_OKAY:
            stream = self._streams.get(msg.arg1)
            if stream is not None:
                stream.on_host_okay()
        elif msg.command == A_CLSE:
            stream = self._streams.pop(msg.arg1, None)
            if stream is not None:
                stream.on_host_close()

    def _open(self, remote_id: int, service: str) -> None:
        handler = pick_service(service, self.phone)
        if handler is None or remote_id == 0:
            self.send(A_CLSE, 0, remote_id)
            return
        local_id = self._next_id
        self._next_id += 1
        stream = Stream(local_id, remote_id, service, self.send, self.drain, self.max_payload,
                        before_write=self._before_write)
        self._streams[local_id] = stream
        self.send(A_OKAY, local_id, remote_id)
        task = asyncio.get_running_loop().create_task(self._run_service(stream, handler))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def stream(self, local_id: int) -> Stream | None:
        """The open stream with this local id (fault plans look up what a WRTE is for)."""
        return self._streams.get(local_id)

    async def _before_write(self, stream: Stream, chunk: bytes) -> bytes:
        return await self.server.faults.before_write(self.server, stream, chunk)

    async def _run_service(self, stream: Stream, handler) -> None:
        try:
            await self.server.faults.before_service(self.server, stream.service)
            await handler(stream, self.phone)
        except StreamClosed:
            pass
        except DropConnection:
            self.abort()
            seconds = self.phone.pending_reboot()  # the command ran: its reboot goes ahead
            if seconds is not None:
                self.server.begin_reboot(seconds)
            return
        except Exception:  # a bug in a service or the phone model: end this stream only
            logger.exception("simulated phone %s: service %r failed",
                             self.phone.serial, stream.service)
        finally:
            self._streams.pop(stream.local_id, None)
        stream.close()
        seconds = self.phone.pending_reboot()
        if seconds is None and stream.service.startswith("reboot:"):
            seconds = DEFAULT_REBOOT_SECONDS
        if seconds is not None:
            try:
                await self.drain()
            except StreamClosed:
                pass
            self.server.begin_reboot(seconds)

    def abort(self) -> None:
        """Drop the TCP connection (cable pulled, phone rebooting)."""
        for stream in list(self._streams.values()):
            stream.on_host_close()
        self._streams.clear()
        self.online = False
        if not self._writer.is_closing():
            self._writer.close()
        self.server.connections.discard(self)


class PhoneServer:
    """Listens on one loopback port for one phone. ``on_gone`` / ``on_back`` are awaited
    when the phone goes away (reboot, unplug) and returns: the hub detaches it from and
    re-attaches it to the adb server there, so it vanishes and reappears as over USB."""

    def __init__(self, phone: SimulatedPhone, host: str = "127.0.0.1",
                 faults: WireFaults | None = None,
                 on_gone: Callable[[PhoneServer], Awaitable[None]] | None = None,
                 on_back: Callable[[PhoneServer], Awaitable[None]] | None = None) -> None:
        self.phone = phone
        self.host = host
        self.faults = faults or WireFaults()
        self.on_gone = on_gone
        self.on_back = on_back
        self.port = 0
        self.connections: set[Connection] = set()
        self.present = True  # False while rebooting or unplugged: connections are refused
        self.reboots = 0
        self._server: asyncio.Server | None = None
        self._reboot_task: asyncio.Task[None] | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    async def start(self, port: int = 0) -> None:
        for _ in range(50):
            server = await asyncio.start_server(self._accept, self.host, port)
            bound = server.sockets[0].getsockname()[1]
            if bound not in FORBIDDEN_PORTS:
                self._server, self.port = server, bound
                return
            server.close()  # the OS handed us a port adb scans for emulators: try again
            await server.wait_closed()
            if port:
                break
        raise OSError(f"could not bind a port outside 5555-5585 on {self.host}")

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.present:
            writer.transport.abort()
            return
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = Connection(self, reader, writer)
        self.connections.add(conn)
        await conn.serve()

    def authorize_now(self) -> None:
        """The volunteer tapped Allow: bring waiting connections online."""
        for conn in list(self.connections):
            if not conn.online and self.phone.is_authorized():
                conn.send_cnxn()

    def drop_connections(self) -> None:
        for conn in list(self.connections):
            conn.abort()

    async def unplug(self) -> None:
        self.present = False
        self.drop_connections()
        if self.on_gone is not None:
            await self.on_gone(self)

    async def replug(self) -> None:
        self.present = True
        if self.on_back is not None:
            await self.on_back(self)

    def begin_reboot(self, seconds: float) -> None:
        if self._reboot_task is not None and not self._reboot_task.done():
            return
        away = self.faults.reboot_seconds(self, seconds)  # None: it never comes back
        self._reboot_task = asyncio.get_running_loop().create_task(self._reboot(away))

    async def _reboot(self, seconds: float | None) -> None:
        await self.unplug()
        if seconds is None:
            return
        await asyncio.sleep(max(0.0, seconds))
        self.phone.on_boot()
        self.reboots += 1
        await self.replug()

    async def close(self) -> None:
        self.present = False
        if self._reboot_task is not None:
            self._reboot_task.cancel()
        self.drop_connections()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
