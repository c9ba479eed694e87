"""Build small, valid APKs in Python for tests and the demo (the real government APKs are
not public; the district supplies them). Demo APKs are stand-ins, never the real apps.

An APK here is a ZIP (fixed timestamps, so the same inputs give the same bytes) with a
binary AndroidManifest.xml (written below from the AXML format), a dummy classes.dex,
optional ``lib/<abi>/libx.so`` entries, and the signatures Android checks:

- v1 (JAR): META-INF/MANIFEST.MF, CERT.SF and a PKCS#7 CERT.RSA|EC|DSA built here field by
  field (so tests can add a decoy certificate or signed attributes); added by default when
  minSdk < 24, because Android 5-6 check nothing else.
- APK Signature Scheme v2 and, on request, v3 (optionally with key rotation: a lineage
  from an older key to the signer). RSA keys sign with PKCS#1 v1.5 (deterministic), EC
  keys with ECDSA, DSA keys with DSA; other algorithm ids on request.

The ``tamper_*`` helpers make the broken copies the signature tests feed to traomay and
to Google's apksigner: each takes APK bytes and returns new bytes, deterministically.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import struct
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.x509.oid import NameOID

ANDROID_NS = "http://schemas.android.com/apk/res/android"
NO_INDEX = 0xFFFFFFFF
TYPE_STRING, TYPE_INT_DEC = 0x03, 0x10
ATTR_IDS = {"versionCode": 0x0101021B, "versionName": 0x0101021C,
            "minSdkVersion": 0x0101020C, "targetSdkVersion": 0x01010270}


# -- signers -------------------------------------------------------------------------------
@dataclass(frozen=True)
class TestSigner:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | dsa.DSAPrivateKey
    cert_der: bytes

    @property
    def cert_sha256(self) -> str:
        return hashlib.sha256(self.cert_der).hexdigest()

    @property
    def public_key_der(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def kind(self) -> str:
        if isinstance(self.key, rsa.RSAPrivateKey):
            return "RSA"
        return "EC" if isinstance(self.key, ec.EllipticCurvePrivateKey) else "DSA"

    @property
    def default_algorithm(self) -> int:
        return {"RSA": 0x0103, "EC": 0x0201, "DSA": 0x0301}[self.kind]

    def pem(self) -> bytes:
        """Private key and certificate, PEM (to keep a fixed test signer in a file)."""
        key = self.key.private_bytes(serialization.Encoding.PEM,
                                     serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
        cert = x509.load_der_x509_certificate(self.cert_der).public_bytes(
            serialization.Encoding.PEM)
        return key + cert


def make_signer(common_name: str, kind: str = "RSA") -> TestSigner:
    """A fresh self-signed signer: "RSA" (2048), "EC" (P-256) or "DSA" (2048)."""
    if kind == "EC":
        key = ec.generate_private_key(ec.SECP256R1())
    elif kind == "DSA":
        key = dsa.generate_private_key(key_size=2048)
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=9000))
            .sign(key, hashes.SHA256()))
    return TestSigner(key, cert.public_bytes(serialization.Encoding.DER))


def signer_from_pem(pem: bytes) -> TestSigner:
    """A signer saved with :meth:`TestSigner.pem` (tests keep fixed signers in files, so the
    APKs they build are byte-identical to those Google's apksigner judged)."""
    key = serialization.load_pem_private_key(pem, password=None)
    cert = x509.load_pem_x509_certificate(pem)
    return TestSigner(key, cert.public_bytes(serialization.Encoding.DER))  # type: ignore[arg-type]


KEY1 = make_signer("traomay test publisher 1")
KEY2 = make_signer("traomay test publisher 2")


def _ecdsa(hash_alg: hashes.HashAlgorithm) -> ec.ECDSA:
    """RFC 6979 deterministic ECDSA where ``cryptography`` offers it (44+), so EC-signed test
    APKs are byte-identical from run to run."""
    try:
        return ec.ECDSA(hash_alg, deterministic_signing=True)
    except (TypeError, UnsupportedAlgorithm):  # older cryptography or OpenSSL
        return ec.ECDSA(hash_alg)


def _deterministic_ecdsa() -> bool:
    key = ec.derive_private_key(1, ec.SECP256R1())
    try:
        return key.sign(b"x", _ecdsa(hashes.SHA256())) == key.sign(b"x", _ecdsa(hashes.SHA256()))
    except UnsupportedAlgorithm:
        return False


DETERMINISTIC_ECDSA = _deterministic_ecdsa()  # False: EC-signed APKs differ run to run


def _sign(signer: TestSigner, data: bytes, alg_id: int) -> bytes:
    hash_alg = hashes.SHA512() if alg_id in (0x0102, 0x0104, 0x0202) else hashes.SHA256()
    key = signer.key
    if isinstance(key, rsa.RSAPrivateKey):
        pad = (padding.PSS(mgf=padding.MGF1(hash_alg), salt_length=hash_alg.digest_size)
               if alg_id in (0x0101, 0x0102) else padding.PKCS1v15())
        return key.sign(data, pad, hash_alg)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, _ecdsa(hash_alg))
    return key.sign(data, hash_alg)


