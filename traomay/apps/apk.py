"""What an APK file says about itself: package, versions, minimum Android, native ABIs, signer.

The binary manifest is read by :mod:`traomay.apps.axml`; signatures are VERIFIED by
:mod:`traomay.apps.signing` for every Android from the APK's minSdkVersion up (an APK that
some phone in that range would refuse is refused here). Every problem, including plain
garbage, becomes a :class:`~traomay.core.errors.BadInputError` naming the file.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from traomay.apps.axml import AxmlError, Element, parse_elements
from traomay.apps.signing import SignatureError, verify_apk, zip_entries
from traomay.core.errors import BadInputError
from traomay.core.msg import Msg

# android:* attribute resource ids (frameworks/base core/res/res/values/public.xml)
ATTR_VERSION_CODE = 0x0101021B
ATTR_VERSION_NAME = 0x0101021C
ATTR_MIN_SDK = 0x0101020C
ATTR_TARGET_SDK = 0x01010270
ATTR_VERSION_CODE_MAJOR = 0x01010576  # Android 9+: versionCode becomes (major << 32) | code
ATTR_TARGET_SANDBOX = 0x0101054C  # Android 8+: targetSandboxVersion 2 needs v2 signing

# Android's "current development" SDK: a preview codename (minSdkVersion="Q") means the APK
# only installs on that preview build.
CUR_DEVELOPMENT = 10000
MAX_MANIFEST_BYTES = 8 * 1024 * 1024
PACKAGE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$")
_LIB_ENTRY = re.compile(r"^lib/([^/]+)/[^/]+\.so$")


@dataclass(frozen=True)
class ApkInfo:
    path: Path
    package: str
    version_code: int
    version_name: str
    min_sdk: int
    target_sdk: int
    abis: tuple[str, ...]  # from lib/<abi>/*.so; empty = runs on any processor
    signer_sha256: str  # lowercase hex SHA-256 of the signer certificate (DER); newest key
    split_name: str | None  # None for a base APK, e.g. "config.arm64_v8a" for a split
    file_sha256: str
    size: int
    signature_scheme: str  # newest verified scheme: "v3.1", "v3", "v2" or "v1"
    signature_verified: bool  # always True: read_apk refuses what does not verify
    signature_schemes: tuple[str, ...] = ()  # every verified scheme, e.g. ("v1", "v2")
    signer_lineage: tuple[str, ...] = ()  # v3 key rotation: SHA-256 of each key, oldest first

    @property
    def is_split(self) -> bool:
        return self.split_name is not None


class _Problem(Exception):
    """Internal: a description of what is wrong, turned into BadInputError by read_apk."""

    def __init__(self, kind: str, text: str = "") -> None:
        super().__init__(text or kind)
        self.kind = kind
        self.text = text


def _bad(path: Path, problem: _Problem) -> BadInputError:
    args = {"file": str(path), "problem": problem.text}
    if problem.kind == "unreadable":
        msg = Msg("Cannot read the APK file {file}.", args)
    elif problem.kind == "not_zip":
        msg = Msg("{file} is not an APK file (it is not a ZIP archive).", args)
    elif problem.kind == "no_manifest":
        msg = Msg("{file} has no AndroidManifest.xml, so it is not an APK file.", args)
    elif problem.kind == "unsigned":
        msg = Msg("The APK file {file} is not signed. Ask the district for the official file.",
                  args)
    elif problem.kind == "tampered":
        msg = Msg("The APK file {file} was changed after it was signed ({problem}). "
                  "Ask the district for a fresh copy.", args)
    elif problem.kind == "rejected":
        msg = Msg("Android phones would refuse the signature of the APK file {file} "
                  "({problem}). Ask the district for the official file.", args)
    elif problem.kind == "unsupported":
        msg = Msg("traomay cannot verify the signature of the APK file {file} ({problem}). "
                  "Ask the district for the official file.", args)
    else:
        msg = Msg("The APK file {file} is damaged ({problem}). Ask the district for a fresh "
                  "copy.", args)
    return BadInputError(msg, detail=problem.text)


def read_apk(path: str | Path) -> ApkInfo:
    """Read and check one APK (base or split). Raises only BadInputError."""
    path = Path(path)
    try:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise _Problem("unreadable", exc.strerror or type(exc).__name__) from exc
        return _read(path, data)
    except _Problem as problem:
        raise _bad(path, problem) from None
    except (SignatureError, AxmlError) as exc:
        raise _bad(path, _Problem("damaged", str(exc))) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError,
            RuntimeError, ValueError, struct.error, KeyError, IndexError, OverflowError,
            UnicodeError, OSError) as exc:
        # zipfile raises many kinds on corrupt archives (bad CRC, unknown compression, ...)
        raise _bad(path, _Problem("damaged", f"{type(exc).__name__}: {exc}"[:200])) from None


def read_apk_cached(path: str | Path) -> ApkInfo:
    """:func:`read_apk`, remembered while the file stays the same (same inode, size, and
    modification and change times): a station installing on dozens of phones at once reads
    and verifies each APK once, not once per phone (0.14 s of CPU per 12 MB file, under
    the GIL). Any write to the file changes its change time, so it is read again; errors
    are never remembered."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        return read_apk(path)  # the usual "unreadable" error
    info = _read_apk_keyed(str(path.resolve()), st.st_dev, st.st_ino, st.st_size,
                           st.st_mtime_ns, st.st_ctime_ns)
    if info.size != st.st_size:  # the file changed while it was read: forget it
        _read_apk_keyed.cache_clear()
        return read_apk(path)
    return info


