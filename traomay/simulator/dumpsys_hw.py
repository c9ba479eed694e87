"""``dumpsys`` for radios and input: wifi, bluetooth_manager, location, telephony.registry,
input. Formats by Android version as in android-facts.md §4-§8 and public bugreports."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from traomay.simulator.phone import Phone

HANOI = "21.028511,105.804817"


# --- Wi-Fi ------------------------------------------------------------------------------------

def wifi(phone: Phone, args: list[str]) -> str:
    sdk, on = phone.sdk, phone.wifi_enabled
    lines = [f"Wi-Fi is {'enabled' if on else 'disabled'}", "Verbose logging is off",
             "Stay-awake conditions: 0", "mInIdleMode false", "mScanPending false"]
    if sdk <= 29:
        state = "DeviceActiveState" if on else "StaDisabledState"
        lines += ["WifiController:", f"curState={state}"]
    else:
        lines += ["Dump of ActiveModeWarden", "Current wifi mode: " + ("connect" if on else "off")]
    supplicant = "DISCONNECTED" if on else "UNINITIALIZED"
    lines += [f"mWifiInfo SSID: <unknown ssid>, BSSID: <none>, MAC: 02:00:00:00:00:00, "
              f"Supplicant state: {supplicant}, RSSI: -127, Link speed: -1Mbps, Frequency: -1MHz, "
              "Net ID: -1, Metered hint: false, score: 0"]
    if sdk <= 29:
        state = "DISCONNECTED/DISCONNECTED" if on else "UNKNOWN/IDLE"
        lines.append(f"mNetworkInfo [type: WIFI[], state: {state}, reason: (unspecified), "
                     f"extra: (none), failover: false, available: {str(on).lower()}, "
                     "roaming: false]")
    if sdk <= 27:  # from Android 9 the scan cache is in ``dumpsys wifiscanner`` instead
        lines.append("Latest scan results:")
    if on and phone.wifi_scanned and sdk <= 27:
        if sdk <= 25:
            lines.append("    BSSID              Frequency  RSSI    Age      SSID"
                         "                                 Flags")
            for i, n in enumerate(phone.profile.wifi.networks):
                lines.append(f"  {n.bssid:>17}  {n.freq:>9}  {n.rssi:>5}  "
                             f"{1.204 + i * 0.013:>8.3f}    {n.ssid:<32}   {n.flags}")
        else:
            from traomay.simulator.services import scan_table

            lines += scan_table(phone).rstrip("\n").split("\n")
    lines += ["", "Locks acquired: 0 full, 0 full high perf, 0 scan",
              "Locks released: 0 full, 0 full high perf, 0 scan"]
    return "\n".join(lines) + "\n"


def wifiscanner(phone: Phone, args: list[str]) -> str:
    """WifiScanningServiceImpl dump: the cached scan results (Android 9+)."""
    from traomay.simulator.services import scan_table

    lines = ["WifiScanningService - Log Begin ----", "WifiScanningService - Log End ----", ""]
    if phone.sdk >= 28:
        lines.append("Latest scan results:")
        if phone.wifi_enabled and phone.wifi_scanned:
            lines += scan_table(phone).rstrip("\n").split("\n")
    return "\n".join(lines) + "\n"


# --- Bluetooth --------------------------------------------------------------------------------

def bluetooth(phone: Phone, args: list[str]) -> str:
    bt, on = phone.profile.bluetooth, phone.bt_enabled
    state = {"name": "ON" if on else "OFF", "numeric": "12" if on else "10",
             "prefixed": "STATE_ON" if on else "STATE_OFF"}[bt.state_format]
    address = bt.address
    if phone.sdk >= 35:  # Android 15 logs addresses as XX:XX:XX:XX: + the last 5 characters
        address = "XX:XX:XX:XX:" + bt.address[-5:]
    lines = ["Bluetooth Status", f"  enabled: {str(on).lower()}", f"  state: {state}",
             f"  address: {address}", f"  name: {bt.name}"]
    if on:
        lines.append("  time since enabled: 00:02:05.584")
    lines.append("")
    if phone.bt_ever_enabled:
        lines += ["Enable log:", "  05-02 08:11:44  Enabled  due to SYSTEM_BOOT by android"]
    else:
        lines.append("Bluetooth never enabled!")
    lines += ["", "Bluetooth crashed 0 times", ""]
    return "\n".join(lines) + "\n"


# --- location ---------------------------------------------------------------------------------

def _gnss_kpi(phone: Phone, indent: str) -> list[str]:
    loc = phone.profile.location
    active = phone.location_enabled and loc.gps_hardware
    fixed = active and loc.satellites > 0 and loc.fix
    reports = 24 if fixed else 0
    sv_msgs = 24 if active else 0
    lines = [f"{indent}GNSS_KPI_START", f"{indent}  KPI logging start time: +10s839ms",
             f"{indent}  KPI logging end time: +2m18s629ms",
             f"{indent}  Number of location reports: {reports}",
             f"{indent}  Number of TTFF reports: {1 if fixed else 0}"]
    if fixed:
        lines += [f"{indent}  TTFF mean (sec): 7.214",
                  f"{indent}  TTFF standard deviation (sec): 0"]
    lines.append(f"{indent}  Number of position accuracy reports: {reports}")
    lines.append(f"{indent}  Number of CN0 reports: {reports}")
    if fixed:
        lines.append(f"{indent}  Top 4 Avg CN0 mean (dB-Hz): 31.52")
    if phone.sdk >= 30:
        used = sv_msgs * loc.satellites if fixed else 0
        lines += [f"{indent}  Total number of sv status messages processed: {sv_msgs}",
                  f"{indent}  Total number of sv status messages processed, "
                  f"where sv is used in fix: {used}"]
    lines += [f"{indent}  Used-in-fix constellation types: {'GPS GLONASS BEIDOU' if fixed else ''}",
              f"{indent}GNSS_KPI_END"]
    return lines


def location(phone: Phone, args: list[str]) -> str:
    loc, on = phone.profile.location, phone.location_enabled
    fixed = on and loc.gps_hardware and loc.satellites > 0 and loc.fix
    last = (f"Location[gps {HANOI} hAcc=4.0 et=+2m10s412ms alt=12.0 vel=0.0 vAcc=3.0 "
            "{Bundle[{satellites=" + str(loc.satellites) + "}]}]") if fixed else "null"
    model = loc.hardware_model or phone.props.get("ro.hardware", "unknown") + " GNSS"
    if phone.sdk <= 29:
        lines = ["Current Location Manager state:"]
        if phone.sdk == 29:
            lines.append(f"  Location mode: {str(on).lower()}")
        lines += ["  Location Listeners:",
                  "    Reciever[5b80462 listener UpdateRecord[passive android(1000 foreground) "
                  "Request[POWER_NONE passive fastest=0]]]",
                  "  Last Known Locations:"]
        if fixed:
            lines.append(f"    gps: {last}")
        lines += ["  Geofences:", "  Enabled Providers:"]
        lines += ["    gps", "    network", "    passive"] if on else ["    passive"]
        lines += ["  fudger: offset: -143, 532 (meters)", "passive Internal State:",
                  "mReportLocation=true"]
        if loc.gps_hardware:
            lines += ["gps Internal State:", f"  mStarted={str(on).lower()}",
                      "  mFixInterval=1000", "  mDisableGps (battery saver mode)=false",
                      "  mEngineCapabilities=0x77 ( SCHEDULING MSB MSA ON_DEMAND_TIME "
                      "GEOFENCING MEASUREMENTS )", *_gnss_kpi(phone, "")]
        return "\n".join(lines) + "\n"
    lines = ["Location Manager State:", "  User Info:", "    current user: [0]",
             "  Location Settings:", f"    [u0] location enabled: {str(on).lower()}",
             "  Location Providers:", "    passive provider:", "      last location=null",
             f"      enabled={str(on).lower()}"]
    if loc.gps_hardware:
        lines += ["    gps provider:", f"      last location={last}",
                  f"      enabled={str(on).lower()}",
                  f"      mStarted={str(on).lower()} (changed +2m18s ago)",
                  "      mBatchingEnabled=false", "      mFixInterval=1000",
                  *_gnss_kpi(phone, "      "),
                  f"      Hardware Version: {phone.props.get('ro.boot.revision', '')}"]
    lines += ["  Historical Aggregate Location Provider Data:", "  GNSS Manager:"]
    if loc.gps_hardware:
        lines += ["    Capabilities: [SCHEDULING MSB MEASUREMENTS NAV_MESSAGES ANTENNA_INFO]",
                  f"    GNSS Hardware Model Name: {model}"]
    lines += ["  Geofence Manager:", "  Event Log:"]
    return "\n".join(lines) + "\n"


# --- telephony --------------------------------------------------------------------------------

REG_NAMES = {0: "IN_SERVICE", 1: "OUT_OF_SERVICE", 2: "EMERGENCY_ONLY", 3: "POWER_OFF"}


CALLER_NUMBER = "0987654321"  # the volunteer's own phone, calling in


def _call_state(phone: Phone, slot: int) -> int:
    state = getattr(phone, "call_state", None)
    return int(state(slot)) if callable(state) else 0


def telephony(phone: Phone, args: list[str]) -> str:
    sdk = phone.sdk
    lines = ["last known state:"]
    ind = "  " if sdk <= 25 else "    "
    for pid, s in enumerate(phone.profile.sims):
        op = s.operator
        live = s.voice_reg == 0
        rat = "14(LTE)" if live else "0(Unknown)"
        ringing = _call_state(phone, pid)
        # The caller's number shows while it rings (the toolkit must never print or keep it).
        lines += [f"  Phone Id={pid}", f"{ind}mCallState={ringing}",
                  f"{ind}mCallIncomingNumber={CALLER_NUMBER if ringing else ''}"]
        if sdk <= 25:
            ops = f"{op} {op} {s.numeric}" if op else "null null null"
            tech = "LTE LTE" if live else "Unknown Unknown"
            lines.append(f"{ind}mServiceState={s.voice_reg} {s.data_reg} voice home data home "
                         f"{ops} {ops}  {tech} CSS not supported -1 -1 RoamInd=-1 DefRoamInd=-1 "
                         "EmergOnly=false IsDataRoamingFromRegistration=false "
                         "IsUsingCarrierAggregation=false")
            lines.append(f"{ind}mSignalStrength=SignalStrength: 99 0 -120 -160 -120 -1 -1 "
                         f"{25 if live else 99} {s.signal_dbm if live else 2147483647} -11 10 "
                         "2147483647 2147483647 gsm|lte")
        else:
            reg = (f"mVoiceRegState={s.voice_reg}({REG_NAMES.get(s.voice_reg, 'UNKNOWN')}), "
                   f"mDataRegState={s.data_reg}({REG_NAMES.get(s.data_reg, 'UNKNOWN')})")
            if sdk >= 30:
                names = f"mOperatorAlphaLong={op}, mOperatorAlphaShort={op}"
                tech = f"getRilVoiceRadioTechnology={rat}, getRilDataRadioTechnology={rat}"
                cells = "mChannelNumber=1650, duplexMode()=1, mCellBandwidths=[20000], "
            else:
                names = (f"mVoiceOperatorAlphaLong={op}, mVoiceOperatorAlphaShort={op}, "
                         f"mDataOperatorAlphaLong={op}, mDataOperatorAlphaShort={op}")
                tech = f"mRilVoiceRadioTechnology={rat}, mRilDataRadioTechnology={rat}"
                cells = "mVoiceRoamingType=home, mDataRoamingType=home, "
            lines.append(f"{ind}mServiceState={{{reg}, {cells}{names}, "
                         f"isManualNetworkSelection=false(automatic), {tech}, "
                         "mCssIndicator=unsupported, mNetworkId=-1, mSystemId=-1, "
                         f"mIsEmergencyOnly={str(s.voice_reg == 2).lower()}}}")
            if sdk >= 29:
                lte = "Invalid"
                if live:
                    lte = (f"CellSignalStrengthLte: rssi=-61 rsrp={s.signal_dbm} rsrq=-11 "
                           f"rssnr=10 cqi=2147483647 ta=2147483647 level={s.signal_level}")
                lines.append(f"{ind}mSignalStrength=SignalStrength:{{mCdma=Invalid,mGsm=Invalid,"
                             f"mWcdma=Invalid,mTdscdma=Invalid,mLte={lte},mNr=Invalid,"
                             f"primary={'CellSignalStrengthLte' if live else 'Invalid'}}}")
            else:
                lines.append(f"{ind}mSignalStrength=SignalStrength: 99 0 -120 -160 -120 -1 -1 "
                             f"{25 if live else 99} {s.signal_dbm} -11 10 2147483647 "
                             "2147483647 gsm|lte")
        data_state = 2 if live and phone.mobile_data and pid == 0 else 0
        lines += [f"{ind}mMessageWaiting=false", f"{ind}mCallForwarding=false",
                  f"{ind}mDataActivity=0", f"{ind}mDataConnectionState={data_state}",
                  f"{ind}mCellInfo=null"]
        if sdk > 25:
            lines.insert(len(lines) - 5, f"{ind}mUserMobileDataState= "
                                         f"{str(phone.mobile_data).lower()}")
    lines += ["  mCarrierNetworkChangeState=false", "local logs:", "registrations: count=0"]
    return "\n".join(lines) + "\n"


# --- input ------------------------------------------------------------------------------------

def input_(phone: Phone, args: list[str]) -> str:
    t, sdk = phone.profile.touch, phone.sdk
    names = sdk >= 31  # Classes/Sources/DeviceType printed as enum names from Android 12

    def classes(hexval: str, flags: str) -> str:
        return flags if names else hexval

    lines = ["INPUT MANAGER (dumpsys input)", "", "Input Manager State:", "  Interactive: true",
             "  Pointer Speed: 0", "  Show Touches: false", "", "Event Hub State:",
             "  BuiltInKeyboardId: -2", "  Devices:", "    -1: Virtual",
             f"      Classes: {classes('0x40000023', 'KEYBOARD | ALPHAKEY | DPAD | VIRTUAL')}",
             "      Path: <virtual>", "    1: gpio-keys",
             f"      Classes: {classes('0x00000001', 'KEYBOARD')}",
             "      Path: /dev/input/event0", f"    2: {t.name}",
             f"      Classes: {classes('0x00000015', 'KEYBOARD | TOUCH | TOUCH_MT')}",
             "      Path: /dev/input/event2", "      Enabled: true",
             "      Identifier: bus=0x0000, vendor=0x0000, product=0x0000, version=0x0000", "",
             "Input Reader State:", f"  Device 2: {t.name}", "    Generation: 4",
             "    IsExternal: false",
             f"    Sources: {'KEYBOARD | TOUCHSCREEN' if names else '0x00001103'}",
             "    KeyboardType: 1"]
    mode = "" if sdk <= 25 else (" (mode - DIRECT)" if names else " (mode - direct)")
    device_type = "TOUCH_SCREEN" if names else "touchScreen"
    lines += [f"    Touch Input Mapper{mode}:", "      Parameters:",
              f"        GestureMode: {'MULTI_TOUCH' if names else 'multi-touch'}",
              f"        DeviceType: {device_type}",
              "        AssociatedDisplay: hasAssociatedDisplay=true, isExternal=false, "
              "displayId=''", "        OrientationAware: true", "      Raw Touch Axes:",
              f"        X: min=0, max={t.max_x}, flat=0, fuzz=0, resolution=0",
              f"        Y: min=0, max={t.max_y}, flat=0, fuzz=0, resolution=0",
              "        Pressure: min=0, max=255, flat=0, fuzz=0, resolution=0",
              "        TouchMajor: min=0, max=255, flat=0, fuzz=0, resolution=0",
              "        ToolMajor: unknown range", "        Distance: unknown range",
              "        TrackingId: min=0, max=65535, flat=0, fuzz=0, resolution=0",
              "        Slot: min=0, max=9, flat=0, fuzz=0, resolution=0"]
    frame = f"logicalFrame=[0, 0, {t.display_w}, {t.display_h}], physicalFrame=[0, 0, " \
            f"{t.display_w}, {t.display_h}], deviceSize=[{t.display_w}, {t.display_h}]"
    if sdk >= 29:
        lines.append(f"      Viewport INTERNAL: displayId=0, uniqueId=local:0, port=0, "
                     f"orientation=0, {frame}")
    else:
        lines.append(f"      Viewport: displayId=0, orientation=0, {frame}")
    lines += [f"      SurfaceWidth: {t.display_w}px", f"      SurfaceHeight: {t.display_h}px",
              "", "Input Dispatcher State:", "  DispatchEnabled: true"]
    return "\n".join(lines) + "\n"