# -- DER (just what PKCS#7 SignedData needs) -----------------------------------------------
def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(raw)]) + raw + content


def _der_oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray()
    for value in [40 * parts[0] + parts[1], *parts[2:]]:
        chunk = [value & 0x7F]
        value >>= 7
        while value:
            chunk.append(0x80 | (value & 0x7F))
            value >>= 7
        body += bytes(reversed(chunk))
    return _der(0x06, bytes(body))


def _der_int(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def _seq(*items: bytes) -> bytes:
    return _der(0x30, b"".join(items))


def _set(*items: bytes) -> bytes:
    return _der(0x31, b"".join(sorted(items)))


OID_DATA, OID_SIGNED_DATA = "1.2.840.113549.1.7.1", "1.2.840.113549.1.7.2"
_DIGEST_OID = {"sha1": "1.3.14.3.2.26", "sha256": "2.16.840.1.101.3.4.2.1"}
# What apksigner's V1SchemeSigner writes as SignerInfo.signatureAlgorithm per key type.
_SIG_OID = {"RSA": "1.2.840.113549.1.1.1", "EC": "1.2.840.10045.2.1",
            "DSA": {"sha1": "1.2.840.10040.4.3", "sha256": "2.16.840.1.101.3.4.3.2"}}


def pkcs7_signature(sf: bytes, signer: TestSigner, digest: str = "sha256",
                    decoys: Sequence[bytes] = (), signed_attributes: bool = False) -> bytes:
    """Detached PKCS#7 SignedData over a .SF file; ``decoys`` are extra certificates put
    BEFORE the signer's in the certificate bag (the SignerInfo still names the signer)."""
    cert = x509.load_der_x509_certificate(signer.cert_der)
    hash_alg = hashes.SHA1() if digest == "sha1" else hashes.SHA256()
    digest_alg = _seq(_der_oid(_DIGEST_OID[digest]), b"\x05\x00")
    sig_oid = _SIG_OID[signer.kind]
    sig_oid = sig_oid[digest] if isinstance(sig_oid, dict) else sig_oid
    sig_alg = _seq(_der_oid(sig_oid), b"\x05\x00" if signer.kind == "RSA" else b"")
    attrs = b""
    message = sf
    if signed_attributes:
        content = _set(
            _seq(_der_oid("1.2.840.113549.1.9.3"), _set(_der_oid(OID_DATA))),
            _seq(_der_oid("1.2.840.113549.1.9.4"),
                 _set(_der(0x04, hashlib.new(digest, sf).digest()))))
        message = content  # signed as a SET (tag 0x31) ...
        attrs = b"\xa0" + content[1:]  # ... stored as [0] IMPLICIT
    key = signer.key
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(message, padding.PKCS1v15(), hash_alg)
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        signature = key.sign(message, _ecdsa(hash_alg))
    else:
        signature = key.sign(message, hash_alg)
    signer_info = _seq(_der_int(1), _seq(cert.issuer.public_bytes(), _der_int(cert.serial_number)),
                       digest_alg, attrs, sig_alg, _der(0x04, signature))
    certs = b"".join([*decoys, signer.cert_der])
    signed_data = _seq(_der_int(1), _set(digest_alg), _seq(_der_oid(OID_DATA)),
                       _der(0xA0, certs), _set(signer_info))
    return _seq(_der_oid(OID_SIGNED_DATA), _der(0xA0, signed_data))


# -- v1 ------------------------------------------------------------------------------------
def v1_files(entries: dict[str, bytes], signer: TestSigner, *, digest: str = "sha256",
             apk_signed: str | None = "2", decoys: Sequence[bytes] = (),
             signed_attributes: bool = False) -> dict[str, bytes]:
    """MANIFEST.MF, CERT.SF and the signature block for ``entries``. ``apk_signed`` is the
    ``X-Android-APK-Signed`` value (the v2/v3 anti-stripping marker) or None."""
    attr = "SHA1-Digest" if digest == "sha1" else "SHA-256-Digest"

    def b64(data: bytes) -> str:
        return base64.b64encode(hashlib.new(digest, data).digest()).decode()

    main = b"Manifest-Version: 1.0\r\nCreated-By: traomay tests\r\n\r\n"
    mf, sf_sections = main, b""
    for name, data in entries.items():
        section = f"Name: {name}\r\n{attr}: {b64(data)}\r\n\r\n".encode()
        mf += section
        sf_sections += f"Name: {name}\r\n{attr}: {b64(section)}\r\n\r\n".encode()
    sf = (b"Signature-Version: 1.0\r\nCreated-By: traomay tests\r\n"
          + (f"X-Android-APK-Signed: {apk_signed}\r\n".encode() if apk_signed else b"")
          + f"{attr}-Manifest: {b64(mf)}\r\n".encode()
          + f"{attr}-Manifest-Main-Attributes: {b64(main)}\r\n\r\n".encode() + sf_sections)
    block = pkcs7_signature(sf, signer, digest, decoys, signed_attributes)
    return {"META-INF/MANIFEST.MF": mf, "META-INF/CERT.SF": sf,
            f"META-INF/CERT.{signer.kind}": block}


# -- v2 / v3 -------------------------------------------------------------------------------
def _lp(data: bytes) -> bytes:
    return struct.pack("<I", len(data)) + data


def _chunked_digest(sections: list[bytes], name: str = "sha256") -> bytes:
    chunks = []
    for section in sections:
        for pos in range(0, len(section), 1024 * 1024):
            piece = section[pos:pos + 1024 * 1024]
            chunks.append(hashlib.new(name, b"\xa5" + struct.pack("<I", len(piece)) + piece)
                          .digest())
    return hashlib.new(name, b"\x5a" + struct.pack("<I", len(chunks)) + b"".join(chunks)).digest()


VERITY_ALGORITHMS = (0x0421, 0x0423, 0x0425)
VERITY_PADDING_ID = 0x42726577  # apksig pads the block to whole 4 KiB pages with this pair


def _verity_digest(sections: list[bytes]) -> bytes:
    """Android 9 verity content digest (a SHA-256 Merkle tree over 4 KiB pages, 8 zero
    bytes of salt) followed by the data length, as apksig's VerityTreeBuilder computes it."""
    stream, salt, page = b"".join(sections), b"\0" * 8, 4096
    level = stream
    while True:
        digests = b"".join(hashlib.sha256(salt + level[i:i + page].ljust(page, b"\0")).digest()
                           for i in range(0, len(level), page))
        if len(digests) <= page:
            break
        level = digests
    return hashlib.sha256(salt + digests.ljust(page, b"\0")).digest() + struct.pack(
        "<q", len(stream))


@dataclass(frozen=True)
class SchemeSigner:
    """One signer of a v2/v3 block."""

    signer: TestSigner
    algorithms: tuple[int, ...] = ()  # () = the key's default algorithm
    min_sdk: int = 28  # v3 only
    max_sdk: int = 0x7FFFFFFF  # v3 only
    attributes: tuple[tuple[int, bytes], ...] = ()
    certs: tuple[bytes, ...] = ()  # () = just the signer's certificate
    key_der: bytes | None = None  # None = the signer's public key

    def block(self, sections: list[bytes], v3: bool) -> bytes:
        algs = self.algorithms or (self.signer.default_algorithm,)

        def content(alg: int) -> bytes:
            if alg in VERITY_ALGORITHMS:
                return _verity_digest(sections)
            return _chunked_digest(sections, "sha512" if alg in (0x0102, 0x0104, 0x0202)
                                   else "sha256")

        digests = b"".join(_lp(struct.pack("<I", a) + _lp(content(a))) for a in algs)
        sdk = struct.pack("<II", self.min_sdk, self.max_sdk) if v3 else b""
        certs = self.certs or (self.signer.cert_der,)
        attrs = b"".join(_lp(struct.pack("<I", i) + v) for i, v in self.attributes)
        signed = _lp(digests) + _lp(b"".join(_lp(c) for c in certs)) + sdk + _lp(attrs)
        sigs = b"".join(_lp(struct.pack("<I", a) + _lp(_sign(self.signer, signed, a)))
                        for a in algs)
        return (_lp(signed) + sdk + _lp(sigs)
                + _lp(self.key_der if self.key_der is not None else self.signer.public_key_der))


def lineage(*signers: TestSigner) -> bytes:
    """Proof-of-rotation attribute value: each key signs the next one's certificate."""
    nodes = []
    for i, signer in enumerate(signers):
        prev_alg = signers[i - 1].default_algorithm if i else 0
        signed = _lp(signer.cert_der) + struct.pack("<I", prev_alg)
        signature = _sign(signers[i - 1], signed, prev_alg) if i else b""
        next_alg = signer.default_algorithm if i + 1 < len(signers) else 0
        nodes.append(_lp(_lp(signed) + struct.pack("<II", 0x1F, next_alg) + _lp(signature)))
    return struct.pack("<I", 1) + b"".join(nodes)


V2_ID, V3_ID = 0x7109871A, 0xF05368C0


def _split_zip(data: bytes) -> tuple[bytes, bytes, bytearray]:
    eocd = data.rfind(b"PK\x05\x06")
    _, cd_offset = struct.unpack_from("<II", data, eocd + 12)
    return data[:cd_offset], data[cd_offset:eocd], bytearray(data[eocd:])


def signing_block(pairs: Sequence[tuple[int, bytes]]) -> bytes:
    body = b"".join(struct.pack("<QI", len(v) + 4, i) + v for i, v in pairs)
    size = len(body) + 8 + 16
    return struct.pack("<Q", size) + body + struct.pack("<Q", size) + b"APK Sig Block 42"


def scheme_pair(zip_bytes: bytes, signers: Sequence[SchemeSigner], v3: bool = False
                ) -> tuple[int, bytes]:
    """A v2 or v3 (id, value) pair over an UNSIGNED zip (no signing block yet)."""
    entries, cd, end = _split_zip(zip_bytes)
    sections = [entries, cd, bytes(end)]
    value = _lp(b"".join(_lp(s.block(sections, v3)) for s in signers))
    return (V3_ID if v3 else V2_ID), value


def insert_block(zip_bytes: bytes, pairs: Sequence[tuple[int, bytes]],
                 page_align: bool = False) -> bytes:
    """Put an APK Signing Block with ``pairs`` before the central directory (``page_align``:
    padded to whole 4 KiB pages, as verity signatures require)."""
    entries, cd, end = _split_zip(zip_bytes)
    block = signing_block(pairs)
    if page_align:
        pad = -(len(block) + 12) % 4096
        block = signing_block([*pairs, (VERITY_PADDING_ID, b"\0" * pad)])
    struct.pack_into("<I", end, 16, len(entries) + len(block))
    return entries + block + cd + bytes(end)


def sign_v2(zip_bytes: bytes, signer: TestSigner) -> bytes:
    """Insert an APK Signature Scheme v2 block (one signer) before the central directory."""
    return insert_block(zip_bytes, [scheme_pair(zip_bytes, [SchemeSigner(signer)])])


# -- binary AndroidManifest.xml ------------------------------------------------------------
def _string_pool(strings: list[str], utf8: bool) -> bytes:
    offsets, body = [], b""
    for s in strings:
        offsets.append(len(body))
        if utf8:
            raw = s.encode("utf-8")
            assert len(s) < 0x80 and len(raw) < 0x80, "factory keeps strings short"
            body += bytes([len(s), len(raw)]) + raw + b"\x00"
        else:
            body += struct.pack("<H", len(s)) + s.encode("utf-16-le") + b"\x00\x00"
    body += b"\x00" * (-len(body) % 4)
    header_size = 28
    strings_start = header_size + 4 * len(strings)
    size = strings_start + len(body)
    header = struct.pack("<HHIIIIII", 0x0001, header_size, size, len(strings), 0,
                         0x100 if utf8 else 0, strings_start, 0)
    return header + b"".join(struct.pack("<I", o) for o in offsets) + body


def axml_manifest(package: str, version_code: int, version_name: str, min_sdk: int | None,
                  target_sdk: int | None, split: str | None = None, utf8: bool = False) -> bytes:
    """Binary XML for <manifest package versionCode versionName split><uses-sdk/></manifest>."""
    strings = list(ATTR_IDS)  # resource-mapped names come first, as aapt writes them
    def idx(s: str) -> int:
        if s not in strings:
            strings.append(s)
        return strings.index(s)

    ns = idx(ANDROID_NS)
    prefix = idx("android")

    def attr(name: str, value: int | str, android: bool = True) -> bytes:
        if isinstance(value, str):
            raw, vtype, data = idx(value), TYPE_STRING, idx(value)
        else:
            raw, vtype, data = NO_INDEX, TYPE_INT_DEC, value & 0xFFFFFFFF
        return struct.pack("<IIIHBBI", ns if android else NO_INDEX, idx(name), raw, 8, 0,
                           vtype, data)

    def start(name: str, attrs: list[bytes]) -> bytes:
        body = struct.pack("<IIHHHHHH", NO_INDEX, idx(name), 20, 20, len(attrs), 0, 0, 0)
        body += b"".join(attrs)
        return struct.pack("<HHIII", 0x0102, 16, 16 + len(body), 1, NO_INDEX) + body

    def end(name: str) -> bytes:
        return struct.pack("<HHIIIII", 0x0103, 16, 24, 1, NO_INDEX, NO_INDEX, idx(name))

    manifest_attrs = [attr("versionCode", version_code), attr("versionName", version_name),
                      attr("package", package, android=False)]
    if split is not None:
        manifest_attrs.append(attr("split", split, android=False))
    sdk_attrs = []
    if min_sdk is not None:
        sdk_attrs.append(attr("minSdkVersion", min_sdk))
    if target_sdk is not None:
        sdk_attrs.append(attr("targetSdkVersion", target_sdk))
    body = struct.pack("<HHIIIII", 0x0100, 16, 24, 1, NO_INDEX, prefix, ns)
    body += start("manifest", manifest_attrs)
    body += start("uses-sdk", sdk_attrs) + end("uses-sdk")
    body += start("application", []) + end("application")
    body += end("manifest")
    body += struct.pack("<HHIIIII", 0x0101, 16, 24, 1, NO_INDEX, prefix, ns)
    res_map = struct.pack("<HHI", 0x0180, 8, 8 + 4 * len(ATTR_IDS))
    res_map += b"".join(struct.pack("<I", v) for v in ATTR_IDS.values())
    pool = _string_pool(strings, utf8)
    payload = pool + res_map + body
    return struct.pack("<HHI", 0x0003, 8, 8 + len(payload)) + payload


# -- APKs ----------------------------------------------------------------------------------
_DATE = (2024, 1, 1, 0, 0, 0)


def zip_bytes(entries: dict[str, bytes], stored: Sequence[str] = ()) -> bytes:
    """A deflated ZIP with fixed timestamps (same entries, same bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            kind = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            zf.writestr(zipfile.ZipInfo(name, _DATE), data, compress_type=kind)
    return buf.getvalue()


@dataclass(frozen=True)
class Signing:
    """How :func:`apk_bytes` signs, beyond the defaults."""

    v2_algorithms: tuple[int, ...] = ()
    v3: tuple[SchemeSigner, ...] = ()  # v3 signers (a v2 stripping marker is added)
    v1_digest: str | None = None  # None: SHA-256 from minSdk 18, else SHA-1
    v1_decoys: tuple[bytes, ...] = ()
    v1_signed_attributes: bool = False
    v1_apk_signed: str | None = None  # None: "2" (or "2, 3") when v2 (and v3) are present
    extra_pairs: tuple[tuple[int, bytes], ...] = field(default=())
    page_align: bool = False  # entries and block on 4 KiB pages (verity; no v1)


def apk_bytes(package: str = "com.vnid", version_code: int = 5, version_name: str = "1.0",
              min_sdk: int | None = 21, target_sdk: int | None = 30, abis: tuple[str, ...] = (),
              signer: TestSigner | None = KEY1, split: str | None = None, v1: bool | None = None,
              v2: bool = True, utf8: bool = False, filler: bytes = b"",
              signing: Signing = Signing()) -> bytes:
    """An APK; ``v1=None`` signs v1 exactly when Android 5-6 (minSdk < 24) may install it."""
    entries = {"AndroidManifest.xml": axml_manifest(package, version_code, version_name,
                                                    min_sdk, target_sdk, split, utf8)}
    if split is None:
        entries["classes.dex"] = b"dex\n035\x00" + filler
    for abi in abis:
        entries[f"lib/{abi}/libx.so"] = b"\x7fELF" + abi.encode()
    if v1 is None:
        v1 = (min_sdk or 1) < 24
    if signer is not None and v1:
        schemes = ["2"] if v2 else []
        schemes += ["3"] if signing.v3 else []
        apk_signed = signing.v1_apk_signed or (", ".join(schemes) or None)
        digest = signing.v1_digest or ("sha256" if (min_sdk or 1) >= 18 else "sha1")
        entries.update(v1_files(dict(entries), signer, digest=digest, apk_signed=apk_signed,
                                decoys=signing.v1_decoys,
                                signed_attributes=signing.v1_signed_attributes))
    data = zip_bytes(entries)
    if signing.page_align:  # a stored filler entry ends the entries on a 4 KiB boundary
        entries_end = _split_zip(data)[0]
        entries["assets/pad"] = b"\0" * (-(len(entries_end) + 30 + len("assets/pad")) % 4096)
        data = zip_bytes(entries, stored=("assets/pad",))
    if signer is None or not (v2 or signing.v3):
        return data
    pairs = []
    if v2:
        attrs = ((0xBEEFF00D, struct.pack("<I", 3)),) if signing.v3 else ()
        pairs.append(scheme_pair(data, [SchemeSigner(signer, signing.v2_algorithms,
                                                     attributes=attrs)]))
    if signing.v3:
        pairs.append(scheme_pair(data, signing.v3, v3=True))
    return insert_block(data, [*pairs, *signing.extra_pairs], signing.page_align)


def build_apk(tmp_path: Path, package: str = "com.vnid", version_code: int = 5,
              min_sdk: int | None = 21, abis: tuple[str, ...] = (),
              signer: TestSigner | None = KEY1, name: str | None = None, **kwargs) -> Path:
    """Write an APK under ``tmp_path`` and return its path (see :func:`apk_bytes`)."""
    data = apk_bytes(package=package, version_code=version_code, min_sdk=min_sdk, abis=abis,
                     signer=signer, **kwargs)
    split = kwargs.get("split")
    file_name = name or (f"{package}-{version_code}" + (f"-{split}" if split else "") + ".apk")
    path = Path(tmp_path) / file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# -- tampering (for tests: every helper is deterministic) ----------------------------------
def _block_span(data: bytes) -> tuple[int, int, int]:
    """(block start, central directory offset, end record offset) of a signed APK."""
    eocd = data.rfind(b"PK\x05\x06")
    _, cd_offset = struct.unpack_from("<II", data, eocd + 12)
    if data[cd_offset - 16:cd_offset] != b"APK Sig Block 42":
        return cd_offset, cd_offset, eocd
    (size,) = struct.unpack_from("<Q", data, cd_offset - 24)
    return cd_offset - size - 8, cd_offset, eocd


def block_pairs(data: bytes) -> list[tuple[int, bytes]]:
    start, cd_offset, _ = _block_span(data)
    pairs, off = [], start + 8
    while off < cd_offset - 24:
        (length,) = struct.unpack_from("<Q", data, off)
        pairs.append((struct.unpack_from("<I", data, off + 8)[0],
                      data[off + 12:off + 8 + length]))
        off += 8 + length
    return pairs


def strip_signing_block(data: bytes) -> bytes:
    """The APK without its APK Signing Block (v2/v3 signatures gone, v1 left)."""
    start, cd_offset, eocd = _block_span(data)
    end = bytearray(data[eocd:])
    struct.pack_into("<I", end, 16, start)
    return data[:start] + data[cd_offset:eocd] + bytes(end)


def replace_pairs(data: bytes, pairs: Sequence[tuple[int, bytes]]) -> bytes:
    return insert_block(strip_signing_block(data), pairs)


def tamper_entry_byte(data: bytes, name: str = "classes.dex") -> bytes:
    """Flip one byte in the middle of entry ``name``'s stored (compressed) data."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(name)
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    pos = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
    out = bytearray(data)
    out[pos] ^= 0x01
    return bytes(out)


def tamper_resign(data: bytes, signer: TestSigner) -> bytes:
    """Replace the v2/v3 signatures by ``signer``'s (what a re-packager does; v1 untouched)."""
    unsigned = strip_signing_block(data)
    ids = [i for i, _ in block_pairs(data)]
    pairs = [scheme_pair(unsigned, [SchemeSigner(signer)])]
    if V3_ID in ids:
        pairs.append(scheme_pair(unsigned, [SchemeSigner(signer)], v3=True))
    return insert_block(unsigned, pairs)


def tamper_forged_block(data: bytes, signer: TestSigner, before: bool) -> bytes:
    """Add a second, genuinely signed v2 pair by ``signer`` before or after the real ones."""
    pairs = block_pairs(data)
    forged = scheme_pair(strip_signing_block(data), [SchemeSigner(signer)])
    return replace_pairs(data, [forged, *pairs] if before else [*pairs, forged])


def _edit_first_signer(value: bytes, edit) -> bytes:
    (signers_len,) = struct.unpack_from("<I", value)
    signers = value[4:4 + signers_len]
    (first_len,) = struct.unpack_from("<I", signers)
    first = edit(signers[4:4 + first_len])
    rest = signers[4 + first_len:]
    return _lp(_lp(first) + rest)


def tamper_decoy_certificate(data: bytes, decoy: bytes) -> bytes:
    """Put ``decoy`` first in the certificate list of the first signer of each v2/v3 pair."""
    def edit(signer: bytes) -> bytes:
        (sd_len,) = struct.unpack_from("<I", signer)
        signed = signer[4:4 + sd_len]
        (d_len,) = struct.unpack_from("<I", signed)
        (c_len,) = struct.unpack_from("<I", signed, 4 + d_len)
        certs = signed[8 + d_len:8 + d_len + c_len]
        new_signed = (signed[:4 + d_len] + _lp(_lp(decoy) + certs)
                      + signed[8 + d_len + c_len:])
        return _lp(new_signed) + signer[4 + sd_len:]

    pairs = [(i, _edit_first_signer(v, edit) if i in (V2_ID, V3_ID) else v)
             for i, v in block_pairs(data)]
    return replace_pairs(data, pairs)


def tamper_relabel_algorithm(data: bytes, new_id: int) -> bytes:
    """Change the algorithm id of the first signature of each v2/v3 pair's first signer
    (only the unsigned signatures record: the signed data keeps the true id)."""
    def edit_for(v3: bool):
        def edit(signer: bytes) -> bytes:
            (sd_len,) = struct.unpack_from("<I", signer)
            off = 4 + sd_len + (8 if v3 else 0)
            (sigs_len,) = struct.unpack_from("<I", signer, off)
            sigs = bytearray(signer[off + 4:off + 4 + sigs_len])
            struct.pack_into("<I", sigs, 4, new_id)  # first record: uint32 len, uint32 id
            return signer[:off + 4] + bytes(sigs) + signer[off + 4 + sigs_len:]
        return edit

    pairs = [(i, _edit_first_signer(v, edit_for(i == V3_ID)) if i in (V2_ID, V3_ID) else v)
             for i, v in block_pairs(data)]
    return replace_pairs(data, pairs)
