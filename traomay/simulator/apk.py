"""Just enough APK parsing for the simulated package manager.

Reads from the zip: AndroidManifest.xml (Android binary XML) for package, versionCode,
versionName, minSdkVersion, targetSdkVersion; the ``lib/<abi>/`` folders; and the signer:
SHA-256 of the first certificate in the APK Signature Scheme v2/v3 block, else of the first
certificate inside META-INF/*.RSA|DSA|EC (PKCS#7). Signatures are not verified.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from dataclasses import dataclass

ANDROID_ATTR_IDS = {0x0101021B: "versionCode", 0x0101021C: "versionName",
                    0x0101020C: "minSdkVersion", 0x01010270: "targetSdkVersion"}
SIG_BLOCK_MAGIC = b"APK Sig Block 42"
V2_ID, V3_ID = 0x7109871A, 0xF05368C0


class ApkError(ValueError):
    """Not an APK the package manager could parse."""


@dataclass(frozen=True)
class ApkInfo:
    package: str
    version_code: int
    version_name: str
    min_sdk: int
    target_sdk: int
    abis: tuple[str, ...]
    signer: str | None  # sha256 hex of the first signing certificate


def _string_pool(data: bytes, off: int) -> list[str]:
    _, header_size, _size = struct.unpack_from("<HHI", data, off)
    count, _styles, flags, strings_start, _ = struct.unpack_from("<IIIII", data, off + 8)
    utf8 = bool(flags & 0x100)
    offsets = struct.unpack_from(f"<{count}I", data, off + header_size)
    base = off + strings_start
    out = []
    for o in offsets:
        p = base + o
        if utf8:
            n = data[p]
            p += 2 if n & 0x80 else 1  # utf-16 length (skipped)
            n = data[p]
            if n & 0x80:
                n = ((n & 0x7F) << 8) | data[p + 1]
                p += 1
            p += 1
            out.append(data[p:p + n].decode("utf-8", errors="replace"))
        else:
            n = struct.unpack_from("<H", data, p)[0]
            p += 2
            if n & 0x8000:
                n = ((n & 0x7FFF) << 16) | struct.unpack_from("<H", data, p)[0]
                p += 2
            out.append(data[p:p + 2 * n].decode("utf-16-le", errors="replace"))
    return out


def parse_manifest(data: bytes) -> dict[str, dict[str, str | int]]:
    """{element name: {attribute name: value}} for the first <manifest> and <uses-sdk>."""
    if len(data) < 8 or struct.unpack_from("<H", data, 0)[0] != 0x0003:
        raise ApkError("AndroidManifest.xml is not binary XML")
    strings: list[str] = []
    res_ids: list[int] = []
    found: dict[str, dict[str, str | int]] = {}
    off = struct.unpack_from("<H", data, 2)[0]
    while off + 8 <= len(data):
        ctype, _hsize, csize = struct.unpack_from("<HHI", data, off)
        if csize < 8:
            break
        if ctype == 0x0001:
            strings = _string_pool(data, off)
        elif ctype == 0x0180:
            res_ids = list(struct.unpack_from(f"<{(csize - 8) // 4}I", data, off + 8))
        elif ctype == 0x0102:
            name_idx = struct.unpack_from("<I", data, off + 20)[0]
            attr_start, attr_size, attr_count = struct.unpack_from("<HHH", data, off + 24)
            element = strings[name_idx]
            attrs: dict[str, str | int] = {}
            for k in range(attr_count):
                a = off + 16 + attr_start + k * attr_size
                _ns, aname, raw, _vsize, _res0, vtype, vdata = struct.unpack_from(
                    "<IIIHBBI", data, a)
                name = ANDROID_ATTR_IDS.get(res_ids[aname]) if aname < len(res_ids) else None
                name = name or strings[aname]
                if vtype == 0x03 or (raw != 0xFFFFFFFF and vtype not in (0x10, 0x11)):
                    attrs[name] = strings[raw] if raw != 0xFFFFFFFF else strings[vdata]
                else:
                    attrs[name] = vdata
            if element in ("manifest", "uses-sdk") and element not in found:
                found[element] = attrs
        off += csize
    if "manifest" not in found:
        raise ApkError("no <manifest> element")
    return found


def _der(data: bytes, p: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at p."""
    tag, n = data[p], data[p + 1]
    p += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(data[p:p + k], "big")
        p += k
    return tag, p, p + n


