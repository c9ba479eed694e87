"""``dumpsys`` for the simulated phone: battery, batterystats, media.camera, account, package,
persistent_data_block here; radios and input in dumpsys_hw.py.

Templates reproduce the FORMAT of real dumps per Android version (keys, indentation, line
shapes, as seen in public bugreports and AOSP dump code) filled with the profile's values;
they are deliberately compact: the sections parsers read plus a little surrounding noise.
"""

from __future__ import annotations

import time
import zlib
from typing import TYPE_CHECKING

from traomay.simulator import dumpsys_hw, storage
from traomay.simulator.profile import HEALTH_CODES, PLUGGED_CODES, STATUS_CODES

if TYPE_CHECKING:
    from traomay.simulator.phone import Phone
    from traomay.simulator.shell import Result


def _stamp(offset_s: int = 0) -> str:
    return time.strftime("%m-%d %H:%M:%S", time.gmtime(time.time() + 7 * 3600 - offset_s))


# --- battery ----------------------------------------------------------------------------------

def battery_values(phone: Phone) -> dict[str, int]:
    """Current values, as ``cmd battery get`` and dumpsys battery see them."""
    b = phone.profile.battery
    plugged = PLUGGED_CODES[b.plugged]
    counter_mah = (b.learned_mah or b.design_mah) * b.level // 100
    values = {"ac": int(plugged == 1), "usb": int(plugged == 2), "wireless": int(plugged == 4),
              "dock": int(plugged == 8), "status": STATUS_CODES[b.status],
              "health": HEALTH_CODES[b.health], "level": b.level, "temp": b.temperature_dc,
              "voltage": b.voltage_mv, "present": 1, "invalid": 0,
              "counter": counter_mah if b.charge_counter_mah else counter_mah * 1000,
              "current_now": -412000 if plugged == 0 else 1200000}
    values.update(phone.battery_override)
    return values


def battery(phone: Phone, args: list[str]) -> str:
    b, v, sdk = phone.profile.battery, battery_values(phone), phone.sdk
    ind = " " if sdk >= 35 else "  "  # Android 15 dump lines start with ONE space
    lines = ["Current Battery Service state:"]
    if phone.battery_override:
        lines.append("  (UPDATES STOPPED -- use 'reset' to restart)")
    lines += [f"  AC powered: {str(bool(v['ac'])).lower()}",
              f"  USB powered: {str(bool(v['usb'])).lower()}",
              f"  Wireless powered: {str(bool(v['wireless'])).lower()}"]
    if sdk >= 33:
        lines.append(f"  Dock powered: {str(bool(v['dock'])).lower()}")
    current = {1: 2000000, 2: 500000, 4: 1000000}.get(PLUGGED_CODES[b.plugged], 0)
    lines.append(f"  Max charging current: {current}")
    if sdk >= 35:
        lines.append(" Time when the latest updated value of the Max charging current was sent "
                     "via battery changed broadcast: 0")
    lines += [f"  Max charging voltage: {5000000 if current else 0}",
              f"  Charge counter: {v['counter']}",
              f"  status: {v['status']}", f"  health: {v['health']}",
              f"  present: {str(bool(v['present'])).lower()}",
              f"  level: {v['level']}", "  scale: 100", f"  voltage: {v['voltage']}"]
    if sdk >= 35:
        lines.append(f"{ind}The last voltage value sent via the battery changed broadcast: "
                     f"{v['voltage']}")
    lines += [f"  temperature: {v['temp']}", f"  technology: {b.technology}"]
    if sdk >= 34:
        lines += ["  Charging state: 0", "  Charging policy: 0"]
    if sdk >= 35:
        lines.append("  Capacity level: -1")
    if phone.props.get("ro.product.brand", "").lower() == "samsung":
        lines += _samsung_battery(phone)
    return "\n".join(lines) + "\n"


