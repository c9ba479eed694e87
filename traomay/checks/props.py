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

import re
from collections.abc import Mapping

# A property line: up to 8 stray characters, "[" (or a corrupt "]"), the key, "]: [", rest.
_PROP_START = re.compile(r"^.{0,8}?[\[\]]([A-Za-z0-9_.\-:@/]+)\]: \[(.*)$")


def parse_getprop(text: str) -> dict[str, str]:
    """``{key: value}`` from ``getprop`` output; the last value wins for a repeated key."""
    props: dict[str, str] = {}
    if not isinstance(text, str):
        return props
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
    return props


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
    return int(text) if text.isdigit() and len(text) <= 3 else None


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
