"""Touchscreen: is there a touch screen, and did the operator's grid test cover it all?

``dumpsys input`` ("Input Reader State") lists each device; a touch screen has a
``Touch Input Mapper`` whose ``DeviceType`` is ``touchScreen`` (Android 9-11) or
``TOUCH_SCREEN`` (12+). The mapper line says ``(mode - direct)`` / ``(mode - DIRECT)``, and
nothing on Android 7 (Meizu MX6, vivo X9); ``DISABLED`` is seen when the display is off
(vivo tablet). ``Raw Touch Axes`` gives X/Y min/max or ``unknown range``. The "Event Hub
State" gives each device's /dev/input path (for the grid test). ``getevent -lp`` is a second
source: ABS_MT_POSITION_X/Y min/max and INPUT_PROP_DIRECT per device.

Presence is read from the phone; whether the whole surface responds needs a person: the
grid test (checks.touch_grid), whose result the CLI adds with :func:`with_grid`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traomay.checks.touch_grid import GridResult
from traomay.core.msg import Msg
from traomay.core.results import CheckResult, Status, Unknown

NAME = "touchscreen"

COMMANDS: dict[str, str] = {"input": "dumpsys input", "getevent": "getevent -lp"}

DEFAULT_CRITERIA: Mapping[str, Any] = {"grid_cols": 4, "grid_rows": 7}

_READER = "Input Reader State"
_READER_DEVICE = re.compile(r"^  Device (-?\d+): ?(.*)$", re.MULTILINE)
_MAPPER = re.compile(r"^\s+Touch Input Mapper(?: \(mode - (\w+)\))?:", re.MULTILINE)
_DEVICE_TYPE = re.compile(r"^\s+DeviceType: (\w+)", re.MULTILINE)
_RAW_AXES = re.compile(r"^\s+Raw Touch Axes:\s*$", re.MULTILINE)
_AXIS = re.compile(r"^\s+([XY]): (?:min=(-?\d+), max=(-?\d+)|(unknown range))", re.MULTILINE)
_HUB_DEVICE = re.compile(r"^    (-?\d+): (.*)$", re.MULTILINE)
_HUB_PATH = re.compile(r"^\s+Path: (\S+)", re.MULTILINE)
_HUB_CLASSES = re.compile(r"^\s+Classes: (.*)$", re.MULTILINE)
_HUB_SYSFS = re.compile(r"^\s+SysfsDevicePath: (\S*)", re.MULTILINE)
_HUB_BUS = re.compile(r"^\s+Identifier: bus=(0x[0-9a-fA-F]+)", re.MULTILINE)
_BUS_VIRTUAL = 0x06  # linux/input.h BUS_VIRTUAL
# EventHub marks the built-in keyboard's entry: "2: fingerprint (aka device 0 - built-in
# keyboard)" (Pixel 10, Honor 14/15); the Input Reader lists the plain name.
_AKA_SUFFIX = re.compile(r"\s*\(aka device 0 - built-in keyboard\)\s*$")
_CLASS_TOUCH_MT = 0x10  # InputDeviceClass TOUCH_MT (EventHub.h), hex on Android 10-11
_GETEVENT_DEVICE = re.compile(r"^add device \d+: (\S+)\s*$", re.MULTILINE)
_GETEVENT_NAME = re.compile(r'^\s+name:\s+"(.*)"\s*$', re.MULTILINE)
_GETEVENT_AXIS = re.compile(
    r"(ABS_MT_POSITION_[XY]|0035|0036)\s*:\s*value -?\d+, min (-?\d+), max (-?\d+)")
TOUCH_SCREEN_TYPES = frozenset({"touchScreen", "TOUCH_SCREEN"})


@dataclass(frozen=True)
class TouchDevice:
    name: str
    source: str  # "dumpsys input" | "getevent"
    mode: str | Unknown  # "direct", "disabled", ... (lower case)
    x_range: tuple[int, int] | Unknown
    y_range: tuple[int, int] | Unknown
    path: str | Unknown  # /dev/input/eventN
    multitouch: bool | Unknown = Unknown("not read")  # Event Hub class TOUCH_MT (fingers)
    # A uhid/BUS_VIRTUAL device made by software (scrcpy --keyboard/--mouse=uhid, remote
    # control apps): seen on a vivo 15/16 tablet as a second "goodix_ts"/"Synaptics_ts"
    # TOUCH_SCREEN next to the real panel. Never the screen to test.
    virtual: bool = False


@dataclass(frozen=True)
class Facts:
    input_read: bool | Unknown  # False/Unknown: we could not read the device list
    touchscreens: tuple[TouchDevice, ...]
    grid: GridResult | None = None

    @property
    def primary(self) -> TouchDevice | None:
        """The screen to test: an enabled (direct) one with known axes first."""
        def rank(d: TouchDevice) -> tuple[bool, bool, bool, bool]:
            # a pen digitizer (vivo tablet "vivo_ts_pen") is single-touch: fingers first
            return (not d.virtual, d.mode == "direct", d.multitouch is True,
                    isinstance(d.x_range, tuple))
        return max(self.touchscreens, key=rank, default=None)


def with_grid(facts: Facts, grid: GridResult) -> Facts:
    return dataclasses.replace(facts, grid=grid)


def with_operator_input(facts: Facts, data: object) -> Facts:
    """Hook for traomay.provision.inspect: a GridResult, or a dict with cols, rows, cells_hit and
    optionally operator_failed. Anything else leaves the facts without a grid result."""
    if isinstance(data, GridResult):
        return with_grid(facts, data)
    if isinstance(data, Mapping):
        try:
            grid = GridResult(int(data["cols"]), int(data["rows"]), int(data["cells_hit"]),
                              bool(data.get("operator_failed", False)))
        except (KeyError, TypeError, ValueError):
            return facts
        if grid.cols > 0 and grid.rows > 0 and 0 <= grid.cells_hit <= grid.cols * grid.rows:
            return with_grid(facts, grid)
    return facts


def parse(sections: Mapping[str, str]) -> Facts:
    """Pure; never raises."""
    try:
        input_text, getevent_text = sections.get("input"), sections.get("getevent")
    except Exception:
        input_text = getevent_text = None
    devices: list[TouchDevice] = []
    read: bool | Unknown = Unknown("no 'dumpsys input' output")
    if isinstance(input_text, str) and _READER in input_text:
        devices, damaged = _from_dumpsys(input_text)
        # "No touchscreen" is said only from a whole device list: the reader's section must
        # be followed by the next one (Input Dispatcher State on every version seen, with
        # Classifier/Processor/UnwantedInteractionBlocker between them on 10+), and not end
        # in dumpsys' timeout line.
        after = input_text[input_text.find(_READER):].split("\n", 1)[1:]
        whole = (bool(after and re.search(r"^(?!\*\*\*)\S", after[0], re.MULTILINE))
                 and "DUMP TIMEOUT" not in input_text)
        if devices or (whole and not damaged):
            read = True
        else:
            read = Unknown(damaged or "the 'dumpsys input' output stops inside the device "
                           "list (cut short)")
    elif isinstance(input_text, str) and input_text.strip():
        first = input_text.strip().splitlines()[0][:80]
        read = Unknown(f"unfamiliar 'dumpsys input' output (starts {first!r})")
    if isinstance(getevent_text, str) and "add device" in getevent_text:
        from_getevent = _from_getevent(getevent_text)
        if not devices:
            devices = from_getevent
        if from_getevent and not isinstance(read, bool):
            read = True
    return Facts(read, tuple(devices))


def _from_dumpsys(text: str) -> tuple[list[TouchDevice], str]:
    """The touch screens of the Input Reader's list, and why the list is damaged ("" when
    it is not): only the Touch Input Mapper prints "DeviceType:", and it always does, so
    one without the other lost a line."""
    hub = _hub_devices(text[: text.find(_READER)])
    reader = text[text.find(_READER):]
    end = reader.find("\nInput Dispatcher State")
    reader = reader if end < 0 else reader[:end]
    headers = list(_READER_DEVICE.finditer(reader))
    devices = []
    damaged = ""
    for i, header in enumerate(headers):
        block = reader[header.end(): headers[i + 1].start() if i + 1 < len(headers) else None]
        mapper = _MAPPER.search(block)
        if not mapper:
            if _DEVICE_TYPE.search(block):
                damaged = "a device lists a touch DeviceType without its Touch Input Mapper " \
                          "(garbled)"
            continue
        kind = _DEVICE_TYPE.search(block, mapper.end())
        if not kind:  # every Touch Input Mapper prints its DeviceType: that line was lost
            damaged = "a Touch Input Mapper without its DeviceType line (garbled)"
            continue
        if kind.group(1) not in TOUCH_SCREEN_TYPES:
            continue
        mode: str | Unknown = (mapper.group(1).lower() if mapper.group(1)
                               else Unknown("this Android version does not print the mode"))
        axes = _raw_axes(block, mapper.end())
        name = header.group(2).strip()
        path, multitouch, virtual = hub.get(
            name, (Unknown("no Event Hub path"), Unknown("not listed"), False))
        devices.append(TouchDevice(name, "dumpsys input", mode, axes.get("X", _NO_AXIS),
                                   axes.get("Y", _NO_AXIS), path, multitouch, virtual))
    return devices, damaged


_NO_AXIS = Unknown("axis not listed")


def _raw_axes(block: str, start: int) -> dict[str, tuple[int, int] | Unknown]:
    raw = _RAW_AXES.search(block, start)
    axes: dict[str, tuple[int, int] | Unknown] = {}
    if not raw:
        return axes
    for match in _AXIS.finditer(block[raw.end(): raw.end() + 2000]):
        axis = match.group(1)
        if axis in axes:
            continue
        if match.group(4):
            axes[axis] = Unknown("unknown range")
        else:
            axes[axis] = (int(match.group(2)), int(match.group(3)))
    return axes


def _hub_devices(hub: str) -> dict[str, tuple[str | Unknown, bool | Unknown, bool]]:
    """Event Hub device name -> (/dev/input path, has the TOUCH_MT class, is virtual)."""
    headers = list(_HUB_DEVICE.finditer(hub))
    found: dict[str, tuple[str | Unknown, bool | Unknown, bool]] = {}
    for i, header in enumerate(headers):
        block = hub[header.end(): headers[i + 1].start() if i + 1 < len(headers) else None]
        path = _HUB_PATH.search(block)
        classes = _HUB_CLASSES.search(block)
        found.setdefault(_AKA_SUFFIX.sub("", header.group(2)).strip(), (
            path.group(1) if path else Unknown("no path"),
            _is_multitouch(classes.group(1)) if classes else Unknown("no classes"),
            _is_virtual(block),
        ))
    return found


def _is_virtual(block: str) -> bool:
    sysfs = _HUB_SYSFS.search(block)
    bus = _HUB_BUS.search(block)
    return bool((sysfs and "/uhid/" in sysfs.group(1))
                or (bus and int(bus.group(1), 16) == _BUS_VIRTUAL))


def _is_multitouch(classes: str) -> bool | Unknown:
    classes = classes.strip()
    if classes.startswith("0x"):  # Android 10-11: a hex bit mask
        try:
            return bool(int(classes, 16) & _CLASS_TOUCH_MT)
        except ValueError:
            return Unknown("unreadable classes")
    return "TOUCH_MT" in {part.strip() for part in classes.split("|")}  # 12+: flag names


def _from_getevent(text: str) -> list[TouchDevice]:
    """Devices in ``getevent -lp`` with INPUT_PROP_DIRECT and MT X/Y axes."""
    headers = list(_GETEVENT_DEVICE.finditer(text))
    devices = []
    for i, header in enumerate(headers):
        block = text[header.end(): headers[i + 1].start() if i + 1 < len(headers) else None]
        if "INPUT_PROP_DIRECT" not in block:
            continue
        axes = {m.group(1)[-1] if m.group(1).startswith("ABS") else
                ("X" if m.group(1) == "0035" else "Y"): (int(m.group(2)), int(m.group(3)))
                for m in _GETEVENT_AXIS.finditer(block)}
        if "X" not in axes or "Y" not in axes:
            continue  # a pen or single-touch device, not the finger touch screen
        name = _GETEVENT_NAME.search(block)
        devices.append(TouchDevice(name.group(1) if name else "?", "getevent", "direct",
                                   axes["X"], axes["Y"], header.group(1), True))
    return devices


def evaluate(facts: Facts, criteria: Mapping[str, Any]) -> CheckResult:
    c = {**DEFAULT_CRITERIA, **criteria}
    primary = facts.primary
    m: dict[str, Any] = {"touchscreens": len(facts.touchscreens)}
    if primary is not None:
        m.update(device_name=primary.name, device_path=_plain(primary.path),
                 mode=_plain(primary.mode),
                 x_max=primary.x_range[1] if isinstance(primary.x_range, tuple) else None,
                 y_max=primary.y_range[1] if isinstance(primary.y_range, tuple) else None)
    if facts.grid is not None:
        m.update(grid_cols=facts.grid.cols, grid_rows=facts.grid.rows,
                 grid_coverage=facts.grid.coverage,
                 grid_operator_failed=facts.grid.operator_failed)
    if isinstance(facts.input_read, Unknown):
        return CheckResult(NAME, Status.ERROR, Msg("Could not read the input devices: {reason}",
                                                    {"reason": facts.input_read.reason}), m)
    if primary is None:
        return CheckResult(NAME, Status.FAIL, Msg("No touchscreen found on this phone"), m)
    if facts.grid is None:
        return CheckResult(NAME, Status.NEEDS_OPERATOR, Msg(
            "Run the touch test: touch every square of the {cols} x {rows} grid",
            {"cols": c["grid_cols"], "rows": c["grid_rows"]}), m)
    if facts.grid.operator_failed:
        return CheckResult(NAME, Status.FAIL, Msg(
            "The operator reported a touchscreen fault"), m)
    if facts.grid.complete:
        return CheckResult(NAME, Status.PASS, Msg("Touch test passed: every square responded"), m)
    return CheckResult(NAME, Status.FAIL, Msg(
        "Touch test failed: only part of the squares responded ({percent}%)",
        {"percent": round(facts.grid.coverage * 100)}), m)


def _plain(value: object) -> object:
    return None if isinstance(value, Unknown) else value