def _samsung_battery(phone: Phone) -> list[str]:
    """One UI additions (see android-facts §2): LLB dates and BatteryInfoBackUp."""
    b = phone.profile.battery

    def val(x: int) -> str:
        return f"[{x}]" if b.samsung_bracketed else str(x)

    lines = ["  batteryMiscEvent: 65536", "  batteryCurrentEvent: 0",
             f"  mSecPlugTypeSummary: {PLUGGED_CODES[b.plugged]}", "  LED Charging: true",
             "  LED Low Battery: true", "  current now: 0",
             "  Adaptive Fast Charging Settings: true",
             "LLB CAL: 20180609", "LLB MAN: ", "LLB CURRENT: YEAR2024M5D2", "LLB DIFF: 211",
             "FEATURE_HICCUP_CONTROL: false", "BatteryInfoBackUp"]
    if b.samsung_asoc is not None:
        lines.append(f"  mSavedBatteryAsoc: {val(b.samsung_asoc)}")
    lines += ["  mSavedBatteryMaxTemp: 534", "  mSavedBatteryMaxCurrent: 2236"]
    if b.samsung_usage is not None:
        lines.append(f"  mSavedBatteryUsage: {val(b.samsung_usage)}")
    lines += ["  FEATURE_SAVE_BATTERY_CYCLE: true", "  SEC_FEATURE_PREVENT_SWELLING: false"]
    return lines


def batterystats(phone: Phone, args: list[str]) -> str:
    b, v, sdk = phone.profile.battery, battery_values(phone), phone.sdk
    plug = {0: "none", 1: "ac", 2: "usb", 4: "wireless"}.get(PLUGGED_CODES[b.plugged], "none")
    status = {v_: k for k, v_ in STATUS_CODES.items()}[v["status"]].replace("_", "-")
    lines = ["Battery History (0% used, 2KB used of 4096KB, 21 strings using 1KB):",
             "                    0 (14) RESET:TIME: 2024-05-02-08-11-40",
             f"                    0 (2) {b.level:03d} c0b00041 status={status} "
             f"health={b.health} plug={plug} temp={b.temperature_dc} volt={b.voltage_mv} "
             f"charge={v['counter'] // (1 if b.charge_counter_mah else 1000)} +running",
             f"            +12s449ms (2) {b.level:03d} 80180000 +screen",
             "", "Per-PID Stats:", "  PID 1203 wake time: +1s204ms", "",
             "Statistics since last charge:",
             f"  System starts: 0, currently on battery: {str(plug == 'none').lower()}"]
    if b.estimated_mah > 0:
        lines.append(f"  Estimated battery capacity: {b.estimated_mah} mAh")
    if b.learned_mah and sdk >= 26:  # learned values come from the health HAL (Oreo+ dump)
        if sdk >= 34:
            lines.append(f"  Last learned battery capacity: {b.learned_mah} mAh")
        lines += [f"  Min learned battery capacity: {b.learned_mah} mAh",
                  f"  Max learned battery capacity: {b.learned_mah} mAh"]
    lines += ["  Time on battery: 3h 6m 35s 465ms (98.9%) realtime, 2m 1s 171ms (1.1%) uptime",
              "  Time on battery screen off: 3h 5m 46s 364ms (99.6%) realtime, "
              "1m 12s 69ms (0.6%) uptime",
              "  Total run time: 3h 8m 44s 43ms realtime, 4m 9s 749ms uptime",
              "  Discharge: 30.1 mAh", "  Screen off discharge: 30.1 mAh",
              "  Screen on discharge: 0 mAh", "  Start clock time: 2024-05-02-08-11-40",
              "  Screen on: 49s 101ms (0.4%) 2x, Interactive: 47s 797ms (0.4%)", ""]
    return "\n".join(lines) + "\n"


# --- camera -----------------------------------------------------------------------------------

def _camera_module(phone: Phone) -> tuple[str, str]:
    if phone.props.get("ro.hardware", "").startswith("mt"):
        return "MediaTek Camera Module", "MediaTek"
    return "QCamera Module", "Qualcomm Innovation Center Inc"


def _active_clients(phone: Phone) -> list[str]:
    cam = phone.camera
    if cam.open_id is None:
        return ["[]"]
    return ["[", f"(Camera ID: {cam.open_id}, Cost: 100, PID: 21000, Score: 0, State: 2"
                 f"User Id: 0, Client Package Name: {cam.client_package}, "
                 "Conflicting Client Devices: {})", "]"]


def _device_state(phone: Phone, cid: str, indent: str) -> list[str]:
    if phone.camera.open_id != cid:
        return [f"{indent}Device {cid} is closed, no client instance"]
    return [f"{indent}Device {cid} is open. Client instance dump:",
            f"{indent}  Client priority score: 0 state: 2", f"{indent}  Client PID: 21000",
            f"{indent}  Client package: {phone.camera.client_package}",
            f"{indent}  Device status: ACTIVE",
            f"{indent}  Frame 57 | Timestamp: 1234567890123"]


