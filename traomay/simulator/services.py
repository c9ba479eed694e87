"""Framework shell commands: cmd, svc, service call, am, input, wm, monkey (getevent is in
touch.py). Which sub-commands exist depends on the Android version (android-facts.md)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from traomay.simulator import touch
from traomay.simulator.commands import settings
from traomay.simulator.installer import cmd_package

if TYPE_CHECKING:
    from traomay.simulator.phone import Phone
    from traomay.simulator.shell import Command, Result

NO_IMPL = b"No shell command implementation.\n"


def _out(text: str, code: int = 0) -> Result:
    return text.encode(), b"", code


def _unknown(cmd: str) -> Result:  # ShellCommand.handleDefaultCommands
    return _out(f"Unknown command: {cmd}\n", 255)


# --- cmd <service> ----------------------------------------------------------------------------

def cmd(phone: Phone, args: list[str], stdin: bytes) -> Result:
    if not args:
        return b"", b"cmd: No service specified; use -l to list all services\n", 20
    service, rest = args[0], args[1:]
    handler = CMD_SERVICES.get(service)
    min_sdk = {"testharness": 29}.get(service, 0)
    if handler is None or phone.sdk < min_sdk:
        return b"", f"cmd: Can't find service: {service}\n".encode(), 20
    return handler(phone, rest, stdin)


def cmd_wifi(phone: Phone, args: list[str], stdin: bytes) -> Result:
    if phone.sdk <= 25:  # Android 7.x: no WifiShellCommand at all (Binder default)
        return b"", NO_IMPL, 0
    sub = args[0] if args else ""
    if phone.sdk < 30 or sub not in ("status", "start-scan", "list-scan-results",
                                      "set-wifi-enabled"):
        return _unknown(sub)  # 8.1-10: only root ipreach/poll-rssi and a few -force commands
    if sub == "set-wifi-enabled":
        if len(args) < 2 or args[1] not in ("enabled", "disabled"):
            return b"", b"Invalid argument: expected enabled|disabled\n", 255
        phone.set_wifi(args[1] == "enabled")
        return b"", b"", 0
    if sub == "start-scan":
        phone.wifi_scanned = phone.wifi_enabled
        return b"", b"", 0
    if sub == "status":
        lines = [f"Wifi is {'enabled' if phone.wifi_enabled else 'disabled'}",
                 "Wifi scanning is only available when wifi is enabled"]
        if phone.sdk >= 31:
            lines.append("==== Primary ClientModeManager instance ====")
        lines.append("Wifi is not connected")
        return _out("\n".join(lines) + "\n")
    if not (phone.wifi_enabled and phone.wifi_scanned and phone.profile.wifi.networks):
        return _out("No scan results\n")
    return _out(scan_table(phone))


def scan_table(phone: Phone) -> str:
    """ScanResultUtil.dumpScanResults layout."""
    rows = ["    BSSID              Frequency      RSSI           Age(sec)     SSID"
            "                                 Flags"]
    for i, n in enumerate(phone.profile.wifi.networks):
        age = f"{1.204 + i * 0.013:.3f}"
        rows.append(f"  {n.bssid:>17}  {n.freq:>9}  {n.rssi:>18}   {age:>7}    "
                    f"{n.ssid:<32}  {n.flags}")
    return "\n".join(rows) + "\n"


def cmd_bluetooth(phone: Phone, args: list[str], stdin: bytes) -> Result:
    if phone.sdk < 33:  # BluetoothShellCommand arrived in Android 13
        return b"", NO_IMPL, 0
    sub = args[0] if args else ""
    if sub in ("enable", "disable"):
        phone.set_bluetooth(sub == "enable")
        return b"", b"", 0
    if sub.startswith("wait-for-state:"):
        want = sub.split(":", 1)[1]
        have = "STATE_ON" if phone.bt_enabled else "STATE_OFF"
        return (b"", b"", 0) if want == have else (b"", b"", 255)
    return _unknown(sub)


def cmd_location(phone: Phone, args: list[str], stdin: bytes) -> Result:
    if phone.sdk < 30:  # LocationShellCommand: Android 11+
        return b"", NO_IMPL, 0
    sub = args[0] if args else ""
    if sub == "is-location-enabled":
        return _out("true\n" if phone.location_enabled else "false\n")
    if sub == "set-location-enabled" and len(args) >= 2:
        phone.location_enabled = args[1] == "true"
        return b"", b"", 0
    return _unknown(sub)


def cmd_battery(phone: Phone, args: list[str], stdin: bytes) -> Result:
    from traomay.simulator.dumpsys import battery_values

    sub = args[0] if args else ""
    if sub == "get" and len(args) >= 2:
        key = args[-1]
        values = battery_values(phone)
        if key not in values:
            return _out(f"Unknown get option: {key}\n", 255)
        return _out(f"{values[key]}\n")
    if sub == "set" and len(args) >= 3 and args[-1].lstrip("-").isdigit():
        phone.battery_override[args[-2]] = int(args[-1])
        return b"", b"", 0
    if sub == "unplug":
        phone.battery_override.update({"ac": 0, "usb": 0, "wireless": 0})
        return b"", b"", 0
    if sub == "reset":
        phone.battery_override.clear()
        return b"", b"", 0
    return _unknown(sub)


def cmd_testharness(phone: Phone, args: list[str], stdin: bytes) -> Result:
    sub = args[0] if args else ""
    if sub not in ("enable", "restore"):
        return _unknown(sub)
    if phone.lock_screen not in ("none", "swipe"):  # KeyguardManager.isDeviceSecure()
        return b"", b"Test Harness Mode cannot be enabled if there is a lock screen\n", 2
    phone.request_reboot(wipe=True)  # factory reset broadcast, device goes down at once
    return b"", b"", 0


def cmd_settings(phone: Phone, args: list[str], stdin: bytes) -> Result:
    return settings(phone, args, stdin)


def cmd_activity(phone: Phone, args: list[str], stdin: bytes) -> Result:
    return am(phone, args, stdin)


def cmd_window(phone: Phone, args: list[str], stdin: bytes) -> Result:
    return wm(phone, args, stdin)


def cmd_default(phone: Phone, args: list[str], stdin: bytes) -> Result:
    return _unknown(args[0] if args else "")


CMD_SERVICES: dict[str, Command] = {
    "wifi": cmd_wifi, "bluetooth_manager": cmd_bluetooth, "location": cmd_location,
    "battery": cmd_battery, "testharness": cmd_testharness, "package": cmd_package,
    "settings": cmd_settings, "activity": cmd_activity, "window": cmd_window,
    "media.camera": cmd_default, "input": cmd_default, "persistent_data_block": cmd_default,
}


# --- svc --------------------------------------------------------------------------------------

def svc(phone: Phone, args: list[str], stdin: bytes) -> Result:
    names = ["help", "power", "data", "wifi", "usb", "nfc"]
    if phone.sdk >= 28:  # BluetoothCommand: absent from 8.0 svc, present in 9
        names.append("bluetooth")
    sub = args[0] if args else "help"
    verb = args[1] if len(args) > 1 else ""
    if sub not in names or sub == "help" or (sub in ("wifi", "data", "bluetooth")
                                             and verb not in ("enable", "disable")):
        text = "Available commands:\n" + "".join(f"    {n}\n" for n in names)
        return _out(text)
    on = verb == "enable"
    if sub == "wifi":
        phone.set_wifi(on)
    elif sub == "bluetooth":
        phone.set_bluetooth(on)
    elif sub == "data":
        phone.mobile_data = on
    return b"", b"", 0


# --- service call iphonesubinfo -----------------------------------------------------------------

def parcel_dump(words: list[int]) -> str:
    """Format a reply the way ``service call`` prints a Parcel (HexDump, 16 bytes a row)."""
    raw = b"".join(w.to_bytes(4, "little") for w in words)
    if len(raw) <= 16:
        hexes = " ".join(f"{w:08x}" for w in words)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in raw)
        return f"Result: Parcel({hexes}   '{text}')\n"
    lines = ["Result: Parcel("]
    for off in range(0, len(raw), 16):
        chunk = raw[off:off + 16]
        hexes = " ".join(f"{int.from_bytes(chunk[i:i + 4], 'little'):08x}"
                         for i in range(0, len(chunk), 4))
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"  0x{off:08x}: {hexes:<35} '{text:<16}'")
    return "\n".join(lines) + ")\n"


def string16_reply(value: str | None) -> list[int]:
    if value is None:
        return [0, 0xFFFFFFFF]
    data = value.encode("utf-16-le") + b"\x00\x00"
    data += b"\x00" * (-len(data) % 4)
    return [0, len(value)] + [int.from_bytes(data[i:i + 4], "little")
                              for i in range(0, len(data), 4)]


def service(phone: Phone, args: list[str], stdin: bytes) -> Result:
    if args[:1] == ["list"]:
        return _out("Found 3 services:\n0\tiphonesubinfo: [com.android.internal.telephony."
                    "IPhoneSubInfo]\n1\tbattery: []\n2\tpackage: [android.content.pm."
                    "IPackageManager]\n")
    if len(args) >= 2 and args[0] == "check":
        return _out(f"Service {args[1]}: found\n")
    if len(args) < 3 or args[0] != "call":
        return _out("Usage: service [-h|-?]\n       service list\n       service check "
                    "SERVICE\n       service call SERVICE CODE [i32 N | i64 N | f N | d N | "
                    "s16 STR | null | fd f | nfd n | afd f ] ...\n")
    if args[1] != "iphonesubinfo":
        return _out(parcel_dump([0]))
    code = int(args[2]) if args[2].isdigit() else -1
    slot = int(args[args.index("i32") + 1]) if "i32" in args[3:-1] else 0
    imeis = phone.profile.imeis
    # Transaction codes follow IPhoneSubInfo.aidl method order, which changed over versions.
    per_slot = 4 if phone.sdk >= 30 else 3
    value: str | None = None
    if code == 1 and imeis:
        value = imeis[0]
    elif code == per_slot and slot < len(imeis):
        value = imeis[slot]
    elif code == 5 and phone.sdk >= 30 and imeis:
        value = imeis[0]  # getImeiForSubscriber(subId) for the default subscription
    return _out(parcel_dump(string16_reply(value)))


# --- am / input / wm / monkey -------------------------------------------------------------------

CAMERA_ACTIONS = {"android.media.action.STILL_IMAGE_CAMERA", "android.media.action.IMAGE_CAPTURE",
                  "android.media.action.VIDEO_CAMERA", "android.media.action.VIDEO_CAPTURE",
                  "android.media.action.STILL_IMAGE_CAMERA_SECURE"}


def camera_package(phone: Phone) -> str:
    brand = phone.props.get("ro.product.brand", "").lower()
    return {"samsung": "com.sec.android.app.camera", "oppo": "com.oplus.camera",
            "realme": "com.oplus.camera", "xiaomi": "com.android.camera",
            "redmi": "com.android.camera", "vivo": "com.android.camera"}.get(
        brand, "com.android.camera2")


def open_camera(phone: Phone) -> None:
    cams = phone.profile.cameras
    if not cams or phone.camera.open_id is not None:
        return
    target = next((c for c in cams if c.facing == "back"), cams[0])
    pkg = camera_package(phone)
    phone.camera.open_id, phone.camera.client_package = target.id, pkg
    phone.camera.events.insert(0, f"CONNECT device {target.id} client for package {pkg} "
                                  f"(PID {21000 + len(phone.camera.events)})")


def close_camera(phone: Phone) -> None:
    cam = phone.camera
    if cam.open_id is not None:
        cam.events.insert(0, f"DISCONNECT device {cam.open_id} client for package "
                             f"{cam.client_package} (PID {21000 + len(cam.events) - 1})")
        cam.open_id = None


def take_photo(phone: Phone) -> None:
    if phone.camera.open_id is None:
        return
    phone.camera.photos += 1
    stamp = time.strftime("%Y%m%d_%H%M%S", time.gmtime())
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8 + b"\xff\xd9"
    phone.write_file(f"/sdcard/DCIM/Camera/IMG_{stamp}_{phone.camera.photos}.jpg", jpeg, 0o660)


def am(phone: Phone, args: list[str], stdin: bytes) -> Result:
    sub = args[0] if args else ""
    opts = dict(zip(args[1::1], args[2::1], strict=False))
    action, component = opts.get("-a", ""), opts.get("-n", "")
    if sub in ("start", "start-activity"):
        parts = [f"act={action}"] if action else []
        if component:
            parts.append(f"cmp={component}")
        intent = "Intent { " + " ".join(parts) + " }"
        if component and component.split("/")[0] not in phone.apps:
            return _out(f"Starting: {intent}\nError type 3\nError: Activity class "
                        f"{{{component}}} does not exist.\n", 1)
        if action in CAMERA_ACTIONS or component.startswith(camera_package(phone) + "/"):
            open_camera(phone)
        return _out(f"Starting: {intent}\n")
    if sub == "force-stop" and len(args) > 1:
        if args[1] == phone.camera.client_package:
            close_camera(phone)
        return b"", b"", 0
    if sub == "broadcast":
        # MASTER_CLEAR / FACTORY_RESET need a signature permission shell lacks: nothing happens
        return _out(f"Broadcasting: Intent {{ act={action} flg=0x400000 }}\n"
                    "Broadcast completed: result=0\n")
    if sub == "get-current-user":
        return _out("0\n")
    return _out(f"Unknown command: {sub}\n", 255)


KEYCODES = {"KEYCODE_HOME": 3, "KEYCODE_BACK": 4, "KEYCODE_CAMERA": 27, "KEYCODE_POWER": 26,
            "KEYCODE_WAKEUP": 224, "KEYCODE_MENU": 82, "KEYCODE_ENTER": 66}


def input_(phone: Phone, args: list[str], stdin: bytes) -> Result:
    sub = args[0] if args else ""
    phone.input_log.append(" ".join(args))
    if sub == "keyevent" and len(args) > 1:
        code = KEYCODES.get(args[-1], int(args[-1]) if args[-1].isdigit() else -1)
        if code == 27:
            take_photo(phone)
        elif code in (3, 4):
            close_camera(phone)
        return b"", b"", 0
    if sub == "tap" and len(args) >= 3:
        w, h = phone.profile.touch.display_w, phone.profile.touch.display_h
        x, y = float(args[1]), float(args[2])
        if y > 0.8 * h and abs(x - w / 2) < 0.15 * w:  # the shutter button
            take_photo(phone)
        return b"", b"", 0
    if sub in ("swipe", "text", "draganddrop", "roll", "press", "motionevent"):
        return b"", b"", 0
    return _out("Usage: input [<source>] <command> [<arg>...]\n", 1)


def wm(phone: Phone, args: list[str], stdin: bytes) -> Result:
    t = phone.profile.touch
    if args[:1] == ["size"]:
        if len(args) == 1:
            text = f"Physical size: {t.display_w}x{t.display_h}\n"
            override = phone.settings["global"].get("_wm_size")
            return _out(text + (f"Override size: {override}\n" if override else ""))
        if args[1] == "reset":
            phone.settings["global"].pop("_wm_size", None)
        else:
            phone.settings["global"]["_wm_size"] = args[1]
        return b"", b"", 0
    if args[:1] == ["density"]:
        return _out(f"Physical density: {t.density}\n")
    return _out("usage: wm [size|density] ...\n", 1)


def monkey(phone: Phone, args: list[str], stdin: bytes) -> Result:
    pkg = args[args.index("-p") + 1] if "-p" in args[:-1] else ""
    if pkg not in phone.apps:
        return _out("** No activities found to run, monkey aborted.\n", 252)
    if pkg == camera_package(phone):
        open_camera(phone)
    return _out("  bash arg: -p\n  bash arg: " + pkg + "\nEvents injected: 1\n"
                "## Network stats: elapsed time=12ms (0ms mobile, 0ms wifi, 12ms not connected)\n")


def content(phone: Phone, args: list[str], stdin: bytes) -> Result:
    """``content query --uri content://telephony/siminfo --projection number``: one Row per
    SIM slot (the number stays empty when the SIM does not store its own MSISDN)."""
    uri = args[args.index("--uri") + 1] if "--uri" in args[:-1] else ""
    if args[:1] != ["query"] or uri != "content://telephony/siminfo":
        return _out("Error while accessing provider\n", 1)
    projection = args[args.index("--projection") + 1].split(":") if "--projection" in \
        args[:-1] else ["sim_id", "number"]
    numbers = list(getattr(phone, "sim_numbers", []))
    # TelephonyProvider keeps a row for every SIM ever seen: the first row here is an old
    # SIM of the donor's (sim_id -1: not in the phone now), then one row per slot.
    records = [{"sim_id": "-1", "number": "0987000111"}] + [
        {"sim_id": str(i), "number": numbers[i] if i < len(numbers) else "NULL"}
        for i in range(len(phone.profile.sims))]
    rows = [f"Row: {n} " + ", ".join(f"{col}={rec.get(col, 'NULL')}" for col in projection)
            for n, rec in enumerate(records)]
    return _out("\n".join(rows) + "\n")


COMMANDS: dict[str, Command] = {
    "content": content, "cmd": cmd, "svc": svc, "service": service, "am": am,
    "input": input_, "wm": wm, "monkey": monkey, "getevent": touch.getevent,
}
