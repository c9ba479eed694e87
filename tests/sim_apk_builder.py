"""A minimal APK builder for the simulator's package-manager tests: a ZIP holding a binary
AndroidManifest.xml, a dummy classes.dex, optional ``lib/<abi>/`` entries and an APK
Signature Scheme v2 block whose "certificate" is a fixed byte string per signer name (the
simulator hashes the certificate but never verifies signatures). Stdlib only."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile

ANDROID_NS = "http://schemas.android.com/apk/res/android"
ATTR_IDS = [0x0101021B, 0x0101021C, 0x0101020C, 0x01010270]  # versionCode/Name, min/targetSdk
NO_INDEX = 0xFFFFFFFF


def _chunk(ctype: int, header: bytes, body: bytes) -> bytes:
    header_size = 8 + len(header)
    return struct.pack("<HHI", ctype, header_size, header_size + len(body)) + header + body


def _string_pool(strings: list[str]) -> bytes:
    offsets, data = [], b""
    for s in strings:
        offsets.append(len(data))
        data += struct.pack("<H", len(s)) + s.encode("utf-16-le") + b"\0\0"
    data += b"\0" * (-len(data) % 4)
    header_rest = struct.pack("<IIIII", len(strings), 0, 0, 28 + 4 * len(strings), 0)
    return _chunk(0x0001, header_rest, struct.pack(f"<{len(strings)}I", *offsets) + data)


def _attr(ns: int, name: int, value: str | int, strings: list[str]) -> bytes:
    if isinstance(value, int):
        return struct.pack("<IIIHBBI", ns, name, NO_INDEX, 8, 0, 0x10, value)
    idx = strings.index(value)
    return struct.pack("<IIIHBBI", ns, name, idx, 8, 0, 0x03, idx)


def _start(name: int, attrs: list[bytes], line: int) -> bytes:
    body = struct.pack("<IIHHHHHH", NO_INDEX, name, 20, 20, len(attrs), 0, 0, 0) + b"".join(attrs)
    return _chunk(0x0102, struct.pack("<II", line, NO_INDEX), body)


def _end(name: int, line: int) -> bytes:
    return _chunk(0x0103, struct.pack("<II", line, NO_INDEX), struct.pack("<II", NO_INDEX, name))


def manifest_axml(package: str, version_code: int, version_name: str, min_sdk: int,
                  target_sdk: int) -> bytes:
    strings = ["versionCode", "versionName", "minSdkVersion", "targetSdkVersion", "package",
               "manifest", "uses-sdk", ANDROID_NS, "android", package, version_name]
    ns = strings.index(ANDROID_NS)
    ns_body = struct.pack("<II", strings.index("android"), ns)
    body = (_string_pool(strings) + _chunk(0x0180, b"", struct.pack("<4I", *ATTR_IDS))
            + _chunk(0x0100, struct.pack("<II", 1, NO_INDEX), ns_body)
            + _start(5, [_attr(ns, 0, version_code, strings), _attr(ns, 1, version_name, strings),
                         _attr(NO_INDEX, 4, package, strings)], 1)
            + _start(6, [_attr(ns, 2, min_sdk, strings), _attr(ns, 3, target_sdk, strings)], 7)
            + _end(6, 7) + _end(5, 9)
            + _chunk(0x0101, struct.pack("<II", 9, NO_INDEX), ns_body))
    return struct.pack("<HHI", 0x0003, 8, 8 + len(body)) + body


def _lp(data: bytes) -> bytes:
    return struct.pack("<I", len(data)) + data


def fake_cert(signer: str) -> bytes:
    return b"FAKE-CERT:" + signer.encode()


def signer_sha256(signer: str) -> str:
    return hashlib.sha256(fake_cert(signer)).hexdigest()


def _v2_block(signer: str) -> bytes:
    signed_data = _lp(b"") + _lp(_lp(fake_cert(signer))) + _lp(b"")
    value = _lp(_lp(_lp(signed_data) + _lp(b"") + _lp(b"")))
    pair = struct.pack("<QI", 4 + len(value), 0x7109871A) + value
    size = len(pair) + 8 + 16
    return struct.pack("<Q", size) + pair + struct.pack("<Q", size) + b"APK Sig Block 42"


def build_apk(package: str = "vn.gov.test", version_code: int = 1, version_name: str = "1.0",
              min_sdk: int = 21, target_sdk: int = 33, abis: tuple[str, ...] = (),
              signer: str | None = "publisher-1", padding: int = 0) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("AndroidManifest.xml",
                    manifest_axml(package, version_code, version_name, min_sdk, target_sdk))
        zf.writestr("classes.dex", b"dex\n035\0" + b"\0" * (64 + padding))
        for abi in abis:
            zf.writestr(f"lib/{abi}/libnative.so", b"\x7fELF" + b"\0" * 60)
    apk = buf.getvalue()
    if signer is None:
        return apk
    eocd = apk.rfind(b"PK\x05\x06")
    cd_off = struct.unpack_from("<I", apk, eocd + 16)[0]
    block = _v2_block(signer)
    new_eocd = apk[eocd:eocd + 16] + struct.pack("<I", cd_off + len(block)) + apk[eocd + 20:]
    return apk[:cd_off] + block + apk[cd_off:eocd] + new_eocd
