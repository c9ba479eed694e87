"""How a reset recognises its phone coming back in adb's list. Cheap phones share the junk
serial 0123456789ABCDEF (over USB the adb serial is ro.serialno), so a twin on the same hub
has the same serial and model: it must never be taken for the phone back from its reboot.
adb numbers transports in the order phones attach, so only a transport newer than every
one listed when the reset began can be the phone coming back. (The simulated hub attaches
phones over TCP, each with its own host:port serial, so twins are played here on adb's
list itself.)"""

from __future__ import annotations

import pytest

from traomay.core.errors import DeviceTimeout
from traomay.device.adb import PhoneListing
from traomay.provision.reset import _newest_transport, wait_back

JUNK = "0123456789ABCDEF"


class ScriptedList:
    """adb's list, one entry per read (the last one repeats)."""

    def __init__(self, *lists: list[PhoneListing]) -> None:
        self.lists = list(lists)

    def list_phones(self) -> list[PhoneListing]:
        return self.lists.pop(0) if len(self.lists) > 1 else self.lists[0]


def phone(transport: int, state: str = "device") -> PhoneListing:
    return PhoneListing(JUNK, state, transport, model="Max10")


def test_a_twin_on_the_hub_is_not_the_phone_back_from_its_reset():
    one, twin = phone(1), phone(2)
    hub = ScriptedList([one, twin], [twin], [twin], [twin])
    newest = _newest_transport(hub)  # read as the reset begins
    assert newest == 2
    with pytest.raises(DeviceTimeout):
        wait_back(hub, one, "Max10", 0.3, interval=0.05,  # type: ignore[arg-type]
                  newer_than=newest)


def test_the_phone_back_on_a_newer_transport_is_found_beside_its_twin():
    one, twin, back = phone(1), phone(2), phone(3)
    hub = ScriptedList([one, twin], [twin], [twin, back])
    newest = _newest_transport(hub)
    found = wait_back(hub, one, "Max10", 2.0, interval=0.05,  # type: ignore[arg-type]
                      newer_than=newest)
    assert found.transport_id == 3


def test_without_a_given_start_the_list_at_the_call_is_the_start():
    one, twin = phone(1), phone(2)
    hub = ScriptedList([one, twin], [one, twin], [twin])
    with pytest.raises(DeviceTimeout):
        wait_back(hub, one, "Max10", 0.3, interval=0.05)  # type: ignore[arg-type]
