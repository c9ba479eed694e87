"""Signature rules that the apksigner table (test_real_apks.py) does not spell out, and what
pin / check / plan do with signers: unverifiable files refused, a changed signer needs
``new_signer=True``, the district's ``expected_signer_sha256`` enforced at pin and install."""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import replace

import apk_cases as cases
import pytest
from typer.testing import CliRunner

from traomay.apps import signing
from traomay.apps.apk import read_apk
from traomay.apps.manifest import FileStatus, check, load_manifest, pin
from traomay.apps.plan import PhoneFacts, PlanAction, plan_install
from traomay.core.errors import BadInputError
from traomay.demo import apkfactory as f

A, B = cases.signer("rsa-a"), cases.signer("rsa-b")
ENTRY = """\
  - name: "VNeID"
    package: "com.vnid"
    required: true
    version_code: null
    min_sdk: 21
    abis: []
    signer_sha256: ""
    files: []
"""


def manifest_file(tmp_path, extra: str = ""):
    path = tmp_path / "apk_manifest.yaml"
    path.write_text("schema: 1\napps:\n" + ENTRY + extra, encoding="utf-8")
    return path


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# -- signing rules -----------------------------------------------------------------------
def test_first_block_of_an_id_wins(tmp_path):
    genuine = f.apk_bytes(min_sdk=24, signer=A)
    forged = f.block_pairs(f.tamper_resign(genuine, B))
    after = f.replace_pairs(genuine, [*f.block_pairs(genuine), *forged])
    before = f.replace_pairs(genuine, [*forged, *f.block_pairs(genuine)])
    assert read_apk(write(tmp_path, "after.apk", after)).signer_sha256 == A.cert_sha256
    assert read_apk(write(tmp_path, "before.apk", before)).signer_sha256 == B.cert_sha256


def test_v1_signer_is_chosen_by_issuer_and_serial_not_position(tmp_path):
    data = f.apk_bytes(v2=False, target_sdk=29, signer=A,
                       signing=f.Signing(v1_decoys=(B.cert_der,)))
    info = read_apk(write(tmp_path, "decoy.apk", data))
    assert info.signature_schemes == ("v1",) and info.signer_sha256 == A.cert_sha256


def test_v1_entry_digest_checked(tmp_path):
    # A re-packed ZIP (CRCs right) whose classes.dex differs from what MANIFEST.MF lists.
    data = f.apk_bytes(v2=False, target_sdk=29, signer=A)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    entries["classes.dex"] += b"\x00"
    with pytest.raises(BadInputError, match="changed after it was signed") as err:
        read_apk(write(tmp_path, "t.apk", f.zip_bytes(entries)))
    assert "classes.dex" in err.value.detail


def test_android_5_and_6_need_a_v1_signature(tmp_path):
    with pytest.raises(BadInputError, match="Android phones would refuse") as err:
        read_apk(write(tmp_path, "v2.apk", f.apk_bytes(min_sdk=21, v1=False)))
    assert "only the JAR (v1) signature" in err.value.detail


def test_key_rotation_signer_is_the_newest_key(tmp_path):
    rotation = f.SchemeSigner(B, attributes=((signing.PROOF_OF_ROTATION_ATTR,
                                              f.lineage(A, B)),))
    data = f.apk_bytes(min_sdk=24, signer=A, signing=f.Signing(v3=(rotation,)))
    info = read_apk(write(tmp_path, "rot.apk", data))
    assert info.signer_sha256 == B.cert_sha256
    assert info.signer_lineage == (A.cert_sha256, B.cert_sha256)
    assert info.signature_schemes == ("v2", "v3")


def test_lineage_link_not_signed_by_previous_key_is_refused(tmp_path):
    good = f.lineage(A, B)
    bad = good[:-10] + bytes(b ^ 0xFF for b in good[-10:])  # A's signature over B, broken
    rotation = f.SchemeSigner(B, attributes=((signing.PROOF_OF_ROTATION_ATTR, bad),))
    data = f.apk_bytes(min_sdk=24, signer=A, signing=f.Signing(v3=(rotation,)))
    with pytest.raises(BadInputError, match="changed after it was signed"):
        read_apk(write(tmp_path, "rot.apk", data))


def test_every_algorithm_family_verifies(tmp_path):
    ec, dsa = cases.signer("ec-p256"), cases.signer("dsa-2048")
    for name, signer, algs in (("pss", A, (0x0101,)), ("pss512", A, (0x0102,)),
                               ("pkcs512", A, (0x0104,)), ("ec", ec, (0x0201,)),
                               ("ec512", ec, (0x0202,)), ("dsa", dsa, (0x0301,))):
        data = f.apk_bytes(min_sdk=24, signer=signer, signing=f.Signing(v2_algorithms=algs))
        assert read_apk(write(tmp_path, f"{name}.apk", data)).signer_sha256 == \
            signer.cert_sha256, name


def test_digest_and_signature_lists_must_match():
    # Signature record lists 0x0103, digest record 0x0104: refused even though the
    # signature itself is genuine.
    data = f.zip_bytes({"AndroidManifest.xml": b"x"})
    sections = [*f._split_zip(data)]
    sections[2] = bytes(sections[2])
    signer = f.SchemeSigner(A, algorithms=(0x0103,))
    blob = bytearray(signer.block(sections, v3=False))
    # signed data starts at 4+4(len)+4(len) : first digest record's algorithm id
    struct.pack_into("<I", blob, 12, 0x0104)
    value = f._lp(f._lp(bytes(blob)))
    with pytest.raises(signing.SignatureError):
        signing._verify_block(value, "v2", sections, len(sections[0]), len(sections[0]), 24)


