"""read_apk on APKs built by provision/apkfactory.py, tampered copies, and garbage."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from traomay.apps.apk import read_apk
from traomay.core.errors import BadInputError
from traomay.demo.apkfactory import KEY1, KEY2, apk_bytes, build_apk


def test_v2_only(tmp_path):
    # minSdk 24: Android 7+ only, so no v1 (JAR) signature is needed
    info = read_apk(build_apk(tmp_path, package="com.vnid", version_code=7, min_sdk=24))
    assert (info.package, info.version_code, info.min_sdk, info.target_sdk) == (
        "com.vnid", 7, 24, 30)
    assert info.version_name == "1.0"
    assert info.abis == () and info.split_name is None
    assert info.signature_scheme == "v2" and info.signature_verified
    assert info.signature_schemes == ("v2",)
    assert info.signer_sha256 == KEY1.cert_sha256
    assert info.size == info.path.stat().st_size


def test_v1_and_v2_agree_on_signer(tmp_path):
    both = read_apk(build_apk(tmp_path, name="both.apk", v1=True))
    # targetSdk 29: a v1-only APK targeting Android 11 (30) would be refused
    v1_only = read_apk(build_apk(tmp_path, name="v1.apk", v1=True, v2=False, target_sdk=29))
    assert both.signature_scheme == "v2" and both.signature_schemes == ("v1", "v2")
    assert v1_only.signature_scheme == "v1" and v1_only.signature_verified
    assert both.signer_sha256 == v1_only.signer_sha256 == KEY1.cert_sha256


def test_other_key_gives_other_signer(tmp_path):
    info = read_apk(build_apk(tmp_path, signer=KEY2))
    assert info.signer_sha256 == KEY2.cert_sha256 != KEY1.cert_sha256


def test_abis_from_lib_entries(tmp_path):
    info = read_apk(build_apk(tmp_path, abis=("armeabi-v7a", "arm64-v8a")))
    assert info.abis == ("arm64-v8a", "armeabi-v7a")


def test_split_apk(tmp_path):
    info = read_apk(build_apk(tmp_path, split="config.arm64_v8a", abis=("arm64-v8a",)))
    assert info.split_name == "config.arm64_v8a" and info.is_split
    assert info.abis == ("arm64-v8a",)


def test_utf8_string_pool_and_big_version(tmp_path):
    info = read_apk(build_apk(tmp_path, utf8=True, version_code=2_100_110, min_sdk=23))
    assert (info.version_code, info.min_sdk) == (2_100_110, 23)


def test_no_uses_sdk_defaults_to_1(tmp_path):
    info = read_apk(build_apk(tmp_path, min_sdk=None, target_sdk=None))
    assert info.min_sdk == 1 and info.target_sdk == 1


def test_changed_byte_is_detected(tmp_path):
    data = bytearray(apk_bytes(filler=b"\x00" * 4000))
    data[200] ^= 0xFF  # inside the zip entries, covered by the v2 digest
    path = tmp_path / "tampered.apk"
    path.write_bytes(bytes(data))
    with pytest.raises(BadInputError) as err:
        read_apk(path)
    assert err.value.message.args["file"] == str(path)


def test_resigned_signature_swapped_is_detected(tmp_path):
    # Put KEY2's public key where KEY1's was (in the signer record and inside the
    # certificate): key and certificate agree, but KEY1's RSA signature no longer verifies.
    good = apk_bytes(signer=KEY1)
    other = apk_bytes(signer=KEY2)
    swapped = good.replace(KEY1.public_key_der, KEY2.public_key_der)
    assert swapped != good and other != good
    path = tmp_path / "swapped.apk"
    path.write_bytes(swapped)
    with pytest.raises(BadInputError, match="changed after it was signed"):
        read_apk(path)


def test_unsigned(tmp_path):
    path = tmp_path / "unsigned.apk"
    path.write_bytes(apk_bytes(signer=None))
    with pytest.raises(BadInputError, match="not signed"):
        read_apk(path)


def test_not_an_apk(tmp_path):
    path = tmp_path / "notes.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hello")
    path.write_bytes(buf.getvalue())
    with pytest.raises(BadInputError, match="no AndroidManifest.xml"):
        read_apk(path)
    with pytest.raises(BadInputError, match="Cannot read"):
        read_apk(tmp_path / "missing.apk")


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=4000))
def test_random_bytes_raise_only_bad_input(tmp_path, blob):
    path = tmp_path / "garbage.apk"
    path.write_bytes(blob)
    with pytest.raises(BadInputError):
        read_apk(path)


_VALID = apk_bytes(v1=True, abis=("x86",))


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)),
                min_size=1, max_size=8))
def test_mutated_apk_never_crashes(tmp_path, edits):
    data = bytearray(_VALID)
    for pos, value in edits:
        data[pos] = value
    path = tmp_path / "mutated.apk"
    path.write_bytes(bytes(data))
    try:
        read_apk(path)
    except BadInputError:
        pass


@settings(max_examples=300)
@given(st.binary(min_size=0, max_size=600))
def test_garbage_manifest_inside_valid_zip(blob):
    from traomay.apps.apk import _manifest_fields, _Problem
    from traomay.apps.axml import AxmlError, parse_elements

    try:
        _manifest_fields(parse_elements(b"\x03\x00\x08\x00" + blob))
    except (AxmlError, _Problem):
        pass
