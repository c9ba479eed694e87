"""End to end, the evidence rule on the check that guards the reset (issue 9, item 1): a
damaged account dump, served by a simulated Galaxy S9 (Android 10, the donor's Google
account still signed in) through the real adb server, never reads as "no account", and
the reset refuses that phone, with or without --force.

The damage is done on the wire (``WireFaults.before_write``): the bytes the phone sends are
rewritten in place, same length, so the shell_v2 framing stays valid and the toolkit sees
exactly what a phone with a wire fault would send.
"""

from __future__ import annotations

import re

import pytest

from traomay.core.results import Status
from traomay.inventory.store import Inventory
from traomay.provision.reset import ResetRefused
from traomay.simulator.phone import Phone
from traomay.simulator.wire_faults import WireFaults

PROFILE = "samsung-galaxy-s9"

# What is blanked in the S9's `dumpsys account` as it crosses the wire.
DAMAGE = {
    # the adversarial run's case: the count line gone, the Account line still there
    "count line blanked": rb"(?m)^  Accounts: [0-9]+$",
    "google account line blanked": rb"(?m)^    Account \{name=[^\n]*, type=com\.google\}$",
    # the dump cut right after the user line (the rest of the section blank lines)
    "cut after the user line": rb"(?s)(?<=\}:\n)  Accounts: .*?(?=@@TM:)",
    # the dump cut before the authenticator list (count and account intact)
    "cut before the authenticators": rb"(?s)  RegisteredServicesCache:.*?(?=@@TM:)",
}


class BlankOnTheWire(WireFaults):
    """Overwrites what ``pattern`` matches in the phone's output with blanks (newlines kept),
    every time it passes; counts how often it did."""

    def __init__(self, pattern: bytes) -> None:
        self.pattern = re.compile(pattern)
        self.fired = 0

    async def before_write(self, server, stream, chunk: bytes) -> bytes:
        damaged = self.pattern.sub(
            lambda m: bytes(b if b == 0x0A else 0x20 for b in m.group(0)), chunk)
        if damaged != chunk:
            self.fired += 1
        return damaged


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_account_dump_is_unknown_and_the_reset_refuses(sim_hub, tmp_path, damage):
    fault = BlankOnTheWire(DAMAGE[damage])
    rig = sim_hub(Phone.from_profile(PROFILE), faults=[fault])
    phone = rig.phones[0]
    assert any(a.type == "com.google" for a in phone.accounts), "the profile's premise"
    boots = phone.boot_count
    with Inventory(tmp_path / "inv.sqlite") as inv:
        session = rig.session(inv)
        result = session.accounts()
        assert fault.fired, "the fault never touched the account dump: the test proves nothing"
        assert result.status is Status.ERROR, result.summary
        assert result.measurements["google_accounts"] is None  # unknown, never 0
        assert inv.latest_results(session.device_id)["accounts"]["status"] == "error"
        for force in (False, True):
            with pytest.raises(ResetRefused) as refused:
                session.reset(force=force, timeout=10)
            assert "Could not read the accounts" in refused.value.message.msgid
        # Nothing was wiped: the account is still there and the phone never rebooted.
        assert any(a.type == "com.google" for a in phone.accounts)
        assert phone.boot_count == boots and phone.pending_reboot() is None
        assert not any(e["kind"] == "reset" for e in inv.events(session.device_id))


def test_the_same_phone_undamaged_fails_on_its_google_account(sim_hub, tmp_path):
    """The control: the fault's pattern matches the real dump, and without it the check
    reads the account (so the ERROR above is the damage, not the profile)."""
    fault = BlankOnTheWire(rb"(?!)")  # never matches
    rig = sim_hub(Phone.from_profile(PROFILE), faults=[fault])
    with Inventory(tmp_path / "inv.sqlite") as inv:
        session = rig.session(inv)
        result = session.accounts()
        assert result.status is Status.FAIL and result.measurements["google_accounts"] == 1
        dump = rig.phones[0].run("dumpsys account").stdout
        for pattern in DAMAGE.values():
            assert re.search(pattern, dump + b"@@TM:"), pattern
