"""Many read-only commands in ONE adb shell call.

Each section is followed by a marker line carrying a per-call random nonce and the
section's exit code, so text printed by the phone cannot fake a section boundary:

    getprop; echo "@@TM:9f2c:getprop:$?@@"; dumpsys battery; echo "@@TM:9f2c:battery:$?@@"

The concurrent form runs every section at once as a background job writing to its own file
in /data/local/tmp, waits for all of them, then prints the files in order and removes them:
one round trip as before, and the phone's slow sections (``dumpsys batterystats`` walks the
whole battery history) overlap instead of adding up. The output has the same layout, so
``split`` reads both. :func:`run` uses it, and falls back to the sequential form for good on
a phone whose shell gave no marker back from it (a shell without jobs or subshells, or a
/data/local/tmp the shell may not write).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Where the concurrent form's per-section files go: the one folder the shell user may write
# on every Android version (since 4.x), wiped by a factory reset.
JOB_DIR = "/data/local/tmp"

_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class BatchedCommand:
    nonce: str
    names: tuple[str, ...]
    command_line: str


def build(sections: Mapping[str, str], nonce: str | None = None, *,
          concurrent: bool = False) -> BatchedCommand:
    """One command line for ``sections`` (name -> command), each followed by its marker;
    ``concurrent``: all sections at once (background jobs, one file each)."""
    nonce = nonce or secrets.token_hex(4)
    parts = []
    for name, command in sections.items():
        if not _NAME_RE.match(name):
            raise ValueError(f"bad section name {name!r}")
        # `</dev/null` keeps a command that reads stdin from swallowing the next ones;
        # `2>&1` keeps permission errors with their section.
        parts.append(f"{command} </dev/null 2>&1; echo \"@@TM:{nonce}:{name}:$?@@\"")
    if not concurrent:
        return BatchedCommand(nonce, tuple(sections), "; ".join(parts))
    files = [f"{JOB_DIR}/.tm-{nonce}-{k}" for k in range(len(parts))]
    jobs = " ".join(f"( {part} ) >{path} 2>&1 &" for part, path in zip(parts, files,
                                                                       strict=True))
    listed = " ".join(files)
    # The files hold the sections' text (some of it private) only until `rm`, in the same
    # call; a phone unplugged in between keeps them in /data/local/tmp (readable by the
    # shell user only) until its erase.
    return BatchedCommand(nonce, tuple(sections),
                          f"{jobs} wait; cat {listed} 2>/dev/null; rm -f {listed}")


def run(link: Any, sections: Mapping[str, str], timeout: float = 120.0
        ) -> tuple[BatchedCommand, dict[str, Section]]:
    """Run ``sections`` on ``link`` (anything with ``shell(command, timeout)``) in one call,
    concurrently unless the link says its phone's shell cannot (``link.background_jobs``
    is False; it is set here from what the phone answered). Returns the command and the
    sections found (a section whose marker never came back is missing)."""
    owner = getattr(link, "jobs_owner", link)  # a wrapper (counting calls) names its link
    concurrent = len(sections) > 1 and getattr(owner, "background_jobs", None) is not False
    cmd = build(sections, concurrent=concurrent)
    found = split(cmd, link.shell(cmd.command_line, timeout=timeout).output)
    if concurrent and not found:
        # Not one marker came back: this shell did not run the jobs (no subshells or `&`,
        # a /data/local/tmp it may not write). Ask once more, one after another, and keep
        # to that on this phone if it works.
        cmd = build(sections)
        found = split(cmd, link.shell(cmd.command_line, timeout=timeout).output)
        if found:
            _remember(owner, False)
    elif concurrent:
        _remember(owner, True)
    return cmd, found


def _remember(owner: Any, works: bool) -> None:
    try:
        owner.background_jobs = works
    except AttributeError:  # a runner that cannot carry it asks again next time
        pass


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
