"""The checks, in the order an inspection runs them. One name per check everywhere:
module name, registry key, ``--only`` value, inventory column."""

from __future__ import annotations

from traomay.core.msg import N_

CHECK_ORDER: tuple[str, ...] = (
    "origin",
    "compatibility",
    "battery",
    "charging",
    "camera",
    "wifi",
    "bluetooth",
    "gps",
    "cellular",
    "touchscreen",
    "appearance",
    "accounts",
)

# What each check is called on screen (translated); the name above stays the key everywhere.
CHECK_LABELS: dict[str, str] = {
    "origin": N_("Origin"),
    "compatibility": N_("Can run the apps"),
    "battery": N_("Battery"),
    "charging": N_("Charging"),
    "camera": N_("Cameras"),
    "wifi": N_("Wi-Fi"),
    "bluetooth": N_("Bluetooth"),
    "gps": N_("GPS"),
    "cellular": N_("Calls and 4G"),
    "touchscreen": N_("Touchscreen"),
    "appearance": N_("Appearance"),
    "accounts": N_("Previous owner's account"),
    "apps": N_("Apps"),
}
