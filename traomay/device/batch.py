"""Many read-only commands in ONE adb shell call.

Each section is followed by a marker line carrying a per-call random nonce and the
section's exit code, so text printed by the phone cannot fake a section boundary:

    getprop; echo "@@TM:9f2c:getprop:$?@@"; dumpsys battery; echo "@@TM:9f2c:battery:$?@@"
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class BatchedCommand:
    nonce: str
    names: tuple[str, ...]
    command_line: str


def build(sections: Mapping[str, str], nonce: str | None = None) -> BatchedCommand:
    nonce = nonce or secrets.token_hex(4)
    parts = []
    for name, command in sections.items():
        if not _NAME_RE.match(name):
            raise ValueError(f"bad section name {name!r}")
        # `</dev/null` keeps a command that reads stdin from swallowing the next ones;
        # `2>&1` keeps permission errors with their section.
        parts.append(f"{command} </dev/null 2>&1; echo \"@@TM:{nonce}:{name}:$?@@\"")
    return BatchedCommand(nonce, tuple(sections), "; ".join(parts))


@dataclass(frozen=True)
class Section:
    text: str
    exit_code: int | None


def split(batch: BatchedCommand, output: str) -> dict[str, Section]:
    """Sections found in ``output``; a section whose marker never came back (the phone
    went away mid-call, output cut) is missing from the result."""
    marker = re.compile(r"@@TM:" + re.escape(batch.nonce) + r":([A-Za-z0-9_.-]+):(\d*)@@\r?\n?")
    result: dict[str, Section] = {}
    start = 0
    for match in marker.finditer(output):
        name = match.group(1)
        if name in batch.names and name not in result:
            code = match.group(2)
            # adb shell without a pty may turn \n into \r\n on old phones: normalise.
            text = output[start:match.start()].replace("\r\n", "\n")
            result[name] = Section(text, int(code) if code else None)
        start = match.end()
    return result
