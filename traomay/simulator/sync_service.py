"""The ``sync:`` service (adb push/pull/ls/stat) over the phone model's tiny filesystem.

Requests are an id (4 ASCII bytes) + u32 length + that many bytes, in any split across WRTE
packets. Replies follow adbd's file_sync_service:
- STAT  -> "STAT" mode size mtime (u32 each; all zero when missing)
- STA2/LST2 -> 72 bytes: id, error (2 = ENOENT), dev, ino, mode, nlink, uid, gid, size,
  atime, mtime, ctime
- LIST  -> "DENT" mode size mtime namelen name ... then "DONE" + 16 zero bytes
- LIS2  -> "DNT2" (stat v2 fields + namelen) name ... then "DONE" + zeros (feature ls_v2)
- SEND "path,mode" then DATA (<= 64 KiB each) ... DONE mtime -> OKAY, or FAIL message
- RECV path -> DATA ... DONE, or FAIL message
- SND2/RCV2 (feature sendrecv_v2, Android 11+): like SEND/RECV with a second header carrying
  mode/flags; compressed transfers are refused (the simulator is stdlib only).
- QUIT ends the stream.
"""

from __future__ import annotations

import stat
import struct
import time

from traomay.simulator.phone_api import SimulatedPhone
from traomay.simulator.wire_stream import Stream, StreamClosed

SYNC_DATA_MAX = 64 * 1024
ENOENT = 2
_STAT2 = struct.Struct("<4sIQQIIIIQqqq")  # 72 bytes
_DNT2 = struct.Struct("<4sIQQIIIIQqqqI")  # 76 bytes + name
_DENT = struct.Struct("<4sIIII")  # 20 bytes + name


def _u32(value: int) -> int:
    return max(0, min(int(value), 0xFFFFFFFF))


def _fail(message: str) -> bytes:
    data = message.encode()
    return b"FAIL" + struct.pack("<I", len(data)) + data


def _stat2(phone: SimulatedPhone, ident: bytes, path: str) -> bytes:
    st = phone.stat_file(path)
    if st is None:
        return _STAT2.pack(ident, ENOENT, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    mode, size, mtime = st
    return _STAT2.pack(ident, 0, 0, 0, _u32(mode), 1, 0, 0, max(0, size), mtime, mtime, mtime)


def _listing(phone: SimulatedPhone, path: str, v2: bool) -> bytes:
    out = bytearray()
    for name, mode, size, mtime in phone.list_dir(path):
        raw = name.encode("utf-8", "surrogateescape")
        if v2:
            out += _DNT2.pack(b"DNT2", 0, 0, 0, _u32(mode), 1, 0, 0, max(0, size),
                              mtime, mtime, mtime, len(raw))
        else:
            out += _DENT.pack(b"DENT", _u32(mode), _u32(size), _u32(mtime), len(raw))
        out += raw
    if v2:
        out += _DNT2.pack(b"DONE", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    else:
        out += _DENT.pack(b"DONE", 0, 0, 0, 0)
    return bytes(out)


async def _receive_file(stream: Stream, phone: SimulatedPhone, path: str, mode: int) -> bytes:
    """DATA chunks until DONE, then store; the reply (OKAY or FAIL)."""
    data = bytearray()
    failure = ""
    while True:
        ident, length = struct.unpack("<4sI", await stream.read_exactly(8))
        if ident == b"DATA":
            if length > SYNC_DATA_MAX:
                failure = failure or f"DATA chunk too large: {length}"
            data += await stream.read_exactly(length)
        elif ident == b"DONE":
            break  # ``length`` is the mtime; the phone model stamps its own time
        else:
            return _fail(f"unexpected {ident!r} during SEND")
    if failure:
        return _fail(failure)
    try:
        phone.write_file(path, bytes(data), mode)
    except Exception as exc:  # e.g. read-only path or "storage full" from the phone model
        return _fail(str(exc) or type(exc).__name__)
    return b"OKAY" + struct.pack("<I", 0)


async def _send_file(stream: Stream, phone: SimulatedPhone, path: str) -> None:
    content = phone.read_file(path)
    if content is None:
        await stream.write(_fail(f"open failed: No such file or directory: {path}"))
        return
    out = bytearray()
    for start in range(0, len(content), SYNC_DATA_MAX):
        chunk = content[start:start + SYNC_DATA_MAX]
        out += b"DATA" + struct.pack("<I", len(chunk)) + chunk
        if len(out) >= stream.max_payload:
            await stream.write(bytes(out))
            out.clear()
    out += b"DONE" + struct.pack("<I", int(time.time()) & 0xFFFFFFFF)
    await stream.write(bytes(out))


def _split_path_mode(spec: str) -> tuple[str, int]:
    path, sep, mode_text = spec.rpartition(",")
    if not sep or not mode_text.isdigit():
        return spec, stat.S_IFREG | 0o644
    return path, int(mode_text)


async def serve_sync(stream: Stream, phone: SimulatedPhone) -> None:
    try:
        while True:
            ident, length = struct.unpack("<4sI", await stream.read_exactly(8))
            if ident == b"QUIT":
                return
            arg = (await stream.read_exactly(length)).decode("utf-8", "surrogateescape")
            if ident == b"STAT":
                st = phone.stat_file(arg) or (0, 0, 0)
                await stream.write(b"STAT" + struct.pack(
                    "<III", _u32(st[0]), _u32(st[1]), _u32(st[2])))
            elif ident in (b"STA2", b"LST2"):
                await stream.write(_stat2(phone, ident, arg))
            elif ident in (b"LIST", b"LIS2"):
                await stream.write(_listing(phone, arg, v2=ident == b"LIS2"))
            elif ident == b"SEND":
                path, mode = _split_path_mode(arg)
                await stream.write(await _receive_file(stream, phone, path, mode))
            elif ident == b"SND2":
                _id, mode, flags = struct.unpack("<4sII", await stream.read_exactly(12))
                if flags:
                    await stream.write(_fail("compressed transfers are not simulated"))
                    return
                await stream.write(await _receive_file(stream, phone, arg, mode))
            elif ident == b"RECV":
                await _send_file(stream, phone, arg)
            elif ident == b"RCV2":
                _id, flags = struct.unpack("<4sI", await stream.read_exactly(8))
                if flags:
                    await stream.write(_fail("compressed transfers are not simulated"))
                    return
                await _send_file(stream, phone, arg)
            else:
                await stream.write(_fail(f"unknown sync command {ident!r}"))
                return
    except StreamClosed:
        return
