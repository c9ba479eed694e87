"""Turn a radio on for a test and put it back as it was, also when the test fails.

Wi-Fi, Bluetooth and location are the previous owner's settings, and a phone handed over
with radios left on drains its battery: every probe that switches one on goes through
:func:`radio_session`. A switch command the phone refuses (non-zero exit, "unknown
command", a permission denial) raises :class:`CommandRefused`: the probe then reports
"could not command X", never "X does not work".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from traomay.core.results import ShellResult, ShellRunner

SWITCH_TIMEOUT_S = 15.0


class CommandRefused(Exception):
    """The phone did not run a command we sent (it says so, or its exit code does)."""

    def __init__(self, command: str, reply: ShellResult) -> None:
        super().__init__(command)
        self.command = command
        self.reply = reply

    @property
    def reason(self) -> str:
        """A short, plain reason for the technician (no phone text beyond one line)."""
        first = next((ln.strip() for ln in self.reply.output.splitlines() if ln.strip()), "")
        code = self.reply.exit_code
        where = f"'{self.command}'" + (f" exit {code}" if code not in (None, 0) else "")
        return f"{where}: {first[:120]}" if first else where


@dataclass
class RadioSession:
    turned_on: bool = False
    restored: bool | None = None  # None: nothing to restore


def send(shell: ShellRunner, command: str, timeout: float = SWITCH_TIMEOUT_S) -> ShellResult:
    """Run a command that must act on the phone; CommandRefused when the phone refuses."""
    reply = shell.shell(command, timeout=timeout)
    if reply.failed:
        raise CommandRefused(command, reply)
    return reply


@contextmanager
def radio_session(shell: ShellRunner, on: str, off: str, *, needed: bool) -> Iterator[RadioSession]:
    """``on`` when ``needed`` (CommandRefused if the phone refuses it), the body, then
    ``off`` if we turned it on. On an error in the body the radio is turned off quietly
    and the error goes on; otherwise an error while turning it off propagates."""
    session = RadioSession()
    if needed:
        send(shell, on)
        session.turned_on = True
    try:
        yield session
    except BaseException:
        if session.turned_on:
            try:
                shell.shell(off, timeout=SWITCH_TIMEOUT_S)
            except Exception:  # restoring is best effort while another error is on its way
                pass
        raise
    if session.turned_on:
        session.restored = not shell.shell(off, timeout=SWITCH_TIMEOUT_S).failed
