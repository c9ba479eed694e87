"""Who is this phone? Brand, model, marketing name, Android version, ABIs, serial, IMEIs,
and a stable device key for the inventory.

All read in one adb shell call (traomay.device.batch). Parsing is pure and tested on the real
getprop captures.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from traomay.checks.props import first_prop, marketing_name, parse_getprop
from traomay.device import batch

# Serials that many different phones report (cheap MediaTek builds, unprogrammed boards):
# never use them alone to tell phones apart (camalot/madb#1, koush/vysor.io#220).
JUNK_SERIALS = frozenset(
    {
        "",
        "unknown",
        "0123456789abcdef",
        "1234567890abcdef",
        "123456789abcdef",
        "0000000000000000",
        "0000",
        "000000000000",
        "emulator",
        "null",
    }
)

IDENTIFY_SECTIONS: dict[str, str] = {
    "getprop": "getprop",
    "android_id": "settings get secure android_id",
    # getDeviceId(String callingPackage) is code 1 on Android 5-14 (android-facts.md §1).
    "imei": "service call iphonesubinfo 1 s16 com.android.shell",
    # Samsung One UI keeps its marketing name in a global setting, not a prop.
    "device_name": "settings get global default_device_name",
}


@dataclass(frozen=True)
class Identity:
    brand: str
    manufacturer: str
    model: str
    marketing_name: str
    device: str
    android_version: str
    sdk: int | None
    abis: tuple[str, ...]
    serial: str
    imeis: tuple[str, ...] = ()
    android_id: str = ""
    build_tags: str = ""
    fingerprint: str = ""
    props: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def serial_is_junk(self) -> bool:
        return self.serial.strip().lower() in JUNK_SERIALS

    def candidate_keys(self, serial_shared: bool = False) -> list[str]:
        """Keys this phone may be filed under, most stable first: IMEI (survives resets and
        duplicate serials), then serial (unless junk or shared by another phone on the hub),
        then android_id (changes at every factory reset)."""
        keys = [_key("imei", imei) for imei in self.imeis]
        if not self.serial_is_junk and not serial_shared:
            keys.append(_key("serial", self.manufacturer.lower(), self.model, self.serial))
        if self.android_id and self.android_id != "null":
            keys.append(_key("aid", self.manufacturer.lower(), self.model, self.serial,
                             self.android_id))
        return keys

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("props", None)
        data["abis"] = list(self.abis)
        data["imeis"] = list(self.imeis)
        return data


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join((kind, *parts)).encode("utf-8")).hexdigest()
    return f"{kind}-{digest[:16]}"


def parse_imei_parcel(text: str) -> str:
    """IMEI from a ``service call iphonesubinfo`` reply: UTF-16 chars shown between quotes
    in the hex dump, one per dot-separated pair. Returns "" unless a Luhn-valid 15-digit
    IMEI is found (errors like "Requires READ_PHONE_STATE" give "")."""
    if "Parcel" not in text:
        return ""
    chars = "".join(re.findall(r"'([^']*)'", text)).replace(".", "")
    digits = re.sub(r"\s+", "", chars)
    match = re.search(r"\d{15}", digits)
    if not match or not luhn_ok(match.group(0)):
        return ""
    return match.group(0)


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _serial(props: Mapping[str, str], adb_serial: str) -> str:
    for key in ("ro.serialno", "ro.boot.serialno", "ril.serialnumber", "sys.serialnumber"):
        value = props.get(key, "").strip()
        if value:
            return value
    return adb_serial


def _product(props: Mapping[str, str], field_name: str) -> str:
    # Android 10+ splits product props by partition; ro.product.X is normally still set,
    # but some vendor builds only have the partition-specific ones.
    return first_prop(props, f"ro.product.{field_name}", f"ro.product.vendor.{field_name}",
                      f"ro.product.system.{field_name}", f"ro.product.odm.{field_name}")


def parse_android_id(text: str) -> str:
    """The android_id in ``settings get secure android_id``'s answer; "" for anything else
    ("null" before setup, an error, a damaged answer)."""
    value = text.strip()
    return value if re.fullmatch(r"[0-9a-fA-F]{8,32}", value) else ""


def identity_from_sections(sections: Mapping[str, str], adb_serial: str = "") -> Identity:
    """Pure: build an Identity from the identify batch's section texts."""
    props = parse_getprop(sections.get("getprop", ""))
    sdk_text = props.get("ro.build.version.sdk", "").strip()
    device_name = sections.get("device_name", "").strip()
    if device_name == "null":
        device_name = ""
    abis = tuple(a for a in props.get("ro.product.cpu.abilist", "").split(",") if a)
    if not abis and props.get("ro.product.cpu.abi"):
        abis = (props["ro.product.cpu.abi"],)
    imei = parse_imei_parcel(sections.get("imei", ""))
    model = _product(props, "model")
    return Identity(
        brand=_product(props, "brand"),
        manufacturer=_product(props, "manufacturer"),
        model=model,
        marketing_name=marketing_name(props, samsung_device_name=device_name or None) or model,
        device=_product(props, "device"),
        android_version=props.get("ro.build.version.release", ""),
        sdk=int(sdk_text) if sdk_text.isdigit() else None,
        abis=abis,
        serial=_serial(props, adb_serial),
        imeis=(imei,) if imei else (),
        android_id=parse_android_id(sections.get("android_id", "")),
        build_tags=props.get("ro.build.tags", ""),
        fingerprint=props.get("ro.build.fingerprint", ""),
        props=props,
    )


def identify(link, adb_serial: str = "") -> Identity:
    """Read identity from one phone in a single shell round trip."""
    _cmd, found = batch.run(link, IDENTIFY_SECTIONS, timeout=30.0)
    sections = {name: s.text for name, s in found.items()}
    return identity_from_sections(sections, adb_serial=adb_serial)