@functools.lru_cache(maxsize=64)
def _read_apk_keyed(path: str, dev: int, ino: int, size: int, mtime_ns: int,
                    ctime_ns: int) -> ApkInfo:
    return read_apk(path)


def _find_eocd(data: bytes) -> int:
    """Offset of the ZIP end-of-central-directory record (comment up to 64 KiB)."""
    start = max(0, len(data) - 22 - 0xFFFF)
    pos = data.rfind(b"PK\x05\x06", start)
    while pos >= 0:
        if pos + 22 <= len(data):
            (comment_len,) = struct.unpack_from("<H", data, pos + 20)
            if pos + 22 + comment_len == len(data):
                return pos
        pos = data.rfind(b"PK\x05\x06", start, pos)
    raise _Problem("not_zip")


def _read(path: Path, data: bytes) -> ApkInfo:
    eocd = _find_eocd(data)
    cd_size, cd_offset = struct.unpack_from("<II", data, eocd + 12)
    if cd_offset + cd_size != eocd:
        raise _Problem("damaged", "central directory is not where the end record says")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        if "AndroidManifest.xml" not in names:
            raise _Problem("no_manifest")
        info = archive.getinfo("AndroidManifest.xml")
        if info.file_size > MAX_MANIFEST_BYTES:
            raise _Problem("damaged", "AndroidManifest.xml is implausibly large")
        try:
            fields = _manifest_fields(parse_elements(archive.read(info)))
        except (AxmlError, _Problem, zipfile.BadZipFile, zlib.error, EOFError, ValueError):
            _raise_if_changed_after_signing(data, cd_offset, eocd, archive)
            raise
        # Which signatures the phones check depends on minSdk/targetSdk, so the manifest is
        # read first; nothing from an APK is trusted until verify_apk returns.
        try:
            verified = verify_apk(data, cd_offset, eocd, zip_entries(archive),
                                  min_sdk=fields["min_sdk"], target_sdk=fields["target_sdk"],
                                  target_sandbox=fields.pop("target_sandbox"))
        except SignatureError as exc:
            raise _Problem(exc.kind, str(exc)) from None
    abis = sorted({m.group(1) for n in names if (m := _LIB_ENTRY.match(n))})
    return ApkInfo(
        path=path,
        signer_sha256=verified.signer_sha256,
        abis=tuple(abis),
        file_sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        signature_scheme=verified.scheme,
        signature_verified=True,
        signature_schemes=verified.schemes,
        signer_lineage=verified.lineage_sha256,
        **fields,
    )


def _raise_if_changed_after_signing(data: bytes, cd_offset: int, eocd: int,
                                    archive: zipfile.ZipFile) -> None:
    """An unreadable manifest in a signed APK most likely means the file was changed after
    signing (Android checks signatures before it parses anything): say so when the v2/v3
    (or, without those, v1) digests disagree with the file."""
    try:
        verify_apk(data, cd_offset, eocd, zip_entries(archive), min_sdk=24, target_sdk=1)
    except SignatureError as exc:
        if exc.kind == "tampered":
            raise _Problem("tampered", str(exc)) from None
    except Exception:  # noqa: BLE001 - only a hint; the original problem is reported
        pass


def _manifest_fields(elements: list[Element]) -> dict:
    if not elements or elements[0].name != "manifest":
        raise _Problem("damaged", "AndroidManifest.xml does not start with <manifest>")
    root = elements[0]
    package_attr = root.find("package")
    package = (package_attr.as_text() if package_attr else None) or ""
    if not PACKAGE_RE.match(package) or len(package) > 255:
        raise _Problem("damaged", "the manifest has no valid package name")
    code_attr = root.find("versionCode", ATTR_VERSION_CODE)
    major_attr = root.find("versionCodeMajor", ATTR_VERSION_CODE_MAJOR)
    code = code_attr.as_int() if code_attr else 0  # absent = 0, as PackageParser does
    major = major_attr.as_int() if major_attr else 0
    if code is None or major is None:
        raise _Problem("damaged", "versionCode is not a number")
    name_attr = root.find("versionName", ATTR_VERSION_NAME)
    split_attr = root.find("split")
    sandbox_attr = root.find("targetSandboxVersion", ATTR_TARGET_SANDBOX)
    min_sdk, target_sdk = 1, None  # no <uses-sdk>: minSdkVersion defaults to 1
    uses_sdk = next((e for e in elements if e.name == "uses-sdk" and e.depth == 2), None)
    if uses_sdk is not None:
        min_sdk = _sdk(uses_sdk.find("minSdkVersion", ATTR_MIN_SDK), 1)
        target_sdk = _sdk(uses_sdk.find("targetSdkVersion", ATTR_TARGET_SDK), min_sdk)
    return {
        "package": package,
        "version_code": ((major & 0xFFFFFFFF) << 32) | (code & 0xFFFFFFFF),
        "version_name": (name_attr.as_text() if name_attr else None) or "",
        "min_sdk": min_sdk,
        "target_sdk": target_sdk if target_sdk is not None else min_sdk,
        "split_name": (split_attr.as_text() if split_attr else None) or None,
        "target_sandbox": (sandbox_attr.as_int() if sandbox_attr else None) or 1,
    }


def _sdk(attr, default: int) -> int:
    if attr is None:
        return default
    value = attr.as_int()
    if value is not None:
        return value
    text = attr.as_text() or ""
    return CUR_DEVELOPMENT if text[:1].isalpha() else default  # preview codename
