from hypothesis import given
from hypothesis import strategies as st

from traomay.device import batch


def test_build_and_split_roundtrip():
    cmd = batch.build({"getprop": "getprop", "battery": "dumpsys battery"}, nonce="abcd1234")
    assert 'echo "@@TM:abcd1234:getprop:$?@@"' in cmd.command_line
    out = "[ro.x]: [1]\n@@TM:abcd1234:getprop:0@@\nlevel: 5\r\n@@TM:abcd1234:battery:1@@\n"
    sections = batch.split(cmd, out)
    assert sections["getprop"].text == "[ro.x]: [1]\n"
    assert sections["getprop"].exit_code == 0
    assert sections["battery"].text == "level: 5\n"
    assert sections["battery"].exit_code == 1


def test_phone_text_cannot_forge_a_marker_without_the_nonce():
    cmd = batch.build({"a": "x", "b": "y"}, nonce="n0nce000")
    out = "@@TM:other:b:0@@\nreal a\n@@TM:n0nce000:a:0@@\nb text\n@@TM:n0nce000:b:0@@\n"
    sections = batch.split(cmd, out)
    assert sections["a"].text.endswith("real a\n")
    assert sections["b"].text == "b text\n"


def test_missing_marker_means_missing_section():
    cmd = batch.build({"a": "x", "b": "y"}, nonce="n1")
    sections = batch.split(cmd, "partial a\n@@TM:n1:a:0@@\nhalf of b")
    assert set(sections) == {"a"}


@given(st.text())
def test_split_never_raises(text):
    cmd = batch.build({"a": "x"}, nonce="zz")
    batch.split(cmd, text)
