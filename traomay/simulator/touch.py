"""``getevent`` (system/core toolbox/getevent.c) for the simulated touchscreen.

``-p`` describes the devices; a streaming ``getevent [-l] [-t]`` replays a scripted finger
that sweeps the whole screen row by row (skipping the profile's dead zone, if any) and then
exits, so a touch-grid test on the host sees every cell touched except the dead ones.

Through the wire the sweep is *streamed* (:func:`stream_getevent`): one chunk per swept row,
``Phone.touch_row_delay`` seconds apart, as a finger takes time to cross the screen. A real
getevent never exits by itself; this one ends after the sweep so tests and the demo finish.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from traomay.simulator.phone import Phone
    from traomay.simulator.shell import Result

EV_SYN, EV_KEY, EV_ABS = 0, 1, 3
SYN_REPORT, BTN_TOUCH = 0, 0x14A
ABS = {"ABS_MT_SLOT": 0x2F, "ABS_MT_TOUCH_MAJOR": 0x30, "ABS_MT_POSITION_X": 0x35,
       "ABS_MT_POSITION_Y": 0x36, "ABS_MT_TRACKING_ID": 0x39, "ABS_MT_PRESSURE": 0x3A}
TYPE_NAMES = {EV_SYN: "EV_SYN", EV_KEY: "EV_KEY", EV_ABS: "EV_ABS"}
CODE_NAMES = {(EV_SYN, SYN_REPORT): "SYN_REPORT", (EV_KEY, BTN_TOUCH): "BTN_TOUCH",
              **{(EV_ABS, v): k for k, v in ABS.items()}}
KEYS_DEV, TOUCH_DEV = "/dev/input/event0", "/dev/input/event2"
ROWS, STEPS = 24, 24  # sweep lines and samples per line


def _describe(phone: Phone, labels: bool) -> str:
    t = phone.profile.touch

    def name(label: str, code: int) -> str:
        return f"{label if labels else f'{code:04x}':<22}"

    ranges = [("ABS_MT_SLOT", 9), ("ABS_MT_TOUCH_MAJOR", 255), ("ABS_MT_POSITION_X", t.max_x),
              ("ABS_MT_POSITION_Y", t.max_y), ("ABS_MT_TRACKING_ID", 65535),
              ("ABS_MT_PRESSURE", 255)]
    abs_lines = [f"{name(lbl, ABS[lbl])}: value 0, min 0, max {mx}, fuzz 0, flat 0, resolution 0"
                 for lbl, mx in ranges]
    keys = "".join(name(k, c) for k, c in (("KEY_VOLUMEDOWN", 0x72), ("KEY_VOLUMEUP", 0x73),
                                            ("KEY_POWER", 0x74)))
    out = [f"add device 1: {KEYS_DEV}", '  name:     "gpio-keys"', "  events:",
           f"    KEY (0001): {keys}", "  input props:", "    <none>",
           f"add device 2: {TOUCH_DEV}", f'  name:     "{t.name}"', "  events:",
           f"    KEY (0001): {name('BTN_TOUCH', BTN_TOUCH)}",
           f"    ABS (0003): {abs_lines[0]}"]
    out += [f"                {line}" for line in abs_lines[1:]]
    out += ["  input props:", "    INPUT_PROP_DIRECT"]
    return "\n".join(out) + "\n"


def _sweep(phone: Phone) -> Iterator[tuple[int, int, int]]:
    """(type, code, value) events of a finger sweeping every row of the screen."""
    t = phone.profile.touch
    dead = t.dead_zone
    tracking = 100
    for row in range(ROWS):
        y = int((row + 0.5) * (t.max_y + 1) / ROWS)
        down = False
        for step in range(STEPS):
            x = int((step + 0.5) * (t.max_x + 1) / STEPS)
            inside_dead = dead is not None and dead[0] <= x <= dead[2] and dead[1] <= y <= dead[3]
            if inside_dead:
                if down:  # the finger crosses a dead area: the panel reports a lift
                    yield from ((EV_ABS, ABS["ABS_MT_TRACKING_ID"], -1),
                                (EV_KEY, BTN_TOUCH, 0), (EV_SYN, SYN_REPORT, 0))
                    down = False
                continue
            if not down:
                tracking += 1
                yield (EV_ABS, ABS["ABS_MT_TRACKING_ID"], tracking)
                yield (EV_KEY, BTN_TOUCH, 1)
                down = True
            yield (EV_ABS, ABS["ABS_MT_POSITION_X"], x)
            yield (EV_ABS, ABS["ABS_MT_POSITION_Y"], y)
            yield (EV_ABS, ABS["ABS_MT_PRESSURE"], 60)
            yield (EV_SYN, SYN_REPORT, 0)
        if down:
            yield from ((EV_ABS, ABS["ABS_MT_TRACKING_ID"], -1), (EV_KEY, BTN_TOUCH, 0),
                        (EV_SYN, SYN_REPORT, 0))


@dataclass(frozen=True)
class _Request:
    labels: bool
    timestamps: bool
    device: str | None
    count: int | None
    describe: bool


def _request(args: list[str]) -> _Request:
    flags = "".join(a[1:] for a in args if a.startswith("-") and not a[1:].isdigit())
    count = None
    if "-c" in args[:-1] and args[args.index("-c") + 1].isdigit():
        count = int(args[args.index("-c") + 1])
    return _Request("l" in flags, "t" in flags, next((a for a in args if a.startswith("/dev/")),
                                                     None), count, "p" in flags or "i" in flags)


def _event_rows(phone: Phone, req: _Request) -> Iterator[list[str]]:
    """Lines of the sweep, grouped per swept row (a finger lift ends a group)."""
    if req.device is None:
        yield [f"add device 1: {KEYS_DEV}", '  name:     "gpio-keys"',
               f"add device 2: {TOUCH_DEV}", f'  name:     "{phone.profile.touch.name}"']
    clock = 1000.0 + (phone.boot_count * 37.0)
    group: list[str] = []
    lifting = False
    for n, (etype, code, value) in enumerate(_sweep(phone)):
        if req.count is not None and n >= req.count:
            break
        if req.labels:
            body = (f"{TYPE_NAMES[etype]:<12.12} {CODE_NAMES[(etype, code)]:<20.20} "
                    f"{value & 0xFFFFFFFF:08x}")
        else:
            body = f"{etype:04x} {code:04x} {value & 0xFFFFFFFF:08x}"
        prefix = f"[{clock:14.6f}] " if req.timestamps else ""
        path = f"{TOUCH_DEV}: " if req.device is None else ""
        group.append(f"{prefix}{path}{body}")
        lifting = lifting or (etype, code, value) == (EV_ABS, ABS["ABS_MT_TRACKING_ID"], -1)
        if etype == EV_SYN:
            clock += 0.008
            if lifting:
                yield group
                group, lifting = [], False
    if group:
        yield group


def getevent(phone: Phone, args: list[str], stdin: bytes) -> Result:
    req = _request(args)
    if req.describe:
        return _describe(phone, req.labels).encode(), b"", 0
    if req.device not in (None, TOUCH_DEV):
        return b"", b"", 0  # the keys device: nothing pressed in the script
    lines = [line for group in _event_rows(phone, req) for line in group]
    return ("\n".join(lines) + "\n").encode(), b"", 0


def stream_getevent(phone: Phone, args: list[str]) -> Iterator[tuple[float, bytes]] | None:
    """(delay before, bytes) chunks of a streaming getevent; None for ``-p``/``-i`` (those
    answer at once through :func:`getevent`)."""
    req = _request(args)
    if req.describe:
        return None
    if req.device not in (None, TOUCH_DEV):
        return iter(())
    delay = float(getattr(phone, "touch_row_delay", 0.0))
    return ((delay, ("\n".join(group) + "\n").encode())
            for group in _event_rows(phone, req))