def camera(phone: Phone, args: list[str]) -> str:
    cams, sdk = phone.profile.cameras, phone.sdk
    events = [f"  {_stamp(60 * i)} : {e}" for i, e in enumerate(phone.camera.events)]
    if sdk <= 25:  # Android 6-7.1 CameraService::dump
        name, author = _camera_module(phone)
        lines = ["Camera module HAL API version: 0x100", "Camera module API version: 0x204",
                 f"Camera module name: {name}", f"Camera module author: {author}",
                 f"Number of camera devices: {len(cams)}",
                 f"Number of normal camera devices: {len(cams)}", "Active Camera Clients:",
                 *_active_clients(phone), "Allowed users:", "0", "Vendor tag definitions:",
                 "    Dumping configured vendor tag descriptors: None set", "",
                 "Prior client events (most recent at top):", *events,
                 f"  {_stamp(3600)} : USER_SWITCH previous allowed users:  , "
                 "current allowed users: 0", ""]
        for c in cams:
            lines += [f"Camera {c.id} information:",
                      f"  Facing: {'BACK' if c.facing == 'back' else 'FRONT'}",
                      f"  Orientation: {90 if c.facing == 'back' else 270}",
                      "  Resource Cost: 0", "  Conflicting Devices: NONE",
                      "  Device version: 0x304", *_device_state(phone, c.id, "  ")]
        lines += ["", "No active camera clients yet." if phone.camera.open_id is None else "",
                  "", "Camera traces (0):", "  No camera traces collected."]
        return "\n".join(lines) + "\n"
    provider, hal = {26: ("2.4", "3.3"), 27: ("2.4", "3.3"), 28: ("2.4", "3.4"),
                     29: ("2.5", "3.5"), 30: ("2.6", "3.6")}.get(sdk, ("2.7", "3.7"))
    lines = ["", "== Service global info: ==", "",
             f"Number of camera devices: {len(cams)}",
             f"Number of normal camera devices: {len(cams)}"]
    if sdk >= 31:
        lines.append(f"Number of public camera devices visible to API1: {len(cams)}")
    if sdk >= 29:
        lines += [f'    Device {i} maps to "{c.id}"' for i, c in enumerate(cams)]
    lines += ["Active Camera Clients:", *_active_clients(phone), "Allowed user IDs: 0", "",
              "== Camera service events log (most recent at top): ==", *events,
              f"  {_stamp(3600)} : USER_SWITCH previous allowed user IDs: <None>, "
              "current allowed user IDs: 0", ""]
    for c in cams:
        lines += [f"== Camera device {c.id} dynamic info: ==", *_device_state(phone, c.id, "  ")]
    lines.append(f"== Camera Provider HAL legacy/0 (v{provider}, remote) static info: "
                 f"{len(cams)} devices: ==")
    for c in cams:
        dev = f"device@{hal}/legacy/{c.id} (v{hal})"
        lens = {"back": "BACK", "front": "FRONT", "external": "EXTERNAL"}[c.facing]
        lines += [f"== Camera HAL device {dev} static information: ==",
                  "  Resource cost: 100", "  Conflicting devices: None", "  API1 info:",
                  f"    Has a flash unit: {str(c.facing == 'back').lower()}",
                  f"    Facing: {'Back' if c.facing == 'back' else 'Front'}",
                  f"    Orientation: {90 if c.facing == 'back' else 270}",
                  "  API2 camera characteristics:",
                  "    Dumping camera metadata array: 3 / 3 entries, 0 / 0 bytes of extra data.",
                  "      Version: 1, Flags: 00000000",
                  "      android.info.supportedHardwareLevel (150000): byte[1]", "        [3 ]",
                  "      android.lens.facing (80005): byte[1]", f"        [{lens} ]",
                  "      android.sensor.orientation (e000e): int32[1]",
                  f"        [{90 if c.facing == 'back' else 270} ]",
                  f"== Camera HAL device {dev} dumpState: ==",
                  "No active camera device session instance"]
    lines += ["", "== Vendor tags: ==", "", "  Dumping configured vendor tag descriptors: None set",
              "", "== Camera error traces (0): ==", "  No camera traces collected."]
    return "\n".join(lines) + "\n"


# --- accounts, packages, FRP ------------------------------------------------------------------

