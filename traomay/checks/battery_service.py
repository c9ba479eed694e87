"""``dumpsys battery`` (BatteryService) parsed into a frozen state; shared by the battery
and charging checks.

Parse by key, never by line order or indentation: Android 7 prints a subset of keys,
Android 15 adds lines starting with ONE space, Samsung and Xiaomi append their own blocks.
Each key is printed once (nine real dumps, Android 6-16, AOSP, Samsung, Xiaomi, ASUS):
Samsung's lower-case ``charge counter`` is another key, and its ``level:100, status:5``
broadcast records are one-line logs the ``key: value`` line pattern does not match. A key
printed twice with different values is damage, so it is read as unknown: which copy came
first must not decide (a lost line would promote the other).

Values out of the range Android gives them (a health or status code it does not define, a
level above the scale) are unknown too, never evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from traomay.core.results import Unknown

_KEY_VALUE = re.compile(r"^[ \t]*([A-Za-z][A-Za-z0-9 _]{0,60}?):[ \t]*(.*?)[ \t]*$", re.MULTILINE)

# Below this a "Charge counter" is taken as mAh: Xiaomi HyperOS prints "Charge counter: 4274"
# (mAh) where AOSP prints µAh. A real µAh value under 50 000 (50 mAh) is only seen on a
# nearly empty battery, and then the counter is not used anyway (min_level_for_counter).
_MAH_COUNTER_LIMIT = 50_000


@dataclass(frozen=True)
class BatteryState:
    recognised: bool
    why_unrecognised: str
    updates_stopped: bool  # values faked with 'dumpsys battery set/unplug'
    ac_powered: bool | Unknown
    usb_powered: bool | Unknown
    wireless_powered: bool | Unknown
    dock_powered: bool | Unknown
    max_charging_current_ua: int | Unknown
    max_charging_voltage_uv: int | Unknown
    charge_counter_mah: float | Unknown
    charge_counter_unit: str | Unknown  # "uAh" (AOSP) or "mAh" (Xiaomi HyperOS)
    status: int | Unknown  # 1 unknown, 2 charging, 3 discharging, 4 not charging, 5 full
    health: int | Unknown
    present: bool | Unknown
    level: int | Unknown
    scale: int | Unknown
    voltage_mv: int | Unknown
    temperature_c: float | Unknown
    technology: str | Unknown
    samsung_asoc: int | Unknown  # health %, -1 = unsupported
    samsung_bsoh: int | Unknown
    samsung_usage: int | Unknown
    asus_soh: int | Unknown

    @property
    def level_percent(self) -> float | Unknown:
        if isinstance(self.level, int) and isinstance(self.scale, int) and self.scale > 0:
            return round(100 * self.level / self.scale, 1)
        return Unknown("level or scale missing")

    @property
    def plugged(self) -> bool | Unknown:
        """True when any power source is connected; Unknown when no flag was printed."""
        flags = (self.ac_powered, self.usb_powered, self.wireless_powered, self.dock_powered)
        if any(f is True for f in flags):
            return True
        if any(isinstance(f, bool) for f in flags):
            return False
        return Unknown("no 'AC/USB/Wireless powered' lines")


_TWICE = "\x00twice"  # marks a key printed twice with different values


def _first_values(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for match in _KEY_VALUE.finditer(text):
        key, value = match.group(1).strip(), match.group(2)
        if key in values and values[key] != value:
            values[key] = _TWICE
        else:
            values.setdefault(key, value)
    return values


def _raw(values: dict[str, str], key: str) -> str | Unknown:
    raw = values.get(key)
    if raw is None:
        return Unknown(f"'{key}' not printed")
    if raw == _TWICE:
        return Unknown(f"'{key}' printed twice with different values")
    return raw


def _int(values: dict[str, str], key: str, low: int | None = None,
         high: int | None = None) -> int | Unknown:
    raw = _raw(values, key)
    if isinstance(raw, Unknown):
        return raw
    raw = raw.strip().strip("[]").strip()  # Samsung 2026 brackets some values: [98]
    if not re.fullmatch(r"-?[0-9]{1,12}", raw):
        return Unknown(f"'{key}' is not a number")
    value = int(raw)
    if (low is not None and value < low) or (high is not None and value > high):
        return Unknown(f"'{key}' is out of range ({value})")
    return value


def _bool(values: dict[str, str], key: str) -> bool | Unknown:
    raw = _raw(values, key)
    if isinstance(raw, Unknown):
        return raw
    if raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    return Unknown(f"'{key}' is not true/false")


def parse_battery_service(text: str | None) -> BatteryState:
    """Pure; never raises."""
    if not text or not text.strip():
        return _unrecognised("no 'dumpsys battery' output")
    if "\x00" in text[:4096]:
        return _unrecognised("'dumpsys battery' output is binary, not text")
    values = _first_values(text)
    # BatteryManager: status 1-5, health 1-7 (HEALTH_* constants).
    level, status = _int(values, "level", 0), _int(values, "status", 1, 5)
    scale = _int(values, "scale", 1, 10_000)
    if isinstance(level, int) and isinstance(scale, int) and level > scale:
        level = Unknown(f"'level' {level} is above the scale {scale}")
    if "Current Battery Service state" not in text and not (
            known_int(level) and known_int(status)):
        first_line = text.strip().splitlines()[0][:80]
        return _unrecognised(f"unfamiliar 'dumpsys battery' output (starts {first_line!r})")

    counter = _int(values, "Charge counter")
    counter_mah: float | Unknown
    unit: str | Unknown
    if isinstance(counter, int) and counter > 0:
        unit = "mAh" if counter < _MAH_COUNTER_LIMIT else "uAh"
        counter_mah = float(counter) if unit == "mAh" else counter / 1000
    else:
        reason = "is 0 (not supported)" if counter == 0 else "missing or negative"
        counter_mah = unit = Unknown(f"charge counter {reason}")

    temperature = _int(values, "temperature")
    voltage = _int(values, "voltage")
    technology = _raw(values, "technology")
    return BatteryState(
        recognised=True,
        why_unrecognised="",
        updates_stopped="UPDATES STOPPED" in text,
        ac_powered=_bool(values, "AC powered"),
        usb_powered=_bool(values, "USB powered"),
        wireless_powered=_bool(values, "Wireless powered"),
        dock_powered=_bool(values, "Dock powered"),
        max_charging_current_ua=_int(values, "Max charging current"),
        max_charging_voltage_uv=_int(values, "Max charging voltage"),
        charge_counter_mah=counter_mah,
        charge_counter_unit=unit,
        status=status,
        health=_int(values, "health", 1, 7),
        present=_bool(values, "present"),
        level=level,
        scale=scale,
        # Some old builds print volts (4.2) instead of mV; anything under 100 is not mV.
        voltage_mv=voltage if isinstance(voltage, int) and voltage >= 100 else Unknown(
            "voltage missing or not in mV"),
        temperature_c=temperature / 10 if isinstance(temperature, int) else temperature,
        technology=technology.strip() if isinstance(technology, str) else technology,
        samsung_asoc=_int(values, "mSavedBatteryAsoc"),
        samsung_bsoh=_int(values, "mSavedBatteryBsoh"),
        samsung_usage=_int(values, "mSavedBatteryUsage"),
        asus_soh=_int(values, "soh"),
    )


def known_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _unrecognised(reason: str) -> BatteryState:
    u = Unknown(reason)
    return BatteryState(False, reason, False, u, u, u, u, u, u, u, u, u, u, u, u, u, u, u, u,
                        u, u, u, u)
