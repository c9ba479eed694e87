"""The APKs the signature tests judge, and what Google's tools said about each.

- REAL APKs ship inside pinned packages on PyPI and npm; ``scripts/fetch_real_apks.py``
  downloads them (SHA-256 checked) into the git-ignored ``tests/.real-apks/``.
- TAMPERINGS turn a real APK into a broken copy, deterministically (fixed test keys in
  ``tests/fixtures/apksigner/keys/``, RSA PKCS#1 v1.5 signatures), so the copy the tests
  make is byte-identical to the one apksigner judged (its SHA-256 is in the fixture).
- FACTORY cases are small APKs made by :mod:`traomay.demo.apkfactory` (EC, DSA, RSA-PSS,
  v1-only, v3 key rotation, stripped signatures, ...), judged the same way.

Fixtures (``tests/fixtures/apksigner/<group>/<name>.txt``) hold the real output of
``apksigner verify -v --print-certs`` (WARNING lines dropped) and, for the real APKs, the
``aapt dump badging`` lines for package, SDK versions and native code. They are written by
``scripts/fetch_real_apks.py --record`` on a machine with Debian's apksigner and aapt, so CI
needs no Java.
"""

from __future__ import annotations

import functools
import hashlib
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from traomay.demo import apkfactory as f

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / "tests" / ".real-apks"
FIXTURES = REPO / "tests" / "fixtures" / "apksigner"


@dataclass(frozen=True)
class Archive:
    """One pinned registry package and the APKs inside it (archive path -> cache name)."""

    registry: str  # "pypi" or "npm"
    package: str
    version: str
    file: str
    sha256: str
    members: tuple[tuple[str, str], ...]


ARCHIVES = (
    Archive("pypi", "uiautomator2", "3.7.1", "uiautomator2-3.7.1-py3-none-any.whl",
            "55ccc16f7c52d3035dbc14e1400524e76510dc353f9fc4a0bfa85bf58c51cc67",
            (("uiautomator2/assets/app-uiautomator.apk", "app-uiautomator.apk"),)),
    Archive("pypi", "airtest", "1.4.3", "airtest-1.4.3.tar.gz",
            "6208e83ca8d3618e32b8eee23b3e857a0077cd59accf158dd567a81df2a3b84c",
            (("airtest-1.4.3/airtest/core/android/static/apks/Yosemite.apk", "Yosemite.apk"),)),
    Archive("pypi", "pocoui", "1.0.94", "pocoui-1.0.94.tar.gz",
            "fddca24dcf8938e16f041ec8af93d42acd032c25d1d87bd53f62daaf2a4928ce",
            (("pocoui-1.0.94/poco/drivers/android/lib/pocoservice-debug.apk",
              "pocoservice-debug.apk"),)),
    Archive("npm", "appium-uiautomator2-server", "10.6.6",
            "appium-uiautomator2-server-10.6.6.tgz",
            "c0ddd247106d51d41749ae3aeb1818df18f46735020ae464f525d016e96f2fe9",
            (("package/apks/appium-uiautomator2-server-v10.6.6.apk",
              "appium-uiautomator2-server-v10.6.6.apk"),
             ("package/apks/appium-uiautomator2-server-debug-androidTest.apk",
              "appium-uiautomator2-server-debug-androidTest.apk"))),
    Archive("npm", "io.appium.settings", "8.0.10", "io.appium.settings-8.0.10.tgz",
            "1903bba3c16b387af259c79bd7eac26e905b5b7b016702aa25644fe673ff0b2d",
            (("package/apks/settings_apk-debug.apk", "settings_apk-debug.apk"),)),
)
REAL_APKS = tuple(name for a in ARCHIVES for _, name in a.members)


@functools.cache
def signer(name: str) -> f.TestSigner:
    """A fixed test signer (key + certificate kept in the fixtures folder)."""
    return f.signer_from_pem((FIXTURES / "keys" / f"{name}.pem").read_bytes())


def _first_dex(data: bytes) -> str:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return next(n for n in zf.namelist() if n.endswith(".dex"))


# What an attacker or a broken download does to a genuine APK.
TAMPERINGS: dict[str, Callable[[bytes], bytes]] = {
    "dex-byte-changed": lambda d: f.tamper_entry_byte(d, _first_dex(d)),
    "signing-block-stripped": f.strip_signing_block,
    "resigned-other-key": lambda d: f.tamper_resign(d, signer("rsa-b")),
    "forged-block-after": lambda d: f.tamper_forged_block(d, signer("rsa-b"), before=False),
    "forged-block-before": lambda d: f.tamper_forged_block(d, signer("rsa-b"), before=True),
    "decoy-certificate": lambda d: f.tamper_decoy_certificate(d, signer("rsa-b").cert_der),
    "algorithm-relabelled": lambda d: f.tamper_relabel_algorithm(d, 0x0201),
}


