"""The touch grid test, as pure logic: raw touch events in, touched cells out.

The operator drags a finger over the whole screen while ``getevent -lt <device>`` (or plain
``getevent``) streams events; every frame (SYN_REPORT) marks the grid cell under each
finger that is down. The grid is in the touch panel's raw coordinates (natural
orientation, as in ``getevent -lp`` / "Raw Touch Axes"); the UI draws it the same way.

Handles multi-touch protocol B (ABS_MT_SLOT + ABS_MT_TRACKING_ID, ``ffffffff`` = finger
lifted), protocol A (SYN_MT_REPORT per finger) and single-touch panels (ABS_X/ABS_Y +
BTN_TOUCH). Lines that are not events (device headers, shell prompts) are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# linux/input-event-codes.h
EV_SYN, EV_KEY, EV_ABS = 0x00, 0x01, 0x03
SYN_REPORT, SYN_MT_REPORT = 0x00, 0x02
BTN_TOUCH = 0x14A
ABS_X, ABS_Y = 0x00, 0x01
ABS_MT_SLOT, ABS_MT_POSITION_X, ABS_MT_POSITION_Y, ABS_MT_TRACKING_ID = 0x2F, 0x35, 0x36, 0x39

_TYPES = {"EV_SYN": EV_SYN, "EV_KEY": EV_KEY, "EV_ABS": EV_ABS}
_CODES = {
    "SYN_REPORT": SYN_REPORT, "SYN_MT_REPORT": SYN_MT_REPORT, "BTN_TOUCH": BTN_TOUCH,
    "ABS_X": ABS_X, "ABS_Y": ABS_Y, "ABS_MT_SLOT": ABS_MT_SLOT,
    "ABS_MT_POSITION_X": ABS_MT_POSITION_X, "ABS_MT_POSITION_Y": ABS_MT_POSITION_Y,
    "ABS_MT_TRACKING_ID": ABS_MT_TRACKING_ID,
}
# -l prints key values as words
_KEY_WORDS = {"UP": 0, "DOWN": 1, "REPEAT": 2}

_EVENT = re.compile(
    r"^\s*(?:\[\s*[\d.]+\]\s*)?(?:(/dev/input/\S+?):\s*)?"
    r"([A-Z_]+|[0-9a-fA-F]{4})\s+([A-Z_0-9]+|[0-9a-fA-F]{4})\s+([0-9a-fA-F]{8}|UP|DOWN|REPEAT)\s*$"
)


@dataclass(frozen=True)
class TouchEvent:
    device: str | None
    type: int
    code: int
    value: int


def parse_event_line(line: str) -> TouchEvent | None:
    """One getevent line (``-lt``, ``-l``, ``-t`` or plain), or None if it is not an event."""
    match = _EVENT.match(line)
    if not match:
        return None
    device, type_text, code_text, value_text = match.groups()
    event_type = _number(type_text, _TYPES)
    code = _number(code_text, _CODES)
    if event_type is None or code is None:
        return None
    if value_text in _KEY_WORDS:
        value = _KEY_WORDS[value_text]
    else:
        value = int(value_text, 16)
        if value >= 0x8000_0000:  # 32-bit two's complement: ffffffff = -1
            value -= 0x1_0000_0000
    return TouchEvent(device, event_type, code, value)


def _number(text: str, names: dict[str, int]) -> int | None:
    if text in names:
        return names[text]
    if re.fullmatch(r"[0-9a-fA-F]{4}", text):
        return int(text, 16)
    return None  # a label we do not need (e.g. ABS_MT_TOUCH_MAJOR, EV_MSC)


@dataclass
class _Contact:
    x: int | None = None
    y: int | None = None
    down: bool | None = None  # None: no tracking id / BTN_TOUCH seen yet


@dataclass(frozen=True)
class GridResult:
    """What the inspection stores: how much of the grid was touched, or the operator's word."""

    cols: int
    rows: int
    cells_hit: int
    operator_failed: bool = False  # the operator saw a dead or ghost-touching area

    @property
    def complete(self) -> bool:
        return not self.operator_failed and self.cells_hit >= self.cols * self.rows

    @property
    def coverage(self) -> float:
        total = self.cols * self.rows
        return round(self.cells_hit / total, 3) if total else 0.0


