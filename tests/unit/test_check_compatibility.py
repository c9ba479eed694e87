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
                                            "[ro.product.cpu.abilist]: [armeabi-v7a,armeabi]\n"})
    res = compatibility.evaluate(facts, {"required_apps": [{"name": "VNeID", "min_sdk": 26}]})
    assert res.status is Status.FAIL
    assert res.summary.msgid.startswith("This phone is too old for {app}")
    assert res.summary.args == {"app": "VNeID", "version": "8.0"}


def test_abi_mismatch_fails():
    facts = compatibility.parse({"getprop": "[ro.build.version.sdk]: [30]\n"
                                            "[ro.product.cpu.abilist]: [armeabi-v7a]\n"})
    res = compatibility.evaluate(facts, {"required_apps": [
        {"name": "X", "min_sdk": 21, "abis": ["arm64-v8a"]}]})
    assert res.status is Status.FAIL


def test_no_manifest_apps_is_an_error_not_a_pass():
    facts = compatibility.parse({"getprop": "[ro.build.version.sdk]: [30]\n"})
    assert compatibility.evaluate(facts, {}).status is Status.ERROR


@given(st.text())
def test_parse_never_raises(text):
    compatibility.evaluate(undecorated(compatibility.parse)({"getprop": text}),
                           {"required_apps": [VNEID]})
