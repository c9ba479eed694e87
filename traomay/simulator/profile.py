"""Phone profiles: one YAML file per simulated phone model (simulator/profiles/*.yaml).

A profile is static data (what the phone is and how it was left by its donor); the mutable
state of a running simulated phone lives in phone.py. ``load_profile`` validates the file and
raises ProfileError naming the file and the field, so a typo never becomes a silent default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"

# BatteryManager constants (health HAL V1_0): names used in YAML -> numeric codes.
HEALTH_CODES = {"unknown": 1, "good": 2, "overheat": 3, "dead": 4, "over_voltage": 5,
                "unspecified_failure": 6, "cold": 7}
STATUS_CODES = {"unknown": 1, "charging": 2, "discharging": 3, "not_charging": 4, "full": 5}
PLUGGED_CODES = {"none": 0, "ac": 1, "usb": 2, "wireless": 4, "dock": 8}
LOCK_SCREENS = ("none", "swipe", "pin", "pattern", "password")


class ProfileError(ValueError):
    """A profile file is missing a field or has a value of the wrong kind."""


@dataclass(frozen=True)
class Battery:
    level: int
    health: str
    status: str
    plugged: str
    voltage_mv: int
    temperature_dc: int  # tenths of a degree Celsius, as dumpsys prints it
    design_mah: int
    learned_mah: int | None  # batterystats "learned" capacity; None = HAL does not report
    estimated_mah: int
    cycle_count: int | None
    technology: str = "Li-ion"
    sysfs_readable: bool = False  # vendor labelled /sys/class/power_supply as sysfs_batteryinfo
    samsung_asoc: int | None = None  # Samsung BatteryInfoBackUp mSavedBatteryAsoc (% health)
    samsung_usage: int | None = None  # mSavedBatteryUsage (cycles x 100, unit uncertain)
    samsung_bracketed: bool = False  # newer One UI prints "[93]"
    charge_counter_mah: bool = False  # Xiaomi HyperOS prints Charge counter in mAh, not uAh


@dataclass(frozen=True)
class Camera:
    id: str
    facing: str  # back | front | external


@dataclass(frozen=True)
class WifiNetwork:
    ssid: str
    bssid: str
    freq: int
    rssi: int
    flags: str = "[WPA2-PSK-CCMP][ESS]"


@dataclass(frozen=True)
class Wifi:
    enabled: bool
    networks: tuple[WifiNetwork, ...]
    broken: bool = False  # radio never turns on


@dataclass(frozen=True)
class Bluetooth:
    enabled: bool
    address: str
    name: str
    state_format: str = "name"  # name (ON) | numeric (12) | prefixed (STATE_ON)
    broken: bool = False


@dataclass(frozen=True)
class Location:
    enabled: bool
    gps_hardware: bool
    satellites: int
    fix: bool
    hardware_model: str = ""


@dataclass(frozen=True)
class SimSlot:
    sim_state: str  # READY | ABSENT | PIN_REQUIRED | ...
    operator: str  # e.g. Viettel
    numeric: str  # MCC+MNC, e.g. 45204
    voice_reg: int  # 0 IN_SERVICE, 1 OUT_OF_SERVICE, 2 EMERGENCY_ONLY, 3 POWER_OFF
    data_reg: int
    signal_dbm: int
    signal_level: int


@dataclass(frozen=True)
class Touch:
    name: str
    max_x: int
    max_y: int
    display_w: int
    display_h: int
    density: int
    dead_zone: tuple[int, int, int, int] | None = None  # raw x0,y0,x1,y1 that never reports


@dataclass(frozen=True)
class Account:
    type: str
    name: str


@dataclass(frozen=True)
class Package:
    name: str
    version_code: int
    version_name: str
    min_sdk: int
    target_sdk: int
    system: bool = False
    signer: str = ""  # sha256 hex of the signing certificate ("" = platform/unknown)


@dataclass(frozen=True)
class Training:
    """What a trainee meets on this phone in ``traomay sim``: the verdict a volunteer
    reaches by following the screen, the person's actions it takes (``traomay sim do``;
    names in simulator/actions.py), and what the volunteer sees when looking at it."""

    verdict: str = "pass"  # pass | fail
    actions: tuple[str, ...] = ()
    screen: str = "ok"  # ok | cracked (traomay attest --screen)
    back: str = "ok"  # ok | bulging (traomay attest --back)


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    props: dict[str, str]
    battery: Battery
    cameras: tuple[Camera, ...]
    wifi: Wifi
    bluetooth: Bluetooth
    location: Location
    sims: tuple[SimSlot, ...]
    touch: Touch
    accounts: tuple[Account, ...]
    lock_screen: str
    frp_active: bool
    storage_free_bytes: int
    storage_total_bytes: int  # size of /data (statfs f_blocks x f_bsize), not the box size
    imeis: tuple[str, ...]
    packages: tuple[Package, ...]
    features: tuple[str, ...]
    auth_required: bool = False
    settings: dict[str, dict[str, str]] = field(default_factory=dict)
    description_vi: str = ""  # shown by `traomay sim --list` in Vietnamese
    training: Training = field(default_factory=Training)

    @property
    def sdk(self) -> int:
        return int(self.props["ro.build.version.sdk"])

    @property
    def serial(self) -> str:
        return self.props.get("ro.serialno") or self.props.get("ro.boot.serialno") or "unknown"


def default_features(sdk: int) -> tuple[str, ...]:
    """adbd features by Android version, read from adb's transport.cpp per branch.

    Android 7 (N) adbd already advertises shell_v2 and cmd (cm-14.1 defines only those two);
    stat_v2 arrives in 8/9; abb/abb_exec, ls_v2, apex, fixed_push_mkdir in 10. Real 11+ phones
    also advertise sendrecv_v2* and delayed_ack: those are deliberately NOT advertised here,
    because the simulated sync service speaks only sync v1 (a client seeing sendrecv_v2 would
    send SND2/RCV2).
    """
    feats = ["shell_v2", "cmd"]
    if sdk >= 26:
        feats.append("stat_v2")
    if sdk >= 29:
        feats += ["ls_v2", "fixed_push_mkdir", "apex", "abb", "fixed_push_symlink_timestamp",
                  "abb_exec", "remount_shell"]
    if sdk >= 30:
        feats.append("track_app")
    return tuple(feats)


# --- validation helpers -------------------------------------------------------------------

class _Reader:
    def __init__(self, where: str, data: Any):
        if not isinstance(data, dict):
            raise ProfileError(f"{where}: expected a mapping")
        self.where = where
        self.data = data

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data or self.data[key] is None:
            if default is ...:
                raise ProfileError(f"{self.where}: missing field {key!r}")
            return default
        value = self.data[key]
        if kind is int and isinstance(value, bool):
            raise ProfileError(f"{self.where}.{key}: expected int, got bool")
        if not isinstance(value, kind):
            raise ProfileError(f"{self.where}.{key}: expected {kind}, got {type(value).__name__}")
        return value

    def sub(self, key: str) -> _Reader:
        return _Reader(f"{self.where}.{key}", self.get(key, dict))

    def choice(self, key: str, choices: Any, default: Any = ...) -> str:
        value = self.get(key, str, default)
        if value not in choices:
            raise ProfileError(f"{self.where}.{key}: {value!r} not one of {sorted(choices)}")
        return value


def _battery(r: _Reader) -> Battery:
    return Battery(
        level=r.get("level", int), health=r.choice("health", HEALTH_CODES),
        status=r.choice("status", STATUS_CODES), plugged=r.choice("plugged", PLUGGED_CODES),
        voltage_mv=r.get("voltage", int), temperature_dc=r.get("temperature", int),
        design_mah=r.get("design_mah", int), learned_mah=r.get("learned_mah", int, None),
        estimated_mah=r.get("estimated_mah", int), cycle_count=r.get("cycle_count", int, None),
        technology=r.get("technology", str, "Li-ion"),
        sysfs_readable=r.get("sysfs_readable", bool, False),
        samsung_asoc=r.get("samsung_asoc", int, None),
        samsung_usage=r.get("samsung_usage", int, None),
        samsung_bracketed=r.get("samsung_bracketed", bool, False),
        charge_counter_mah=r.get("charge_counter_mah", bool, False),
    )


def _items(r: _Reader, key: str) -> list[_Reader]:
    return [_Reader(f"{r.where}.{key}[{i}]", x) for i, x in enumerate(r.get(key, list, []))]


def _storage_total(r: _Reader) -> int:
    total, free = r.get("storage_total_bytes", int), r.get("storage_free_bytes", int)
    if total < 4096 or not 0 <= free <= total:
        raise ProfileError(f"{r.where}: storage needs 0 <= storage_free_bytes <= "
                           f"storage_total_bytes (got {free} and {total})")
    return total


def _training(r: _Reader) -> Training:
    from traomay.simulator.actions import ACTIONS

    if "training" not in r.data:
        return Training()
    t = r.sub("training")
    actions = tuple(str(a) for a in t.get("actions", list, []))
    unknown = [a for a in actions if a not in ACTIONS]
    if unknown:
        raise ProfileError(f"{t.where}.actions: {unknown[0]!r} not one of {sorted(ACTIONS)}")
    return Training(verdict=t.choice("verdict", ("pass", "fail")), actions=actions,
                    screen=t.choice("screen", ("ok", "cracked"), "ok"),
                    back=t.choice("back", ("ok", "bulging"), "ok"))


def parse_profile(data: Any, where: str = "profile") -> Profile:
    """Validate a decoded YAML document and build a Profile."""
    r = _Reader(where, data)
    props = {str(k): str(v) for k, v in r.get("props", dict).items()}
    for key in ("ro.build.version.sdk", "ro.build.version.release", "ro.product.model"):
        if key not in props:
            raise ProfileError(f"{where}.props: missing {key}")
    wifi, bt, loc, touch = r.sub("wifi"), r.sub("bluetooth"), r.sub("location"), r.sub("input")
    sdk = int(props["ro.build.version.sdk"])
    settings = r.get("settings", dict, {})
    return Profile(
        name=r.get("name", str), description=r.get("description", str), props=props,
        battery=_battery(r.sub("battery")),
        cameras=tuple(Camera(c.get("id", str), c.choice("facing", ("back", "front", "external")))
                      for c in _items(r, "cameras")),
        wifi=Wifi(enabled=wifi.get("enabled", bool), broken=wifi.get("broken", bool, False),
                  networks=tuple(WifiNetwork(n.get("ssid", str), n.get("bssid", str),
                                             n.get("freq", int), n.get("rssi", int),
                                             n.get("flags", str, "[WPA2-PSK-CCMP][ESS]"))
                                 for n in _items(wifi, "networks"))),
        bluetooth=Bluetooth(enabled=bt.get("enabled", bool), address=bt.get("address", str),
                            name=bt.get("name", str), broken=bt.get("broken", bool, False),
                            state_format=bt.choice("state_format", ("name", "numeric", "prefixed"),
                                                   "name")),
        location=Location(enabled=loc.get("enabled", bool), gps_hardware=loc.get("gps", bool),
                          satellites=loc.get("satellites", int), fix=loc.get("fix", bool),
                          hardware_model=loc.get("hardware_model", str, "")),
        sims=tuple(SimSlot(s.get("sim_state", str), s.get("operator", str, ""),
                           str(s.get("numeric", (str, int), "")), s.get("voice_reg", int, 1),
                           s.get("data_reg", int, 1), s.get("signal_dbm", int, -120),
                           s.get("signal_level", int, 0))
                   for s in _items(r.sub("telephony"), "slots")),
        touch=Touch(name=touch.get("touchscreen", str), max_x=touch.get("max_x", int),
                    max_y=touch.get("max_y", int), display_w=touch.get("display_w", int),
                    display_h=touch.get("display_h", int), density=touch.get("density", int),
                    dead_zone=tuple(touch.get("dead_zone", list)) if touch.data.get("dead_zone")
                    else None),
        accounts=tuple(Account(a.get("type", str), a.get("name", str))
                       for a in _items(r, "accounts")),
        lock_screen=r.choice("lock_screen", LOCK_SCREENS, "none"),
        frp_active=r.sub("frp").get("active", bool, False) if "frp" in r.data else False,
        storage_free_bytes=r.get("storage_free_bytes", int),
        storage_total_bytes=_storage_total(r),
        imeis=tuple(str(x) for x in r.get("imei", list, [])),
        packages=tuple(Package(p.get("name", str), p.get("version_code", int),
                               str(p.get("version_name", (str, int, float))),
                               p.get("min_sdk", int), p.get("target_sdk", int),
                               p.get("system", bool, False), p.get("signer", str, ""))
                       for p in _items(r, "packages")),
        features=tuple(r.get("features", list, list(default_features(sdk)))),
        auth_required=r.get("auth_required", bool, False),
        settings={ns: {str(k): str(v) for k, v in (vals or {}).items()}
                  for ns, vals in settings.items()},
        description_vi=r.get("description_vi", str, ""),
        training=_training(r),
    )


def list_profiles() -> list[str]:
    """Names of all bundled profiles, sorted."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))


def load_profile(name_or_path: str | Path) -> Profile:
    """Load a bundled profile by name, or any profile file by path."""
    path = Path(name_or_path)
    if path.suffix != ".yaml":
        path = PROFILES_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise ProfileError(f"no such profile: {name_or_path} (known: {', '.join(list_profiles())})")
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    profile = parse_profile(data, where=path.name)
    if profile.name != path.stem:
        raise ProfileError(f"{path.name}: name {profile.name!r} differs from the file name")
    return profile


def default_hub_profiles() -> list[str]:
    """Profiles the demo hub plugs in (all bundled ones)."""
    return list_profiles()
