"""Readers for the two outputs the storage check uses: ``df /data`` and ``dumpsys diskstats``.

Pure; never raise on odd text. Each reader returns a reading, or a :class:`Problem` saying
why not and whether the output was *absent* (empty, command refused: the other source may
stand alone) or *garbled* (present but cut, self-inconsistent or impossible: no verdict).

``df`` comes in three shapes on phones (NOTES: /work/scratch/storage/NOTES.md):

- toybox, Android 7.0+ (also busybox/MIUI 2.3): ``Filesystem 1K-blocks Used Available Use%
  Mounted on``, exact KiB. As the shell user (uid 2000) "Available" is ``f_bavail``, the
  same figure as diskstats' Data-Free. ``df /data`` names the *last* mount of /data's
  device, so the mount column may read ``/data/user/0`` (Android 11+ app-data bind mounts)
  or a vendor path (Xiaomi ``/cust/...``): a single row is /data whatever it says.
- toolbox, Android 2.3 to 6.0: ``Filesystem Size Used Free Blksize`` with K/M/G suffixes,
  one decimal rounded (ICS+) or a truncated whole number (Gingerbread); "Free" is
  ``f_bfree`` (it includes blocks reserved for root, so it can overstate what apps get).
- toolbox before 2.3: ``/data: 3864064K total, 1282880K used, 2581184K available ...``.

``dumpsys diskstats`` (DiskStatsService, every version): ``Data-Free: <avail>K /
<total>K total = <avail*100/total>% free``; ``Data-Error: ...`` when statfs fails;
``Latency: Nms [512B Data Write]`` or ``Test-Error: <exception>`` for a 512-byte write test
on /data; ``File-based Encryption: true`` (7.0+, printed only when true); ``Recent Disk Write
Speed (kB/s) = N`` (9+); then cached sizes and, 8.0+, the installed package names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from traomay.core.results import command_refused

KIB = 1024
MIB = 1024**2
GIB = 1024**3
# The largest /data a phone can plausibly have: 1 TB phones exist, 2 TiB do not (yet).
MAX_PLAUSIBLE_BYTES = 2 * 1024**4
_UNITS = {"": KIB, "K": KIB, "M": MIB, "G": GIB, "T": 1024**4}


@dataclass(frozen=True)
class Problem:
    """Why a source gave no reading; ``garbled`` = present but not to be trusted."""

    reason: str
    garbled: bool


@dataclass(frozen=True)
class DfReading:
    total_bytes: int
    free_bytes: int
    used_bytes: int
    mount: str
    style: str  # "toybox" (1K-blocks), "toolbox" (Size Used Free Blksize), "toolbox-old"
    free_margin_bytes: int = 0  # how much a rounded "Free" may exceed the real value


@dataclass(frozen=True)
class DiskstatsReading:
    total_bytes: int
    free_bytes: int
    file_based_encryption: bool  # the "File-based Encryption: true" line was printed
    write_latency_ms: int | None
    write_test_error: str | None  # "Test-Error: ..." (the 512-byte write to /data failed)
    write_speed_kbps: int | None


# -- df ---------------------------------------------------------------------------------------

_HUMAN = re.compile(r"^(\d{1,12})(?:\.(\d))?([KMGT])$")
_OLD_TOOLBOX = re.compile(r"^(\S+): (\d{1,15})K total, (\d{1,15})K used, (\d{1,15})K available"
                          r" \(block size \d+\)\s*$", re.MULTILINE)


def read_df(text: str) -> DfReading | Problem:
    """The /data row of ``df /data`` (or of a full ``df`` table)."""
    if not isinstance(text, str) or not text.strip():
        return Problem("no df output", garbled=False)
    lines = text.replace("\r", "").splitlines()
    header_at = next((i for i, line in enumerate(lines)
                      if line.split()[:1] and line.split()[0].lower() == "filesystem"), None)
    if header_at is None:
        old = [m for m in _OLD_TOOLBOX.finditer(text)]
        if old:
            return _old_toolbox(old)
        first = next(line.strip() for line in lines if line.strip())
        garbled = not (command_refused(text) or "denied" in text.lower()
                       or "no such file" in text.lower())
        return Problem(f"df printed no table ({_clip(first)})", garbled=garbled)
    header = [c.lower() for c in lines[header_at].split()]
    if "blksize" in header and "free" in header:
        rows, cut = _rows(lines[header_at + 1:], 5, _toolbox_row)
        style = "toolbox"
    elif any(c.endswith("-blocks") for c in header) and "used" in header:
        # "1K-blocks" (toybox, busybox), "512-blocks" (df -P), "1024-blocks" (df -Pk)
        label = next(c for c in header if c.endswith("-blocks"))[: -len("-blocks")]
        block = {"1k": KIB, "1024": KIB, "512": 512}.get(label)
        if block is None:
            return Problem(f"df counts in blocks of an unknown size ({_clip(lines[header_at])})",
                           garbled=True)
        rows, cut = _rows(lines[header_at + 1:], 6, lambda t: _toybox_row(t, block))
        style = "toybox"
    else:
        return Problem(f"df table of an unknown shape ({_clip(lines[header_at])})", garbled=True)
    named = [r for r in rows if r.mount == "/data"]
    if named:
        row = named[-1]
    elif len(rows) == 1 and not cut:
        row = rows[0]  # `df /data` names the last mount of /data's device (see above)
    elif cut:
        return Problem(f"df line cut short or garbled ({_clip(cut[0])})", garbled=True)
    elif rows:
        return Problem("df lists no /data row", garbled=True)
    else:
        return Problem("df printed a header but no rows", garbled=True)
    problem = _impossible(row.total_bytes, row.free_bytes, "df")
    if problem:
        return Problem(problem, garbled=True)
    return DfReading(row.total_bytes, row.free_bytes, row.used_bytes, row.mount, style,
                     row.free_margin_bytes)


def parse_df(text: str) -> tuple[int | None, int | None]:
    """``(total_bytes, free_bytes)`` of /data from ``df /data``; ``None`` for what cannot be
    read. Free is what df prints: toybox "Available", toolbox "Free" (nominal value)."""
    reading = read_df(text)
    if isinstance(reading, Problem):
        return None, None
    return reading.total_bytes, reading.free_bytes


def _rows(lines: list[str], width: int,
          parse_row: Callable[[list[str]], DfReading | None]) -> tuple[list[DfReading], list[str]]:
    """Complete rows, and the lines that start like a row but do not parse (cut/garbled).
    A device name too long for its column is printed alone, the numbers on the next line
    (busybox, coreutils): such a pair is joined."""
    rows: list[DfReading] = []
    cut: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        tokens = line.split()
        if (len(tokens) == 1 and i + 1 < len(lines) and lines[i + 1][:1].isspace()
                and len(lines[i + 1].split()) == width - 1):
            tokens = tokens + lines[i + 1].split()
            i += 1
        i += 1
        if not tokens or ": " in line:  # blank, or "…: Permission denied" (toolbox, 6.0)
            continue
        row = parse_row(tokens) if len(tokens) >= width else None
        if row is None:
            cut.append(line)
        else:
            rows.append(row)
    return rows, cut


def _toybox_row(tokens: list[str], block: int) -> DfReading | None:
    size, used, avail, percent = tokens[1:5]
    if not (_digits(size) and _digits(used) and _digits(avail)
            and percent.endswith("%") and _digits(percent[:-1])):
        return None
    total, used_k, free = int(size), int(used), int(avail)
    # toybox and coreutils round Use% up, busybox to nearest: allow one point either way.
    shown = int(percent[:-1])
    expected = math.ceil(used_k * 100 / (used_k + free)) if used_k + free else 0
    if used_k + free > total or abs(shown - expected) > 1:
        return None
    return DfReading(total * block, free * block, used_k * block, " ".join(tokens[5:]), "toybox")


def _toolbox_row(tokens: list[str]) -> DfReading | None:
    if len(tokens) != 5 or not _digits(tokens[4]):
        return None
    values = [_human(t) for t in tokens[1:4]]
    if any(v is None for v in values):
        return None
    (size, size_err), (used, used_err), (free, free_err) = values  # type: ignore[misc]
    # Size = Used + Free (all from f_blocks/f_bfree), up to the rounding of each figure.
    if abs(size - used - free) > size_err + used_err + free_err + KIB:
        return None
    return DfReading(size, free, used, tokens[0], "toolbox", free_err)


def _human(token: str) -> tuple[int, int] | None:
    """``"25.6G"`` -> (bytes, how far off the figure may be). ICS+ toolbox rounds to one
    decimal (error half a tenth); Gingerbread truncates to a whole number (error one unit)."""
    match = _HUMAN.match(token)
    if not match:
        return None
    whole, tenth, unit = match.groups()
    scale = _UNITS[unit]
    if tenth is None:
        return int(whole) * scale, scale
    return (int(whole) * 10 + int(tenth)) * scale // 10, scale // 20


def _old_toolbox(matches: list[re.Match[str]]) -> DfReading | Problem:
    named = [m for m in matches if m.group(1) == "/data"] or matches[-1:]
    m = named[-1]
    total, used, free = (int(m.group(k)) * KIB for k in (2, 3, 4))
    if used + free != total:
        return Problem(f"df figures do not add up ({_clip(m.group(0))})", garbled=True)
    problem = _impossible(total, free, "df")
    if problem:
        return Problem(problem, garbled=True)
    return DfReading(total, free, used, m.group(1), "toolbox-old")


# -- dumpsys diskstats ------------------------------------------------------------------------

_DATA_FREE = re.compile(r"^Data-Free: (\d{1,15})K / (\d{1,15})K total = (\d{1,3})% free$")
_LATENCY = re.compile(r"^Latency: (\d{1,9})ms \[512B Data Write\]$")
_SPEED = re.compile(r"^Recent Disk Write Speed \(kB/s\) = (\d{1,12})$")


def read_diskstats(text: str) -> DiskstatsReading | Problem:
    """/data's size and free space from ``dumpsys diskstats``, with the write test."""
    if not isinstance(text, str) or not text.strip():
        return Problem("no diskstats output", garbled=False)
    if command_refused(text):
        first = next(line.strip() for line in text.splitlines() if line.strip())
        return Problem(f"dumpsys diskstats refused ({_clip(first)})", garbled=False)
    lines = [line.rstrip() for line in text.replace("\r", "").splitlines()]
    data = [line for line in lines if line.startswith("Data-")]
    if not data:
        return Problem("diskstats has no Data-Free line", garbled=True)
    if data[0].startswith("Data-Error:"):
        # DiskStatsService: statfs gave a block size or block count of 0 or less.
        return Problem(f"the phone could not measure /data ({_clip(data[0])})", garbled=True)
    match = _DATA_FREE.match(data[0])
    if not match:
        return Problem(f"diskstats Data-Free line cut short or garbled ({_clip(data[0])})",
                       garbled=True)
    if len(set(data)) > 1:
        return Problem("diskstats has two different Data lines", garbled=True)
    free, total, percent = (int(g) for g in match.groups())
    # The phone computes the percentage from block counts: a cut digit shows up here.
    if total <= 0 or abs(free * 100 // total - percent) > 1:
        return Problem(f"diskstats figures do not add up ({_clip(data[0])})", garbled=True)
    problem = _impossible(total * KIB, free * KIB, "diskstats")
    if problem:
        return Problem(problem, garbled=True)
    latency = next((int(m.group(1)) for m in map(_LATENCY.match, lines) if m), None)
    error = next((line[len("Test-Error:"):].strip() for line in lines
                  if line.startswith("Test-Error:")), None)
    speed = next((int(m.group(1)) for m in map(_SPEED.match, lines) if m), None)
    return DiskstatsReading(total_bytes=total * KIB, free_bytes=free * KIB,
                            file_based_encryption="File-based Encryption: true" in lines,
                            write_latency_ms=latency,
                            write_test_error=_clip(error) if error is not None else None,
                            write_speed_kbps=speed)


# -- shared -----------------------------------------------------------------------------------

def _impossible(total: int, free: int, where: str) -> str | None:
    if total <= 0:
        return f"{where} gives /data a size of 0"
    if free > total:
        return f"{where} shows more free space than the size of /data"
    if total > MAX_PLAUSIBLE_BYTES:
        return f"{where} gives /data an impossible size ({total // GIB} GiB)"
    return None


def _digits(text: str) -> bool:
    """ASCII digits only ("²".isdigit() is True, and int() refuses it)."""
    return text.isascii() and text.isdigit()


def _clip(text: str, limit: int = 120) -> str:
    """A device line for a reason: one line, printable, at most ``limit`` characters."""
    line = "".join(ch if ch.isprintable() else "?" for ch in text.strip().splitlines()[0]
                   ) if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"
