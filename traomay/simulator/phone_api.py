"""The contract between the ADB wire side (server.py, hub.py) and a simulated phone's
state (phone.py, shell.py, profiles/).

The wire side knows nothing about Android; the phone side knows nothing about sockets.
This package imports nothing from provision/, checks/ or inventory/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass
class ShellOutcome:
    stdout: bytes
    stderr: bytes = b""
    exit_code: int = 0
    seconds: float = 0.0  # how long the phone takes to answer (latency.py; 0: at once)


class SimulatedPhone(Protocol):
    serial: str

    # --- connection -----------------------------------------------------------------
    def banner(self) -> bytes:
        """CNXN payload, e.g.
        b"device::ro.product.name=x;ro.product.model=y;ro.product.device=z;features=shell_v2"."""

    def features(self) -> list[str]:
        """adbd features this phone advertises (old phones: no shell_v2, no cmd)."""

    def is_authorized(self) -> bool:
        """False while the phone waits for the volunteer to tap "Allow USB debugging"."""

    def authorize(self) -> None:
        """The volunteer tapped "Allow" (SimulatedHub.allow): is_authorized() is True from
        now on, as with "Always allow from this computer" ticked. (Added by the wire side;
        a phone that is always authorized may make this a no-op.)"""

    # --- services -------------------------------------------------------------------
    def stdin_bytes_expected(self, command: str) -> int:
        """For exec:/shell: commands that stream a payload (``cmd package install -S N``,
        ``pm install-write -S N ...  -``), how many bytes the wire must read from the host
        before calling run(). 0 otherwise."""

    def run(self, command: str, stdin: bytes = b"") -> ShellOutcome:
        """Run one command line as the phone's /system/bin/sh would (``;``, ``&&``,
        ``echo``, ``$?``, getprop, dumpsys, settings, cmd, pm, svc, ...)."""

    # --- sync: a tiny filesystem ----------------------------------------------------
    def read_file(self, path: str) -> bytes | None: ...
    def write_file(self, path: str, data: bytes, mode: int) -> None: ...
    def stat_file(self, path: str) -> tuple[int, int, int] | None:
        """(mode, size, mtime) or None when missing."""
    def list_dir(self, path: str) -> list[tuple[str, int, int, int]]:
        """[(name, mode, size, mtime)]"""

    # --- reboot ---------------------------------------------------------------------
    def pending_reboot(self) -> float | None:
        """Seconds the phone stays away if the last command asked for a reboot
        (``reboot``, ``cmd testharness enable``), else None. Reading it clears it."""

    def reboot_asked(self) -> bool:
        """Whether a command asked for a reboot that has not begun (does not clear it)."""

    def on_boot(self) -> None:
        """Called when the phone comes back after a reboot (wipes apply here)."""
