"""A tiny SimulatedPhone for the wire tests only (the real model is simulator/phone.py).

Fixed banner, a handful of canned commands, ``;`` and ``$?`` (adbutils and PhoneLink append
``; echo MARKER$?`` on phones without shell_v2), a dict filesystem, streamed installs.
"""

from __future__ import annotations

import hashlib
import re
import stat
import time

from traomay.simulator.phone_api import ShellOutcome

V2_FEATURES = ["shell_v2", "cmd", "stat_v2", "ls_v2", "sendrecv_v2", "fixed_push_mkdir", "abb_exec",
               "apex"]
OLD_FEATURES: list[str] = []  # Android 6 and older: no shell_v2, no cmd

_INSTALL = re.compile(r"^(?:cmd package|pm) install(?: -r)? -S (\d+)\s*$")


class MinimalPhone:
    def __init__(self, serial: str = "SIM0001", model: str = "Minimal Phone",
                 features: list[str] | None = None, authorized: bool = True,
                 reboot_seconds: float = 0.3) -> None:
        self.serial = serial
        self.model = model
        self._features = list(V2_FEATURES if features is None else features)
        self._authorized = authorized
        self.reboot_seconds = reboot_seconds
        self.files: dict[str, tuple[bytes, int, int]] = {}
        self.installed: list[tuple[int, str]] = []  # (size, sha256) of streamed APKs
        self.commands: list[str] = []
        self.boots = 1
        self._pending_reboot: float | None = None

    # --- connection -----------------------------------------------------------------
    def banner(self) -> bytes:
        model = re.sub(r"[^A-Za-z0-9]", "_", self.model)
        return (f"device::ro.product.name=minimal;ro.product.model={model};"
                f"ro.product.device=minimal;features={','.join(self._features)}").encode()

    def features(self) -> list[str]:
        return list(self._features)

    def is_authorized(self) -> bool:
        return self._authorized

    def authorize(self) -> None:
        self._authorized = True

    # --- services -------------------------------------------------------------------
    def stdin_bytes_expected(self, command: str) -> int:
        match = _INSTALL.match(command.strip())
        return int(match.group(1)) if match else 0

    def run(self, command: str, stdin: bytes = b"") -> ShellOutcome:
        self.commands.append(command)
        stdout, stderr, code = b"", b"", 0
        for part in command.split(";"):
            part = part.strip().replace("$?", str(code))
            if not part:
                continue
            out, err, code = self._one(part, stdin)
            stdout += out
            stderr += err
        return ShellOutcome(stdout, stderr, code)

    def _one(self, cmd: str, stdin: bytes) -> tuple[bytes, bytes, int]:
        if cmd.startswith("echo "):
            return cmd[5:].encode() + b"\n", b"", 0
        if cmd == "getprop ro.serialno":
            return self.serial.encode() + b"\n", b"", 0
        if cmd == "getprop sys.boot_completed":
            return b"1\n", b"", 0
        if cmd == "true":
            return b"", b"", 0
        if cmd == "false":
            return b"", b"", 1
        if cmd == "mixed":
            return b"to stdout\n", b"to stderr\n", 3
        if cmd.startswith("reboot"):
            self._pending_reboot = self.reboot_seconds
            return b"", b"", 0
        if _INSTALL.match(cmd):
            size = int(_INSTALL.match(cmd).group(1))  # type: ignore[union-attr]
            if len(stdin) != size:
                return b"Failure [INSTALL_FAILED_INVALID_APK: short read]\n", b"", 1
            self.installed.append((size, hashlib.sha256(stdin).hexdigest()))
            return b"Success\n", b"", 0
        return b"", f"/system/bin/sh: {cmd.split()[0]}: not found\n".encode(), 127

    # --- sync -----------------------------------------------------------------------
    def read_file(self, path: str) -> bytes | None:
        entry = self.files.get(path)
        return entry[0] if entry else None

    def write_file(self, path: str, data: bytes, mode: int) -> None:
        if path.startswith("/system/"):
            raise PermissionError("Read-only file system")
        self.files[path] = (data, stat.S_IFREG | (mode & 0o7777), int(time.time()))

    def stat_file(self, path: str) -> tuple[int, int, int] | None:
        entry = self.files.get(path)
        if entry is not None:
            return entry[1], len(entry[0]), entry[2]
        if any(p.startswith(path.rstrip("/") + "/") for p in self.files) or path == "/":
            return stat.S_IFDIR | 0o771, 4096, 0
        return None

    def list_dir(self, path: str) -> list[tuple[str, int, int, int]]:
        prefix = path.rstrip("/") + "/"
        return [(p[len(prefix):], mode, len(data), mtime)
                for p, (data, mode, mtime) in self.files.items()
                if p.startswith(prefix) and "/" not in p[len(prefix):]]

    # --- reboot ---------------------------------------------------------------------
    def pending_reboot(self) -> float | None:
        seconds, self._pending_reboot = self._pending_reboot, None
        return seconds

    def reboot_asked(self) -> bool:
        return self._pending_reboot is not None

    def on_boot(self) -> None:
        self.boots += 1
