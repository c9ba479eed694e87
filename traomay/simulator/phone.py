"""A simulated phone: mutable state built from a Profile, implementing phone_api.SimulatedPhone.

All command lines go through shell.Shell; this module holds the state those commands read and
change (radios, settings, installed apps, accounts, the camera, a tiny filesystem, reboots).
"""

from __future__ import annotations

import dataclasses
import hashlib
import shlex
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from traomay.simulator.phone_api import ShellOutcome
from traomay.simulator.profile import Account, Profile, load_profile

S_IFDIR = 0o040000
S_IFREG = 0o100000
REBOOT_SECONDS = 2.0
# Battery draw while unplugged, for the timed drain test (battery-test). Assumed figures for
# a phone in light use: screen on ~400 mA (the criteria's typical_current_ma), screen off and
# idle ~15 mA. The drain rate is draw / full-charge capacity, so a worn battery (Galaxy S8:
# 1210 mAh learned) drains ~33 %/h and a healthy A55 (4870 mAh) ~8 %/h.
SCREEN_ON_MA = 400.0
SCREEN_OFF_MA = 15.0


@dataclass
class InstalledApp:
    name: str
    version_code: int
    version_name: str
    min_sdk: int
    target_sdk: int
    system: bool = False
    signer: str = ""
    abi: str | None = None
    path: str = ""


@dataclass
class FileEntry:
    mode: int
    data: bytes
    mtime: int


@dataclass
class InstallSession:
    apks: dict[str, bytes] = field(default_factory=dict)


@dataclass
class CameraState:
    open_id: str | None = None
    client_package: str = ""
    events: list[str] = field(default_factory=list)  # "CONNECT device 0 client for ..."
    photos: int = 0


