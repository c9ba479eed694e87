"""APK signatures, verified the way Android verifies them.

The rules follow AOSP's ``apksig`` (the library behind Google's ``apksigner``: ApkVerifier,
V1SchemeVerifier, V2/V3SchemeVerifier, SignatureAlgorithm), for every phone from the APK's
minSdkVersion up to the newest Android:

- **Which schemes are checked.** Android 13+ (SDK 33) reads an APK Signature Scheme v3.1
  block, Android 9+ (SDK 28) v3, Android 7+ (SDK 24) v2, and older phones only the JAR (v1)
  signature. A phone uses the newest scheme it knows that is present, so: v3.1/v3 when
  present; v2 when present and ``minSdk < 28`` or no v3; v1 when ``minSdk < 24`` or no
  v2/v3 at all (an APK for Android 5-6 MUST carry a valid v1 signature: those phones check
  nothing else). ``targetSdk >= 30`` (Android 11) needs v2 or newer; so does
  ``targetSandboxVersion > 1`` (Android 8).
- **Signing block.** ``uint64 size, (uint64 len, uint32 id, value)*, uint64 size, "APK Sig
  Block 42"`` just before the central directory. When an id appears twice, the FIRST one
  counts (apksig's findApkSignatureSchemeBlock): a forged block placed after a genuine one
  is ignored; one placed before is what phones verify.
- **v2/v3 signers.** Signature algorithm ids (RSA-PSS, RSA PKCS#1 v1.5, ECDSA, DSA over
  SHA-256/512, and the "verity" ids over a 4 KiB Merkle tree) with the key type checked
  against the id; the best signature per platform generation is verified with
  ``cryptography``; the list of algorithm ids in the signatures and digests records must be
  identical; the public key must be the first certificate's; the whole-file content digest
  must match. v3 signers carry SDK ranges that must be consistent and cover every Android
  the APK runs on; a proof-of-rotation lineage is verified link by link. The signer of an
  APK with key rotation is the NEWEST key (what Android 9+ phones see); v1/v2 signers must
  be the lineage's root (or the same key without rotation).
- **Stripping protection.** A v2 signer naming v3 (attribute 0xbeeff00d), a ``.SF`` naming
  v2/v3 in ``X-Android-APK-Signed``, or a v3 signer naming a v3.1 rotation SDK, without
  that signature present, is rejected: someone removed the newer signature.
- **v1 (JAR).** Each ``META-INF/*.RSA|DSA|EC`` with its ``.SF``: the PKCS#7 SignerInfo
  (signed attributes included) must verify over the ``.SF``, with the certificate chosen by
  the SignerInfo's issuer and serial number (never "the first certificate in the file");
  the ``.SF`` must vouch for ``MANIFEST.MF`` (whole-file digest, or section by section);
  every entry outside ``META-INF/`` must be listed in ``MANIFEST.MF`` with a matching
  digest and be covered by the same signers; no duplicate entry names.

What traomay does not accept, although Android might, is refused with a plain reason:
more than one signer (APKs of government apps have one), BER indefinite lengths in PKCS#7,
v1 digest/signature pairs that only some Android versions accept.

Only :class:`SignatureError` leaves this module.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
)

MAGIC = b"APK Sig Block 42"
V2_ID = 0x7109871A
V3_ID = 0xF05368C0
V31_ID = 0x1B93AD61
STRIPPING_PROTECTION_ATTR = 0xBEEFF00D  # in v2 signed data: "v3 was also present"
PROOF_OF_ROTATION_ATTR = 0x3BA06F8C
ROTATION_MIN_SDK_ATTR = 0x559F8B02  # in a v3 signer: "v3.1 takes over from this SDK"
ROTATION_ON_DEV_RELEASE_ATTR = 0xC2A6B3BA
CHUNK = 1024 * 1024
VERITY_PAGE = 4096
MAX_SIGNERS = 10  # apksig's MAX_APK_SIGNERS
ANY_SDK = 0x7FFFFFFF  # "no upper bound" (Integer.MAX_VALUE in apksig)

# Android API levels named by the rules below.
SDK_GINGERBREAD, SDK_JB_MR2, SDK_KITKAT = 9, 18, 19
SDK_N, SDK_O, SDK_P, SDK_R, SDK_T = 24, 26, 28, 30, 33
SCHEME_IDS = {2: "v2", 3: "v3"}  # ids a stripping-protection marker may name

# PKCS#7 / X.509 object identifiers.
OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"


class SignatureError(ValueError):
    """The APK's signature is missing, malformed, does not verify, or breaks Android's rules.

    ``kind``: "unsigned", "tampered" (a digest or signature does not match),
    "rejected" (Android would refuse it), "unsupported" (traomay refuses it) or "damaged".
    """

    def __init__(self, text: str, kind: str = "damaged") -> None:
        super().__init__(text)
        self.kind = kind


@dataclass(frozen=True)
class Algorithm:
    """One APK Signature Scheme v2/v3 signature algorithm (apksig SignatureAlgorithm)."""

    name: str
    key: type  # the public key class the id requires
    hash: str  # hash of the signature itself
    content: str  # content digest: "sha256", "sha512" or "verity"
    pss: bool = False
    min_sdk: int = SDK_N  # first Android that knows the id


ALGORITHMS: dict[int, Algorithm] = {
    0x0101: Algorithm("RSA-PSS with SHA-256", rsa.RSAPublicKey, "sha256", "sha256", pss=True),
    0x0102: Algorithm("RSA-PSS with SHA-512", rsa.RSAPublicKey, "sha512", "sha512", pss=True),
    0x0103: Algorithm("RSA PKCS#1 v1.5 with SHA-256", rsa.RSAPublicKey, "sha256", "sha256"),
    0x0104: Algorithm("RSA PKCS#1 v1.5 with SHA-512", rsa.RSAPublicKey, "sha512", "sha512"),
    0x0201: Algorithm("ECDSA with SHA-256", ec.EllipticCurvePublicKey, "sha256", "sha256"),
    0x0202: Algorithm("ECDSA with SHA-512", ec.EllipticCurvePublicKey, "sha512", "sha512"),
    0x0301: Algorithm("DSA with SHA-256", dsa.DSAPublicKey, "sha256", "sha256"),
    0x0421: Algorithm("verity RSA PKCS#1 v1.5 with SHA-256", rsa.RSAPublicKey, "sha256",
                      "verity", min_sdk=SDK_P),
    0x0423: Algorithm("verity ECDSA with SHA-256", ec.EllipticCurvePublicKey, "sha256",
                      "verity", min_sdk=SDK_P),
    0x0425: Algorithm("verity DSA with SHA-256", dsa.DSAPublicKey, "sha256", "verity",
                      min_sdk=SDK_P),
}
# apksig's compareContentDigestAlgorithm: SHA-512 chunks > verity > SHA-256 chunks.
_CONTENT_RANK = {"sha256": 0, "verity": 1, "sha512": 2}
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "md5": hashes.MD5, "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512}


@dataclass(frozen=True)
class Verification:
    """What the phones will see: the verified schemes and the signer."""

    schemes: tuple[str, ...]  # verified, oldest first: e.g. ("v1", "v2") or ("v2", "v3")
    certificate: bytes  # DER of the signer's certificate (the newest key under rotation)
    lineage: tuple[bytes, ...] = ()  # proof-of-rotation certificates, oldest first

    @property
    def scheme(self) -> str:
        """The newest verified scheme ("v3.1", "v3", "v2" or "v1")."""
        return self.schemes[-1]

    @property
    def signer_sha256(self) -> str:
        return hashlib.sha256(self.certificate).hexdigest()

    @property
    def lineage_sha256(self) -> tuple[str, ...]:
        return tuple(hashlib.sha256(c).hexdigest() for c in self.lineage)


# -- byte readers --------------------------------------------------------------------------
def _prefixed(buf: bytes, off: int, end: int | None = None) -> tuple[bytes, int]:
    end = len(buf) if end is None else end
    if off + 4 > end:
        raise SignatureError("length prefix runs past its block")
    (n,) = struct.unpack_from("<I", buf, off)
    if off + 4 + n > end:
        raise SignatureError("length-prefixed field runs past its block")
    return buf[off + 4:off + 4 + n], off + 4 + n


def _sequence(blob: bytes) -> list[bytes]:
    items, off = [], 0
    while off < len(blob):
        item, off = _prefixed(blob, off)
        items.append(item)
    return items


def _u32(buf: bytes, off: int) -> tuple[int, int]:
    if off + 4 > len(buf):
        raise SignatureError("record truncated")
    return struct.unpack_from("<I", buf, off)[0], off + 4


# -- DER -----------------------------------------------------------------------------------
def der_tlv(buf: bytes, off: int, end: int | None = None) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at ``off``."""
    end = len(buf) if end is None else end
    if off + 2 > end:
        raise SignatureError("DER element truncated")
    tag, first = buf[off], buf[off + 1]
    if tag & 0x1F == 0x1F:
        raise SignatureError("DER high tag numbers are not supported", "unsupported")
    pos = off + 2
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise SignatureError("BER indefinite length is not supported", "unsupported")
    else:
        nbytes = first & 0x7F
        if nbytes > 4 or pos + nbytes > end:
            raise SignatureError("DER length is malformed")
        length = int.from_bytes(buf[pos:pos + nbytes], "big")
        pos += nbytes
    if pos + length > end:
        raise SignatureError("DER element runs past its container")
    return tag, pos, pos + length


