"""What a volunteer does with their hands, played on a simulated phone.

``traomay sim do PHONE ACTION`` (through simulator/control.py) or a line typed in the
``traomay sim`` window runs one of these on a phone of the running hub. Each action changes
the phone's state the way the real gesture would, so the toolkit sees it through adb only:
pulling the charger makes ``dumpsys battery`` say discharging, Bluetooth switched on in
Settings makes the Bluetooth check pass on Android 8, going outdoors gives GPS satellites,
a factory reset from Settings turns USB debugging off until the volunteer turns it on again
and taps Allow.

An action returns an :class:`ActionOutcome`: a code and details, never a sentence. The
simulator speaks no Vietnamese (it imports nothing of the toolkit); the interface turns
each code into a translated message.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # profile.py reads ACTIONS: no import of the wire side at load time
    from traomay.simulator.hub import SimulatedHub

# Action names, in the order a volunteer meets them. What each one does is documented in
# the functions below; the interface has the descriptions people read.
ACTIONS: tuple[str, ...] = (
    "look",            # look at the phone: what attest should record
    "allow",           # tap "Allow" on "Allow USB debugging?"
    "ring",            # call the phone from another phone
    "remove-account",  # Settings > Accounts > Google > Remove account
    "remove-lock",     # Settings > Security > Screen lock > None
    "bluetooth-on",    # switch Bluetooth on in Settings
    "outdoors",        # take the phone outdoors / to a window: GPS satellites
    "charger-wall",    # plug a wall charger in
    "charger-usb",     # back on the hub's USB power
    "charger-off",     # pull the charger (the phone stays on the hub for data)
    "unplug",          # pull the USB cable: the phone leaves adb, runs on battery
    "plug",            # USB cable back in
    "factory-reset",   # Settings > Reset > Erase all data
    "usb-debugging",   # Developer options > USB debugging on again (after a reset)
)

RING_SECONDS = 10.0  # someone calls and lets it ring this long, then hangs up
OUTDOOR_SATELLITES = 9
SETTINGS_REBOOT_SECONDS = 2.0  # a reset from Settings: the phone is away this long at least


@dataclass(frozen=True)
class ActionOutcome:
    """``code`` names what happened (the interface has a message per code); ``done`` is
    False when the phone could not do it (e.g. no SIM to ring, adb is off)."""

    code: str
    done: bool = True
    details: Mapping[str, Any] = field(default_factory=dict)


class UnknownAction(ValueError):
    """Not one of ACTIONS."""


def _adb_on(phone: Any) -> bool:
    return phone.get_setting("global", "adb_enabled") not in ("0", None)


def perform(hub: SimulatedHub, index: int, action: str,
            seconds: float | None = None) -> ActionOutcome:
    """Play ``action`` on phone ``index`` of ``hub`` (thread-safe; blocks until done)."""
    fn = _TABLE.get(action)
    if fn is None:
        raise UnknownAction(action)
    return fn(hub, index, seconds)


# --- one function per action ---------------------------------------------------------------

def _look(hub: SimulatedHub, index: int, _s: float | None) -> ActionOutcome:
    training = hub.act(index, lambda phone, _srv: phone.profile.training)
    return ActionOutcome("appearance", details={"screen": training.screen,
                                                "back": training.back})


def _allow(hub: SimulatedHub, index: int, _s: float | None) -> ActionOutcome:
    def check(phone: Any, server: Any) -> str:
        if not phone.usb_connected:
            return "unplugged"
        if not _adb_on(phone):
            return "adb_off"
        return "already_allowed" if phone.is_authorized() else "allow"

    state = hub.act(index, check)
    if state != "allow":
        return ActionOutcome(state, done=state == "already_allowed")
    hub.allow(index)
    return ActionOutcome("allowed")


def _ring(hub: SimulatedHub, index: int, seconds: float | None) -> ActionOutcome:
    seconds = RING_SECONDS if seconds is None else max(0.5, min(seconds, 120.0))
    if hub.ring(index, seconds=seconds):
        return ActionOutcome("ringing", details={"seconds": seconds})
    return ActionOutcome("cannot_ring", done=False)


def _remove_account(hub: SimulatedHub, index: int, _s: float | None) -> ActionOutcome:
    def remove(phone: Any, _srv: Any) -> int:
        google = [a for a in phone.accounts if a.type == "com.google"]
        phone.accounts = [a for a in phone.accounts if a.type != "com.google"]
        return len(google)

    removed = hub.act(index, remove)
    if not removed:
        return ActionOutcome("no_google_account")
    return ActionOutcome("account_removed", details={"count": removed})


def _remove_lock(hub: SimulatedHub, index: int, _s: float | None) -> ActionOutcome:
    def remove(phone: Any, _srv: Any) -> str:
        was, phone.lock_screen = phone.lock_screen, "none"
        return was

    was = hub.act(index, remove)
    if was == "none":
        return ActionOutcome("no_lock")
    return ActionOutcome("lock_removed", details={"was": was})


def _bluetooth_on(hub: SimulatedHub, index: int, _s: float | None) -> ActionOutcome:
    def switch(phone: Any, _srv: Any) -> str:
        if phone.bt_enabled:
            return "bluetooth_already_on"
        phone.set_bluetooth(True)  # from Settings: works where "cmd bluetooth" does not
        return "bluetooth_on" if phone.bt_enabled else "bluetooth_broken"

    code = hub.act(index, switch)
    return ActionOutcome(code, done=code != "bluetooth_broken")


def _outdoors(hub: SimulatedHub, index: int, _s: float | None) -> ActionOutcome:
    def go(phone: Any, _srv: Any) -> int | None:
        loc = phone.profile.location
        if not loc.gps_hardware:
            return None
        if loc.satellites < OUTDOOR_SATELLITES or not loc.fix:
            loc = dataclasses.replace(loc, satellites=max(loc.satellites, OUTDOOR_SATELLITES),
                                      fix=True)
            phone.profile = dataclasses.replace(phone.profile, location=loc)
        return int(loc.satellites)

    satellites = hub.act(index, go)
    if satellites is None:
        return ActionOutcome("no_gps_hardware", done=False)
    return ActionOutcome("outdoors", details={"satellites": satellites})


def _charger(source: str) -> Callable[[SimulatedHub, int, float | None], ActionOutcome]:
    def plug_charger(hub: SimulatedHub, index: int, _s: float | None) -> ActionOutcome:
        def change(phone: Any, _srv: Any) -> str:
            if not phone.usb_connected:
                return "unplugged"
            phone.set_charger(source)
            return phone.profile.battery.status

        status = hub.act(index, change)
        if status == "unplugged":
            return ActionOutcome("unplugged", done=False)
        return ActionOutcome(f"charger_{source}", details={"status": status})

    return plug_charger


def _unplug(hub: SimulatedHub, index: int, _s: float | None) -> ActionOutcome:
    async def pull(phone: Any, server: Any) -> bool:
        if not phone.usb_connected:
            return False
        phone.set_usb_connected(False)
        await server.unplug()
        return True

    if not hub.act(index, pull):
        return ActionOutcome("already_unplugged")
    return ActionOutcome("unplugged_now")


def _plug(hub: SimulatedHub, index: int, _s: float | None) -> ActionOutcome:
    async def push(phone: Any, server: Any) -> str:
        if phone.usb_connected:
            return "already_plugged"
        phone.set_usb_connected(True)
        if not _adb_on(phone):
            return "plugged_adb_off"  # charging, but adb does not see it
        await server.replug()
        return "plugged"

    code = hub.act(index, push)
    return ActionOutcome(code, done=code != "already_plugged")


def _factory_reset(hub: SimulatedHub, index: int, _s: float | None) -> ActionOutcome:
    async def erase(phone: Any, server: Any) -> None:
        # Settings > Reset > Erase all data: the phone restarts into the setup wizard with
        # USB debugging off, so it leaves adb's list until the volunteer turns it on again.
        phone.factory_reset_from_settings()
        await server.unplug()
        phone.on_boot()

    hub.act(index, erase)
    return ActionOutcome("factory_reset")


def _usb_debugging(hub: SimulatedHub, index: int, _s: float | None) -> ActionOutcome:
    async def turn_on(phone: Any, server: Any) -> str:
        if _adb_on(phone):
            return "usb_debugging_already_on"
        phone.put_setting("global", "development_settings_enabled", "1")
        phone.put_setting("global", "adb_enabled", "1")
        phone.put_setting("global", "device_provisioned", "1")  # setup screens finished
        phone.put_setting("secure", "user_setup_complete", "1")
        if not phone.usb_connected:
            return "usb_debugging_on_unplugged"
        await server.replug()  # the phone appears again, asking "Allow USB debugging?"
        return "usb_debugging_on"

    return ActionOutcome(hub.act(index, turn_on))


_TABLE: dict[str, Callable[[SimulatedHub, int, float | None], ActionOutcome]] = {
    "look": _look, "allow": _allow, "ring": _ring, "remove-account": _remove_account,
    "remove-lock": _remove_lock, "bluetooth-on": _bluetooth_on, "outdoors": _outdoors,
    "charger-wall": _charger("ac"), "charger-usb": _charger("usb"),
    "charger-off": _charger("none"), "unplug": _unplug, "plug": _plug,
    "factory-reset": _factory_reset, "usb-debugging": _usb_debugging,
}
assert tuple(_TABLE) == ACTIONS, "one function per action, in the order of ACTIONS"