def _android_id(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


JUNK_SERIAL = "0123456789ABCDEF"


def _luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def _nth_copy(profile: Profile, n: int) -> Profile:
    """The same model, another unit: serial, IMEIs and name (android_id seed) differ."""
    props = dict(profile.props)
    for key in ("ro.serialno", "ro.boot.serialno"):
        value = props.get(key)
        if value and value != JUNK_SERIAL:
            props[key] = f"{value[:-3]}{n:03d}"[-len(value):] if len(value) > 3 else f"{value}{n}"
    imeis = []
    for imei in profile.imeis:
        if len(imei) == 15 and imei.isdigit():
            body = imei[:8] + f"{(int(imei[8:14]) + n) % 1_000_000:06d}"
            imeis.append(body + _luhn_digit(body))
        else:
            imeis.append(imei)
    return dataclasses.replace(profile, name=f"{profile.name}#{n}", props=props,
                               imeis=tuple(imeis))


class Phone:
    """One simulated phone (see phone_api.SimulatedPhone for the contract)."""

    def __init__(self, profile: Profile, *, authorized: bool | None = None) -> None:
        self.profile = profile
        self.serial = profile.serial
        self.sdk = profile.sdk
        self._authorized = (not profile.auth_required) if authorized is None else authorized
        self._pending_reboot: float | None = None
        self._wipe_on_boot = False
        self.boot_count = 0
        self.boot_time = time.time()
        self.props: dict[str, str] = {**self._sim_props(profile), **profile.props}
        self.wifi_enabled = profile.wifi.enabled and not profile.wifi.broken
        self.wifi_scanned = self.wifi_enabled
        self.bt_enabled = profile.bluetooth.enabled and not profile.bluetooth.broken
        self.bt_ever_enabled = self.bt_enabled
        self.location_enabled = profile.location.enabled
        self.mobile_data = any(s.sim_state == "READY" for s in profile.sims)
        self.accounts: list[Account] = list(profile.accounts)
        self.lock_screen = profile.lock_screen
        self.frp_active = profile.frp_active
        self.storage_free = profile.storage_free_bytes
        self.battery_override: dict[str, int] = {}  # cmd battery set/unplug
        self.camera = CameraState()
        self.apps: dict[str, InstalledApp] = {}
        self.sessions: dict[int, InstallSession] = {}
        self.next_session = 1000 + (int(hashlib.md5(profile.name.encode()).hexdigest(), 16) % 9000)
        self.files: dict[str, FileEntry] = {}
        self.dirs: set[str] = {"/", "/sdcard", "/sdcard/DCIM", "/sdcard/DCIM/Camera",
                               "/sdcard/Download", "/data", "/data/local", "/data/local/tmp"}
        self.input_log: list[str] = []
        # Seconds each command takes (latency.CommandLatency; benchmarks and soak runs):
        # None answers at once.
        self.latency: Callable[[list[str], int, Any], float] | None = None
        # --- operator flows (touch-test, call-test, battery-test) ---------------------
        self.touch_row_delay = 0.02  # seconds between streamed getevent rows
        # Simulated time runs time_scale x faster than ``clock`` for the battery only, so a
        # test can compress a 30-minute drain test into one second (the host side of such a
        # test must scale its clock the same way).
        self.clock: Callable[[], float] = time.monotonic
        self.time_scale = 1.0
        self.usb_connected = True
        # The profile's battery as its donor left it on the hub: the source it charges from,
        # and a worn port (the profile drains although plugged in: it drains on any charger).
        b = profile.battery
        self._charger = b.plugged
        self._worn_port = b.plugged != "none" and b.status == "discharging"
        self._status_on_power = b.status if b.plugged != "none" and b.status in (
            "charging", "full", "not_charging") else "charging"
        self._unplugged_at: float | None = None
        self._screen_timeout_at_unplug_ms = 0
        self._level = float(profile.battery.level)
        self._ringing_until: dict[int, float] = {}
        self.sim_numbers: list[str] = []  # MSISDN per slot when the SIM stores one
        self.settings: dict[str, dict[str, str]] = {"global": {}, "secure": {}, "system": {}}
        self._reset_settings(_android_id(profile.name))
        for pkg in profile.packages:
            self.apps[pkg.name] = InstalledApp(
                pkg.name, pkg.version_code, pkg.version_name, pkg.min_sdk, pkg.target_sdk,
                pkg.system, pkg.signer, None, self._apk_path(pkg.name, pkg.system))
        from traomay.simulator.shell import Shell  # late import: shell imports this module's types

        self.shell = Shell(self)

    # --- construction -------------------------------------------------------------------
    @classmethod
    def from_profile(cls, name: str, *, authorized: bool | None = None,
                     copy: int = 0) -> Phone:
        """Build a phone from a bundled profile name (or a path to a profile YAML).

        ``authorized=None`` follows the profile's ``auth_required`` (default: authorized).
        ``copy`` > 0 makes another phone of the same model: its own serial (unless the model
        ships the shared junk serial), IMEI and android_id, as two real phones would have."""
        profile = load_profile(name)
        return cls(_nth_copy(profile, copy) if copy else profile, authorized=authorized)

    def _reset_settings(self, android_id: str) -> None:
        p = self.profile
        self.settings = {
            "global": {"adb_enabled": "1", "development_settings_enabled": "1",
                       "device_provisioned": "1", "airplane_mode_on": "0",
                       "stay_on_while_plugged_in": "0", "auto_time": "1",
                       "device_name": p.props.get("ro.product.model", "")},
            "secure": {"android_id": android_id, "user_setup_complete": "1",
                       "install_non_market_apps": "1"},
            "system": {"screen_brightness": "102", "screen_off_timeout": "30000",
                       "font_scale": "1.0"},
        }
        for ns, values in p.settings.items():
            self.settings.setdefault(ns, {}).update(values)

    @staticmethod
    def _sim_props(profile: Profile) -> dict[str, str]:
        """gsm.* properties from the SIM slots; multi-SIM values are comma-separated."""
        sims = profile.sims
        if not sims:
            return {}
        live = [s.voice_reg == 0 for s in sims]

        def per_slot(values: list[str]) -> str:
            return ",".join(values)

        return {
            "gsm.sim.state": per_slot([s.sim_state for s in sims]),
            "gsm.operator.alpha": per_slot([s.operator if s.voice_reg == 0 else ""
                                            for s in sims]),
            "gsm.operator.numeric": per_slot([s.numeric if s.voice_reg == 0 else ""
                                              for s in sims]),
            "gsm.operator.iso-country": per_slot(["vn" if ok else "" for ok in live]),
            "gsm.operator.isroaming": per_slot(["false"] * len(sims)),
            "gsm.sim.operator.alpha": per_slot([s.operator if s.sim_state == "READY" else ""
                                                for s in sims]),
            "gsm.sim.operator.numeric": per_slot([s.numeric if s.sim_state == "READY" else ""
                                                  for s in sims]),
            "gsm.network.type": per_slot(["LTE" if ok else "Unknown" for ok in live]),
        }

    @staticmethod
    def _apk_path(name: str, system: bool) -> str:
        if system:
            return f"/system/app/{name.rsplit('.', 1)[-1]}/{name.rsplit('.', 1)[-1]}.apk"
        return f"/data/app/{name}-1/base.apk"

    # --- connection ---------------------------------------------------------------------
    def banner(self) -> bytes:
        def clean(v: str) -> str:  # ':' and ';' would break the banner syntax
            return v.replace(":", "_").replace(";", "_")

        parts = [f"ro.product.name={clean(self.props.get('ro.product.name', ''))}",
                 f"ro.product.model={clean(self.props.get('ro.product.model', ''))}",
                 f"ro.product.device={clean(self.props.get('ro.product.device', ''))}",
                 f"features={','.join(self.features())}"]
        return ("device::" + ";".join(parts)).encode()

    def features(self) -> list[str]:
        return list(self.profile.features)

    def is_authorized(self) -> bool:
        return self._authorized

    def authorize(self) -> None:
        """The volunteer taps "Allow USB debugging"."""
        self._authorized = True

    def deauthorize(self) -> None:
        """The phone forgot this computer's key ("Revoke USB debugging authorizations", or
        a fault plan): it asks "Allow USB debugging?" at the next connection."""
        self._authorized = False

    # --- services -----------------------------------------------------------------------
    def stdin_bytes_expected(self, command: str) -> int:
        from traomay.simulator.installer import streamed_install_size

        return streamed_install_size(command)

    def run(self, command: str, stdin: bytes = b"") -> ShellOutcome:
        # A command off the wire is decoded UTF-8 and never holds lone surrogates; one from
        # a Python caller might, and the phone's shell only ever sees bytes: replace them.
        command = command.encode("utf-8", "replace").decode("utf-8")
        return self.shell.run(command, stdin)

    # --- settings with radios behind them -----------------------------------------------
    def get_setting(self, namespace: str, key: str) -> str | None:
        linked = {("global", "wifi_on"): "1" if self.wifi_enabled else "0",
                  ("global", "bluetooth_on"): "1" if self.bt_enabled else "0",
                  ("global", "mobile_data"): "1" if self.mobile_data else "0",
                  ("secure", "location_mode"): "3" if self.location_enabled else "0"}
        if (namespace, key) in linked:
            return linked[(namespace, key)]
        if (namespace, key) == ("secure", "location_providers_allowed") and self.sdk <= 28:
            return "gps,network" if self.location_enabled else ""
        if key == "secure_frp_mode" and (namespace == "secure" or self.sdk >= 34):
            return "1" if self.frp_active else "0"
        return self.settings.get(namespace, {}).get(key)

    def put_setting(self, namespace: str, key: str, value: str) -> None:
        on = value not in ("0", "false", "")
        if (namespace, key) == ("global", "wifi_on"):
            self.set_wifi(on)
        elif (namespace, key) == ("global", "bluetooth_on"):
            self.set_bluetooth(on)
        elif (namespace, key) == ("secure", "location_mode"):
            self.location_enabled = on
        elif (namespace, key) == ("secure", "location_providers_allowed") and self.sdk <= 28:
            # Android 8.x and older: "+gps" / "-gps" switch the GPS provider
            if value.strip() in ("+gps", "-gps"):
                self.location_enabled = value.strip() == "+gps"
        else:
            self.settings.setdefault(namespace, {})[key] = value

    def set_wifi(self, on: bool) -> None:
        was_on = self.wifi_enabled
        self.wifi_enabled = on and not self.profile.wifi.broken
        # turning Wi-Fi on makes the framework scan within seconds
        self.wifi_scanned = self.wifi_enabled and (self.wifi_scanned or not was_on)

    def set_bluetooth(self, on: bool) -> None:
        self.bt_enabled = on and not self.profile.bluetooth.broken
        self.bt_ever_enabled = self.bt_ever_enabled or self.bt_enabled

    # --- streamed commands --------------------------------------------------------------
    def stream(self, command: str) -> Iterator[tuple[float, bytes]] | None:
        """(delay, bytes) chunks for a command whose output comes over time (a plain
        ``getevent`` that streams); None when the command answers at once through run()."""
        if "getevent" not in command:  # most commands: no need to split them
            return None
        try:
            argv = shlex.split(command)
        except ValueError:
            return None
        if not argv or argv[0] != "getevent" or any(op in argv for op in (";", "|", "&&")):
            return None
        from traomay.simulator.touch import stream_getevent

        return stream_getevent(self, argv[1:])

    # --- calls ----------------------------------------------------------------------------
    def incoming_call(self, seconds: float = 1.0, slot: int = 0) -> bool:
        """Someone calls this phone: mCallState is 1 (RINGING) for ``seconds`` (real time),
        then 0 (IDLE) again as the caller hangs up. False (no ring) when that SIM slot is not
        registered for voice."""
        sims = self.profile.sims
        if not (0 <= slot < len(sims)) or sims[slot].voice_reg != 0:
            return False
        self._ringing_until[slot] = time.monotonic() + max(0.0, seconds)
        return True

    def call_state(self, slot: int) -> int:
        """TelephonyManager.CALL_STATE_*: 0 IDLE, 1 RINGING."""
        until = self._ringing_until.get(slot)
        return 1 if until is not None and time.monotonic() < until else 0

    # --- USB power and the battery ------------------------------------------------------
    def drain_percent_per_hour(self, screen_on: bool = True) -> float:
        b = self.profile.battery
        capacity = float(b.learned_mah or b.design_mah or 1)
        return 100.0 * (SCREEN_ON_MA if screen_on else SCREEN_OFF_MA) / capacity

    def set_usb_connected(self, connected: bool) -> None:
        """The cable is pulled (False) or plugged back (True). While unplugged the level
        drops at the profile's drain rate, with the screen on for as long as
        ``screen_off_timeout`` keeps it on; on replug the new level shows in dumpsys."""
        if connected == self.usb_connected:
            return
        was_powered = self.powered
        self.usb_connected = connected
        self._power_changed(was_powered)

    @property
    def charger(self) -> str:
        """What powers the phone while its cable is in: "usb" (the station's hub), "ac" (a
        wall charger, or a hub port that charges as one) or "none" (a port that gives no
        power)."""
        return self._charger

    @property
    def powered(self) -> bool:
        return self.usb_connected and self._charger != "none"

    def set_charger(self, source: str) -> None:
        """The volunteer changes the charger while the phone stays on the hub for data
        (``traomay sim do PHONE charger-wall``). Off power the level drops as in an unplug;
        dumpsys battery shows the source, and "discharging" without one. A phone whose
        profile drains while plugged in (a worn charging port) drains on any charger."""
        if source not in ("ac", "usb", "none"):
            raise ValueError(f"charger source {source!r}: ac, usb or none")
        was_powered = self.powered
        self._charger = source
        self._power_changed(was_powered)

    def _power_changed(self, was_powered: bool) -> None:
        now_powered = self.powered
        if was_powered and not now_powered:
            self._unplugged_at = self.clock()
            if int(self._level) != self.profile.battery.level:  # the profile was swapped
                self._level = float(self.profile.battery.level)
            timeout = self.settings["system"].get("screen_off_timeout", "30000")
            self._screen_timeout_at_unplug_ms = int(timeout) if timeout.isdigit() else 30000
        elif now_powered and not was_powered and self._unplugged_at is not None:
            hours = (self.clock() - self._unplugged_at) * self.time_scale / 3600.0
            self._unplugged_at = None
            on_hours = min(hours, self._screen_timeout_at_unplug_ms / 3_600_000.0)
            drop = (on_hours * self.drain_percent_per_hour(True)
                    + (hours - on_hours) * self.drain_percent_per_hour(False))
            self._level = max(0.0, self._level - drop)
        battery = dataclasses.replace(self.profile.battery, level=int(self._level),
                                      **self._power_fields(now_powered))
        self.profile = dataclasses.replace(self.profile, battery=battery)

    def _power_fields(self, powered: bool) -> dict[str, str]:
        """dumpsys battery's source and status for the power the phone has now."""
        if not powered:
            return {"plugged": "none", "status": "discharging"}
        if self._worn_port:
            return {"plugged": self._charger, "status": "discharging"}
        status = self._status_on_power
        if status == "charging" and self._level >= 100:
            status = "full"
        return {"plugged": self._charger, "status": status}

    # --- sync: a tiny filesystem --------------------------------------------------------
    @staticmethod
    def norm(path: str) -> str:
        for alias in ("/storage/emulated/0", "/storage/self/primary", "/mnt/sdcard"):
            if path == alias or path.startswith(alias + "/"):
                path = "/sdcard" + path[len(alias):]
        parts: list[str] = []
        for piece in path.split("/"):
            if piece in ("", "."):
                continue
            if piece == "..":
                parts = parts[:-1]
            else:
                parts.append(piece)
        return "/" + "/".join(parts)

    def read_file(self, path: str) -> bytes | None:
        entry = self.files.get(self.norm(path))
        return entry.data if entry else None

    def write_file(self, path: str, data: bytes, mode: int) -> None:
        path = self.norm(path)
        parent = path.rsplit("/", 1)[0] or "/"
        while parent not in self.dirs:
            self.dirs.add(parent)
            parent = parent.rsplit("/", 1)[0] or "/"
        if not mode & 0o170000:
            mode |= S_IFREG
        self.files[path] = FileEntry(mode, bytes(data), int(time.time()))

    def delete_file(self, path: str) -> bool:
        return self.files.pop(self.norm(path), None) is not None

    def stat_file(self, path: str) -> tuple[int, int, int] | None:
        path = self.norm(path)
        if path in self.files:
            e = self.files[path]
            return e.mode, len(e.data), e.mtime
        if path in self.dirs:
            return S_IFDIR | 0o771, 4096, int(self.boot_time)
        return None

    def list_dir(self, path: str) -> list[tuple[str, int, int, int]]:
        path = self.norm(path)
        prefix = path.rstrip("/") + "/"
        out: dict[str, tuple[str, int, int, int]] = {}
        for d in self.dirs:
            if d.startswith(prefix) and "/" not in d[len(prefix):] and d != path:
                out[d[len(prefix):]] = (d[len(prefix):], S_IFDIR | 0o771, 4096,
                                        int(self.boot_time))
        for f, e in self.files.items():
            if f.startswith(prefix) and "/" not in f[len(prefix):]:
                out[f[len(prefix):]] = (f[len(prefix):], e.mode, len(e.data), e.mtime)
        return [out[k] for k in sorted(out)]

    # --- reboot -------------------------------------------------------------------------
    def request_reboot(self, *, wipe: bool = False) -> None:
        self._pending_reboot = REBOOT_SECONDS
        self._wipe_on_boot = self._wipe_on_boot or wipe

    def pending_reboot(self) -> float | None:
        value, self._pending_reboot = self._pending_reboot, None
        return value

    def reboot_asked(self) -> bool:
        return self._pending_reboot is not None

    def on_boot(self) -> None:
        self.boot_count += 1
        self.boot_time = time.time()
        self.camera.open_id = None
        self.battery_override.clear()
        self.sessions.clear()
        if self._wipe_on_boot:
            self._wipe_on_boot = False
            self._test_harness_wipe()

    def factory_reset_from_settings(self) -> None:
        """The volunteer erases the phone in Settings (any version): user data, accounts and
        the adb keys are gone, USB debugging is off and the setup wizard runs again. The
        caller (hub.unplug/replug) models the phone leaving and coming back."""
        self._wipe_user_data()
        # Android makes a new android_id at every factory reset, even two in a row before
        # the next boot: count the resets, not the boots.
        self.settings_resets = getattr(self, "settings_resets", 0) + 1
        self._reset_settings(_android_id(
            f"{self.profile.name}#settings{self.boot_count}.{self.settings_resets}"))
        self.settings["global"].update({"adb_enabled": "0", "device_provisioned": "0"})
        self.props.pop("persist.sys.test_harness", None)
        self._authorized = False  # the adb keys were in /data: "Allow USB debugging?" again

    def _wipe_user_data(self) -> None:
        self.apps = {n: a for n, a in self.apps.items() if a.system}
        self.accounts = []
        self.lock_screen = "none"
        self.files = {}
        self.dirs = {d for d in self.dirs if not d.startswith("/sdcard/")} | {
            "/sdcard/DCIM", "/sdcard/DCIM/Camera", "/sdcard/Download"}
        self.camera = CameraState()
        self.wifi_enabled = self.wifi_scanned = False
        # Erasing the donor's apps and files frees space, never more than /data holds.
        self.storage_free = min(self.profile.storage_free_bytes + 2_000_000_000,
                                self.profile.storage_total_bytes * 9 // 10)

    def _test_harness_wipe(self) -> None:
        """What TestHarnessModeService does after its factory reset (Android 10+, AOSP):
        user data gone, setup wizard skipped, lock screen off, adb kept, location on."""
        self._wipe_user_data()
        self._reset_settings(_android_id(f"{self.profile.name}#{self.boot_count}"))
        self.settings["global"].update({
            "device_provisioned": "1", "adb_enabled": "1", "development_settings_enabled": "1",
            "stay_on_while_plugged_in": "7", "ota_disable_automatic_update": "1"})
        self.settings["secure"].update({"user_setup_complete": "1"})
        self.location_enabled = True
        self.props["persist.sys.test_harness"] = "1"
