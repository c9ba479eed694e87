"""apk_manifest.yaml: strict loading, pin round-trip, file checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from traomay.apps.manifest import FileStatus, check, load_manifest, pin, read_app_apks
from traomay.core.campaign import TEMPLATES
from traomay.core.errors import BadInputError
from traomay.demo.apkfactory import KEY1, KEY2, apk_bytes, build_apk

REPO = Path(__file__).resolve().parents[2]

GOOD_ENTRY = """\
  - name: "VNeID"
    package: "com.vnid"
    required: true
    version_code: 5
    min_sdk: 21
    abis: []
    signer_sha256: ""
    files: []
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "apk_manifest.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_manifest_loads():
    manifest = load_manifest(TEMPLATES / "apk_manifest.yaml")
    vneid = manifest.find("com.vnid")
    assert vneid is not None and vneid.min_sdk == 21 and vneid.required
    bds = manifest.find("Bình Dương Số")
    assert bds is not None and bds.package == "" and not bds.pinned
    assert [row.status for row in check(manifest)] == [FileStatus.NOT_PINNED] * 2


@pytest.mark.parametrize(("entry_line", "key"), [
    ("    min_sdk: \"twenty\"\n", "min_sdk"),
    ("    min_sdk: 0\n", "min_sdk"),
    ("    required: maybe\n", "required"),
    ("    packge: com.x\n", "packge"),
    ("    abis: [arm128]\n", "abis"),
    ("    signer_sha256: ABC\n", "signer_sha256"),
    ("    files: [{path: ../x.apk, sha256: ''}]\n", "files[1].path"),
    ("    files: [{path: x.apk, sha256: nothex}]\n", "files[1].sha256"),
    ("    files: [{path: x.apk, size: 3}]\n", "files[1].size"),
    ("    files: x.apk\n", "files"),
])
def test_entry_errors_name_file_entry_and_key(tmp_path, entry_line, key):
    second = ('  - name: "Other"\n    package: "vn.other.app"\n' + entry_line)
    path = write(tmp_path, "schema: 1\napps:\n" + GOOD_ENTRY + second)
    with pytest.raises(BadInputError) as err:
        load_manifest(path)
    args = err.value.message.args
    assert (args["file"], args["index"], args["name"], args["key"]) == (
        str(path), 2, "Other", key)


def test_missing_name_and_bad_package(tmp_path):
    with pytest.raises(BadInputError) as err:
        load_manifest(write(tmp_path, "schema: 1\napps:\n  - package: com.vnid\n"))
    assert err.value.message.args["key"] == "name" and err.value.message.args["index"] == 1
    with pytest.raises(BadInputError) as err:
        load_manifest(write(tmp_path, "schema: 1\napps:\n  - name: X\n    package: 'not a pkg'\n"))
    assert err.value.message.args["key"] == "package"


def test_duplicate_package_and_duplicate_key(tmp_path):
    with pytest.raises(BadInputError, match="listed twice"):
        load_manifest(write(tmp_path, "schema: 1\napps:\n" + GOOD_ENTRY + GOOD_ENTRY))
    with pytest.raises(BadInputError) as err:
        load_manifest(write(tmp_path, "schema: 1\napps:\n" + GOOD_ENTRY + "    min_sdk: 23\n"))
    assert err.value.message.args["line"] == 11  # the second min_sdk
    assert "duplicate key" in err.value.message.args["problem"]


