"""APK signatures, read with the standard library only.

- APK Signature Scheme v2/v3 (Android 7.0+/9+): an "APK Signing Block" sits just before the
  ZIP central directory: ``uint64 size, (uint64 len, uint32 id, value)*, uint64 size,
  "APK Sig Block 42"``. Value layouts follow source.android.com "APK Signature Scheme v2"
  (every field uint32-length-prefixed, little endian).
  We check the whole-file content digest (1 MiB chunks over the entries, the central
  directory and the end record) and that the signer's public key equals the certificate's
  key; RSA PKCS#1 v1.5 signatures (what apksigner uses for RSA keys) are verified with
  ``pow``. Other signature algorithms (PSS, ECDSA, DSA) are parsed, not verified.
- v1 (JAR signing): ``META-INF/*.RSA|DSA|EC`` is PKCS#7 SignedData; we take its first
  certificate. v1 digests are not verified.

Only :class:`SignatureError` leaves this module.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

MAGIC = b"APK Sig Block 42"
V2_ID = 0x7109871A
V3_ID = 0xF05368C0
CHUNK = 1024 * 1024

# Signature algorithm id -> (content digest, RSA PKCS#1 v1.5 verifiable here)
ALGORITHMS: dict[int, tuple[str, bool]] = {
    0x0101: ("sha256", False),  # RSASSA-PSS with SHA2-256
    0x0102: ("sha512", False),  # RSASSA-PSS with SHA2-512
    0x0103: ("sha256", True),  # RSASSA-PKCS1-v1_5 with SHA2-256
    0x0104: ("sha512", True),  # RSASSA-PKCS1-v1_5 with SHA2-512
    0x0201: ("sha256", False),  # ECDSA with SHA2-256
    0x0202: ("sha512", False),  # ECDSA with SHA2-512
    0x0301: ("sha256", False),  # DSA with SHA2-256
}
_DIGEST_INFO = {  # DER prefix of PKCS#1 DigestInfo
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}


class SignatureError(ValueError):
    """The signature data is malformed or does not match the file."""


@dataclass(frozen=True)
class SignerInfo:
    scheme: str  # "v3", "v2" or "v1"
    certificate: bytes  # DER of the first certificate
    verified: bool  # content digest and signature checked


# -- small readers ------------------------------------------------------------------------
def _prefixed(buf: bytes, off: int, end: int) -> tuple[bytes, int]:
    if off + 4 > end:
        raise SignatureError("length prefix runs past its block")
    (n,) = struct.unpack_from("<I", buf, off)
    if off + 4 + n > end:
        raise SignatureError("length-prefixed field runs past its block")
    return buf[off + 4:off + 4 + n], off + 4 + n


def _sequence(blob: bytes) -> list[bytes]:
    items, off = [], 0
    while off < len(blob):
        item, off = _prefixed(blob, off, len(blob))
        items.append(item)
    return items


def der_tlv(buf: bytes, off: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at ``off``."""
    if off + 2 > len(buf):
        raise SignatureError("DER element truncated")
    tag, first = buf[off], buf[off + 1]
    pos = off + 2
    if first < 0x80:
        length = first
    else:
        nbytes = first & 0x7F
        if nbytes == 0 or nbytes > 4 or pos + nbytes > len(buf):
            raise SignatureError("DER length is not definite")
        length = int.from_bytes(buf[pos:pos + nbytes], "big")
        pos += nbytes
    if pos + length > len(buf):
        raise SignatureError("DER element runs past its container")
    return tag, pos, pos + length


