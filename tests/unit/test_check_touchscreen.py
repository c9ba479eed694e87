"""Touchscreen check on the real `dumpsys input` / `getevent` captures, and the grid logic."""

from __future__ import annotations

import pytest
from conftest import CAPTURES, capture_rows, require_captures
from fakes import undecorated
from hypothesis import given
from hypothesis import strategies as st

from traomay.checks import touchscreen
from traomay.checks.touch_grid import GridResult, TouchGrid, parse_event_line
from traomay.core.results import Status, Unknown

# folder -> (primary device name, mode, x max, y max, /dev/input path)
EXPECTED = {
    "google-pixel_sailfish-10": ("synaptics_dsxv26", "direct", 1079, 1919, "/dev/input/event2"),
    "honor-phone_1224x2700-unknown": ("input_mt_wrapper", "direct", 9791, 21599,
                                      "/dev/input/event7"),
    "meizu-MX6-7.1.1": ("mtk-tpd", None, 1080, 1920, "/dev/input/event5"),  # 7.1: no mode
    "smartron-tphoneE_T5911-8.1.0": ("NVTCapacitiveTouchScreen", "direct", 1080, 2160,
                                     "/dev/input/event1"),
    "sunmi-T2s_LITE-9": ("TouchScreenMain", "direct", 1920, 1080, "/dev/input/event1"),
    "vivo-X9_PD1616-7.1.2": ("synaptics_dsx_i2c", None, 1080, 1920, "/dev/input/event1"),
    # 14/15-era: the POINTER-type vivo_fp / vivo_ts_fp mappers are not touch screens
    "vivo-phone_MT6835_720x1612-unknown": ("vivo_ts", "direct", 719, 1611, "/dev/input/event4"),
    # display off: mode DISABLED; the pen digitizer (single touch) is not the finger screen
    "vivo-tablet_MT6991-unknown": ("vivo_ts", "disabled", 20639, 30959, "/dev/input/event6"),
}


