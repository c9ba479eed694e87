"""Reader for Android's binary XML (``AndroidManifest.xml`` inside an APK).

Written from the format in AOSP ``frameworks/base/libs/androidfw/include/androidfw/
ResourceTypes.h``: a file is a chain of chunks, each ``uint16 type, uint16 headerSize,
uint32 size`` (little endian). We need the string pool (UTF-8 or UTF-16), the resource-id
map (attribute names may be stripped by obfuscators, ids are what Android matches on), and
start-element chunks with typed attribute values. Everything else is skipped.

Only :class:`AxmlError` leaves this module; callers add the file name.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

RES_STRING_POOL_TYPE = 0x0001
RES_XML_TYPE = 0x0003
RES_XML_START_ELEMENT_TYPE = 0x0102
RES_XML_RESOURCE_MAP_TYPE = 0x0180
UTF8_FLAG = 0x100
NO_INDEX = 0xFFFFFFFF

# Res_value data types used in manifests.
TYPE_REFERENCE = 0x01
TYPE_STRING = 0x03
TYPE_FIRST_INT = 0x10  # INT_DEC, INT_HEX, INT_BOOLEAN, colors: all 0x10..0x1f
TYPE_LAST_INT = 0x1F

MAX_STRINGS = 1_000_000  # a real manifest has a few thousand at most


class AxmlError(ValueError):
    """The binary XML is malformed; the text says where."""


@dataclass(frozen=True)
class Attribute:
    name: str
    resource_id: int | None  # android:* attributes carry an id such as 0x0101021b
    value_type: int
    data: int
    string: str | None  # the string value for TYPE_STRING (or the raw text when present)

    def as_int(self) -> int | None:
        if TYPE_FIRST_INT <= self.value_type <= TYPE_LAST_INT:
            return self.data
        if self.value_type == TYPE_STRING and self.string is not None:
            text = self.string.strip()
            return int(text) if text.isdigit() and len(text) < 19 else None
        return None

    def as_text(self) -> str | None:
        if self.value_type == TYPE_STRING:
            return self.string
        if TYPE_FIRST_INT <= self.value_type <= TYPE_LAST_INT:
            return str(self.data)
        return self.string


@dataclass(frozen=True)
class Element:
    name: str
    depth: int  # 1 = the root <manifest>
    attributes: tuple[Attribute, ...]

    def find(self, name: str, resource_id: int | None = None) -> Attribute | None:
        """Match by resource id first (what Android does), then by plain name."""
        if resource_id is not None:
            for attr in self.attributes:
                if attr.resource_id == resource_id:
                    return attr
        for attr in self.attributes:
            if attr.name == name and (resource_id is None or attr.resource_id is None):
                return attr
        return None


def _u16(buf: bytes, off: int) -> int:
    if off < 0 or off + 2 > len(buf):
        raise AxmlError(f"truncated at byte {off}")
    return struct.unpack_from("<H", buf, off)[0]


def _u32(buf: bytes, off: int) -> int:
    if off < 0 or off + 4 > len(buf):
        raise AxmlError(f"truncated at byte {off}")
    return struct.unpack_from("<I", buf, off)[0]


def _read_string_pool(buf: bytes, start: int, size: int) -> list[str]:
    header_size = _u16(buf, start + 2)
    count = _u32(buf, start + 8)
    flags = _u32(buf, start + 16)
    strings_start = _u32(buf, start + 20)
    if header_size < 28 or count > MAX_STRINGS or start + header_size + 4 * count > start + size:
        raise AxmlError("string pool header is inconsistent")
    utf8 = bool(flags & UTF8_FLAG)
    end = start + size
    base = start + strings_start
    out: list[str] = []
    for i in range(count):
        off = base + _u32(buf, start + header_size + 4 * i)
        if off >= end:
            raise AxmlError(f"string {i} lies outside the string pool")
        out.append(_read_utf8(buf, off, end) if utf8 else _read_utf16(buf, off, end))
    return out


def _read_utf8(buf: bytes, off: int, end: int) -> str:
    # Two lengths, each 1 or 2 bytes (high bit = 2 bytes): UTF-16 units, then UTF-8 bytes.
    def length(pos: int) -> tuple[int, int]:
        if pos >= end:
            raise AxmlError("UTF-8 string length runs past the pool")
        first = buf[pos]
        if first & 0x80:
            if pos + 1 >= end:
                raise AxmlError("UTF-8 string length runs past the pool")
            return ((first & 0x7F) << 8) | buf[pos + 1], pos + 2
        return first, pos + 1

    _, off = length(off)
    nbytes, off = length(off)
    if off + nbytes > end:
        raise AxmlError("UTF-8 string runs past the pool")
    return buf[off:off + nbytes].decode("utf-8", "replace")


def _read_utf16(buf: bytes, off: int, end: int) -> str:
    n = _u16(buf, off)
    off += 2
    if n & 0x8000:
        n = ((n & 0x7FFF) << 16) | _u16(buf, off)
        off += 2
    if off + 2 * n > end:
        raise AxmlError("UTF-16 string runs past the pool")
    return buf[off:off + 2 * n].decode("utf-16-le", "replace")


def _chunks(buf: bytes, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    pos = start
    while pos + 8 <= end:
        ctype, header_size, size = _u16(buf, pos), _u16(buf, pos + 2), _u32(buf, pos + 4)
        if size < 8 or header_size < 8 or header_size > size or pos + size > end:
            raise AxmlError(f"bad chunk (type 0x{ctype:04x}) at byte {pos}")
        yield ctype, pos, size
        pos += size


def parse_elements(buf: bytes) -> list[Element]:
    """All start elements in document order, with depth; raises :class:`AxmlError`."""
    if len(buf) < 8 or _u16(buf, 0) != RES_XML_TYPE:
        raise AxmlError("not Android binary XML (no RES_XML_TYPE header)")
    file_size = min(_u32(buf, 4), len(buf))
    strings: list[str] = []
    res_ids: list[int] = []
    elements: list[Element] = []
    depth = 0

    def string_at(idx: int) -> str | None:
        if idx == NO_INDEX:
            return None
        if idx >= len(strings):
            raise AxmlError(f"string index {idx} out of range")
        return strings[idx]

    for ctype, pos, size in _chunks(buf, _u16(buf, 2), file_size):
        if ctype == RES_STRING_POOL_TYPE:
            strings = _read_string_pool(buf, pos, size)
        elif ctype == RES_XML_RESOURCE_MAP_TYPE:
            header_size = _u16(buf, pos + 2)
            res_ids = [_u32(buf, off) for off in range(pos + header_size, pos + size - 3, 4)]
        elif ctype == RES_XML_START_ELEMENT_TYPE:
            depth += 1
            elements.append(_start_element(buf, pos, size, depth, string_at, res_ids))
        elif ctype == RES_XML_START_ELEMENT_TYPE + 1:  # END_ELEMENT
            depth = max(0, depth - 1)
    return elements


def _start_element(buf: bytes, pos: int, size: int, depth: int, string_at, res_ids) -> Element:
    ext = pos + _u16(buf, pos + 2)  # ResXMLTree_attrExt follows the node header
    name = string_at(_u32(buf, ext + 4)) or ""
    attr_start, attr_size, attr_count = _u16(buf, ext + 8), _u16(buf, ext + 10), _u16(buf, ext + 12)
    if attr_size < 20 or ext + attr_start + attr_size * attr_count > pos + size:
        raise AxmlError(f"attributes of <{name}> overrun their chunk")
    attrs = []
    for i in range(attr_count):
        a = ext + attr_start + i * attr_size
        name_idx, raw_idx = _u32(buf, a + 4), _u32(buf, a + 8)
        value_type, data = buf[a + 15], _u32(buf, a + 16)
        text = string_at(data) if value_type == TYPE_STRING else string_at(raw_idx)
        attrs.append(Attribute(
            name=string_at(name_idx) or "",
            resource_id=res_ids[name_idx] if name_idx < len(res_ids) else None,
            value_type=value_type,
            data=data,
            string=text,
        ))
    return Element(name=name, depth=depth, attributes=tuple(attrs))
