"""The station's plan: the next step of a phone from what the inventory holds (pure)."""

from __future__ import annotations

from traomay.checks.registry import CHECK_ORDER
from traomay.core.msg import Msg
from traomay.provision.station.plan import PhoneState, StepKind, next_step

READY = "Call this phone from another phone and confirm that it rings"


def _row(status, msgid="x", operator=False, **measurements):
    return {"status": status, "summary": Msg(msgid),
            "measurements": {**measurements, **({"operator": True} if operator else {})}}


def _all(status="pass", **over):
    latest = {name: _row(status, operator=True) for name in CHECK_ORDER}
    latest.update(over)
    return latest


def test_nothing_inspected_yet():
    assert next_step(PhoneState({})).kind is StepKind.INSPECT


def test_person_steps_in_order_then_account_then_erase():
    latest = _all(appearance=_row("needs_operator"), touchscreen=_row("needs_operator"),
                  cellular=_row("needs_operator", READY))
    assert next_step(PhoneState(latest)).kind is StepKind.APPEARANCE
    latest["appearance"] = _row("pass", operator=True)
    assert next_step(PhoneState(latest)).kind is StepKind.TOUCH
    latest["touchscreen"] = _row("pass", operator=True)
    assert next_step(PhoneState(latest)).kind is StepKind.CALL
    latest["cellular"] = _row("pass", operator=True)
    latest["accounts"] = _row("fail", google_accounts=1)
    assert next_step(PhoneState(latest)).kind is StepKind.REMOVE_ACCOUNT
    latest["accounts"] = _row("pass")
    assert next_step(PhoneState(latest)).kind is StepKind.ERASE


def test_erase_requested_then_verified_then_install_then_finalize():
    latest = _all(apps=_row("needs_operator"))
    events = [("seen", {}), ("erase_requested", {})]
    assert next_step(PhoneState(latest, events)).kind is StepKind.VERIFY_ERASE
    events.append(("erase_unverified", {}))
    assert next_step(PhoneState(latest, events)).kind is StepKind.ERASE  # ask again
    events += [("erase_requested", {}), ("erased", {})]
    assert next_step(PhoneState(latest, events)).kind is StepKind.INSTALL
    events.append(("install", {}))
    latest["apps"] = _row("pass")
    assert next_step(PhoneState(latest, events)).kind is StepKind.FINALIZE
    events.append(("finalize", {}))
    assert next_step(PhoneState(latest, events)).kind is StepKind.DONE


def test_a_phone_that_already_fails_skips_the_persons_tests_but_is_erased():
    latest = _all(battery=_row("fail"), appearance=_row("needs_operator"))
    assert next_step(PhoneState(latest)).kind is StepKind.ERASE
    step = next_step(PhoneState(latest, [("erased", {})]))
    assert step.kind is StepKind.SET_ASIDE and step.checks == ("battery",)


def test_frp_locked_phone_is_set_aside_at_once():
    latest = _all(accounts=_row("fail", frp_active=True))
    step = next_step(PhoneState(latest))
    assert step.kind is StepKind.SET_ASIDE and step.checks == ("accounts",)


def test_waiting_checks_are_rechecked_after_install():
    latest = _all(gps=_row("needs_operator"), apps=_row("pass"))
    step = next_step(PhoneState(latest, [("erased", {}), ("install", {})]))
    assert step.kind is StepKind.RECHECK and step.checks == ("gps",)


def test_only_checks_never_erases_installs_or_finalizes():
    latest = _all(accounts=_row("pass"))
    assert next_step(PhoneState(latest), only_checks=True).kind is StepKind.DONE


def test_a_returned_phone_is_checked_looked_at_erased_and_finished_again():
    latest = _all(apps=_row("pass"))
    events = [("inspect", {"checks": list(CHECK_ORDER)}), ("erased", {}), ("install", {}),
              ("finalize", {}), ("handed_over", {}), ("returned", {})]
    assert next_step(PhoneState(latest, events)).kind is StepKind.INSPECT
    events.append(("inspect", {"checks": list(CHECK_ORDER)}))
    assert next_step(PhoneState(latest, events)).kind is StepKind.APPEARANCE
    events.append(("recheck", {"checks": ["appearance"]}))
    assert next_step(PhoneState(latest, events)).kind is StepKind.ERASE
    events += [("erase_requested", {}), ("erased", {})]
    assert next_step(PhoneState(latest, events)).kind is StepKind.INSTALL
    events.append(("install", {}))
    assert next_step(PhoneState(latest, events)).kind is StepKind.FINALIZE
