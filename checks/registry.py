"""The checks, in the order an inspection runs them. One name per check everywhere:
module name, registry key, ``--only`` value, inventory column."""

from __future__ import annotations

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
