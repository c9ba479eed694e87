"""Build small, valid APKs in Python for tests and the demo (the real government APKs are
not public; the district supplies them). Demo APKs are stand-ins, never the real apps.

An APK here is a ZIP with a binary AndroidManifest.xml (written below from the AXML format),
a dummy classes.dex, optional ``lib/<abi>/libx.so`` entries, optional v1 JAR signature
(META-INF/MANIFEST.MF, CERT.SF, CERT.RSA) and an APK Signature Scheme v2 block signed with
RSA PKCS#1 v1.5 / SHA-256 (algorithm 0x0103) over a self-signed certificate made with
``cryptography``.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

ANDROID_NS = "http://schemas.android.com/apk/res/android"
NO_INDEX = 0xFFFFFFFF
TYPE_STRING, TYPE_INT_DEC = 0x03, 0x10
ATTR_IDS = {"versionCode": 0x0101021B, "versionName": 0x0101021C,
            "minSdkVersion": 0x0101020C, "targetSdkVersion": 0x01010270}


@dataclass(frozen=True)
class TestSigner:
    key: rsa.RSAPrivateKey
    cert_der: bytes

    @property
    def cert_sha256(self) -> str:
        return hashlib.sha256(self.cert_der).hexdigest()

    @property
    def public_key_der(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def make_signer(common_name: str) -> TestSigner:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=9000))
            .sign(key, hashes.SHA256()))
    return TestSigner(key, cert.public_bytes(serialization.Encoding.DER))


KEY1 = make_signer("traomay test publisher 1")
KEY2 = make_signer("traomay test publisher 2")


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


# -- signing -------------------------------------------------------------------------------
def _lp(data: bytes) -> bytes:
    return struct.pack("<I", len(data)) + data


def _v1_files(entries: dict[str, bytes], signer: TestSigner) -> dict[str, bytes]:
    mf = b"Manifest-Version: 1.0\r\nCreated-By: traomay tests\r\n\r\n"
    sf_sections = b""
    for name, data in entries.items():
        section = (f"Name: {name}\r\nSHA-256-Digest: "
                   f"{base64.b64encode(hashlib.sha256(data).digest()).decode()}\r\n\r\n").encode()
        mf += section
        sf_sections += (f"Name: {name}\r\nSHA-256-Digest: "
                        f"{base64.b64encode(hashlib.sha256(section).digest()).decode()}"
                        "\r\n\r\n").encode()
    sf = (b"Signature-Version: 1.0\r\nCreated-By: traomay tests\r\nX-Android-APK-Signed: 2\r\n"
          b"SHA-256-Digest-Manifest: " + base64.b64encode(hashlib.sha256(mf).digest())
          + b"\r\n\r\n" + sf_sections)
    cert = x509.load_der_x509_certificate(signer.cert_der)
    rsa_blob = (pkcs7.PKCS7SignatureBuilder().set_data(sf).add_signer(cert, signer.key,
                hashes.SHA256()).sign(serialization.Encoding.DER,
                                      [pkcs7.PKCS7Options.DetachedSignature]))
    return {"META-INF/MANIFEST.MF": mf, "META-INF/CERT.SF": sf, "META-INF/CERT.RSA": rsa_blob}


def _chunked_digest(sections: list[bytes]) -> bytes:
    chunks = []
    for section in sections:
        for pos in range(0, len(section), 1024 * 1024):
            piece = section[pos:pos + 1024 * 1024]
            chunks.append(hashlib.sha256(b"\xa5" + struct.pack("<I", len(piece)) + piece)
                          .digest())
    return hashlib.sha256(b"\x5a" + struct.pack("<I", len(chunks)) + b"".join(chunks)).digest()


def sign_v2(zip_bytes: bytes, signer: TestSigner) -> bytes:
    """Insert an APK Signature Scheme v2 block before the central directory."""
    eocd = zip_bytes.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack_from("<II", zip_bytes, eocd + 12)
    entries, cd, end = zip_bytes[:cd_offset], zip_bytes[cd_offset:eocd], zip_bytes[eocd:]
    digest = _chunked_digest([entries, cd, end])  # end record already points at the block
    signed_data = (_lp(_lp(struct.pack("<I", 0x0103) + _lp(digest)))
                   + _lp(_lp(signer.cert_der)) + _lp(b""))
    signature = signer.key.sign(signed_data, padding.PKCS1v15(), hashes.SHA256())
    signer_blob = (_lp(signed_data) + _lp(_lp(struct.pack("<I", 0x0103) + _lp(signature)))
                   + _lp(signer.public_key_der))
    value = _lp(_lp(signer_blob))
    pairs = struct.pack("<QI", len(value) + 4, 0x7109871A) + value
    size = len(pairs) + 8 + 16
    block = struct.pack("<Q", size) + pairs + struct.pack("<Q", size) + b"APK Sig Block 42"
    new_end = bytearray(end)
    struct.pack_into("<I", new_end, 16, cd_offset + len(block))
    return entries + block + cd + bytes(new_end)


# -- APKs ----------------------------------------------------------------------------------
def apk_bytes(package: str = "com.vnid", version_code: int = 5, version_name: str = "1.0",
              min_sdk: int | None = 21, target_sdk: int | None = 30, abis: tuple[str, ...] = (),
              signer: TestSigner | None = KEY1, split: str | None = None, v1: bool = False,
              v2: bool = True, utf8: bool = False, filler: bytes = b"") -> bytes:
    entries = {"AndroidManifest.xml": axml_manifest(package, version_code, version_name,
                                                    min_sdk, target_sdk, split, utf8)}
    if split is None:
        entries["classes.dex"] = b"dex\n035\x00" + filler
    for abi in abis:
        entries[f"lib/{abi}/libx.so"] = b"\x7fELF" + abi.encode()
    if v1 and signer is not None:
        entries.update(_v1_files(dict(entries), signer))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    data = buf.getvalue()
    if v2 and signer is not None:
        data = sign_v2(data, signer)
    return data


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
