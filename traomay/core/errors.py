"""One base error; the CLI maps each kind to a documented exit code and a message that says
what to do. Library code raises these and never prints or exits."""

from __future__ import annotations

from enum import IntEnum

from traomay.core.msg import Msg


class ExitCode(IntEnum):
    """Documented in README ("Mã thoát / Exit codes")."""

    OK = 0
    FAILED = 1  # the command ran; a phone failed inspection or a step did not succeed
    USAGE = 2  # wrong options or arguments
    NO_DEVICE = 3  # phone not found, unplugged, or several phones match
    NOT_READY = 4  # phone unauthorized/offline: a person must act on the phone
    BAD_INPUT = 5  # broken manifest, criteria, CSV or APK file
    ADB = 6  # the adb server could not be started or reached
    INVENTORY = 7  # the inventory database could not be read or written
    INTERNAL = 70  # a bug: details in the log file
    INTERRUPTED = 130  # Ctrl-C


class TraomayError(Exception):
    """Base error: carries a translatable message that tells the volunteer what to do."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: Msg, *, detail: str = "") -> None:
        super().__init__(message.plain())
        self.message = message
        self.detail = detail  # technical detail for logs, may hold device text


class UsageError(TraomayError):
    """Wrong options or arguments (a check name that does not exist, a bad choice)."""

    exit_code = ExitCode.USAGE


class DeviceError(TraomayError):
    """The phone could not be reached or did not answer."""

    exit_code = ExitCode.NO_DEVICE


class DeviceNotFound(DeviceError):
    """No phone matches the given serial or transport id."""


class DeviceAmbiguous(DeviceError):
    """Several phones match a serial (duplicate serials)."""


class DeviceNotInInventory(DeviceError):
    """The inventory has no (or more than one) phone matching what was asked."""


class DeviceNotReady(DeviceError):
    """Unauthorized or offline: the volunteer must act on the phone."""

    exit_code = ExitCode.NOT_READY


class DeviceGone(DeviceError):
    """The phone went away during a command (unplugged, rebooted, USB reset)."""


class DeviceTimeout(DeviceError):
    """The phone did not answer in time."""


class AdbServerError(TraomayError):
    """The adb server could not be started or reached."""

    exit_code = ExitCode.ADB


class BadInputError(TraomayError):
    """A file the user gave us is broken (manifest, criteria, CSV, APK)."""

    exit_code = ExitCode.BAD_INPUT


class InventoryError(TraomayError):
    """The inventory database could not be opened or written."""

    exit_code = ExitCode.INVENTORY
