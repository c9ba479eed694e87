import pytest
from fakes import undecorated
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import capture_rows, require_captures
from traomay.checks import compatibility
from traomay.core.results import Status

VNEID = {"name": "VNeID", "min_sdk": 21, "abis": []}
NEEDS_ANDROID_11 = {"name": "NewApp", "min_sdk": 30, "abis": []}
GETPROPS = capture_rows("getprop.txt")


@pytest.mark.parametrize("folder,path", GETPROPS, ids=[f for f, _ in GETPROPS])
def test_every_capture_decided_from_its_sdk(folder, path):
    require_captures()
    facts = compatibility.parse({"getprop": path.read_text(encoding="utf-8", errors="replace")})
    assert isinstance(facts.sdk, int)
    assert compatibility.evaluate(facts, {"required_apps": [VNEID]}).status is Status.PASS
    result = compatibility.evaluate(facts, {"required_apps": [VNEID, NEEDS_ANDROID_11]})
    expected = Status.PASS if facts.sdk >= 30 else Status.FAIL
    assert result.status is expected, folder
    if expected is Status.FAIL:
        assert result.summary.args["version"] == "11"


def test_android_7_phone_too_old_for_android_8_app():
    facts = compatibility.parse({"getprop": "[ro.build.version.sdk]: [25]\n"
                                            "[ro.build.version.release]: [7.1.2]\n"
                                            "[ro.product.cpu.abilist]: [armeabi-v7a,armeabi]\n"})
    res = compatibility.evaluate(facts, {"required_apps": [{"name": "VNeID", "min_sdk": 26}]})
    assert res.status is Status.FAIL
    assert res.summary.msgid.startswith("This phone is too old for {app}")
    assert res.summary.args == {"app": "VNeID", "version": "8.0"}


def test_abi_mismatch_fails():
    facts = compatibility.parse({"getprop": "[ro.build.version.sdk]: [30]\n"
                                            "[ro.build.version.release]: [11]\n"
                                            "[ro.product.cpu.abilist]: [armeabi-v7a]\n"})
    res = compatibility.evaluate(facts, {"required_apps": [
        {"name": "X", "min_sdk": 21, "abis": ["arm64-v8a"]}]})
    assert res.status is Status.FAIL


def test_no_manifest_apps_is_an_error_not_a_pass():
    facts = compatibility.parse({"getprop": "[ro.build.version.sdk]: [30]\n"})
    assert compatibility.evaluate(facts, {}).status is Status.ERROR


NEEDS_ARM = {"name": "VNeID", "min_sdk": 26, "abis": ["arm64-v8a", "armeabi-v7a"]}


@pytest.mark.parametrize(("getprop", "why"), [
    # mutation "number" on ro.build.version.sdk of an Android 7.1 phone: 25 -> 26
    ("[ro.build.version.sdk]: [26]\n[ro.build.version.release]: [7.1.2]\n", "does not match"),
    # mutation "drop": the ro.build.version.release line gone
    ("[ro.build.version.sdk]: [29]\n", "release missing"),
    ("[ro.build.version.sdk]: [99999]\n[ro.build.version.release]: [10]\n", "sdk missing"),
    ("[ro.build.version.sdk]: [29]\n[ro.build.version.release]: [1O]\n", "not a version"),
    # Android 12 has API 31 and 32: the per-partition copy (10+) tells which
    ("[ro.build.version.sdk]: [32]\n[ro.build.version.release]: [12]\n"
     "[ro.system.build.version.sdk]: [31]\n", "ro.system.build.version.sdk"),
])
def test_android_version_must_confirm_the_api_level(getprop, why):
    facts = compatibility.parse({"getprop": getprop + "[ro.product.cpu.abilist]: [arm64-v8a]\n"})
    assert why in facts.sdk.reason
    assert compatibility.evaluate(facts, {"required_apps": [NEEDS_ARM]}).status is Status.ERROR


@pytest.mark.parametrize("abilist", [
    "",  # mutation "drop": the abilist line gone (and no ro.product.cpu.abi)
    "[ro.product.cpu.abilist]: [arm64-v8a,armea]\n",  # mutation "cut_mid"
])
def test_unreadable_abi_list_is_unknown_when_the_app_needs_an_abi(abilist):
    getprop = "[ro.build.version.release]: [10]\n[ro.build.version.sdk]: [29]\n" + abilist
    facts = compatibility.parse({"getprop": getprop})
    result = compatibility.evaluate(facts, {"required_apps": [NEEDS_ARM]})
    assert result.status is Status.ERROR
    assert result.summary.msgid == "Processor type unknown ({reason})."
    assert compatibility.evaluate(facts, {"required_apps": [VNEID]}).status is Status.PASS


@given(st.text())
def test_parse_never_raises(text):
    compatibility.evaluate(undecorated(compatibility.parse)({"getprop": text}),
                           {"required_apps": [VNEID]})
