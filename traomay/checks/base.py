"""The shape every check shares: facts in, a result out.

A check module satisfies :class:`CheckModule`:
- ``NAME``, its one name everywhere (module, registry key, ``--only`` value, database);
- ``COMMANDS``: the read-only shell commands whose output it parses, by section name;
- ``DEFAULT_CRITERIA``: the thresholds it uses when ``criteria.yaml`` says nothing;
- a frozen dataclass of facts;
- ``parse(sections) -> Facts``: pure, never raises; a fact that cannot be read is an
  ``Unknown`` carrying the reason;
- ``evaluate(facts, criteria) -> CheckResult``: pure.
A check whose result a person settles (touch grid, call, appearance, origin decision, drain
test) also has ``with_operator_input(facts, value) -> Facts``. What drives the phone (radios
on, a scan, the camera app) lives in traomay.probes, never here.

**The evidence rule.** A check says ``pass`` only on positive evidence read from this phone
in this run. A section that is missing, cut, unparseable or self-inconsistent (a count line
that disagrees with the listed items, an impossible number) gives ``error`` (unknown) with
the reason, never ``pass``. In practice:

- the absence of a line is never the absence of the thing: a check that passes on "nothing
  bad listed" (no Google account, no sign of a copy, no failed battery health) first proves
  the output is whole (its closing part is there, the lines it depends on are printed);
- numbers have bounds: a value outside what Android prints (a health code it does not
  define, a counter beyond any real count, a level above its scale) is unknown, and where
  the output states a fact twice (a count and its mean, a state's number and its name, the
  API level and the Android version) the two must agree;
- a key printed twice with different values is unknown: which copy a parser met first must
  not decide.

Under any mutation of real output a result may become less favourable or less certain,
never more (tests/unit/test_mutations.py; benchmarks/mutations.py for the long run).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar, runtime_checkable

from traomay.core.msg import Msg
from traomay.core.results import CheckResult, Status, Unknown

F = TypeVar("F", bound=Callable[..., Any])


@runtime_checkable
class CheckModule(Protocol):
    """What the registry requires of a check module (modules satisfy it structurally)."""

    NAME: str
    COMMANDS: Mapping[str, str]
    DEFAULT_CRITERIA: Mapping[str, Any]

    def parse(self, sections: Mapping[str, str]) -> Any: ...

    def evaluate(self, facts: Any, criteria: Mapping[str, Any]) -> CheckResult: ...


class ResultMaker:
    """``_result(status, msgid, measurements, **args)`` for one check: the shared way a
    check builds its CheckResult (the catalog extracts ``_result``'s second argument)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, status: Status, msgid: str, measurements: Mapping[str, Any], /,
                 **args: Any) -> CheckResult:
        return CheckResult(self.name, status, Msg(msgid, args), dict(measurements))


def never_raises(what: str, fallback: Callable[[Unknown], Any]) -> Callable[[F], F]:
    """Decorate a check's ``parse``: whatever odd text arrives at a station, an unexpected
    exception becomes ``fallback(Unknown("unexpected <what> (<error>)"))``.

    The undecorated parser stays reachable as ``parse.__wrapped__``: the property tests
    call it, so a parser that raises makes them fail instead of hiding behind this guard."""

    def wrap(parse: F) -> F:
        @functools.wraps(parse)
        def guarded(sections: Any) -> Any:
            try:
                return parse(sections)
            except Exception as exc:  # a bug the property tests should have found
                return fallback(Unknown(f"unexpected {what} ({type(exc).__name__})"))

        return guarded  # type: ignore[return-value]

    return wrap


def section_text(sections: Any, key: str) -> str:
    """One batched section's text, "" when it is missing or not text."""
    value = sections.get(key) if isinstance(sections, Mapping) else None
    return value if isinstance(value, str) else ""
