"""Factory reset that is safe for the next owner, and the finalize step before hand-over.

Android 10+ : ``cmd testharness enable`` (TestHarnessModeService) wipes the phone, keeps the
adb keys so the phone comes back on its own, and skips the setup wizard. It refuses while a
lock screen is set ("Test Harness Mode cannot be enabled if there is a lock screen", exit 2).
A reset that does not go through Settings keeps the FRP data: with a Google account still
on the phone, the next owner could be locked out. So we refuse while one is present.
Older Android: a guided manual reset in Settings; USB debugging is off afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from traomay.core.errors import DeviceTimeout, TraomayError
from traomay.core.msg import Msg
from traomay.core.results import Status
from traomay.device.adb import AdbHub, PhoneLink, PhoneListing, same_phone_back
from traomay.inventory.store import Inventory
from traomay.provision.identify import Identity, identify
from traomay.provision.inspect import run_checks


class ResetRefused(TraomayError):
    """The reset would be unsafe or impossible now; the message says what to do."""


@dataclass
class ResetOutcome:
    method: str  # testharness | manual
    identity_after: Identity | None = None
    accounts_after: int | None = None
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


def google_account_count(link: PhoneLink) -> tuple[int | None, Status]:
    """Google accounts on the phone; None unless the account list was really read (an
    ERROR result — cut or unknown dump — must never look like "no account")."""
    inspection = run_checks(link, ["accounts"], {}, active=False)
    result = inspection.results[0]
    count = result.measurements.get("google_accounts")
    if result.status not in (Status.PASS, Status.FAIL) or not isinstance(count, int):
        return None, result.status
    if result.measurements.get("frp_active") is True:
        raise ResetRefused(Msg(
            "This phone is locked by Factory Reset Protection (its donor reset it without "
            "removing the Google account). A reset cannot help: contact the donor."))
    return count, result.status


def reset_phone(hub: AdbHub, listing: PhoneListing, identity: Identity, inventory: Inventory,
                device_id: int, force: bool = False, come_back_timeout: float = 600.0,
                on_wait: Callable[[Msg], None] | None = None) -> ResetOutcome:
    link = hub.link(listing)
    google, _status = google_account_count(link)
    if google is None:
        raise ResetRefused(Msg("Could not read the accounts on this phone; reset refused. "
                               "Run 'traomay accounts' and check the phone."))
    if google > 0 and not force:
        raise ResetRefused(Msg(
            "A Google account is still on this phone. Remove it first: Settings > Accounts > "
            "Google > Remove account. A reset that skips this can lock the phone for its next "
            "owner (Factory Reset Protection). Use --force only if the donor cannot be reached."))
    if google > 0:
        inventory.add_event(device_id, "reset_forced", {"google_accounts": google,
                                                         "risk": "frp_lock_possible"})
    sdk = identity.sdk or 0
    if sdk >= 29:
        outcome = _testharness_reset(hub, link, listing, identity, come_back_timeout, on_wait)
    else:
        outcome = _manual_reset(hub, listing, identity, come_back_timeout, on_wait)
    outcome.forced = google > 0
    new_keys = outcome.identity_after.candidate_keys() if outcome.identity_after else []
    inventory.add_event(device_id, "reset", {
        "method": outcome.method, "forced": outcome.forced,
        "accounts_after": outcome.accounts_after})
    if new_keys:
        inventory.add_aliases(device_id, new_keys, reason="reset")
    return outcome


def _testharness_reset(hub: AdbHub, link: PhoneLink, listing: PhoneListing, identity: Identity,
                       timeout: float, on_wait: Callable[[Msg], None] | None) -> ResetOutcome:
    result = link.shell("cmd testharness enable", timeout=30.0)
    if "lock screen" in result.output.lower():
        raise ResetRefused(Msg(
            "This phone has a screen lock, so it cannot be reset automatically. Remove it: "
            "Settings > Security > Screen lock > None (enter the PIN if asked), then try again."))
    if result.exit_code not in (0, None):
        raise ResetRefused(Msg("The phone refused the reset (exit code {code}).",
                               {"code": result.exit_code}), detail=result.output[:400])
    if on_wait:
        on_wait(Msg("The phone is erasing and restarting; leave it plugged in."))
    back = _wait_back(hub, listing, identity, timeout)
    link2 = hub.link(back)
    after = identify(link2, adb_serial=back.serial)
    count, _ = google_account_count(link2)
    return ResetOutcome("testharness", after, count)


def _manual_reset(hub: AdbHub, listing: PhoneListing, identity: Identity, timeout: float,
                  on_wait: Callable[[Msg], None] | None) -> ResetOutcome:
    if on_wait:
        for step in MANUAL_RESET_STEPS:
            on_wait(step)
    back = _wait_back(hub, listing, identity, timeout, must_leave=True)
    link2 = hub.link(back)
    after = identify(link2, adb_serial=back.serial)
    count, _ = google_account_count(link2)
    return ResetOutcome("manual", after, count)


def _wait_back(hub: AdbHub, listing: PhoneListing, identity: Identity, timeout: float,
               must_leave: bool = True) -> PhoneListing:
    """Wait until the phone has gone away and come back ready. It is matched by adb serial
    and model; a new transport id is normal after a reboot."""
    deadline = time.monotonic() + timeout
    while must_leave and time.monotonic() < deadline:
        if not any(p.transport_id == listing.transport_id and p.ready for p in hub.list_phones()):
            break
        time.sleep(0.2)
    same = same_phone_back(listing, identity.model)

    def is_back(p: PhoneListing) -> bool:
        return same(p) and p.transport_id != listing.transport_id

    back = hub.wait_for(is_back, timeout=max(0.0, deadline - time.monotonic()))
    if back is None:
        raise DeviceTimeout(Msg("The phone did not come back after the reset within {s} s. "
                                "Check that it restarted and that USB debugging is on.",
                                {"s": int(timeout)}))
    return back


# Settings that test-harness mode changes and a normal owner expects back
# (TestHarnessModeService, Android 10+; android-facts.md §9). adb_enabled goes last: the
# phone disconnects when USB debugging is switched off.
FINALIZE_SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("global", "ota_disable_automatic_update", "0"),
    ("global", "stay_on_while_plugged_in", "0"),
    ("global", "development_settings_enabled", "0"),
)


@dataclass
class FinalizeOutcome:
    restored: list[str]
    not_restored: list[str]
    adb_disabled: bool
    still_test_harness: bool = False
    warnings: list[Msg] = field(default_factory=list)


# A phone still in Test Harness Mode must not reach a household (docs/test-harness.md):
# adbd turns USB debugging back on at boot, and from Android 12 its watchdog reboots the
# phone into the bootloader after 600 s with no adb client (inferred from the adbd source,
# not checked on a phone). Only a factory reset from Settings leaves the mode.
TEST_HARNESS_WARNING = Msg(
    "This phone is still in Test Harness Mode: it may restart into a black bootloader screen "
    "about 10 minutes after each start. Before hand-over, do a factory reset from Settings, "
    "then install the apps again.")


def finalize_phone(link: PhoneLink, disable_adb: bool = True) -> FinalizeOutcome:
    restored, not_restored = [], []
    for namespace, key, value in FINALIZE_SETTINGS:
        link.shell(f"settings put {namespace} {key} {value}", timeout=15.0)
        got = link.shell(f"settings get {namespace} {key}", timeout=15.0).output.strip()
        (restored if got == value else not_restored).append(f"{namespace}/{key}")
    # persist.sys.test_harness can only be set by system_server (sepolicy, Android 10-15):
    # it stays until the next factory reset. The lock screen is the new owner's to set.
    harness = link.shell("getprop persist.sys.test_harness", timeout=15.0).output.strip()
    outcome = FinalizeOutcome(restored, not_restored, adb_disabled=False,
                              still_test_harness=harness == "1")
    if outcome.still_test_harness:
        not_restored.append("persist.sys.test_harness")
        outcome.warnings.append(TEST_HARNESS_WARNING)
        disable_adb = False  # the volunteer still needs adb to finish this phone
    adb_disabled = False
    if disable_adb:
        try:
            link.shell("settings put global adb_enabled 0", timeout=10.0)
            adb_disabled = True
        except TraomayError:
            adb_disabled = True  # the phone dropped USB debugging as asked
    outcome.adb_disabled = adb_disabled
    return outcome