def test_verity_digest_shape():
    digest = signing.verity_digest([b"a" * 5000, b"", b"b" * 22])
    assert len(digest) == 40 and struct.unpack("<q", digest[32:])[0] == 5022


# -- pin / check / plan ------------------------------------------------------------------
def test_pin_refuses_a_file_that_does_not_verify(tmp_path):
    path = manifest_file(tmp_path)
    data = f.apk_bytes(signer=A, filler=b"\x00" * 4000)
    bad = write(tmp_path, "in/vneid.apk", f.tamper_entry_byte(data))
    with pytest.raises(BadInputError, match="changed after it was signed"):
        pin(path, [bad])
    assert not load_manifest(path).apps[0].pinned


def test_new_signer_needs_explicit_permission(tmp_path):
    path = manifest_file(tmp_path)
    pin(path, [write(tmp_path, "in/v5.apk", f.apk_bytes(version_code=5, signer=A))])
    other = write(tmp_path, "in/v6.apk", f.apk_bytes(version_code=6, signer=B))
    with pytest.raises(BadInputError, match="--new-signer") as err:
        pin(path, [other])
    assert err.value.message.args["pinned"] == A.cert_sha256
    assert load_manifest(path).apps[0].signer_sha256 == A.cert_sha256
    entry = pin(path, [other], new_signer=True)
    assert entry.signer_sha256 == B.cert_sha256 and entry.version_code == 6


def test_expected_signer_is_validated_and_normalised(tmp_path):
    colons = ":".join(A.cert_sha256[i:i + 2] for i in range(0, 64, 2)).upper()
    path = manifest_file(tmp_path)
    text = path.read_text(encoding="utf-8").replace(
        '    signer_sha256: ""\n',
        f'    signer_sha256: ""\n    expected_signer_sha256: "{colons}"\n')
    path.write_text(text, encoding="utf-8")
    assert load_manifest(path).apps[0].expected_signer_sha256 == A.cert_sha256
    path.write_text(text.replace(colons, "not-a-fingerprint"), encoding="utf-8")
    with pytest.raises(BadInputError) as err:
        load_manifest(path)
    assert err.value.message.args["key"] == "expected_signer_sha256"


def test_expected_signer_enforced_at_pin_check_and_install(tmp_path):
    path = manifest_file(tmp_path)
    text = path.read_text(encoding="utf-8").replace(
        '    signer_sha256: ""\n',
        f'    signer_sha256: ""\n    expected_signer_sha256: "{A.cert_sha256}"\n')
    path.write_text(text, encoding="utf-8")
    doctored = write(tmp_path, "in/doctored.apk", f.apk_bytes(signer=B))
    with pytest.raises(BadInputError, match="not by the publisher the district expects"):
        pin(path, [doctored])
    with pytest.raises(BadInputError, match="not by the publisher the district expects"):
        pin(path, [doctored], new_signer=True)  # --new-signer does not override the district
    genuine = write(tmp_path, "in/vneid.apk", f.apk_bytes(signer=A))
    entry = pin(path, [genuine])
    assert entry.expected_signer_sha256 == A.cert_sha256  # kept through the rewrite
    manifest = load_manifest(path)
    assert [r.status for r in check(manifest)] == [FileStatus.OK]
    infos = [read_apk(manifest.file_path(entry.files[0]))]
    phone = PhoneFacts(sdk=30, abis=("arm64-v8a",), free_bytes=10**10)
    assert plan_install(entry, infos, phone, None).action is PlanAction.INSTALL
    # A manifest whose pinned signer disagrees with the district's fingerprint (edited by
    # hand, or pinned before the fingerprint was added) refuses at check and install.
    wrong = replace(entry, expected_signer_sha256=B.cert_sha256)
    plan = plan_install(wrong, infos, phone, None)
    assert plan.action is PlanAction.REFUSE
    assert plan.reason.args["expected"] == B.cert_sha256
    rows = check(replace(manifest, apps=(wrong,)))
    assert [r.status for r in rows] == [FileStatus.SIGNER_MISMATCH]


def test_cli_new_signer_flag_warns_and_pins(tmp_path):
    import traomay.interface.commands.manifest  # noqa: F401 - adds "manifest" to the app
    from traomay.interface.app import app

    path = manifest_file(tmp_path)
    pin(path, [write(tmp_path, "in/v5.apk", f.apk_bytes(version_code=5, signer=A))])
    other = write(tmp_path, "in/v6.apk", f.apk_bytes(version_code=6, signer=B))
    runner = CliRunner()
    refused = runner.invoke(app, ["manifest", "pin", "--manifest", str(path), str(other)])
    assert refused.exit_code != 0
    done = runner.invoke(app, ["manifest", "pin", "--manifest", str(path), "--new-signer",
                               str(other)])
    assert done.exit_code == 0, done.output
    assert "--new-signer" in done.output
    assert load_manifest(path).apps[0].signer_sha256 == B.cert_sha256
