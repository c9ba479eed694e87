"""The shape every check shares: facts in, a result out.

A check module has:
- a frozen dataclass of facts;
- ``parse(text) -> Facts``: pure, never raises; a fact that cannot be read is an
  ``Unknown`` carrying the reason;
- ``evaluate(facts, criteria) -> CheckResult``: pure;
- ``collect(shell) -> str``: the thin I/O step, through a ``ShellRunner``.

User-facing text is a ``Msg``: an English message id plus arguments. It is translated
when shown (provision.i18n), so results stored in the inventory can be shown in either
language later.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Status(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    NEEDS_OPERATOR = "needs_operator"  # a person must act or confirm
    ERROR = "error"  # could not be determined; the summary says why
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Msg:
    """A translatable message: English msgid with ``{name}`` placeholders, and its args.

    The msgid is looked up in the gettext catalog when rendered; args are filled in after
    translation. Args coming from a phone are untrusted text: renderers escape them.
    """

    msgid: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"msgid": self.msgid, "args": dict(self.args)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Msg:
        return cls(str(data.get("msgid", "")), dict(data.get("args") or {}))


@dataclass(frozen=True)
class Unknown:
    """A fact that could not be read, and why (shown to the technician)."""

    reason: str

    def __bool__(self) -> bool:  # an unknown fact is never "truthy evidence"
        return False


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


class ShellRunner(Protocol):
    """What a check's I/O step may use: run one shell command line on one phone."""

    def shell(self, command: str, timeout: float = 30.0) -> ShellResult: ...


class ResultMaker:
    """``_result(status, msgid, measurements, **args)`` for one check: the shared way a
    check builds its CheckResult (the catalog extracts ``_result``'s second argument)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, status: Status, msgid: str, measurements: Mapping[str, Any], /,
                 **args: Any) -> CheckResult:
        return CheckResult(self.name, status, Msg(msgid, args), dict(measurements))


def never_raises(what: str, fallback: Callable[[Unknown], Any]) -> Callable[[F], F]:
    """Decorate a check's ``parse``: whatever odd text arrives, an unexpected exception
    becomes ``fallback(Unknown("unexpected <what> (<error>)"))`` — parse never raises."""

    def wrap(parse: F) -> F:
        @functools.wraps(parse)
        def guarded(sections: Any) -> Any:
            try:
                return parse(sections)
            except Exception as exc:  # pragma: no cover - the property tests find none
                return fallback(Unknown(f"unexpected {what} ({type(exc).__name__})"))

        return guarded  # type: ignore[return-value]

    return wrap


def section_text(sections: Any, key: str) -> str:
    """One batched section's text, "" when it is missing or not text."""
    value = sections.get(key) if isinstance(sections, Mapping) else None
    return value if isinstance(value, str) else ""


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a msgid kept in a table for the catalog; it is translated when rendered."""
    return msgid


def known(value: object) -> bool:
    return not isinstance(value, Unknown)
