"""How long commands take on a simulated phone (benchmarks, soak runs; tests use none).

A phone with ``phone.latency = CommandLatency(...)`` answers each command line after the
time its commands would take on a real phone: the shell adds up the commands it runs one
after another, and jobs started in the background (``( ... ) > file &``) overlap until
``wait`` (shell.Shell keeps that clock). The wire services sleep on the event loop for that
long (``asyncio.sleep``), so hundreds of phones can be slow at once without blocking each
other.

The figures are rough wall times of a mid-range phone from 2018-2020 over USB (assumed, not
measured on a panel of phones): ``dumpsys batterystats`` walks the whole battery history
(seconds), ``dumpsys media.camera`` asks the camera HAL (half a second), ``getprop`` and
``settings`` are a binder call or a file read (tens of milliseconds). An install is an
on-phone copy, verification and dexopt: a fixed part plus a per-megabyte part.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# (argv prefix, seconds); the longest matching prefix wins.
REALISTIC_COMMANDS: Mapping[tuple[str, ...], float] = {
    (): 0.005,  # anything else: a toybox builtin
    ("getprop",): 0.03,
    ("settings",): 0.06,
    ("service",): 0.04,
    ("pm",): 0.3,
    ("cmd",): 0.08,
    ("cmd", "package"): 0.3,
    ("dumpsys",): 0.15,
    ("dumpsys", "battery"): 0.1,
    ("dumpsys", "batterystats"): 2.0,
    ("dumpsys", "media.camera"): 0.5,
    ("dumpsys", "account"): 0.1,
    ("dumpsys", "package"): 0.25,
    ("dumpsys", "telephony.registry"): 0.1,
    ("dumpsys", "wifi"): 0.3,
    ("dumpsys", "location"): 0.2,
    ("dumpsys", "input"): 0.1,
    ("dumpsys", "diskstats"): 0.2,
    ("getevent",): 0.05,
    ("df",): 0.02,
    ("am",): 0.4,
    ("input",): 0.25,  # app_process start-up
    ("svc",): 0.2,
    ("echo",): 0.0,
    ("cat",): 0.0,
    ("rm",): 0.0,
    ("wait",): 0.0,
}

INSTALL_VERBS = ("install", "install-commit")


@dataclass(frozen=True)
class CommandLatency:
    """Seconds per command (``commands``), plus for an install the on-phone work:
    ``install_fixed_s`` + size / ``install_bytes_per_s`` (copy, verify, dexopt)."""

    commands: Mapping[tuple[str, ...], float] = field(
        default_factory=lambda: dict(REALISTIC_COMMANDS))
    install_fixed_s: float = 1.0
    install_bytes_per_s: float = 25e6
    scale: float = 1.0  # every figure times this (0.5: a fast phone, 2: an old one)

    @functools.cached_property
    def _longest(self) -> int:
        return max((len(p) for p in self.commands), default=0)

    def __call__(self, argv: list[str], stdin_bytes: int = 0, phone: Any = None) -> float:
        """Seconds the command ``argv`` (with ``stdin_bytes`` streamed in) takes on
        ``phone`` (read for the size of an APK installed from a file or a session)."""
        seconds = 0.0
        for length in range(min(len(argv), self._longest), -1, -1):
            found = self.commands.get(tuple(argv[:length]))
            if found is not None:
                seconds = found
                break
        words = argv[2:] if argv[:2] == ["cmd", "package"] else argv[1:] if argv[:1] == \
            ["pm"] else []
        if words and words[0] in INSTALL_VERBS:
            size = stdin_bytes or _apk_size(words, phone)
            seconds += self.install_fixed_s + size / self.install_bytes_per_s
        return seconds * self.scale


def _apk_size(words: list[str], phone: Any) -> int:
    """``install -S N``, ``install PATH`` (a pushed file), ``install-commit SESSION``."""
    for k, word in enumerate(words[:-1]):
        if word == "-S" and words[k + 1].isdigit():
            return int(words[k + 1])
    if phone is None or len(words) < 2:
        return 0
    last = words[-1]
    if words[0] == "install-commit" and last.isdigit():
        session = getattr(phone, "sessions", {}).get(int(last))
        return sum(len(d) for d in session.apks.values()) if session is not None else 0
    data = phone.read_file(last) if hasattr(phone, "read_file") else None
    return len(data) if data else 0


REALISTIC = CommandLatency()

__all__ = ["REALISTIC", "REALISTIC_COMMANDS", "CommandLatency"]
