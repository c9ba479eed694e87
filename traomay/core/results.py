"""The shared vocabulary of a check run: statuses, unknown facts, results, and what a
shell on a phone returns. Imports nothing of the toolkit but core."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from traomay.core.msg import Msg


class Status(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    NEEDS_OPERATOR = "needs_operator"  # a person must act or confirm
    ERROR = "error"  # could not be determined; the summary says why
    SKIPPED = "skipped"


# How favourable a status is, for "a mutation may never make a result more favourable"
# (the evidence rule): fail < (error, needs_operator, skipped) < pass.
FAVOUR: Mapping[Status, int] = {
    Status.FAIL: 0, Status.ERROR: 1, Status.NEEDS_OPERATOR: 1, Status.SKIPPED: 1,
    Status.PASS: 2,
}


@dataclass(frozen=True)
class Unknown:
    """A fact that could not be read, and why (shown to the technician)."""

    reason: str

    def __bool__(self) -> bool:  # an unknown fact is never "truthy evidence"
        return False


def known(value: object) -> bool:
    return not isinstance(value, Unknown)


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    summary: Msg
    measurements: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "summary": self.summary.to_json(),
            "measurements": dict(self.measurements),
        }


@dataclass(frozen=True)
class ShellResult:
    output: str
    exit_code: int | None  # None when the phone's adb has no shell_v2 and no marker came back

    @property
    def failed(self) -> bool:
        """The phone said the command did not run: a non-zero exit code, or (phones with
        no exit code) the usual refusal texts. "Could not command", not "does not work"."""
        if self.exit_code not in (0, None):
            return True
        return command_refused(self.output)


_REFUSALS = ("unknown command", "not found", "permission denial", "securityexception",
             "can't find service", "inaccessible or not found", "no shell command",
             "does not have access", "usage:",
             # Android 8.0 `svc` answers a command it lacks (bluetooth) with its list, exit 0
             "available commands:")


def command_refused(output: str) -> bool:
    """Output that says the command itself was refused or unknown on this phone."""
    head = output.strip().lower()[:400]
    return any(text in head for text in _REFUSALS)


class ShellRunner(Protocol):
    """What a probe may use: run one shell command line on one phone."""

    def shell(self, command: str, timeout: float = 30.0) -> ShellResult: ...
