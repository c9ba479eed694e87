"""``getprop`` output read into a dict, and the vendor marketing name.

Shared by identify (traomay.provision.identify) and the checks. Pure; never raises on odd text.

Quirks seen in real captures (../shared/captures/README.md):
- a stray prefix before the first ``[`` (OPPO A5s 8.1: ``000[DEVICE_PROVISIONED]: [1]``);
- a line opening with ``]`` instead of ``[`` and no closing bracket (ColorOS 13/15:
  ``]ro.oplus.storage.super_size]: [10864574464``);
- values over several lines (``persist.sys.boot.reason.history``, a JSON blob on a
  Smartron 8.1, MediaTek ``mtk.md1.status`` ending in a newline);
- trailing blanks after the closing ``]`` (vivo OriginOS 4), CJK values, unsorted keys
  (Meizu/Smartisan 5.1), CRLF or CR-only line ends, a UTF-8 BOM;
- MediaTek ColorOS/realme/MIUI builds print a fake ``[Build.BRAND]: [MTK]`` first: it is a
  different key from ``ro.product.brand`` and is kept as is.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from traomay.core.results import Unknown

# A property line: up to 8 stray characters, "[" (or a corrupt "]"), the key, "]: [", rest.
_PROP_START = re.compile(r"^.{0,8}?[\[\]]([A-Za-z0-9_.\-:@/]+)\]: \[(.*)$")


def parse_getprop(text: str) -> dict[str, str]:
    """``{key: value}`` from ``getprop`` output; the last value wins for a repeated key.

    Every check of an inspection reads the same getprop text: it is parsed once (a small
    cache keyed by the text) and each caller gets its own copy of the dict."""
    if not isinstance(text, str):
        return {}
    return dict(_parse_getprop(text))


@functools.lru_cache(maxsize=16)
def _parse_getprop(text: str) -> tuple[tuple[str, str], ...]:
    props: dict[str, str] = {}
    pending_key: str | None = None
    pending: list[str] = []
    for line in text.lstrip("\ufeff").splitlines():
        match = _PROP_START.match(line)
        if match:
            if pending_key is not None:  # the previous value never closed: keep what came
                props[pending_key] = "\n".join(pending)
            key, rest = match.group(1), match.group(2).rstrip()
            if rest.endswith("]"):
                props[key] = rest[:-1]
                pending_key, pending = None, []
            else:
                pending_key, pending = key, [rest]
        elif pending_key is not None:
            stripped = line.rstrip()
            if stripped.endswith("]"):
                pending.append(stripped[:-1])
                props[pending_key] = "\n".join(pending)
                pending_key, pending = None, []
            else:
                pending.append(line)
    if pending_key is not None:
        props[pending_key] = "\n".join(pending)
    return tuple(props.items())


def conflicting_props(text: str, keys: tuple[str, ...] | frozenset[str]) -> list[str]:
    """The ``keys`` that ``text`` prints more than once with different values. getprop
    prints each property once; two different values mean damage, and which one a parser
    keeps must not decide anything. (A line printed twice the same is harmless.)"""
    seen: dict[str, str] = {}
    clash: list[str] = []
    wanted = set(keys)
    for line in text.lstrip("\ufeff").splitlines() if isinstance(text, str) else ():
        match = _PROP_START.match(line)
        if not match or match.group(1) not in wanted:
            continue
        key, value = match.group(1), match.group(2).rstrip()
        if key in seen and seen[key] != value and key not in clash:
            clash.append(key)
        seen.setdefault(key, value)
    return clash


def first_prop(props: Mapping[str, str], *keys: str) -> str:
    """The first non-blank value among ``keys`` (stripped), else ""."""
    for key in keys:
        value = props.get(key, "")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def sdk_int(props: Mapping[str, str]) -> int | None:
    """``ro.build.version.sdk`` as an int (API level), or None."""
    text = first_prop(props, "ro.build.version.sdk")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else None


# ro.build.version.release -> the API levels that release has (Build.VERSION_CODES): 4.x-8.x
# by "major.minor", 9 and later by the major number alone. 12 has 31 and 32 (12L).
_RELEASE_SDKS: dict[str, frozenset[int]] = {
    "4.0": frozenset({14, 15}), "4.1": frozenset({16}), "4.2": frozenset({17}),
    "4.3": frozenset({18}), "4.4": frozenset({19, 20}), "5.0": frozenset({21}),
    "5.1": frozenset({22}), "6.0": frozenset({23}), "7.0": frozenset({24}),
    "7.1": frozenset({25}), "8.0": frozenset({26}), "8.1": frozenset({27}),
    "9": frozenset({28}), "10": frozenset({29}), "11": frozenset({30}),
    "12": frozenset({31, 32}), "13": frozenset({33}), "14": frozenset({34}),
    "15": frozenset({35}), "16": frozenset({36}),
}
_NEWEST_RELEASE, _NEWEST_SDK = 16, 36
_RELEASE = re.compile(r"^(\d{1,2})(?:\.(\d{1,2}))?(?:\.\d{1,3})?$")


def sdk_checked(props: Mapping[str, str]) -> int | Unknown:
    """The API level, only when ``ro.build.version.release`` confirms it: a check that
    decides on the Android version (can it run the apps, is there an FRP setting) must not
    trust one number a cut or a flipped digit could change. Unknown with the reason when
    either is missing or they disagree (a copy that fakes its Android version too)."""
    sdk = sdk_int(props)
    release = first_prop(props, "ro.build.version.release")
    if sdk is None:
        return Unknown("ro.build.version.sdk missing or not a number")
    if not release:
        return Unknown("ro.build.version.release missing (getprop output cut short?)")
    match = _RELEASE.match(release)
    if not match:
        return Unknown(f"Android version {release[:20]!r} is not a version number")
    major = int(match.group(1))
    key = str(major) if major >= 9 else f"{major}.{match.group(2) or '0'}"
    allowed = _RELEASE_SDKS.get(key)
    if allowed is None and major > _NEWEST_RELEASE:
        # A release newer than this table: its API level is above the last one known.
        allowed = frozenset(range(_NEWEST_SDK + 1, 100))
    if sdk not in (allowed or ()):
        return Unknown(f"API level {sdk} does not match Android {release[:20]}")
    # Android 10+ repeats the level per partition; the system and product copies are built
    # with the system (the vendor's may be older: a Treble update keeps the old vendor).
    for key in ("ro.system.build.version.sdk", "ro.product.build.version.sdk"):
        copy = first_prop(props, key)
        if copy and copy != str(sdk):
            return Unknown(f"API level {sdk} but {key} is {copy[:8]!r}")
    return sdk


# Marketing-name properties per vendor family, in lookup order (android-facts.md §1, from
# getActivity/DeviceCompat DeviceMarketName.java). Keys are lower-case brand/manufacturer.
_MARKET_KEYS: tuple[tuple[frozenset[str], tuple[str, ...]], ...] = (
    (frozenset({"xiaomi", "redmi", "poco", "blackshark"}),
     ("ro.product.marketname", "ro.product.odm.marketname", "ro.product.vendor.marketname")),
    # ColorOS / realme UI / OxygenOS: the English name first; `.market.name` can be Chinese.
    (frozenset({"oppo", "realme", "oneplus", "oplus"}),
     ("ro.vendor.oplus.market.enname", "ro.vendor.oplus.market.name", "ro.oppo.market.name",
      "ro.display.series", "ro.common.soft")),
    (frozenset({"vivo", "iqoo"}), ("ro.vivo.internet.name", "ro.vivo.market.name")),
    (frozenset({"huawei", "honor"}), ("ro.config.marketing_name",)),
    (frozenset({"zte", "nubia"}),
     ("ro.vendor.product.ztename", "persist.sys.devicename", "persist.sys.exif.model")),
    (frozenset({"lenovo", "zuk"}),
     ("ro.zuk.product.market", "ro.product.en.display", "ro.product.display")),
    (frozenset({"asus"}), ("ro.vendor.asus.product.mkt_name",)),
)


def marketing_name(props: Mapping[str, str], samsung_device_name: str | None = None) -> str:
    """The name people know the phone by ("Redmi Note 8 Pro", "OPPO A5s"), else "".

    Samsung keeps it in ``settings get global default_device_name`` (not a prop): pass that
    text as ``samsung_device_name``. The user-editable ``device_name`` / ``persist.sys.
    device_name`` are never used (Redmi captures show "<owner>的Redmi K70" there).
    Callers fall back to ``ro.product.model`` themselves.
    """
    brand = first_prop(props, "ro.product.brand").lower()
    maker = first_prop(props, "ro.product.manufacturer").lower()
    for names, keys in _MARKET_KEYS:
        if brand in names or maker in names:
            name = first_prop(props, *keys)
            if name:
                return name
    if "samsung" in (brand, maker) and samsung_device_name:
        name = samsung_device_name.strip()
        # An error message (e.g. "sh: settings: not found") is not a name.
        if name and name != "null" and not any(c in name for c in ":\n") and len(name) <= 64:
            return name
    return ""