def der_children(buf: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """(tag, element start, content start, content end) of each child in [start, end)."""
    out, pos = [], start
    while pos < end:
        tag, cstart, cend = der_tlv(buf[:end], pos)
        out.append((tag, pos, cstart, cend))
        pos = cend
    return out


def certificate_public_key(cert: bytes) -> bytes:
    """SubjectPublicKeyInfo DER of an X.509 certificate."""
    tag, start, end = der_tlv(cert, 0)
    tbs = der_children(cert, start, end)
    if tag != 0x30 or not tbs or tbs[0][0] != 0x30:
        raise SignatureError("certificate is not an X.509 SEQUENCE")
    fields = der_children(cert, tbs[0][2], tbs[0][3])
    if fields and fields[0][0] == 0xA0:  # [0] version
        fields = fields[1:]
    if len(fields) < 6:  # serial, signature, issuer, validity, subject, spki
        raise SignatureError("certificate has too few fields")
    _, el_start, _, el_end = fields[5]
    return cert[el_start:el_end]


def _rsa_verify(spki: bytes, message: bytes, signature: bytes, digest: str) -> bool:
    _, start, end = der_tlv(spki, 0)
    parts = der_children(spki, start, end)
    if len(parts) != 2 or parts[1][0] != 0x03:
        return False
    bits = spki[parts[1][2] + 1:parts[1][3]]  # skip the BIT STRING's unused-bits byte
    _, s, e = der_tlv(bits, 0)
    ints = der_children(bits, s, e)
    if len(ints) < 2:
        return False
    n = int.from_bytes(bits[ints[0][2]:ints[0][3]], "big")
    exp = int.from_bytes(bits[ints[1][2]:ints[1][3]], "big")
    k = (n.bit_length() + 7) // 8
    sig = int.from_bytes(signature, "big")
    if n == 0 or sig >= n or len(signature) != k:
        return False
    digest_info = _DIGEST_INFO[digest] + hashlib.new(digest, message).digest()
    expected = b"\x00\x01" + b"\xff" * (k - 3 - len(digest_info)) + b"\x00" + digest_info
    return pow(sig, exp, n).to_bytes(k, "big") == expected


# -- v2 / v3 -----------------------------------------------------------------------------
def find_signing_block(data: bytes, cd_offset: int) -> tuple[int, dict[int, bytes]]:
    """(block start, ID -> value) of the APK Signing Block before ``cd_offset``
    ((cd_offset, {}) when there is none)."""
    if cd_offset < 32 or data[cd_offset - 16:cd_offset] != MAGIC:
        return cd_offset, {}
    (size,) = struct.unpack_from("<Q", data, cd_offset - 24)
    start = cd_offset - size - 8
    if size < 24 or start < 0 or struct.unpack_from("<Q", data, start)[0] != size:
        raise SignatureError("APK Signing Block sizes disagree")
    pairs, off, end = {}, start + 8, cd_offset - 24
    while off < end:
        if off + 12 > end:
            raise SignatureError("APK Signing Block entry truncated")
        (length,) = struct.unpack_from("<Q", data, off)
        if length < 4 or off + 8 + length > end:
            raise SignatureError("APK Signing Block entry runs past the block")
        (pair_id,) = struct.unpack_from("<I", data, off + 8)
        pairs[pair_id] = data[off + 12:off + 8 + length]
        off += 8 + length
    return start, pairs


def content_digest(data: bytes, block_start: int, cd_offset: int, eocd: int, digest: str) -> bytes:
    """The v2 "top-level" digest over entries, central directory and end record."""
    eocd_bytes = bytearray(data[eocd:])
    struct.pack_into("<I", eocd_bytes, 16, block_start)  # as if no signing block were there
    sections = (memoryview(data)[:block_start], memoryview(data)[cd_offset:eocd],
                memoryview(bytes(eocd_bytes)))
    chunk_digests = []
    for section in sections:
        for pos in range(0, len(section), CHUNK):
            piece = section[pos:pos + CHUNK]
            h = hashlib.new(digest, b"\xa5" + struct.pack("<I", len(piece)))
            h.update(piece)
            chunk_digests.append(h.digest())
    return hashlib.new(digest, b"\x5a" + struct.pack("<I", len(chunk_digests))
                       + b"".join(chunk_digests)).digest()


def read_v2_v3(data: bytes, cd_offset: int, eocd: int) -> SignerInfo | None:
    block_start, pairs = find_signing_block(data, cd_offset)
    for scheme, pair_id in (("v3", V3_ID), ("v2", V2_ID)):
        if pair_id in pairs:
            return _read_signer(scheme, pairs[pair_id], data, block_start, cd_offset, eocd)
    return None


def _read_signer(scheme: str, value: bytes, data: bytes, block_start: int, cd_offset: int,
                 eocd: int) -> SignerInfo:
    signers_blob, _ = _prefixed(value, 0, len(value))
    signers = _sequence(signers_blob)
    if not signers:
        raise SignatureError(f"{scheme} block has no signer")
    signer = signers[0]
    signed_data, off = _prefixed(signer, 0, len(signer))
    if scheme == "v3":
        off += 8  # minSdk, maxSdk
    signatures_blob, off = _prefixed(signer, off, len(signer))
    public_key, _ = _prefixed(signer, off, len(signer))
    digests_blob, pos = _prefixed(signed_data, 0, len(signed_data))
    certs_blob, _ = _prefixed(signed_data, pos, len(signed_data))
    certs = _sequence(certs_blob)
    if not certs:
        raise SignatureError(f"{scheme} signer has no certificate")
    if certificate_public_key(certs[0]) != public_key:
        raise SignatureError(f"{scheme} signer key does not match its certificate")
    digests = {}
    for item in _sequence(digests_blob):
        if len(item) < 4:
            raise SignatureError(f"{scheme} digest record truncated")
        digests[struct.unpack_from("<I", item)[0]] = _prefixed(item, 4, len(item))[0]
    signatures = {}
    for item in _sequence(signatures_blob):
        if len(item) < 4:
            raise SignatureError(f"{scheme} signature record truncated")
        signatures[struct.unpack_from("<I", item)[0]] = _prefixed(item, 4, len(item))[0]
    known = [alg for alg in digests if alg in ALGORITHMS]
    if not known:
        raise SignatureError(f"{scheme} signer uses no known digest algorithm")
    alg = max(known, key=lambda a: ALGORITHMS[a][1])  # prefer one we can fully verify
    digest_name, rsa_pkcs1 = ALGORITHMS[alg]
    if content_digest(data, block_start, cd_offset, eocd, digest_name) != digests[alg]:
        raise SignatureError("file contents changed after signing (digest mismatch)")
    verified = False
    if rsa_pkcs1 and alg in signatures:
        if not _rsa_verify(public_key, signed_data, signatures[alg], digest_name):
            raise SignatureError(f"{scheme} RSA signature does not verify")
        verified = True
    return SignerInfo(scheme=scheme, certificate=certs[0], verified=verified)


# -- v1 ----------------------------------------------------------------------------------
def first_pkcs7_certificate(blob: bytes) -> bytes:
    """First certificate of a PKCS#7 SignedData (``META-INF/CERT.RSA``)."""
    tag, start, end = der_tlv(blob, 0)
    outer = der_children(blob, start, end) if tag == 0x30 else []
    if len(outer) < 2 or outer[1][0] != 0xA0:  # contentType, [0] EXPLICIT content
        raise SignatureError("not a PKCS#7 ContentInfo")
    inner = der_children(blob, outer[1][2], outer[1][3])
    if not inner or inner[0][0] != 0x30:
        raise SignatureError("PKCS#7 has no SignedData")
    for tag, _, cstart, cend in der_children(blob, inner[0][2], inner[0][3]):
        if tag == 0xA0:  # certificates [0] IMPLICIT SET OF Certificate
            certs = der_children(blob, cstart, cend)
            if certs:
                _, el_start, _, el_end = certs[0]
                return blob[el_start:el_end]
    raise SignatureError("PKCS#7 SignedData holds no certificate")