def der_children(buf: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """(tag, element start, content start, content end) of each child in [start, end)."""
    out, pos = [], start
    while pos < end:
        tag, cstart, cend = der_tlv(buf, pos, end)
        out.append((tag, pos, cstart, cend))
        pos = cend
    return out


def _oid(raw: bytes) -> str:
    if not raw:
        raise SignatureError("empty OBJECT IDENTIFIER")
    parts, value = [], 0
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    first = min(parts[0] // 40, 2)
    return ".".join(str(p) for p in [first, parts[0] - 40 * first, *parts[1:]])


def _expect(children: list, index: int, tag: int, what: str) -> tuple[int, int, int, int]:
    if index >= len(children) or children[index][0] != tag:
        raise SignatureError(f"{what} is malformed")
    return children[index]


def _certificate_fields(cert: bytes) -> tuple[bytes, int, bytes]:
    """(issuer Name DER, serial number, SubjectPublicKeyInfo DER) of an X.509 certificate."""
    tag, start, end = der_tlv(cert, 0)
    top = der_children(cert, start, end) if tag == 0x30 else []
    _, _, tbs_start, tbs_end = _expect(top, 0, 0x30, "certificate")
    fields = der_children(cert, tbs_start, tbs_end)
    if fields and fields[0][0] == 0xA0:  # [0] version
        fields = fields[1:]
    _, _, s_start, s_end = _expect(fields, 0, 0x02, "certificate serial number")
    _, i_start, _, i_end = _expect(fields, 2, 0x30, "certificate issuer")
    _, k_start, _, k_end = _expect(fields, 5, 0x30, "certificate public key")
    serial = int.from_bytes(cert[s_start:s_end], "big", signed=True)
    return cert[i_start:i_end], serial, cert[k_start:k_end]


def certificate_public_key(cert: bytes) -> bytes:
    """SubjectPublicKeyInfo DER of an X.509 certificate."""
    return _certificate_fields(cert)[2]


def _load_certificate(cert: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(cert)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise SignatureError(f"a signing certificate cannot be read ({exc})") from None


def _public_key(spki: bytes):
    try:
        return load_der_public_key(spki)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise SignatureError(f"the signer's public key cannot be read ({exc})") from None


def _canonical_spki(spki: bytes) -> bytes:
    return _public_key(spki).public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _verify(key, signature: bytes, data: bytes, hash_name: str, pss: bool = False) -> bool:
    """One signature check with ``cryptography``; False when it does not verify."""
    algorithm = _HASHES[hash_name]()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            pad = (padding.PSS(mgf=padding.MGF1(algorithm), salt_length=algorithm.digest_size)
                   if pss else padding.PKCS1v15())
            key.verify(signature, data, pad, algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(signature, data, algorithm)
        else:
            raise SignatureError(f"unsupported public key type {type(key).__name__}",
                                 "unsupported")
    except InvalidSignature:
        return False
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SignatureError(f"signature cannot be checked ({exc})") from None
    return True


# -- APK Signing Block ---------------------------------------------------------------------
def find_signing_block(data: bytes, cd_offset: int) -> tuple[int, dict[int, bytes]]:
    """(block start, id -> value) of the APK Signing Block before ``cd_offset``
    ((cd_offset, {}) when there is none). The first pair with a given id wins, as in apksig."""
    if cd_offset < 32 or data[cd_offset - 16:cd_offset] != MAGIC:
        return cd_offset, {}
    (size,) = struct.unpack_from("<Q", data, cd_offset - 24)
    start = cd_offset - size - 8
    if size < 24 or start < 0 or struct.unpack_from("<Q", data, start)[0] != size:
        raise SignatureError("APK Signing Block sizes disagree")
    pairs: dict[int, bytes] = {}
    off, end = start + 8, cd_offset - 24
    while off < end:
        if off + 12 > end:
            raise SignatureError("APK Signing Block entry truncated")
        (length,) = struct.unpack_from("<Q", data, off)
        if length < 4 or off + 8 + length > end:
            raise SignatureError("APK Signing Block entry runs past the block")
        (pair_id,) = struct.unpack_from("<I", data, off + 8)
        pairs.setdefault(pair_id, data[off + 12:off + 8 + length])
        off += 8 + length
    return start, pairs


def _digest_sections(data: bytes, block_start: int, cd_offset: int, eocd: int) -> list:
    eocd_bytes = bytearray(data[eocd:])
    struct.pack_into("<I", eocd_bytes, 16, block_start)  # as if no signing block were there
    view = memoryview(data)
    return [view[:block_start], view[cd_offset:eocd], memoryview(bytes(eocd_bytes))]


def chunked_digest(sections: list, digest: str) -> bytes:
    """v2/v3 content digest: 1 MiB chunks over entries, central directory and end record."""
    chunk_digests = []
    for section in sections:
        for pos in range(0, len(section), CHUNK):
            piece = section[pos:pos + CHUNK]
            h = hashlib.new(digest, b"\xa5" + struct.pack("<I", len(piece)))
            h.update(piece)
            chunk_digests.append(h.digest())
    return hashlib.new(digest, b"\x5a" + struct.pack("<I", len(chunk_digests))
                       + b"".join(chunk_digests)).digest()


def verity_digest(sections: list) -> bytes:
    """Android 9 "verity" content digest: root of a SHA-256 Merkle tree over 4 KiB pages
    (8 zero bytes of salt, pages and levels zero-padded) followed by the data length."""
    stream = b"".join(bytes(s) for s in sections)
    salt = b"\0" * 8
    level = stream
    while True:
        digests = b"".join(
            hashlib.sha256(salt + level[i:i + VERITY_PAGE].ljust(VERITY_PAGE, b"\0")).digest()
            for i in range(0, len(level), VERITY_PAGE))
        if len(digests) <= VERITY_PAGE:
            break
        level = digests
    root = hashlib.sha256(salt + digests.ljust(VERITY_PAGE, b"\0")).digest()
    return root + struct.pack("<q", len(stream))


# -- v2 / v3 signers -----------------------------------------------------------------------
@dataclass
class _Signer:
    scheme: str
    certs: list[bytes]
    min_sdk: int = 0
    max_sdk: int = ANY_SDK
    digests: list[tuple[int, bytes]] = field(default_factory=list)
    verified_content: set[str] = field(default_factory=set)
    attributes: list[tuple[int, bytes]] = field(default_factory=list)
    lineage: list[bytes] = field(default_factory=list)

    @property
    def certificate(self) -> bytes:
        return self.certs[0]


def _signatures_to_verify(signatures: list[tuple[int, bytes]], min_sdk: int, max_sdk: int,
                          scheme: str) -> list[tuple[int, bytes]]:
    """apksig getSignaturesToVerify: for each generation of algorithms (Android 7, Android 9
    for verity) the strongest one present; the oldest generation must serve ``min_sdk``."""
    best: dict[int, tuple[int, bytes]] = {}
    for alg_id, sig in signatures:
        alg = ALGORITHMS[alg_id]
        if alg.min_sdk > max_sdk:
            continue
        held = best.get(alg.min_sdk)
        if held is None or _CONTENT_RANK[alg.content] > _CONTENT_RANK[
                ALGORITHMS[held[0]].content]:
            best[alg.min_sdk] = (alg_id, sig)
    if not best or min(best) > min_sdk:
        raise SignatureError(f"{scheme} signer has no signature that Android {min_sdk} "
                             "understands", "rejected")
    return sorted(best.values())


def _read_signer(blob: bytes, scheme: str, v3: bool, min_sdk: int, max_sdk: int) -> _Signer:
    signed_data, off = _prefixed(blob, 0)
    signer_min = signer_max = 0
    if v3:
        signer_min, off = _u32(blob, off)
        signer_max, off = _u32(blob, off)
        if signer_min > signer_max or signer_max > ANY_SDK:
            raise SignatureError(f"{scheme} signer has an invalid SDK range")
        min_sdk, max_sdk = signer_min, signer_max
    signatures_blob, off = _prefixed(blob, off)
    public_key_bytes, off = _prefixed(blob, off)
    signatures: list[tuple[int, bytes]] = []
    all_ids = []
    for item in _sequence(signatures_blob):
        alg_id, pos = _u32(item, 0)
        sig, _ = _prefixed(item, pos)
        all_ids.append(alg_id)
        if alg_id in ALGORITHMS:  # unknown ids are skipped, as Android does
            signatures.append((alg_id, sig))
    if not all_ids:
        raise SignatureError(f"{scheme} signer has no signatures")
    signer = _Signer(scheme=scheme, certs=[], min_sdk=signer_min,
                     max_sdk=signer_max if v3 else ANY_SDK)
    key = _public_key(public_key_bytes)
    for alg_id, sig in _signatures_to_verify(signatures, min_sdk, max_sdk, scheme):
        alg = ALGORITHMS[alg_id]
        if not isinstance(key, alg.key):  # an EC key under an RSA id, and so on
            raise SignatureError(f"{scheme} signature algorithm {alg_id:#06x} ({alg.name}) "
                                 f"does not fit the signer's {type(key).__name__} key",
                                 "tampered")
        if not _verify(key, sig, signed_data, alg.hash, alg.pss):
            raise SignatureError(f"{scheme} signature ({alg.name}) does not verify", "tampered")
        signer.verified_content.add(alg.content)
    # The signed data is authentic from here on.
    digests_blob, pos = _prefixed(signed_data, 0)
    certs_blob, pos = _prefixed(signed_data, pos)
    if v3:
        inner_min, pos = _u32(signed_data, pos)
        inner_max, pos = _u32(signed_data, pos)
        if (inner_min, inner_max) != (signer_min, signer_max):
            raise SignatureError(f"{scheme} signer SDK range differs from its signed data",
                                 "tampered")
    attrs_blob, _ = _prefixed(signed_data, pos)
    signer.certs = _sequence(certs_blob)
    if not signer.certs:
        raise SignatureError(f"{scheme} signer has no certificate")
    cert_key = certificate_public_key(signer.certificate)
    if cert_key != public_key_bytes and _canonical_spki(cert_key) != _canonical_spki(
            public_key_bytes):
        raise SignatureError(f"{scheme} signer key does not match its certificate", "tampered")
    for item in _sequence(digests_blob):
        alg_id, p = _u32(item, 0)
        signer.digests.append((alg_id, _prefixed(item, p)[0]))
    if [a for a, _ in signer.digests] != all_ids:
        raise SignatureError(f"{scheme} signatures and digests name different algorithms",
                             "tampered")
    for item in _sequence(attrs_blob):
        attr_id, p = _u32(item, 0)
        signer.attributes.append((attr_id, item[p:]))
    return signer


def _read_lineage(value: bytes, scheme: str) -> list[bytes]:
    """Certificates of a proof-of-rotation record, oldest first; each link must be signed by
    the previous key (apksig V3SigningCertificateLineage)."""
    version, off = _u32(value, 0)
    if version != 1:
        raise SignatureError(f"{scheme} rotation lineage has unknown version {version}",
                             "unsupported")
    certs: list[bytes] = []
    last_alg = 0
    for node in _sequence(value[off:]):
        signed, pos = _prefixed(node, 0)
        _flags, pos = _u32(node, pos)
        next_alg, pos = _u32(node, pos)
        signature, _ = _prefixed(node, pos)
        cert, p = _prefixed(signed, 0)
        signed_alg, _ = _u32(signed, p)
        if certs:
            alg = ALGORITHMS.get(last_alg)
            if alg is None or signed_alg != last_alg:
                raise SignatureError(f"{scheme} rotation lineage names an unknown algorithm",
                                     "tampered")
            key = _public_key(certificate_public_key(certs[-1]))
            if not isinstance(key, alg.key) or not _verify(key, signature, signed, alg.hash,
                                                           alg.pss):
                raise SignatureError(f"{scheme} rotation lineage link does not verify",
                                     "tampered")
        if cert in certs:
            raise SignatureError(f"{scheme} rotation lineage repeats a certificate")
        certs.append(cert)
        last_alg = next_alg
    if not certs:
        raise SignatureError(f"{scheme} rotation lineage is empty")
    return certs


def _verify_block(value: bytes, scheme: str, sections: list, block_start: int,
                  cd_offset: int, min_sdk: int) -> list[_Signer]:
    v3 = scheme != "v2"
    signers_blob, _ = _prefixed(value, 0)
    blobs = _sequence(signers_blob)
    if not blobs:
        raise SignatureError(f"{scheme} block has no signer")
    if len(blobs) > MAX_SIGNERS:
        raise SignatureError(f"{scheme} block has more than {MAX_SIGNERS} signers", "rejected")
    signers = [_read_signer(b, scheme, v3, min_sdk, ANY_SDK) for b in blobs]
    wanted = set().union(*(s.verified_content for s in signers))
    computed = {}
    for content in wanted:
        if content == "verity":
            # Android 9 requires the verity-signed block to sit on 4 KiB pages.
            if block_start % VERITY_PAGE or (cd_offset - block_start) % VERITY_PAGE:
                raise SignatureError("verity signature but the signing block is not "
                                     "page-aligned", "rejected")
            computed[content] = verity_digest(sections)
        else:
            computed[content] = chunked_digest(sections, content)
    for signer in signers:
        for alg_id, expected in signer.digests:
            alg = ALGORITHMS.get(alg_id)
            if alg is not None and alg.content in computed and computed[alg.content] != expected:
                raise SignatureError(f"file contents changed after signing ({scheme} digest "
                                     "mismatch)", "tampered")
    return signers


def _check_v3_signers(signers: list[_Signer], scheme: str, min_sdk: int, upto: int) -> None:
    """SDK ranges contiguous and covering [min_sdk, upto]; lineages verified and nested."""
    lineages = []
    for signer in signers:
        for attr_id, value in signer.attributes:
            if attr_id == PROOF_OF_ROTATION_ATTR:
                signer.lineage = _read_lineage(value, scheme)
                if signer.lineage[-1] != signer.certificate:
                    raise SignatureError(f"{scheme} rotation lineage does not end with the "
                                         "signer's certificate", "tampered")
                lineages.append(signer.lineage)
    ordered = sorted(signers, key=lambda s: s.max_sdk)
    first_min, last_max, last_size = ordered[0].min_sdk, 0, 0
    for i, signer in enumerate(ordered):
        dev = any(a == ROTATION_ON_DEV_RELEASE_ATTR for a, _ in signer.attributes)
        if i and signer.min_sdk != last_max + 1 and not (signer.min_sdk == last_max and dev):
            raise SignatureError(f"{scheme} signers have inconsistent SDK ranges", "rejected")
        last_max = signer.max_sdk
        if signer.lineage:
            if len(signer.lineage) < last_size:
                raise SignatureError(f"{scheme} signers have inconsistent lineages", "rejected")
            last_size = len(signer.lineage)
    if first_min > min_sdk or last_max < upto:
        raise SignatureError(f"{scheme} signers do not cover Android SDK {min_sdk} to "
                             f"{'newest' if upto == ANY_SDK else upto}", "rejected")
    longest = max(lineages, key=len, default=[])
    if any(lin != longest[:len(lin)] for lin in lineages):
        raise SignatureError(f"{scheme} signers have inconsistent lineages", "rejected")


def _newest(signers: list[_Signer]) -> _Signer:
    return max(signers, key=lambda s: s.max_sdk)


# -- v1 (JAR) ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Section:
    start: int
    size: int
    attrs: tuple[tuple[str, str], ...]

    @property
    def name(self) -> str | None:
        if self.attrs and self.attrs[0][0].lower() == "name":
            return self.attrs[0][1]
        return None

    def get(self, key: str) -> str | None:
        key = key.lower()
        return next((v for k, v in self.attrs if k.lower() == key), None)


def parse_jar_manifest(data: bytes) -> list[_Section]:
    """Sections of a MANIFEST.MF / .SF file with their byte ranges (each section includes the
    blank line that ends it; continuation lines start with one space)."""
    lines, pos = [], 0
    while pos < len(data):
        cut = next((i for i in range(pos, len(data)) if data[i] in b"\r\n"), len(data))
        nxt = cut + (2 if data[cut:cut + 2] == b"\r\n" else 1) if cut < len(data) else cut
        lines.append((pos, data[pos:cut], nxt))
        pos = nxt
    sections, i = [], 0
    while i < len(lines):
        if not lines[i][1]:
            i += 1
            continue
        start, raw_attrs = lines[i][0], []
        while i < len(lines) and lines[i][1]:
            text = lines[i][1]
            if text[:1] == b" " and raw_attrs:
                raw_attrs[-1] += text[1:]
            else:
                raw_attrs.append(text)
            end = lines[i][2]
            i += 1
        if i < len(lines):  # the blank line belongs to the section
            end = lines[i][2]
            i += 1
        attrs = []
        for raw in raw_attrs:
            text = raw.decode("utf-8", errors="replace")
            name, sep, value = text.partition(": ")
            attrs.append((name, value if sep else ""))
        sections.append(_Section(start, end - start, tuple(attrs)))
    return sections


_DIGEST_NAMES = {"MD5": "md5", "SHA": "sha1", "SHA1": "sha1", "SHA-1": "sha1",
                 "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
_DIGEST_MIN_SDK = {"md5": 0, "sha1": 0, "sha256": 0, "sha384": SDK_GINGERBREAD,
                   "sha512": SDK_GINGERBREAD}


def _digests_to_verify(section: _Section, suffix: str, min_sdk: int) -> list[tuple[str, bytes]]:
    """Which ``*-Digest`` attributes the phones in [min_sdk, newest] check (apksig
    getDigestsToVerify): before Android 4.3 the ``Digest-Algorithms`` list (default
    "SHA SHA1"), from 4.3 on the strongest of SHA-512, SHA-384, SHA-256, SHA-1."""
    out: list[tuple[str, bytes]] = []

    def decode(text: str) -> bytes:
        try:
            return base64.b64decode(text.strip(), validate=True)
        except ValueError:
            raise SignatureError(f"v1 digest {text[:20]!r} is not base64", "tampered") from None

    if min_sdk < SDK_JB_MR2:
        for alg in (section.get("Digest-Algorithms") or "SHA SHA1").split():
            value = section.get(alg + suffix)
            canonical = _DIGEST_NAMES.get(alg.upper())
            if value is None or canonical is None or _DIGEST_MIN_SDK[canonical] > min_sdk:
                continue
            out.append((canonical, decode(value)))
            break
        if not out:
            return out
    for alg, attr in (("sha512", "SHA-512"), ("sha384", "SHA-384"), ("sha256", "SHA-256"),
                      ("sha1", "SHA1")):
        value = section.get(attr + suffix)
        if value is not None:
            digest = decode(value)
            if (alg, digest) not in out:
                out.append((alg, digest))
            break
    return out


_DIGEST_OIDS = {"1.2.840.113549.2.5": "md5", "1.3.14.3.2.26": "sha1",
                "2.16.840.1.101.3.4.2.4": "sha224", "2.16.840.1.101.3.4.2.1": "sha256",
                "2.16.840.1.101.3.4.2.2": "sha384", "2.16.840.1.101.3.4.2.3": "sha512"}
# Signature algorithm OID -> (key class, hash named by the OID or None for "the digest's").
_SIG_OIDS: dict[str, tuple[type, str | None]] = {
    "1.2.840.113549.1.1.1": (rsa.RSAPublicKey, None),
    "1.2.840.113549.1.1.4": (rsa.RSAPublicKey, "md5"),
    "1.2.840.113549.1.1.5": (rsa.RSAPublicKey, "sha1"),
    "1.2.840.113549.1.1.14": (rsa.RSAPublicKey, "sha224"),
    "1.2.840.113549.1.1.11": (rsa.RSAPublicKey, "sha256"),
    "1.2.840.113549.1.1.12": (rsa.RSAPublicKey, "sha384"),
    "1.2.840.113549.1.1.13": (rsa.RSAPublicKey, "sha512"),
    "1.2.840.10040.4.1": (dsa.DSAPublicKey, None),
    "1.2.840.10040.4.3": (dsa.DSAPublicKey, "sha1"),
    "2.16.840.1.101.3.4.3.1": (dsa.DSAPublicKey, "sha224"),
    "2.16.840.1.101.3.4.3.2": (dsa.DSAPublicKey, "sha256"),
    "1.2.840.10045.2.1": (ec.EllipticCurvePublicKey, None),
    "1.2.840.10045.4.1": (ec.EllipticCurvePublicKey, "sha1"),
    "1.2.840.10045.4.3.1": (ec.EllipticCurvePublicKey, "sha224"),
    "1.2.840.10045.4.3.2": (ec.EllipticCurvePublicKey, "sha256"),
    "1.2.840.10045.4.3.3": (ec.EllipticCurvePublicKey, "sha384"),
    "1.2.840.10045.4.3.4": (ec.EllipticCurvePublicKey, "sha512"),
}
# (digest, key, hash named by the signature OID or None) -> first Android API level that
# verifies it for good (apksig OidConstants, the ranges that stay open to the newest
# Android; pairs that work only on some releases, e.g. only Android 5-6, are absent, so
# they are refused like apksigner refuses them for an open-ended SDK range).
_V1_PAIRS: dict[tuple[str, type, str | None], tuple[tuple[int, int], ...]] = {
    ("md5", rsa.RSAPublicKey, None): ((0, ANY_SDK),),
    ("md5", rsa.RSAPublicKey, "md5"): ((0, 8), (21, ANY_SDK)),
    ("sha1", rsa.RSAPublicKey, None): ((0, ANY_SDK),),
    ("sha1", rsa.RSAPublicKey, "sha1"): ((0, ANY_SDK),),
    ("sha224", rsa.RSAPublicKey, None): ((0, 8), (21, ANY_SDK)),
    ("sha224", rsa.RSAPublicKey, "sha224"): ((0, 8), (21, ANY_SDK)),
    ("sha256", rsa.RSAPublicKey, None): ((0, 8), (18, ANY_SDK)),
    ("sha256", rsa.RSAPublicKey, "sha256"): ((0, 8), (18, ANY_SDK)),
    ("sha384", rsa.RSAPublicKey, None): ((18, ANY_SDK),),
    ("sha384", rsa.RSAPublicKey, "sha384"): ((21, ANY_SDK),),
    ("sha512", rsa.RSAPublicKey, None): ((18, ANY_SDK),),
    ("sha512", rsa.RSAPublicKey, "sha512"): ((21, ANY_SDK),),
    ("sha1", dsa.DSAPublicKey, None): ((0, ANY_SDK),),
    ("sha1", dsa.DSAPublicKey, "sha1"): ((9, ANY_SDK),),
    ("sha224", dsa.DSAPublicKey, None): ((22, ANY_SDK),),
    ("sha224", dsa.DSAPublicKey, "sha224"): ((21, ANY_SDK),),
    ("sha256", dsa.DSAPublicKey, None): ((22, ANY_SDK),),
    ("sha256", dsa.DSAPublicKey, "sha256"): ((21, ANY_SDK),),
    ("sha1", ec.EllipticCurvePublicKey, None): ((18, ANY_SDK),),
    ("sha224", ec.EllipticCurvePublicKey, None): ((21, ANY_SDK),),
    ("sha256", ec.EllipticCurvePublicKey, None): ((18, ANY_SDK),),
    ("sha384", ec.EllipticCurvePublicKey, None): ((18, ANY_SDK),),
    ("sha512", ec.EllipticCurvePublicKey, None): ((18, ANY_SDK),),
    ("sha1", ec.EllipticCurvePublicKey, "sha1"): ((18, ANY_SDK),),
    ("sha224", ec.EllipticCurvePublicKey, "sha224"): ((21, ANY_SDK),),
    ("sha256", ec.EllipticCurvePublicKey, "sha256"): ((21, ANY_SDK),),
    ("sha384", ec.EllipticCurvePublicKey, "sha384"): ((21, ANY_SDK),),
    ("sha512", ec.EllipticCurvePublicKey, "sha512"): ((21, ANY_SDK),),
}
# Critical X.509 extensions Java's certificate classes understand (others make Android
# refuse the v1 signer: "unsupported critical extensions").
_KNOWN_CRITICAL = {"2.5.29.15", "2.5.29.19", "2.5.29.37", "2.5.29.17", "2.5.29.18",
                   "2.5.29.30", "2.5.29.36", "2.5.29.32", "2.5.29.54", "2.5.29.33"}


@dataclass(frozen=True)
class _SignerInfo:
    issuer: bytes | None
    serial: int | None
    digest_oid: str
    signature_oid: str
    signed_attrs: bytes | None  # DER as found, tag [0] IMPLICIT
    signature: bytes


def _parse_pkcs7(blob: bytes) -> tuple[str, list[bytes], list[_SignerInfo]]:
    """(encapsulated content type, certificates (DER), SignerInfos) of a PKCS#7 SignedData."""
    tag, start, end = der_tlv(blob, 0)
    outer = der_children(blob, start, end) if tag == 0x30 else []
    _, _, o_start, o_end = _expect(outer, 0, 0x06, "PKCS#7 content type")
    if _oid(blob[o_start:o_end]) != OID_SIGNED_DATA:
        raise SignatureError("PKCS#7 is not SignedData")
    _, _, c_start, c_end = _expect(outer, 1, 0xA0, "PKCS#7 content")
    inner = der_children(blob, c_start, c_end)
    _, _, sd_start, sd_end = _expect(inner, 0, 0x30, "PKCS#7 SignedData")
    parts = der_children(blob, sd_start, sd_end)
    _expect(parts, 0, 0x02, "SignedData version")
    _, _, e_start, e_end = _expect(parts, 2, 0x30, "SignedData content info")
    encap = der_children(blob, e_start, e_end)
    _, _, t_start, t_end = _expect(encap, 0, 0x06, "SignedData content type")
    content_type = _oid(blob[t_start:t_end])
    certs: list[bytes] = []
    rest = parts[3:]
    if rest and rest[0][0] == 0xA0:  # certificates [0] IMPLICIT SET OF Certificate
        certs = [blob[s:e] for _, s, _, e in der_children(blob, rest[0][2], rest[0][3])]
        rest = rest[1:]
    if rest and rest[0][0] == 0xA1:  # crls
        rest = rest[1:]
    if not rest or rest[0][0] != 0x31:
        raise SignatureError("SignedData has no SignerInfos")
    infos = []
    for tag, _, s_start, s_end in der_children(blob, rest[0][2], rest[0][3]):
        if tag != 0x30:
            raise SignatureError("SignerInfo is malformed")
        fields = der_children(blob, s_start, s_end)
        _expect(fields, 0, 0x02, "SignerInfo version")
        issuer = serial = None
        if len(fields) > 1 and fields[1][0] == 0x30:  # IssuerAndSerialNumber
            sid = der_children(blob, fields[1][2], fields[1][3])
            _, n_start, _, n_end = _expect(sid, 0, 0x30, "SignerInfo issuer")
            _, _, i_start, i_end = _expect(sid, 1, 0x02, "SignerInfo serial number")
            issuer = blob[n_start:n_end]
            serial = int.from_bytes(blob[i_start:i_end], "big", signed=True)
        _, _, d_start, d_end = _expect(fields, 2, 0x30, "SignerInfo digest algorithm")
        digest_oid = _algorithm_oid(blob, d_start, d_end)
        pos = 3
        signed_attrs = None
        if len(fields) > pos and fields[pos][0] == 0xA0:
            signed_attrs = blob[fields[pos][1]:fields[pos][3]]
            pos += 1
        _, _, a_start, a_end = _expect(fields, pos, 0x30, "SignerInfo signature algorithm")
        signature_oid = _algorithm_oid(blob, a_start, a_end)
        _, _, g_start, g_end = _expect(fields, pos + 1, 0x04, "SignerInfo signature")
        infos.append(_SignerInfo(issuer, serial, digest_oid, signature_oid, signed_attrs,
                                 blob[g_start:g_end]))
    if not infos:
        raise SignatureError("PKCS#7 SignedData has no SignerInfo")
    return content_type, certs, infos


def _algorithm_oid(blob: bytes, start: int, end: int) -> str:
    children = der_children(blob, start, end)
    _, _, o_start, o_end = _expect(children, 0, 0x06, "algorithm identifier")
    return _oid(blob[o_start:o_end])


def _signed_attributes(der: bytes) -> dict[str, list[bytes]]:
    """Attribute type OID -> DER of each value; duplicate types are malformed."""
    _, start, end = der_tlv(der, 0)
    attrs: dict[str, list[bytes]] = {}
    for tag, _, a_start, a_end in der_children(der, start, end):
        parts = der_children(der, a_start, a_end) if tag == 0x30 else []
        _, _, o_start, o_end = _expect(parts, 0, 0x06, "signed attribute")
        _, _, v_start, v_end = _expect(parts, 1, 0x31, "signed attribute values")
        oid = _oid(der[o_start:o_end])
        if oid in attrs:
            raise SignatureError(f"duplicate signed attribute {oid}")
        attrs[oid] = [der[s:e] for _, s, _, e in der_children(der, v_start, v_end)]
    return attrs


def _single(attrs: dict[str, list[bytes]], oid: str, tag: int) -> bytes | None:
    values = attrs.get(oid)
    if not values:
        return None
    if len(values) > 1:
        raise SignatureError(f"signed attribute {oid} has several values")
    t, start, end = der_tlv(values[0], 0)
    if t != tag:
        raise SignatureError(f"signed attribute {oid} has the wrong type")
    return values[0][start:end]


def _pkcs7_signer(block_name: str, block: bytes, sf: bytes, min_sdk: int) -> bytes:
    """The certificate whose SignerInfo verifies over the .SF file (apksig
    verifySigBlockAgainstSigFile). Before Android 7 only the first SignerInfo is tried."""
    content_type, certs, infos = _parse_pkcs7(block)
    if min_sdk < SDK_N:
        infos = infos[:1]
    parsed = [(_certificate_fields(c), c) for c in certs]
    for info in infos:
        digest = _DIGEST_OIDS.get(info.digest_oid)
        sig = _SIG_OIDS.get(info.signature_oid)
        ranges = _V1_PAIRS.get((digest, sig[0], sig[1])) if digest and sig else None
        if digest is None or sig is None or not ranges or _gap(ranges, min_sdk):
            raise SignatureError(f"{block_name} uses digest {info.digest_oid} with signature "
                                 f"{info.signature_oid}, which not every Android from SDK "
                                 f"{min_sdk} accepts", "rejected")
        key_type, sig_hash = sig
        cert = next((c for (issuer, serial, _), c in parsed
                     if info.issuer is not None and issuer == info.issuer
                     and serial == info.serial), None)
        if cert is None:
            raise SignatureError(f"{block_name}: the certificate named by its SignerInfo is "
                                 "not in the file", "tampered")
        loaded = _load_certificate(cert)
        for ext in loaded.extensions:
            if ext.critical and ext.oid.dotted_string not in _KNOWN_CRITICAL:
                raise SignatureError(f"{block_name}: signing certificate has an unsupported "
                                     "critical extension", "rejected")
        try:
            usage = loaded.extensions.get_extension_for_class(x509.KeyUsage).value
            if not (usage.digital_signature or usage.content_commitment):
                raise SignatureError(f"{block_name}: certificate may not sign", "rejected")
        except x509.ExtensionNotFound:
            pass
        key = loaded.public_key()
        if not isinstance(key, key_type):
            raise SignatureError(f"{block_name}: signature algorithm does not fit the key",
                                 "tampered")
        hash_name = sig_hash or digest
        if info.signed_attrs is not None:
            if min_sdk < SDK_KITKAT:
                # Android < 4.4 did not check the digest inside signed attributes: unsafe.
                raise SignatureError(f"{block_name}: signed attributes are unsafe on Android "
                                     "before 4.4", "rejected")
            attrs = _signed_attributes(info.signed_attrs)
            ctype = _single(attrs, OID_CONTENT_TYPE, 0x06)
            if ctype is None:
                raise SignatureError(f"{block_name}: no content type in signed attributes")
            if _oid(ctype) != content_type:
                continue
            expected = _single(attrs, OID_MESSAGE_DIGEST, 0x04)
            if expected is None:
                raise SignatureError(f"{block_name}: no message digest in signed attributes")
            if hashlib.new(digest, sf).digest() != expected:
                continue
            # Android signs the attributes re-tagged as a SET, not re-encoded.
            message = b"\x31" + info.signed_attrs[1:]
        else:
            message = sf
        if _verify(key, info.signature, message, hash_name):
            return cert
    raise SignatureError(f"{block_name} does not verify against its .SF file", "tampered")


def _gap(ranges: tuple[tuple[int, int], ...], min_sdk: int) -> bool:
    """True when some API level >= min_sdk falls outside every range."""
    level = min_sdk
    for lo, hi in sorted(ranges):
        if hi < level:
            continue
        if lo > level:
            return True
        level = hi + 1 if hi != ANY_SDK else ANY_SDK
        if level == ANY_SDK:
            return False
    return True


@dataclass(frozen=True)
class ZipEntry:
    name: str  # as Android reads it: UTF-8
    offset: int  # local header offset, for reading in file order
    read: Callable[[], bytes]


def zip_entries(archive: zipfile.ZipFile) -> list[ZipEntry]:
    """Every central directory record (duplicates included) of an open archive."""
    out = []
    for info in archive.infolist():
        name = info.filename
        if not info.flag_bits & 0x800:  # zipfile decoded cp437; Android reads UTF-8
            try:
                name = name.encode("cp437").decode("utf-8")
            except UnicodeError:
                pass
        out.append(ZipEntry(name, info.header_offset,
                            lambda info=info: archive.read(info)))
    return out


def verify_v1(entries: list[ZipEntry], min_sdk: int, found: set[int]) -> list[bytes]:
    """JAR signature check (apksig V1SchemeVerifier); returns the signers' certificates."""
    by_name: dict[str, ZipEntry] = {}
    for entry in entries:
        if entry.name in by_name:
            raise SignatureError(f"the APK has two entries named {entry.name}", "rejected")
        by_name[entry.name] = entry
    manifest_entry = by_name.get("META-INF/MANIFEST.MF")
    if manifest_entry is None:
        raise SignatureError("no JAR signature (META-INF/MANIFEST.MF is missing)", "unsigned")
    blocks = [e for e in entries if e.name.startswith("META-INF/")
              and e.name.endswith((".RSA", ".DSA", ".EC"))]
    manifest = manifest_entry.read()
    sections = parse_jar_manifest(manifest)
    main, individual = (sections[0], sections[1:]) if sections else (None, [])
    named: dict[str, _Section] = {}
    for section in individual:
        if section.name is None:
            raise SignatureError("MANIFEST.MF has a section without a name", "rejected")
        if section.name in named:
            raise SignatureError(f"MANIFEST.MF names {section.name} twice", "rejected")
        if section.name not in by_name:
            raise SignatureError(f"MANIFEST.MF lists {section.name}, which is not in the APK",
                                 "tampered")
        named[section.name] = section
    signers: list[tuple[str, bytes, set[str]]] = []
    for block in blocks:
        sf_name = block.name.rsplit(".", 1)[0] + ".SF"
        sf_entry = by_name.get(sf_name)
        if sf_entry is None:
            continue  # apksig: a warning; such a block signs nothing
        sf = sf_entry.read()
        cert = _pkcs7_signer(block.name, block.read(), sf, min_sdk)
        covered = _check_sf(sf_name, sf, manifest, main, named, min_sdk, found)
        if covered is not None:
            signers.append((block.name, cert, covered))
    if not signers:
        raise SignatureError("no JAR signature (no META-INF/*.RSA, *.DSA or *.EC with its "
                             ".SF)", "unsigned")
    if len(signers) > MAX_SIGNERS:
        raise SignatureError(f"more than {MAX_SIGNERS} JAR signers", "rejected")
    first: list[str] | None = None
    for entry in sorted(entries, key=lambda e: e.offset):
        if entry.name.startswith("META-INF/") or entry.name.endswith("/"):
            continue
        section = named.get(entry.name)
        if section is None:
            raise SignatureError(f"{entry.name} is not listed in MANIFEST.MF", "tampered")
        who = [name for name, _, covered in signers if entry.name in covered]
        if not who:
            raise SignatureError(f"{entry.name} is not covered by any JAR signer", "tampered")
        if first is None:
            first = who
        elif who != first:
            raise SignatureError(f"{entry.name} is signed by other JAR signers than the rest",
                                 "tampered")
        expected = _digests_to_verify(section, "-Digest", min_sdk)
        if not expected:
            raise SignatureError(f"MANIFEST.MF has no usable digest for {entry.name}",
                                 "rejected")
        content = entry.read()
        for alg, digest in expected:
            if hashlib.new(alg, content).digest() != digest:
                raise SignatureError(f"{entry.name} changed after signing (v1 digest "
                                     "mismatch)", "tampered")
    if first is None:
        raise SignatureError("the JAR signature covers no entry", "rejected")
    return [cert for name, cert, _ in signers if name in first]


def _check_sf(sf_name: str, sf: bytes, manifest: bytes, main: _Section | None,
              named: dict[str, _Section], min_sdk: int, found: set[int]) -> set[str] | None:
    """Check a .SF file against MANIFEST.MF; the entry names it covers, or None when Android
    ignores this signer (no Signature-Version)."""
    sections = parse_jar_manifest(sf)
    if not sections or sections[0].get("Signature-Version") is None:
        return None
    sf_main = sections[0]
    # Android 7+ rejects an APK whose .SF says it also had a v2/v3 signature that is gone.
    listed = sf_main.get("X-Android-APK-Signed")
    if listed is not None:
        for token in listed.split(","):
            token = token.strip()
            if token.isdigit() and int(token) in SCHEME_IDS and int(token) not in found:
                raise SignatureError(f"{sf_name} says the APK was signed with APK Signature "
                                     f"Scheme {SCHEME_IDS[int(token)]}, which is missing "
                                     "(stripped)", "tampered")
    signtool = "signtool" in (sf_main.get("Created-By") or "")
    whole = _digests_to_verify(sf_main, "-Digest" if signtool else "-Digest-Manifest", min_sdk)
    manifest_ok = bool(whole) and all(hashlib.new(a, manifest).digest() == d for a, d in whole)
    if not signtool and main is not None:
        for alg, digest in _digests_to_verify(sf_main, "-Digest-Manifest-Main-Attributes",
                                              min_sdk):
            chunk = manifest[main.start:main.start + main.size]
            if hashlib.new(alg, chunk).digest() != digest:
                raise SignatureError(f"{sf_name} does not match MANIFEST.MF's main section",
                                     "tampered")
    covered: set[str] = set()
    for section in sections[1:]:
        name = section.name
        if name is None or name in covered:
            return None  # apksig: an unnamed or repeated section makes Android ignore it
        covered.add(name)
        if manifest_ok:
            continue
        mf_section = named.get(name)
        if mf_section is None:
            return None
        expected = _digests_to_verify(section, "-Digest", min_sdk)
        if not expected:
            raise SignatureError(f"{sf_name} has no usable digest for {name}", "rejected")
        size = mf_section.size
        end = mf_section.start + size
        if signtool and manifest[end - 2:end] == b"\n\n":
            size -= 1
        chunk = manifest[mf_section.start:mf_section.start + size]
        for alg, digest in expected:
            if hashlib.new(alg, chunk).digest() != digest:
                raise SignatureError(f"MANIFEST.MF section for {name} does not match {sf_name}",
                                     "tampered")
    return covered


# -- the whole APK -------------------------------------------------------------------------
def verify_apk(data: bytes, cd_offset: int, eocd: int, entries: list[ZipEntry], *,
               min_sdk: int, target_sdk: int, target_sandbox: int = 1) -> Verification:
    """Verify every signature Android phones from ``min_sdk`` to the newest would check.

    Raises :class:`SignatureError` when any of them would refuse the APK, or when traomay
    does not support the signature (several signers).
    """
    min_sdk = max(0, min(min_sdk, ANY_SDK))
    try:
        return _verify_apk(data, cd_offset, eocd, entries, min_sdk, target_sdk, target_sandbox)
    except (InvalidSignature, UnsupportedAlgorithm, TypeError, struct.error,
            OverflowError) as exc:
        raise SignatureError(f"{type(exc).__name__}: {exc}"[:200]) from None


def _verify_apk(data: bytes, cd_offset: int, eocd: int, entries: list[ZipEntry],
                min_sdk: int, target_sdk: int, target_sandbox: int) -> Verification:
    block_start, pairs = find_signing_block(data, cd_offset)
    sections = _digest_sections(data, block_start, cd_offset, eocd)
    found: set[int] = set()
    verified: dict[str, list[_Signer]] = {}
    rotation_min = 0
    if V31_ID in pairs:  # Android 13+
        v31 = _verify_block(pairs[V31_ID], "v3.1", sections, block_start, cd_offset,
                            max(min_sdk, SDK_T))
        _check_v3_signers(v31, "v3.1", max(min_sdk, SDK_T), ANY_SDK)
        rotation_min = min(s.min_sdk for s in v31)
        verified["v3.1"] = v31
        found.add(31)
    if V3_ID in pairs:  # Android 9+
        v3 = _verify_block(pairs[V3_ID], "v3", sections, block_start, cd_offset,
                           max(min_sdk, SDK_P))
        _check_v3_signers(v3, "v3", max(min_sdk, SDK_P),
                          rotation_min - 1 if rotation_min else ANY_SDK)
        for signer in v3:
            for attr_id, value in signer.attributes:
                if attr_id == ROTATION_MIN_SDK_ATTR and len(value) >= 4:
                    wanted = struct.unpack_from("<I", value)[0]
                    if not rotation_min:
                        raise SignatureError(f"v3 signer expects a v3.1 signature from SDK "
                                             f"{wanted}, which is missing (stripped)",
                                             "tampered")
                    if wanted != rotation_min:
                        raise SignatureError("v3 and v3.1 disagree on the rotation SDK",
                                             "rejected")
        verified["v3"] = v3
        found.add(3)
    elif rotation_min:
        raise SignatureError("v3.1 signature without the v3 signature it extends", "rejected")
    if V2_ID in pairs and (min_sdk < SDK_P or not found):  # Android 7-8 (and newer w/o v3)
        v2 = _verify_block(pairs[V2_ID], "v2", sections, block_start, cd_offset,
                           max(min_sdk, SDK_N))
        for signer in v2:
            for attr_id, value in signer.attributes:
                if attr_id == STRIPPING_PROTECTION_ATTR and len(value) >= 4:
                    scheme = struct.unpack_from("<I", value)[0]
                    if scheme in SCHEME_IDS and scheme not in found | {2}:
                        raise SignatureError("v2 signature says the APK was also signed with "
                                             f"APK Signature Scheme {SCHEME_IDS[scheme]}, "
                                             "which is missing (stripped)", "tampered")
        verified["v2"] = v2
        found.add(2)
    if target_sandbox > 1 and not found:
        raise SignatureError("targetSandboxVersion 2 needs APK Signature Scheme v2 or newer "
                             "(Android 8)", "rejected")
    v1_certs: list[bytes] = []
    if min_sdk < SDK_N or not found:  # Android 5-6 check only the JAR signature
        if not any(e.name == "META-INF/MANIFEST.MF" for e in entries):
            if not found:
                raise SignatureError("the APK is not signed", "unsigned")
            raise SignatureError(f"minSdkVersion {min_sdk} lets Android 5-6 phones install "
                                 "it, and they check only the JAR (v1) signature, which this "
                                 "APK lacks", "rejected")
        v1_certs = verify_v1(entries, min_sdk, found)
    if len(v1_certs) > 1 or len(verified.get("v2", [])) > 1:
        raise SignatureError("the APK has more than one signer; traomay accepts only APKs "
                             "signed by one key", "unsupported")
    if "v2" in verified and v1_certs and v1_certs[0] != verified["v2"][0].certificate:
        raise SignatureError("the JAR (v1) and v2 signatures are by different keys",
                             "tampered")
    v3_signers = verified.get("v3", [])
    older = v1_certs[0] if v1_certs else (verified["v2"][0].certificate if "v2" in verified
                                          else None)
    if v3_signers and older is not None:
        lineage = next((s.lineage for s in reversed(sorted(v3_signers, key=lambda s: s.max_sdk))
                        if s.lineage), None)
        if lineage is None:
            if len(v3_signers) != 1 or v3_signers[0].certificate != older:
                raise SignatureError("the v3 signature is by another key than the older "
                                     "signatures", "tampered")
        elif lineage[0] != older:
            raise SignatureError("the older signatures are not by the first key of the v3 "
                                 "rotation lineage", "tampered")
    if target_sdk >= SDK_R and not found:
        raise SignatureError(f"targetSdkVersion {target_sdk} needs APK Signature Scheme v2 or "
                             "newer (Android 11 refuses v1-only APKs)", "rejected")
    schemes = tuple(s for s in ("v1", "v2", "v3", "v3.1")
                    if (s == "v1" and v1_certs) or s in verified)
    for scheme in ("v3.1", "v3"):
        if scheme in verified:
            newest = _newest(verified[scheme])
            return Verification(schemes, newest.certificate, tuple(newest.lineage))
    if "v2" in verified:
        return Verification(schemes, verified["v2"][0].certificate)
    return Verification(schemes, v1_certs[0])