def account(phone: Phone, args: list[str]) -> str:
    lines = ["User UserInfo{0:Owner:c13}:" if phone.sdk >= 30 else "User UserInfo{0:Owner:13}:",
             f"  Accounts: {len(phone.accounts)}"]
    lines += [f"    Account {{name={a.name}, type={a.type}}}" for a in phone.accounts]
    lines += ["  ", "  AccountId, Action_Type, timestamp, UID, TableName, Key",
              "  Accounts History", "  ", "  Active Sessions: 0", "  ",
              "  RegisteredServicesCache: 1 services",
              "    ServiceInfo: AuthenticatorDescription {type=com.google}, ComponentInfo{"
              "com.google.android.gms/com.google.android.gms.auth.account.authenticator."
              "GoogleAccountAuthenticatorService}, uid 10024", "  "]
    return "\n".join(lines) + "\n"


def package(phone: Phone, args: list[str]) -> str:
    names = [a for a in args if not a.startswith("-")]
    wanted = [n for n in names if n in phone.apps] if names else sorted(phone.apps)
    if names and not wanted:
        return (f"Dexopt state:\n  Unable to find package: {names[0]}\n\n"
                f"Compiler stats:\n  Unable to find package: {names[0]}\n")
    lines = ["Packages:"]
    for uid, name in enumerate(wanted, 10150):
        app = phone.apps[name]
        code_dir = app.path.rsplit("/", 1)[0]
        h = f"{zlib.crc32(name.encode()) & 0xFFFFFFF:07x}"
        lines += [f"  Package [{name}] ({h}):", f"    userId={1000 if app.system else uid}",
                  f"    pkg=Package{{{h} {name}}}", f"    codePath={code_dir}",
                  f"    resourcePath={code_dir}", f"    legacyNativeLibraryDir={code_dir}/lib",
                  f"    primaryCpuAbi={app.abi or 'null'}", "    secondaryCpuAbi=null",
                  f"    versionCode={app.version_code} minSdk={app.min_sdk} "
                  f"targetSdk={app.target_sdk}",
                  f"    versionName={app.version_name}", "    splits=[base]",
                  "    apkSigningVersion=2",
                  "    flags=[ " + ("SYSTEM " if app.system else "") + "HAS_CODE ALLOW_BACKUP ]",
                  "    timeStamp=2024-05-02 08:11:40", "    firstInstallTime=2024-05-02 08:11:41",
                  "    lastUpdateTime=2024-05-02 08:11:41",
                  f"    signatures=PackageSignatures{{{h} version:2, signatures:"
                  f"[{(app.signer or '00000000')[:8]}], past signatures:[]}}",
                  "    User 0: ceDataInode=0 installed=true hidden=false suspended=false "
                  "stopped=false notLaunched=false enabled=0 instant=false virtual=false"]
    return "\n".join(lines) + "\n"


def persistent_data_block(phone: Phone, args: list[str]) -> str:
    if phone.sdk < 35:  # no dump() before Android 15: dumpsys prints nothing
        return ""
    has_google = any(a.type == "com.google" for a in phone.accounts)
    return ("FRP state: " + str(phone.frp_active).lower() + "\n"
            f"Verified boot state: {phone.props.get('ro.boot.verifiedbootstate', 'green')}\n"
            f"Has FRP credential handle: {str(has_google).lower()}\n"
            "Enforcement: true\n")


RENDERERS = {
    "battery": battery, "batterystats": batterystats, "media.camera": camera,
    "account": account, "package": package, "persistent_data_block": persistent_data_block,
    "diskstats": storage.diskstats,
    "wifi": dumpsys_hw.wifi, "wifiscanner": dumpsys_hw.wifiscanner,
    "bluetooth_manager": dumpsys_hw.bluetooth,
    "location": dumpsys_hw.location, "telephony.registry": dumpsys_hw.telephony,
    "input": dumpsys_hw.input_, "iphonesubinfo": lambda phone, args: "",
    "activity": lambda phone, args: "ACTIVITY MANAGER (dumpsys activity)\n",
    "window": lambda phone, args: "WINDOW MANAGER (dumpsys window)\n",
}


def dumpsys(phone: Phone, args: list[str], stdin: bytes) -> Result:
    if not args or args[0] == "-l":
        listing = "".join(f"  {n}\n" for n in sorted(RENDERERS))
        return f"Currently running services:\n{listing}".encode(), b"", 0
    opts = [a for a in args if a.startswith("-")]
    if opts and opts[0] in ("-t", "-T") and len(args) > 2:  # dumpsys -t TIMEOUT service
        args = args[2:]
    name, rest = args[0], args[1:]
    render = RENDERERS.get(name)
    if render is None:
        return b"", f"Can't find service: {name}\n".encode(), 0
    return render(phone, rest).encode(), b"", 0