def _factory() -> dict[str, Callable[[], bytes]]:
    a, b, ec, dsa = signer("rsa-a"), signer("rsa-b"), signer("ec-p256"), signer("dsa-2048")
    rotation = f.SchemeSigner(b, min_sdk=28, attributes=(
        (0x3BA06F8C, f.lineage(a, b)),))

    def apk(**kw) -> bytes:
        kw.setdefault("signer", a)
        return f.apk_bytes(package="org.traomay.fixture", **kw)

    def forged_first() -> bytes:
        genuine = apk(min_sdk=24)
        return f.tamper_forged_block(genuine, b, before=True)

    return {
        "rsa-v1v2-min21": lambda: apk(),
        "rsa-v2only-min21": lambda: apk(v1=False),
        "rsa-v2only-min24": lambda: apk(min_sdk=24),
        "rsa-v1only-target29": lambda: apk(v2=False, target_sdk=29),
        "rsa-v1only-target30": lambda: apk(v2=False, target_sdk=30),
        "rsa-v1-sha1-min15": lambda: apk(min_sdk=15, target_sdk=29),
        "rsa-v1-signed-attributes": lambda: apk(signing=f.Signing(v1_signed_attributes=True)),
        "rsa-v1only-decoy-certificate": lambda: apk(
            v2=False, target_sdk=29, signing=f.Signing(v1_decoys=(b.cert_der,))),
        "rsa-v1v2-v2-stripped": lambda: f.strip_signing_block(apk()),
        "rsa-v1-by-other-key-than-v2": lambda: f.tamper_resign(apk(), b),
        "rsa-sha512": lambda: apk(signing=f.Signing(v2_algorithms=(0x0104,))),
        "rsa-sha256-and-sha512": lambda: apk(signing=f.Signing(v2_algorithms=(0x0103, 0x0104))),
        "rsa-pss-sha256-min24": lambda: apk(min_sdk=24,
                                            signing=f.Signing(v2_algorithms=(0x0101,))),
        "ec-v1v2-min21": lambda: apk(signer=ec),
        "ec-sha512-min24": lambda: apk(signer=ec, min_sdk=24,
                                       signing=f.Signing(v2_algorithms=(0x0202,))),
        "ec-key-under-rsa-id": lambda: apk(signer=ec, min_sdk=24,
                                           signing=f.Signing(v2_algorithms=(0x0103,))),
        "dsa-v2-min24": lambda: apk(signer=dsa, min_sdk=24),
        "rsa-verity-min28": lambda: apk(min_sdk=28, signing=f.Signing(
            v2_algorithms=(0x0103, 0x0421), page_align=True)),
        "ec-verity-only-min28": lambda: apk(signer=ec, min_sdk=28, signing=f.Signing(
            v2_algorithms=(0x0423,), page_align=True)),
        "rsa-verity-not-aligned": lambda: apk(min_sdk=28, signing=f.Signing(
            v2_algorithms=(0x0103, 0x0421))),
        "v3-same-key": lambda: apk(min_sdk=24, signing=f.Signing(v3=(f.SchemeSigner(a),))),
        "v3-rotation-a-to-b": lambda: apk(min_sdk=24, signing=f.Signing(v3=(rotation,))),
        "v3-rotation-v3-stripped": lambda: f.replace_pairs(
            apk(min_sdk=24, signing=f.Signing(v3=(rotation,))),
            [p for p in f.block_pairs(apk(min_sdk=24, signing=f.Signing(v3=(rotation,))))
             if p[0] != f.V3_ID]),
        "v3-signer-unrelated-to-v2": lambda: apk(min_sdk=24, signing=f.Signing(
            v3=(f.SchemeSigner(b),))),
        "v3-range-gap": lambda: apk(min_sdk=28, v2=False, signing=f.Signing(
            v3=(f.SchemeSigner(a, min_sdk=30),))),
        "v2-forged-block-first": forged_first,
        "v2-duplicate-pair-genuine-first": lambda: f.replace_pairs(
            apk(min_sdk=24), [*f.block_pairs(apk(min_sdk=24)),
                              *f.block_pairs(f.tamper_resign(apk(min_sdk=24), b))]),
    }


FACTORY: dict[str, Callable[[], bytes]] = _factory()


# -- fixtures ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Judgement:
    """What the fixture says Google's tools reported for one file."""

    file_sha256: str
    verifies: bool
    signer_sha256: str | None
    signers: int
    errors: tuple[str, ...]
    badging: dict[str, str]

    @property
    def verdict(self) -> str:
        return "verifies" if self.verifies else "refused"


def fixture_path(group: str, name: str) -> Path:
    return FIXTURES / group / f"{name}.txt"


def read_fixture(path: Path) -> Judgement:
    text = path.read_text(encoding="utf-8")
    sha = re.search(r"^# sha256: ([0-9a-f]{64})$", text, re.M)
    exit_code = re.search(r"^# exit: (\d+)$", text, re.M)
    signer_match = re.search(r"^Signer #1 certificate SHA-256 digest: ([0-9a-f]{64})$", text,
                             re.M)
    count = re.search(r"^Number of signers: (\d+)$", text, re.M)
    verifies = bool(exit_code and exit_code.group(1) == "0"
                    and re.search(r"^Verifies$", text, re.M))
    badging = {}
    for key, pattern in (("package", r"^package: name='([^']*)'"),
                         ("versionCode", r"^package: .*versionCode='([^']*)'"),
                         ("sdkVersion", r"^sdkVersion:'([^']*)'"),
                         ("targetSdkVersion", r"^targetSdkVersion:'([^']*)'"),
                         ("native-code", r"^native-code: (.*)$")):
        found = re.search(pattern, text, re.M)
        if found:
            badging[key] = found.group(1)
    return Judgement(
        file_sha256=sha.group(1) if sha else "",
        verifies=verifies,
        signer_sha256=signer_match.group(1) if signer_match else None,
        signers=int(count.group(1)) if count else 0,
        errors=tuple(re.findall(r"^ERROR: (.*)$", text, re.M)),
        badging=badging)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_signed_block(data: bytes) -> bool:
    eocd = data.rfind(b"PK\x05\x06")
    _, cd_offset = struct.unpack_from("<II", data, eocd + 12)
    return data[cd_offset - 16:cd_offset] == b"APK Sig Block 42"
