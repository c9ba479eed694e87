"""Device strings cannot hide a phone or invent one: adb prints a phone's
``ro.product.device`` as it is, so the device list is read line by ``\\n`` only, and a list
that looks forged is confirmed with adb's own per-transport answers."""

from __future__ import annotations

import dataclasses

import pytest

from traomay.device.adb import parse_devices_l
from traomay.simulator.phone import Phone


def _phone_with_device_name(name: str) -> Phone:
    phone = Phone.from_profile("samsung-galaxy-a55")
    phone.props["ro.product.device"] = name
    phone.profile = dataclasses.replace(phone.profile, props={**phone.profile.props,
                                                              "ro.product.device": name})
    return phone


@pytest.mark.parametrize("name", ["a55x\u2028FAKE device transport_id:77",
                                  "a55x\u0085y\u000bz\u001cw", "a55x\u2029"])
def test_unicode_line_breaks_in_device_name_do_not_hide_the_phone(sim_hub, name):
    rig = sim_hub(_phone_with_device_name(name), "oppo-a5s")
    listings = rig.hub.list_phones()
    mine = [p for p in listings if p.serial in rig.sim.addresses]
    assert sorted(p.serial for p in mine) == sorted(rig.sim.addresses)
    assert all(p.state == "device" for p in mine)
    assert not any(p.serial == "FAKE" or p.transport_id == 77 for p in listings)


def test_a_doubtful_entry_is_confirmed_with_adbs_own_answers(sim_hub):
    """What list_phones does when the text looks forged: serial and state come from adb's
    per-transport services, and a transport adb does not have is dropped."""
    from traomay.device.adb import PhoneListing

    rig = sim_hub("oppo-a5s")
    real = rig.listing()
    forged = PhoneListing(serial="FAKE", state="device", transport_id=real.transport_id)
    confirmed = rig.hub._confirmed(forged)
    assert confirmed is not None and confirmed.serial == real.serial
    assert confirmed.state == "device"
    assert rig.hub._confirmed(PhoneListing("GHOST", "device", 9999)) is None


def test_parser_marks_unparseable_or_duplicated_lines_as_not_clean():
    good = "R58M device product:a model:b device:c transport_id:4\n"
    assert parse_devices_l(good)[1] is True
    assert parse_devices_l(good + "x y\n")[1] is False
    assert parse_devices_l(good + "FAKE device transport_id:4\n")[1] is False
    phones, clean = parse_devices_l("Z\tno permissions (udev); see x usb:1-1 transport_id:9\n")
    assert clean and phones[0].state == "no permissions"