@pytest.mark.parametrize("text", [
    "schema: 1\napps: [\n",  # broken YAML
    "- just a list\n",
    "schema: 2\napps: []\n",
    "schema: 1\napps: []\nextra: 1\n",
    "schema: 1\napps:\n  - 5\n",
    "",
])
def test_top_level_errors(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(BadInputError) as err:
        load_manifest(path)
    assert err.value.message.args["file"] == str(path)


def test_missing_file(tmp_path):
    with pytest.raises(BadInputError, match="Cannot read"):
        load_manifest(tmp_path / "nope.yaml")


def test_pin_round_trip_keeps_header_and_fills_named_entry(tmp_path):
    manifest_path = tmp_path / "apk_manifest.yaml"
    shutil.copyfile(TEMPLATES / "apk_manifest.yaml", manifest_path)
    outside = tmp_path / "download"
    vneid = build_apk(outside, package="com.vnid", version_code=2_100_110, min_sdk=21,
                      abis=("arm64-v8a", "armeabi-v7a"))
    entry = pin(manifest_path, [vneid])
    assert (entry.index, entry.name, entry.version_code) == (1, "VNeID", 2_100_110)
    assert entry.abis == ("arm64-v8a", "armeabi-v7a") and entry.signer_sha256 == KEY1.cert_sha256
    assert (tmp_path / "apks" / vneid.name).is_file()  # copied into apks/
    base = build_apk(tmp_path / "apks", package="vn.binhduong.so", version_code=3, min_sdk=24,
                     signer=KEY2, name="bds.apk")
    split = build_apk(tmp_path / "apks", package="vn.binhduong.so", version_code=3,
                      signer=KEY2, split="config.arm64_v8a", abis=("arm64-v8a",),
                      name="bds-arm64.apk")
    bds = pin(manifest_path, [split, base], name="Bình Dương Số")
    assert (bds.index, bds.package, bds.min_sdk) == (2, "vn.binhduong.so", 24)
    assert [f.path for f in bds.files] == ["bds.apk", "bds-arm64.apk"]  # base first
    text = manifest_path.read_text(encoding="utf-8")
    assert text.startswith("# Danh sách ứng dụng")  # header comment kept
    reloaded = load_manifest(manifest_path)
    assert all(app.pinned for app in reloaded.apps)
    assert "third-party" in reloaded.apps[0].note  # notes survive
    assert all(row.ok for row in check(reloaded)), check(reloaded)
    assert [i.split_name for i in read_app_apks(reloaded, reloaded.apps[1])] == [
        None, "config.arm64_v8a"]
    # pinning again with the same file changes nothing
    before = manifest_path.read_text(encoding="utf-8")
    pin(manifest_path, [tmp_path / "apks" / vneid.name])
    assert manifest_path.read_text(encoding="utf-8") == before


def test_pin_unknown_package_adds_entry_and_refuses_mixed_files(tmp_path):
    manifest_path = write(tmp_path, "schema: 1\napps:\n" + GOOD_ENTRY)
    other = build_apk(tmp_path / "apks", package="vn.gov.other", version_code=1)
    entry = pin(manifest_path, [other])
    assert (entry.index, entry.name) == (2, "vn.gov.other")
    mixed = build_apk(tmp_path / "apks", package="vn.gov.other", version_code=2,
                      split="config.x86", abis=("x86",))
    with pytest.raises(BadInputError, match="does not belong"):
        pin(manifest_path, [other, mixed])
    with pytest.raises(BadInputError, match="exactly one base APK"):
        pin(manifest_path, [mixed])


def test_check_reports_missing_tampered_and_resigned(tmp_path):
    manifest_path = write(tmp_path, "schema: 1\napps:\n" + GOOD_ENTRY)
    apk = build_apk(tmp_path / "apks", name="vneid.apk", filler=b"\x00" * 3000)
    pin(manifest_path, [apk])
    manifest = load_manifest(manifest_path)
    original = apk.read_bytes()

    apk.write_bytes(apk_bytes(signer=KEY2, filler=b"\x00" * 3000))  # re-signed, other key
    [row] = check(manifest)
    assert row.status is FileStatus.HASH_MISMATCH  # the file hash catches it first
    data = bytearray(original)
    data[300] ^= 0x01
    apk.write_bytes(bytes(data))
    [row] = check(manifest)
    assert row.status is FileStatus.BAD_APK and row.message.args["file"] == str(apk)
    apk.unlink()
    [row] = check(manifest)
    assert row.status is FileStatus.MISSING and row.message.args["app"] == "VNeID"
