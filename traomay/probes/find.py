"""Which phone on the hub is this row? Light its screen, vibrate it, and show its station
number in a notification (each best effort: what a phone refuses is skipped)."""

from __future__ import annotations

from traomay.core.errors import TraomayError
from traomay.core.results import ShellRunner

# KEYCODE_WAKEUP (224, Android 5+) lights the screen without toggling it off again.
WAKE = "input keyevent 224"
# `cmd vibrator vibrate` (Android 8-11); `cmd vibrator_manager synced` (12+).
VIBRATE = ("cmd vibrator_manager synced -f oneshot 600", "cmd vibrator vibrate 600")


def show_number(shell: ShellRunner, number: int) -> list[str]:
    """Returns which signals the phone accepted ("wake", "vibrate", "notification")."""
    done = []
    for name, commands in (("wake", (WAKE,)), ("vibrate", VIBRATE),
                           # NotificationManagerService shell command (Android 9+).
                           ("notification", (f"cmd notification post -S bigtext -t traomay "
                                             f"traomay-{int(number)} 'traomay #{int(number)}'",))):
        for command in commands:
            try:
                if not shell.shell(command, timeout=10.0).failed:
                    done.append(name)
                    break
            except TraomayError:
                return done
    return done