@dataclass
class TouchGrid:
    cols: int
    rows: int
    x_range: tuple[int, int]
    y_range: tuple[int, int]
    device: str | None = None  # only events of this /dev/input path count (when printed)
    hit: set[tuple[int, int]] = field(default_factory=set)
    rejected: int = 0  # frames with a position outside the panel's range (not marked)
    _contacts: dict[int, _Contact] = field(default_factory=dict)
    _slot: int = 0

    def __post_init__(self) -> None:
        if self.cols < 1 or self.rows < 1:
            raise ValueError("the grid needs at least one column and one row")
        if self.x_range[1] <= self.x_range[0] or self.y_range[1] <= self.y_range[0]:
            raise ValueError("touch axis range is empty")

    def feed(self, lines: str | list[str]) -> None:
        """Consume getevent output (a chunk of text or a list of lines)."""
        for line in lines.splitlines() if isinstance(lines, str) else lines:
            event = parse_event_line(line)
            if event is not None:
                self.feed_event(event)

    def feed_event(self, event: TouchEvent) -> None:
        if self.device and event.device and event.device != self.device:
            return
        contact = self._contacts.setdefault(self._slot, _Contact())
        if event.type == EV_ABS:
            if event.code == ABS_MT_SLOT:
                self._slot = event.value
            elif event.code in (ABS_MT_POSITION_X, ABS_X):
                contact.x = event.value
            elif event.code in (ABS_MT_POSITION_Y, ABS_Y):
                contact.y = event.value
            elif event.code == ABS_MT_TRACKING_ID:
                contact.down = event.value != -1
        elif event.type == EV_KEY and event.code == BTN_TOUCH:
            if event.value == 0:
                for each in self._contacts.values():
                    each.down = False
            else:
                contact.down = True
        elif event.type == EV_SYN and event.code == SYN_MT_REPORT:
            self._mark(contact)  # protocol A: one report per finger
            self._contacts[self._slot] = _Contact(down=contact.down)
        elif event.type == EV_SYN and event.code == SYN_REPORT:
            for each in self._contacts.values():
                self._mark(each)

    def _mark(self, contact: _Contact) -> None:
        if contact.down is False or contact.x is None or contact.y is None:
            return
        # A panel reports positions inside its axis range (getevent -lp); one far outside
        # is a damaged event, and clamping it would mark an edge cell nobody touched (a
        # dead edge would pass). A sliver beyond max is tolerated (some drivers report it).
        if not (_inside(contact.x, self.x_range) and _inside(contact.y, self.y_range)):
            self.rejected += 1
            return
        self.hit.add((_cell(contact.x, self.x_range, self.cols),
                      _cell(contact.y, self.y_range, self.rows)))

    def coverage(self) -> float:
        return round(len(self.hit) / (self.cols * self.rows), 3)

    @property
    def complete(self) -> bool:
        return len(self.hit) >= self.cols * self.rows

    def missing(self) -> list[tuple[int, int]]:
        """(col, row) cells not touched yet, for the UI to highlight."""
        return [(c, r) for r in range(self.rows) for c in range(self.cols)
                if (c, r) not in self.hit]

    def result(self) -> GridResult:
        return GridResult(self.cols, self.rows, len(self.hit))


def _inside(value: int, axis: tuple[int, int]) -> bool:
    low, high = axis
    slack = max(1, (high - low) // 100)
    return low - slack <= value <= high + slack


def _cell(value: int, axis: tuple[int, int], count: int) -> int:
    low, high = axis
    index = (value - low) * count // (high - low + 1)
    return min(max(index, 0), count - 1)