@pytest.mark.parametrize(("folder", "path"), capture_rows("dumpsys_input.txt"),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_dumpsys_input_capture(folder, path):
    require_captures()
    facts = touchscreen.parse({"input": path.read_text(encoding="utf-8", errors="replace")})
    assert facts.input_read is True
    device = facts.primary
    name, mode, x_max, y_max, dev_path = EXPECTED[folder]
    assert device is not None and device.name == name
    assert (device.mode if mode else isinstance(device.mode, Unknown)) == (mode or True)
    assert (device.x_range, device.y_range) == ((0, x_max), (0, y_max))
    assert device.path == dev_path
    result = touchscreen.evaluate(facts, touchscreen.DEFAULT_CRITERIA)
    assert result.status is Status.NEEDS_OPERATOR  # present; waits for the grid test
    assert (result.measurements["x_max"], result.measurements["y_max"]) == (x_max, y_max)


def test_vivo_tablet_lists_pen_and_finger_screens():
    require_captures()
    text = (CAPTURES / "vivo-tablet_MT6991-unknown/dumpsys_input.txt").read_text()
    names = [d.name for d in touchscreen.parse({"input": text}).touchscreens]
    assert names == ["vivo_ts_pen", "vivo_ts"]


@pytest.mark.parametrize(("folder", "path"), capture_rows("getevent_-lp.txt"),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_getevent_lp_capture(folder, path):
    require_captures()
    facts = touchscreen.parse({"getevent": path.read_text(encoding="utf-8")})
    # only vivo_ts has INPUT_PROP_DIRECT and MT axes (vivo_ts_pen: ABS_X; vivo_ts_fp: no prop)
    assert [(d.name, d.x_range, d.y_range, d.path) for d in facts.touchscreens] == [
        ("vivo_ts", (0, 20639), (0, 30959), "/dev/input/event6")]
    assert facts.input_read is True


def test_getevent_agrees_with_dumpsys_on_vivo_tablet():
    require_captures()
    folder = CAPTURES / "vivo-tablet_MT6991-unknown"
    facts = touchscreen.parse({"input": (folder / "dumpsys_input.txt").read_text(),
                               "getevent": (folder / "getevent_-lp.txt").read_text()})
    assert facts.primary.source == "dumpsys input" and facts.primary.path == "/dev/input/event6"


@pytest.mark.parametrize(("folder", "path"), capture_rows("getevent_plain_session.txt"),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_plain_getevent_session_marks_cells(folder, path):
    require_captures()
    grid = TouchGrid(4, 7, (0, 1079), (0, 1919), device="/dev/input/event5")
    grid.feed(path.read_text(encoding="utf-8"))
    # one short stroke around raw x 593..604, y 811..746 (OnePlus 3T, 1080x1920 panel)
    assert grid.hit == {(2, 2)}
    assert grid.coverage() == pytest.approx(1 / 28, abs=0.001)
    assert not grid.complete


# -- grid logic -------------------------------------------------------------------------

def _frame(x: int, y: int, slot: int = 0, tracking: int | None = None) -> list[str]:
    lines = [f"[   10.{slot:06d}] /dev/input/event2: EV_ABS       ABS_MT_SLOT          "
             f"{slot:08x}"]
    if tracking is not None:
        lines.append(f"[   10.000001] /dev/input/event2: EV_ABS       ABS_MT_TRACKING_ID   "
                     f"{tracking & 0xffffffff:08x}")
    lines += [
        f"[   10.000002] /dev/input/event2: EV_ABS       ABS_MT_POSITION_X    {x:08x}",
        f"[   10.000003] /dev/input/event2: EV_ABS       ABS_MT_POSITION_Y    {y:08x}",
        "[   10.000004] /dev/input/event2: EV_SYN       SYN_REPORT           00000000",
    ]
    return lines


def test_sweep_over_every_cell_completes():
    grid = TouchGrid(3, 4, (0, 1079), (0, 1919))
    grid.feed(_frame(10, 10, tracking=1))
    for row in range(4):
        for col in range(3):
            grid.feed(_frame(col * 360 + 100, row * 480 + 100))
    assert grid.complete and grid.coverage() == 1.0 and grid.missing() == []
    assert grid.result() == GridResult(3, 4, 12)


def test_a_position_outside_the_panel_marks_nothing():
    # a damaged event (mutation "number": 0x3e7 -> 0x7fffffff or a negative value) must not
    # be clamped into an edge cell nobody touched
    grid = TouchGrid(2, 2, (0, 999), (0, 999))
    grid.feed(_frame(100, 100, tracking=1))
    grid.feed(_frame(0x7FFFFFFF, 100))
    grid.feed(_frame(100, -5000 & 0xFFFFFFFF))  # getevent prints 32-bit two's complement
    assert grid.hit == {(0, 0)} and grid.rejected == 2
    grid.feed(_frame(1005, 100))  # a sliver past max, as some drivers report: kept
    assert grid.hit == {(0, 0), (1, 0)}


def test_lifted_finger_does_not_mark():
    grid = TouchGrid(2, 2, (0, 999), (0, 999))
    grid.feed(_frame(100, 100, tracking=5))
    grid.feed(_frame(900, 900, tracking=-1))  # ffffffff: lifted, position is stale
    assert grid.hit == {(0, 0)}
    assert grid.missing() == [(1, 0), (0, 1), (1, 1)]


def test_two_fingers_in_two_slots():
    grid = TouchGrid(2, 1, (0, 999), (0, 999))
    grid.feed(_frame(100, 500, slot=0, tracking=1)[:-1] + _frame(900, 500, slot=1, tracking=2))
    assert grid.hit == {(0, 0), (1, 0)}


def test_single_touch_panel_with_btn_touch():
    lines = ["EV_KEY       BTN_TOUCH            DOWN",
             "EV_ABS       ABS_X                000003e7",
             "EV_ABS       ABS_Y                00000000",
             "EV_SYN       SYN_REPORT           00000000",
             "EV_KEY       BTN_TOUCH            UP",
             "EV_ABS       ABS_X                00000000",
             "EV_SYN       SYN_REPORT           00000000"]
    grid = TouchGrid(2, 2, (0, 999), (0, 999))
    grid.feed(lines)
    assert grid.hit == {(1, 0)}


def test_other_devices_are_ignored():
    grid = TouchGrid(2, 2, (0, 999), (0, 999), device="/dev/input/event9")
    grid.feed(_frame(100, 100, tracking=1))
    assert grid.hit == set()


def test_event_line_formats():
    plain = parse_event_line("/dev/input/event5: 0003 0039 ffffffff")
    assert (plain.device, plain.type, plain.code, plain.value) == (
        "/dev/input/event5", 3, 0x39, -1)
    labelled = parse_event_line("[ 1234.567890] EV_ABS ABS_MT_POSITION_X 000002a3")
    assert (labelled.device, labelled.code, labelled.value) == (None, 0x35, 0x2A3)
    assert parse_event_line('  name:     "synaptics"') is None
    # labels the grid does not need are skipped, not guessed
    assert parse_event_line("EV_ABS ABS_MT_TOUCH_MAJOR 00000004") is None


def test_bad_grid_arguments():
    with pytest.raises(ValueError):
        TouchGrid(0, 3, (0, 10), (0, 10))
    with pytest.raises(ValueError):
        TouchGrid(3, 3, (10, 10), (0, 10))


# -- evaluate with a grid result ---------------------------------------------------------

SIMPLE_INPUT = """Input Reader State:
  Device 3: panel
    Touch Input Mapper (mode - DIRECT):
      Parameters:
        DeviceType: TOUCH_SCREEN
      Raw Touch Axes:
        X: min=0, max=719, flat=0, fuzz=0, resolution=0
        Y: unknown range
"""


def test_grid_results():
    facts = touchscreen.parse({"input": SIMPLE_INPUT})
    assert facts.primary.y_range == Unknown("unknown range")
    cases = [(GridResult(4, 7, 28), Status.PASS), (GridResult(4, 7, 27), Status.FAIL),
             (GridResult(4, 7, 28, operator_failed=True), Status.FAIL)]
    for grid, status in cases:
        result = touchscreen.evaluate(touchscreen.with_grid(facts, grid), {})
        assert result.status is status


def test_no_touchscreen_fails():
    # a whole dump: the reader's device list is followed by the dispatcher's section
    text = SIMPLE_INPUT.replace("TOUCH_SCREEN", "POINTER") + "\nInput Dispatcher State:\n"
    facts = touchscreen.parse({"input": text})
    assert facts.touchscreens == ()
    assert touchscreen.evaluate(facts, {}).status is Status.FAIL


@pytest.mark.parametrize("sections", [{}, {"input": ""}, {"input": "Can't find service: input"}])
def test_unreadable_is_error(sections):
    assert touchscreen.evaluate(touchscreen.parse(sections), {}).status is Status.ERROR


@given(st.dictionaries(st.sampled_from(["input", "getevent"]), st.text()))
def test_parse_never_raises(sections):
    touchscreen.evaluate(undecorated(touchscreen.parse)(sections), {})


@given(st.lists(st.sampled_from(SIMPLE_INPUT.splitlines() + [
    "add device 1: /dev/input/event1", "    INPUT_PROP_DIRECT", "  Device x:",
    "ABS_MT_POSITION_X     : value 0, min 0, max 5, fuzz 0"]), max_size=25))
def test_parse_never_raises_on_shuffled_lines(lines):
    text = "\n".join(lines)
    touchscreen.evaluate(undecorated(touchscreen.parse)({"input": text, "getevent": text}), {})


@given(st.lists(st.text(max_size=60), max_size=30))
def test_grid_never_raises_on_noise(lines):
    grid = TouchGrid(3, 3, (0, 99), (0, 99))
    grid.feed(lines)
    assert 0.0 <= grid.coverage() <= 1.0


def test_operator_input_hook():
    facts = touchscreen.parse({"input": SIMPLE_INPUT})
    done = touchscreen.with_operator_input(facts, {"cols": 4, "rows": 7, "cells_hit": 28})
    assert touchscreen.evaluate(done, {}).status is Status.PASS
    failed = touchscreen.with_operator_input(facts, GridResult(4, 7, 28, operator_failed=True))
    assert touchscreen.evaluate(failed, {}).status is Status.FAIL
    for junk in ({"cols": "x"}, {"cols": 2, "rows": 2, "cells_hit": 9}, None, "text"):
        assert touchscreen.with_operator_input(facts, junk).grid is None


# -- formats seen on real 14-16 phones that the captures above lack --------------------

# Shape of a vivo 15/16 tablet while scrcpy (uhid) was attached: a software "goodix_ts"
# TOUCH_SCREEN (uhid sysfs path, DIRECT) listed before the real panel. Values changed.
UHID_TWIN = """Event Hub State:
  BuiltInKeyboardId: -2
  Devices:
    65: goodix_ts
      Classes: TOUCH | TOUCH_MT | BATTERY
      Path: /dev/input/event8
      Identifier: bus=0x0000, vendor=0xbeef, product=0xdead, version=0x0000
      SysfsDevicePath: /sys/devices/virtual/misc/uhid/0000:BEEF:DEAD.0039
    2: panel_ts
      Classes: KEYBOARD | TOUCH | TOUCH_MT
      Path: /dev/input/event6
      Identifier: bus=0x001c, vendor=0x0000, product=0x0000, version=0x0000
      SysfsDevicePath: /sys/devices/virtual

Input Reader State (Nums of device: 2):
  Device 59: goodix_ts
    Touch Input Mapper (mode - DIRECT):
      Parameters:
        DeviceType: TOUCH_SCREEN
      Raw Touch Axes:
        X: min=0, max=4095, flat=0, fuzz=0, resolution=0
        Y: min=0, max=4095, flat=0, fuzz=0, resolution=0
  Device 8: panel_ts
    Touch Input Mapper (mode - DIRECT):
      Parameters:
        DeviceType: TOUCH_SCREEN
      Raw Touch Axes:
        X: min=0, max=1599, flat=0, fuzz=0, resolution=0
        Y: min=0, max=2559, flat=0, fuzz=0, resolution=0
"""


def test_software_uhid_touch_device_is_not_the_screen_to_test():
    facts = touchscreen.parse({"input": UHID_TWIN})
    assert [d.virtual for d in facts.touchscreens] == [True, False]
    assert facts.primary.name == "panel_ts" and facts.primary.path == "/dev/input/event6"
    # the same twin on BUS_VIRTUAL (0x06) without a uhid path
    text = UHID_TWIN.replace("bus=0x0000, vendor=0xbeef", "bus=0x0006, vendor=0xbeef").replace(
        "/misc/uhid/0000:BEEF:DEAD.0039", "")
    assert touchscreen.parse({"input": text}).primary.name == "panel_ts"


def test_built_in_keyboard_suffix_does_not_hide_the_path():
    # EventHub appends "(aka device 0 - built-in keyboard)" to BuiltInKeyboardId's entry
    # (seen on Pixel 10 / Honor fingerprint devices; here on the panel itself).
    text = UHID_TWIN.replace("BuiltInKeyboardId: -2", "BuiltInKeyboardId: 2").replace(
        "    2: panel_ts\n", "    2: panel_ts (aka device 0 - built-in keyboard)\n")
    assert touchscreen.parse({"input": text}).primary.path == "/dev/input/event6"


def test_input_dump_cut_inside_the_device_list_is_unknown_not_no_touchscreen():
    require_captures()
    folder = CAPTURES / "google-pixel_sailfish-10"
    text = (folder / "dumpsys_input.txt").read_text(encoding="utf-8")
    reader = text.index("Input Reader State")
    cut = text[: text.index("\n", reader) + 40]  # mutation "cut": inside the reader section
    facts = touchscreen.parse({"input": cut})
    assert isinstance(facts.input_read, Unknown) and "cut short" in facts.input_read.reason
    assert touchscreen.evaluate(facts, {}).status is Status.ERROR
    assert touchscreen.parse({"input": text}).input_read is True


def test_input_dump_that_timed_out_or_lost_its_mapper_line_is_unknown():
    whole = SIMPLE_INPUT.replace("TOUCH_SCREEN", "POINTER") + "\nInput Dispatcher State:\n"
    assert touchscreen.evaluate(touchscreen.parse({"input": whole}), {}).status is Status.FAIL
    # mutation "timeout_cut": the dump cut, then dumpsys' own line (unindented)
    timed_out = SIMPLE_INPUT.split("      Raw")[0].replace("TOUCH_SCREEN", "POINTER") + \
        "*** SERVICE 'input' DUMP TIMEOUT (10000ms) EXPIRED ***\n"
    # mutation "drop": the Touch Input Mapper line of the only touch screen
    no_mapper = "\n".join(line for line in SIMPLE_INPUT.splitlines()
                          if "Touch Input Mapper" not in line) + "\nInput Dispatcher State:\n"
    # mutation "drop": its DeviceType line
    no_type = "\n".join(line for line in SIMPLE_INPUT.splitlines()
                        if "DeviceType" not in line) + "\nInput Dispatcher State:\n"
    for text in (timed_out, no_mapper, no_type):
        facts = touchscreen.parse({"input": text})
        assert isinstance(facts.input_read, Unknown), text
        assert touchscreen.evaluate(facts, {}).status is Status.ERROR
