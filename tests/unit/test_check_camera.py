"""Camera check on the real `dumpsys media.camera` captures (Android 7.1 to 10 formats)."""

from __future__ import annotations

import pytest
from conftest import capture_rows, require_captures
from fakes import undecorated
from hypothesis import given
from hypothesis import strategies as st

from traomay.checks import camera
from traomay.core.results import Status, Unknown

# folder -> (format, reported count, front, back, status, timed out)
EXPECTED = {
    "google-pixel_sailfish-10": ("provider", 2, 1, 1, Status.PASS, True),
    "meizu-MX6-7.1.1": ("information", 2, 1, 1, Status.PASS, False),
    # 8.1 lists ids 0,1,2 twice (HAL device@1.0 and device@3.3): counted once each
    "smartron-tphoneE_T5911-8.1.0": ("provider", 3, 1, 2, Status.PASS, False),
    "sunmi-T2s_LITE-9": ("provider", 0, 0, 0, Status.FAIL, False),  # POS terminal, no camera
    "vivo-X9_PD1616-7.1.2": ("information", 3, 2, 1, Status.PASS, False),  # dual front
}


@pytest.mark.parametrize(("folder", "path"), capture_rows("dumpsys_media.camera.txt"),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_capture(folder, path):
    require_captures()
    facts = camera.parse({"camera": path.read_text(encoding="utf-8", errors="replace")})
    fmt, reported, front, back, status, timed_out = EXPECTED[folder]
    assert (facts.dump_format, facts.reported_count) == (fmt, reported)
    assert (facts.count("front"), facts.count("back")) == (front, back)
    assert facts.dump_timed_out is timed_out
    assert len(facts.cameras) == reported
    result = camera.evaluate(facts, camera.DEFAULT_CRITERIA)
    assert result.status is status
    assert (result.measurements["front"], result.measurements["back"]) == (front, back)


def test_provider_format_uses_lens_facing():
    require_captures()
    path = dict(capture_rows("dumpsys_media.camera.txt"))["google-pixel_sailfish-10"]
    facts = camera.parse({"camera": path.read_text()})
    assert {c.camera_id: c.facing_source for c in facts.cameras} == {
        "legacy/0": "android.lens.facing", "legacy/1": "android.lens.facing"}


ANDROID_51 = """Camera module HAL API version: 0x100
Number of camera devices: 2
Camera 0 static information:
  Facing: BACK
  Orientation: 90
  Device version: 0x302
Camera 1 static information:
  Facing: FRONT
  Orientation: 270
"""

EXTERNAL = """Number of camera devices: 2
== Camera HAL device device@3.5/external/1 (v3.5) static information: ==
  API1 info:
    Facing: Front
  API2 camera characteristics:
      android.lens.facing (80005): byte[1]
        [EXTERNAL ]
== Camera HAL device device@3.5/internal/0 (v3.5) static information: ==
  API1 info:
    Facing: Back
      android.lens.facing (80005): byte[1]
        [1 ]
"""


def test_android_51_static_information():
    facts = camera.parse({"camera": ANDROID_51})
    assert facts.dump_format == "static"
    assert (facts.count("front"), facts.count("back")) == (1, 1)


def test_external_camera_is_not_front():
    facts = camera.parse({"camera": EXTERNAL})
    assert (facts.count("front"), facts.count("back"), facts.count("external")) == (0, 1, 1)
    assert camera.evaluate(facts, {}).status is Status.FAIL


def test_no_back_camera_fails():
    text = ANDROID_51.replace("BACK", "FRONT")
    result = camera.evaluate(camera.parse({"camera": text}), {})
    assert result.status is Status.FAIL and result.summary.args["back"] == 0


def test_facing_unreadable_is_error_not_fail():
    text = "Number of camera devices: 2\nCamera 0 information:\n  Orientation: 90\n"
    assert camera.evaluate(camera.parse({"camera": text}), {}).status is Status.ERROR


def test_timeout_with_missing_camera_is_error():
    text = ANDROID_51.split("Camera 1")[0] + "*** SERVICE 'media.camera' DUMP TIMEOUT ***\n"
    facts = camera.parse({"camera": text})
    assert facts.dump_timed_out
    assert camera.evaluate(facts, {}).status is Status.ERROR


@pytest.mark.parametrize("text", ["", "Permission Denial: can't dump media.camera",
                                  "something else entirely\n"])
def test_unknown_format_is_error(text):
    facts = camera.parse({"camera": text})
    assert isinstance(facts.dump_format, Unknown)
    assert camera.evaluate(facts, {}).status is Status.ERROR


def test_criteria_threshold():
    facts = camera.parse({"camera": ANDROID_51})
    assert camera.evaluate(facts, {"min_back": 2}).status is Status.FAIL


@given(st.text())
def test_parse_never_raises(text):
    camera.evaluate(undecorated(camera.parse)({"camera": text}), camera.DEFAULT_CRITERIA)


@given(st.lists(st.sampled_from([
    "== Camera HAL device device@3.5/legacy/0 (v3.5) static information: ==",
    "Camera 0 information:", "Camera 1 static information:", "  Facing: Back",
    "    Facing: FRONT", "android.lens.facing (80005): byte[1]", "  [2 ]", "  [BACK ]",
    "Number of camera devices: 3", "*** DUMP TIMEOUT ***", "x"]), max_size=20))
def test_parse_never_raises_on_shuffled_lines(lines):
    camera.evaluate(undecorated(camera.parse)({"camera": "\n".join(lines)}), {})


# Android 12/13 board with only a USB camera (external provider + an empty legacy
# provider), and the AIDL device names of 13+ ("device@1.1/internal/0"). Values changed.
USB_ONLY = """Number of camera devices: 1
== Camera Provider HAL external/0-0 (v2.5, remote) static info: 1 devices: ==
== Camera HAL device device@3.4/external/0 (v3.4) static information: ==
  API1 info:
    Facing: Front
      android.lens.facing (80005): byte[1]
        [EXTERNAL ]
== Camera HAL device device@3.4/external/0 (v3.4) dumpState: ==
== Camera Provider HAL legacy/0-1 (v2.5, remote) static info: 0 devices: ==
"""


def test_usb_camera_only_is_missing_cameras():
    facts = camera.parse({"camera": USB_ONLY})
    assert [(c.camera_id, c.facing) for c in facts.cameras] == [("external/0", "external")]
    assert camera.evaluate(facts, {}).status is Status.FAIL


def test_aidl_device_names():
    text = USB_ONLY.replace("device@3.4/external/0 (v3.4)", "device@1.1/internal/0 (v1.1)")
    text = text.replace("[EXTERNAL ]", "[BACK ]") + (
        "== Camera HAL device device@1.1/internal/1 (v1.1) static information: ==\n"
        "      android.lens.facing (80005): byte[1]\n        [FRONT ]\n")
    facts = camera.parse({"camera": text.replace("devices: 1", "devices: 2")})
    assert [(c.camera_id, c.facing) for c in facts.cameras] == [
        ("internal/0", "back"), ("internal/1", "front")]
    assert camera.evaluate(facts, {}).status is Status.PASS