def pkcs7_first_cert(data: bytes) -> bytes | None:
    """ContentInfo{oid, [0]{SignedData{ver, algs, content, [0] certificates...}}}."""
    try:
        _, p, _ = _der(data, 0)  # ContentInfo SEQUENCE
        _, _, end = _der(data, p)  # contentType OID
        _, p, _ = _der(data, end)  # [0] EXPLICIT
        _, p, sd_end = _der(data, p)  # SignedData SEQUENCE
        while p < sd_end:
            tag, start, end = _der(data, p)
            if tag == 0xA0:  # certificates [0] IMPLICIT
                _, _, cert_end = _der(data, start)
                return data[start:cert_end]
            p = end
    except IndexError:
        return None
    return None


def _lp(data: bytes, p: int) -> tuple[bytes, int]:
    n = struct.unpack_from("<I", data, p)[0]
    return data[p + 4:p + 4 + n], p + 4 + n


def signing_block_cert(apk: bytes) -> bytes | None:
    eocd = apk.rfind(b"PK\x05\x06")
    if eocd < 0:
        return None
    cd_off = struct.unpack_from("<I", apk, eocd + 16)[0]
    if cd_off < 24 or apk[cd_off - 16:cd_off] != SIG_BLOCK_MAGIC:
        return None
    size = struct.unpack_from("<Q", apk, cd_off - 24)[0]
    p, end = cd_off - size - 8 + 8, cd_off - 24
    try:
        while p + 12 <= end:
            length, pair_id = struct.unpack_from("<QI", apk, p)
            value = apk[p + 12:p + 8 + length]
            if pair_id in (V2_ID, V3_ID):
                signers, _ = _lp(value, 0)
                signer, _ = _lp(signers, 0)
                signed_data, _ = _lp(signer, 0)
                _digests, q = _lp(signed_data, 0)
                certs, _ = _lp(signed_data, q)
                cert, _ = _lp(certs, 0)
                return cert or None
            p += 8 + length
    except struct.error:
        return None
    return None


def parse_apk(apk: bytes) -> ApkInfo:
    try:
        zf = zipfile.ZipFile(io.BytesIO(apk))
        names = zf.namelist()
        manifest = zf.read("AndroidManifest.xml")
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ApkError(str(exc)) from None
    try:
        found = parse_manifest(manifest)
    except (struct.error, IndexError) as exc:
        raise ApkError(f"bad binary XML: {exc}") from None
    m, sdk = found["manifest"], found.get("uses-sdk", {})

    def num(v: str | int | None, default: int) -> int:
        if isinstance(v, int):
            return v
        return int(v) if isinstance(v, str) and v.isdigit() else default

    abis = sorted({n.split("/")[1] for n in names if n.startswith("lib/") and n.count("/") >= 2})
    cert = signing_block_cert(apk)
    if cert is None:
        for n in names:
            if n.startswith("META-INF/") and n.rsplit(".", 1)[-1] in ("RSA", "DSA", "EC"):
                cert = pkcs7_first_cert(zf.read(n))
                break
    min_sdk = num(sdk.get("minSdkVersion"), 1)
    return ApkInfo(package=str(m.get("package", "")), version_code=num(m.get("versionCode"), 0),
                   version_name=str(m.get("versionName", "")), min_sdk=min_sdk,
                   target_sdk=num(sdk.get("targetSdkVersion"), min_sdk), abis=tuple(abis),
                   signer=hashlib.sha256(cert).hexdigest() if cert else None)
