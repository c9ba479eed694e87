"""ADB transport messages as the phone (adbd) side sees them.

Every message is a 24-byte little-endian header (command, arg0, arg1, payload length,
payload "checksum", magic = command ^ 0xffffffff) followed by the payload. Since protocol
version 0x01000001 neither side checks the checksum (a plain byte sum), so we send 0 for
stream data and the real sum only for the small handshake messages.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass


def _cmd(name: bytes) -> int:
    return struct.unpack("<I", name)[0]


A_SYNC = _cmd(b"SYNC")
A_CNXN = _cmd(b"CNXN")
A_AUTH = _cmd(b"AUTH")
A_OPEN = _cmd(b"OPEN")
A_OKAY = _cmd(b"OKAY")
A_CLSE = _cmd(b"CLSE")
A_WRTE = _cmd(b"WRTE")
A_STLS = _cmd(b"STLS")

A_VERSION = 0x01000001  # "skip checksum" version, what adbd has sent since Android 9
MAX_PAYLOAD = 1024 * 1024  # adbd's maxdata since Android 9; older phones used 4096
MAX_BANNER = 4096  # the host rejects longer CNXN payloads

# AUTH arg0
AUTH_TOKEN = 1
AUTH_SIGNATURE = 2
AUTH_RSAPUBLICKEY = 3
TOKEN_SIZE = 20

HEADER = struct.Struct("<6I")
MAX_MESSAGE_PAYLOAD = 16 * 1024 * 1024  # refuse anything larger than this (garbage guard)


class WireError(Exception):
    """The peer sent something that is not an ADB message."""


@dataclass(frozen=True)
class Message:
    command: int
    arg0: int
    arg1: int
    data: bytes = b""

    @property
    def name(self) -> str:
        return command_name(self.command)


def command_name(command: int) -> str:
    raw = struct.pack("<I", command & 0xFFFFFFFF)
    return raw.decode("ascii") if raw.isalpha() else f"0x{command:08x}"


def pack_header(command: int, arg0: int, arg1: int, data: bytes = b"",
                checksum: bool = False) -> bytes:
    """The 24-byte header for ``data`` (write the payload right after it)."""
    crc = sum(data) & 0xFFFFFFFF if checksum else 0
    return HEADER.pack(command, arg0 & 0xFFFFFFFF, arg1 & 0xFFFFFFFF, len(data), crc,
                       command ^ 0xFFFFFFFF)


def pack(command: int, arg0: int, arg1: int, data: bytes = b"", checksum: bool = False) -> bytes:
    """One whole message (header + payload)."""
    return pack_header(command, arg0, arg1, data, checksum) + data


def unpack_header(header: bytes) -> tuple[int, int, int, int]:
    """(command, arg0, arg1, payload length); WireError when the magic does not match."""
    command, arg0, arg1, length, _crc, magic = HEADER.unpack(header)
    if magic != command ^ 0xFFFFFFFF:
        raise WireError(f"bad magic for command 0x{command:08x}")
    if length > MAX_MESSAGE_PAYLOAD:
        raise WireError(f"payload length {length} too large")
    return command, arg0, arg1, length


async def read_message(reader: asyncio.StreamReader) -> Message:
    """The next message; asyncio.IncompleteReadError at EOF, WireError on garbage."""
    command, arg0, arg1, length = unpack_header(await reader.readexactly(HEADER.size))
    data = await reader.readexactly(length) if length else b""
    return Message(command, arg0, arg1, data)


def banner_features(banner: bytes) -> list[str]:
    """The ``features=`` list inside a CNXN banner (``device::k=v;k=v;features=a,b``)."""
    text = banner.decode("utf-8", "replace").rstrip("\0")
    _, _, props = text.partition("::")
    for item in props.split(";"):
        key, _, value = item.partition("=")
        if key == "features":
            return [f for f in value.split(",") if f]
    return []
