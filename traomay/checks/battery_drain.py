"""The timed battery drain test, as pure logic (the CLI ``traomay battery-test`` runs it).

The operator takes the phone off the charger, keeps the screen on in typical use, and the
level is read at the start and the end. A full charge would then last
100 × minutes / (level drop) / 60 hours. Whole-percent levels make short runs imprecise,
hence a minimum duration and drop (criteria.yaml, battery section).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traomay.core.msg import Msg
from traomay.core.results import CheckResult, Status

# Same values as battery.DEFAULT_CRITERIA (the battery section of criteria.yaml).
DRAIN_DEFAULTS: Mapping[str, Any] = {
    "min_hours": 4.0, "drain_min_minutes": 30, "drain_min_drop_percent": 5,
}


@dataclass(frozen=True)
class DrainTest:
    """A timed drain run by the operator (screen on, typical use), off the charger."""

    level_start: int
    level_end: int
    minutes: float



def drain_estimate(level_start: float, level_end: float, minutes: float) -> float:
    """Hours a full (100%) charge would last at the rate seen: 100 × minutes / drop / 60.

    Raises ValueError when the numbers cannot give a rate (no drop, no time, bad levels).
    """
    if not (0 <= level_end <= 100 and 0 <= level_start <= 100):
        raise ValueError("battery levels must be between 0 and 100")
    if minutes <= 0:
        raise ValueError("the drain test must last some minutes")
    drop = level_start - level_end
    if drop <= 0:
        raise ValueError("the battery level did not go down during the drain test")
    return 100.0 * minutes / drop / 60.0


def evaluate_drain(test: DrainTest, criteria: Mapping[str, Any]) -> CheckResult:
    c = {**DRAIN_DEFAULTS, **criteria}
    m: dict[str, Any] = {"drain_level_start": test.level_start, "drain_level_end": test.level_end,
                         "drain_minutes": test.minutes}
    drop = test.level_start - test.level_end
    if test.minutes < float(c["drain_min_minutes"]) or drop < float(c["drain_min_drop_percent"]):
        return _drain_result(Status.NEEDS_OPERATOR, "Drain test too short: run it for at "
                             "least {minutes} minutes and until the level drops {drop} points",
                             m, minutes=c["drain_min_minutes"], drop=c["drain_min_drop_percent"])
    try:
        hours = round(drain_estimate(test.level_start, test.level_end, test.minutes), 2)
    except ValueError as exc:
        return _drain_result(Status.ERROR, "Drain test numbers are not usable: {reason}", m,
                             reason=str(exc))
    m.update(estimated_hours=hours,
             estimate_method="drain test: 100% x minutes / level drop / 60")
    minimum = float(c["min_hours"])
    if hours > minimum:
        return _drain_result(Status.PASS, "Battery should last about {hours} h "
                             "(minimum {minimum} h)", m, hours=hours, minimum=minimum)
    return _drain_result(Status.FAIL, "Battery would last only about {hours} h "
                         "(minimum {minimum} h)", m, hours=hours, minimum=minimum)


def _drain_result(
    status: Status, msgid: str, measurements: Mapping[str, Any], /, **args: Any
) -> CheckResult:
    return CheckResult("battery", status, Msg(msgid, args), dict(measurements))
