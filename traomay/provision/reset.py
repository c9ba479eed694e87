"""Factory reset that is safe for the next owner, followed until the phone comes back.

Android 10+ : ``cmd testharness enable`` (TestHarnessModeService) wipes the phone, keeps the
adb keys so the phone comes back on its own, and skips the setup wizard. It refuses while a
lock screen is set ("Test Harness Mode cannot be enabled if there is a lock screen", exit 2).
A reset that does not go through Settings keeps the FRP data: with a Google account still
on the phone, the next owner could be locked out. So we refuse while one is present.
Older Android: a guided manual reset in Settings; USB debugging is off afterwards.

Nothing is recorded here: the phone session records the outcome.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from traomay.core.errors import DeviceGone, DeviceTimeout, TraomayError
from traomay.core.msg import Msg
from traomay.core.polling import poll_until
from traomay.core.results import ShellRunner, Status
from traomay.device.adb import AdbHub, PhoneLink, PhoneListing, same_phone_back
from traomay.provision.identify import (
    IDENTIFY_SECTIONS,
    Identity,
    identify,
    parse_android_id,
)
from traomay.provision.inspect import run_checks


class ResetRefused(TraomayError):
    """The reset would be unsafe or impossible now; the message says what to do."""


@dataclass
class ResetOutcome:
    method: str  # testharness | manual
    listing_after: PhoneListing
    identity_after: Identity
    accounts_after: int | None = None
    google_before: int = 0
    forced: bool = False
    notes: list[Msg] = field(default_factory=list)


MANUAL_RESET_STEPS: tuple[Msg, ...] = (
    Msg("Open Settings > System > Reset options > Erase all data (factory reset)."),
    Msg("On Samsung: Settings > General management > Reset > Factory data reset."),
    Msg("Confirm, wait for the phone to restart, and finish the setup screens without "
        "signing in to any account."),
    Msg("Turn USB debugging on again: Settings > About phone > tap Build number 7 times, "
        "then Developer options > USB debugging; plug the phone in and tap Allow."),
)

FRP_LOCKED = Msg(
    "This phone is locked by Factory Reset Protection (its donor reset it without removing "
    "the Google account). A reset cannot help: contact the donor.")


def google_account_count(link: ShellRunner) -> int | None:
    """Google accounts on the phone; None unless the account list was really read (an
    ERROR result — cut or unknown dump — must never look like "no account")."""
    result = run_checks(link, ["accounts"], {}, active=False).results[0]
    count = result.measurements.get("google_accounts")
    if result.measurements.get("frp_active") is True:
        raise ResetRefused(FRP_LOCKED)
    if result.status not in (Status.PASS, Status.FAIL) or not isinstance(count, int):
        return None
    return count


OnStep = Callable[[Msg], None]  # an instruction for the volunteer, once
OnWait = Callable[[Msg, float], None]  # what is awaited and the seconds left: a countdown


def reset_phone(hub: AdbHub, link: PhoneLink, identity: Identity, *, force: bool = False,
                come_back_timeout: float = 600.0, on_step: OnStep | None = None,
                on_wait: OnWait | None = None) -> ResetOutcome:
    """Refuse an unsafe reset (ResetRefused), else reset and wait for the phone to come
    back on a new transport; DeviceTimeout when it does not. ``on_step`` gets the
    instructions (the Settings steps on Android 9 and older), ``on_wait(msg,
    seconds_left)`` says what is awaited while waiting."""
    google = google_account_count(link)
    if google is None:
        raise ResetRefused(Msg("Could not read the accounts on this phone; reset refused. "
                               "Run 'traomay accounts' and check the phone."))
    if google > 0 and not force:
        raise ResetRefused(Msg(
            "A Google account is still on this phone. Remove it first: Settings > Accounts > "
            "Google > Remove account. A reset that skips this can lock the phone for its next "
            "owner (Factory Reset Protection). Use --force only if the donor cannot be reached."))
    if (identity.sdk or 0) >= 29:
        outcome = _testharness_reset(hub, link, identity, come_back_timeout, on_step, on_wait)
    else:
        outcome = _manual_reset(hub, link.listing, identity, come_back_timeout, on_step,
                                on_wait)
    outcome.google_before = google
    outcome.forced = google > 0
    return outcome


def _testharness_reset(hub: AdbHub, link: PhoneLink, identity: Identity, timeout: float,
                       on_step: OnStep | None, on_wait: OnWait | None) -> ResetOutcome:
    newest = _newest_transport(hub)
    try:
        result = link.shell("cmd testharness enable", timeout=30.0)
    except DeviceGone:
        # The phone can go down before its answer reaches us: the factory-reset broadcast
        # the command sends reboots it within moments (TestHarnessModeService, Android 10+),
        # and adb drops the answer with the transport. A USB hiccup can drop it too, and
        # then the phone is still there on the same transport: ask it again.
        if not _still_answering(hub, link):
            return _come_back_erased(hub, link.listing, identity, timeout, newest, on_step,
                                     on_wait)
        try:
            result = link.shell("cmd testharness enable", timeout=30.0)
        except DeviceGone:
            return _come_back_erased(hub, link.listing, identity, timeout, newest, on_step,
                                     on_wait)
    if "lock screen" in result.output.lower():
        raise ResetRefused(Msg(
            "This phone has a screen lock, so it cannot be reset automatically. Remove it: "
            "Settings > Security > Screen lock > None (enter the PIN if asked), then try again."))
    if result.exit_code not in (0, None):
        raise ResetRefused(Msg("The phone refused the reset (exit code {code}).",
                               {"code": result.exit_code}), detail=result.output[:400])
    if on_step:
        on_step(Msg("The phone is erasing and restarting; leave it plugged in."))
    return _come_back(hub, link.listing, identity, timeout, "testharness", newest, on_wait)


def _newest_transport(hub: AdbHub) -> int:
    """The highest transport id adb lists now. adb numbers transports in the order phones
    attach, so the phone back from its reboot has a higher one than any phone listed before
    the reset: a twin already on the hub (same serial and model, as cheap phones share
    0123456789ABCDEF) can never be taken for it."""
    return max((p.transport_id for p in hub.list_phones()), default=0)


def _still_answering(hub: AdbHub, link: PhoneLink, grace: float = 3.0) -> bool:
    """After a dropped answer: is the phone still there on the same transport (adb
    reconnects a USB hiccup under the same id) and answering? False once it has left."""

    def read() -> str:
        states = [p for p in hub.list_phones() if p.transport_id == link.transport_id]
        return "gone" if not states else "ready" if states[0].ready else "waiting"

    if poll_until(read, lambda state: state != "waiting", grace, 0.2).value != "ready":
        return False
    try:
        return link.shell("echo ok", timeout=5.0).output.strip() == "ok"
    except DeviceGone:
        return False


def _come_back_erased(hub: AdbHub, listing: PhoneListing, identity: Identity, timeout: float,
                      newest: int, on_step: OnStep | None,
                      on_wait: OnWait | None) -> ResetOutcome:
    """The reset command was cut by the phone leaving: wait for it, then insist on the
    evidence that it was erased rather than unplugged: Android makes a new android_id at
    every factory reset (read again while the phone finishes starting: the settings
    service answers only once Android is up)."""
    if on_step:
        on_step(Msg("The phone left while the reset was starting; waiting for it to come "
                    "back. Leave it plugged in."))
    outcome = _come_back(hub, listing, identity, timeout, "testharness", newest, on_wait)
    before = identity.android_id
    after = outcome.identity_after.android_id  # read by identify; again while it is ""
    if not after:
        link = hub.link(outcome.listing_after)
        after = poll_until(lambda: _android_id(link), lambda aid: aid != "", 60.0, 1.0).value
    if before in ("", "null") or after == "":
        raise ResetRefused(Msg(
            "The phone left and came back, but its android_id could not be read, so nothing "
            "shows it was erased. Run 'traomay reset' again."))
    if before == after:
        raise ResetRefused(Msg(
            "The phone left and came back, but nothing shows it was erased (its android_id "
            "did not change). Check the cable and run 'traomay reset' again."))
    return outcome


def _android_id(link: PhoneLink) -> str:
    try:
        out = link.shell(IDENTIFY_SECTIONS["android_id"], timeout=10.0)
    except DeviceGone:
        return ""
    return "" if out.failed else parse_android_id(out.output)


def _manual_reset(hub: AdbHub, listing: PhoneListing, identity: Identity, timeout: float,
                  on_step: OnStep | None, on_wait: OnWait | None) -> ResetOutcome:
    newest = _newest_transport(hub)
    if on_step:
        for step in MANUAL_RESET_STEPS:
            on_step(step)
    return _come_back(hub, listing, identity, timeout, "manual", newest, on_wait)


def _come_back(hub: AdbHub, listing: PhoneListing, identity: Identity, timeout: float,
               method: str, newest: int, on_wait: OnWait | None = None) -> ResetOutcome:
    back = wait_back(hub, listing, identity.model, timeout, on_wait=on_wait,
                     by_hand=method == "manual", newer_than=newest)
    link = hub.link(back)
    after = identify(link, adb_serial=back.serial)
    if identity.imeis and after.imeis and not set(identity.imeis) & set(after.imeis):
        # IMEIs survive a reset: another phone with the same serial came instead.
        raise ResetRefused(Msg(
            "Another phone with the same serial number ({serial}) was plugged in while this "
            "one restarted. Unplug the other one, then run 'traomay reset' again.",
            {"serial": listing.serial}))
    return ResetOutcome(method, back, after, google_account_count(link))


def wait_back(hub: AdbHub, listing: PhoneListing, model: str, timeout: float, *,
              on_wait: OnWait | None = None, by_hand: bool = False,
              interval: float = 0.2, newer_than: int | None = None) -> PhoneListing:
    """Wait until the phone has left adb's list and come back ready on a NEW transport (a
    reboot always gives a new transport id, so the old one can never be mistaken for the
    phone being back). Matched by adb serial and model, on a transport newer than
    ``newer_than`` (default: every transport listed now; see _newest_transport).
    ``by_hand``: the volunteer erases the phone in Settings (Android 9 and older), so the
    messages say what they do next."""
    started = time.monotonic()
    newest = _newest_transport(hub) if newer_than is None else newer_than
    leaving = (Msg("Waiting for the erase to start: do the steps above in Settings (the phone "
                   "leaves the list when it restarts).") if by_hand else
               Msg("Waiting for the phone to restart."))
    poll_until(lambda: any(p.transport_id == listing.transport_id and p.ready
                           for p in hub.list_phones()),
               lambda still_there: not still_there, timeout, interval,
               on_wait=(lambda _v, left: on_wait(leaving, left)) if on_wait else None)
    same = same_phone_back(listing, model)
    coming = (Msg("Waiting for the phone to come back: finish the setup screens without "
                  "an account, turn USB debugging on again, plug it in and tap Allow.")
              if by_hand else Msg("Waiting for the phone to come back after the erase."))
    asking = Msg("The phone is back and asks \"Allow USB debugging?\": unlock it and tap "
                 "Allow.")

    def read() -> tuple[PhoneListing | None, bool]:
        phones = hub.list_phones()
        found = next((p for p in phones if same(p)
                      and p.transport_id > max(newest, listing.transport_id)), None)
        waiting = any(p.serial == listing.serial and p.state == "unauthorized"
                      for p in phones)
        return found, waiting

    def tick(value: tuple[PhoneListing | None, bool], left: float) -> None:
        if on_wait:
            on_wait(asking if value[1] else coming, left)

    left = max(0.0, timeout - (time.monotonic() - started))
    polled = poll_until(read, lambda v: v[0] is not None, left, interval, on_wait=tick)
    back = polled.value[0]
    if back is None:
        raise DeviceTimeout(Msg("The phone did not come back after the reset within {s} s. "
                                "Check that it restarted and that USB debugging is on.",
                                {"s": int(timeout)}))
    return back
