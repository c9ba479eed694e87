"""Origin: is this a phone of a known brand, and not a copy of unknown origin?

The campaign accepts known brands only (plan 04-KH/BTC III.3.1). Read from ``getprop``:
brand, manufacturer, model, device, marketing name and build tags. Signs of a copy or of an
unknown origin (a chip-maker reference brand such as ``alps``, a reference-board device
name, ``test-keys``, a model name that names another brand, an Android phone calling itself
Apple) never fail a phone by themselves: a person looks at it and the decision is recorded
(``Facts.operator_accepted``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from traomay.checks.base import never_raises
from traomay.checks.props import conflicting_props, first_prop, marketing_name, parse_getprop
from traomay.core.msg import N_, Msg
from traomay.core.results import CheckResult, Status, Unknown

NAME = "origin"

# `getprop` is always batched (section "getprop"); Samsung's marketing name is a setting.
COMMANDS: dict[str, str] = {"device_name": "settings get global default_device_name"}

DEFAULT_CRITERIA: Mapping[str, Any] = {
    # canonical brand -> lower-case names seen in ro.product.brand / ro.product.manufacturer
    "accepted_brands": {
        "samsung": ["samsung"],
        "oppo": ["oppo"],
        "xiaomi": ["xiaomi", "redmi", "poco", "blackshark"],
        "vivo": ["vivo", "iqoo"],
        "realme": ["realme"],
        "nokia": ["nokia", "hmd global", "hmd"],
        "apple": ["apple"],
        "huawei": ["huawei"],
        "honor": ["honor"],
        "motorola": ["motorola", "moto"],
        "sony": ["sony", "sony ericsson"],
        "lg": ["lg", "lge", "lg electronics"],
        "asus": ["asus"],
        "google": ["google"],
        "oneplus": ["oneplus"],
        "tecno": ["tecno", "tecno mobile limited"],
        "infinix": ["infinix", "infinix mobility limited"],
        "itel": ["itel", "itel mobile limited"],
        "vsmart": ["vsmart"],
        "masstel": ["masstel"],
        "mobell": ["mobell"],
        "zte": ["zte", "nubia"],
        "lenovo": ["lenovo", "zuk"],
        "meizu": ["meizu"],
    },
    "suspicious_build_tags": ["test-keys"],
    # Brands whose genuine phones are built by an ODM and may keep manufacturer "alps".
    "odm_brands": ["masstel", "mobell", "vsmart"],
}

# Companies that sell under several brands: a manufacturer or model naming the sister brand
# is no contradiction (Honor View 10 = brand HONOR, manufacturer HUAWEI; Moto by Lenovo).
_RELATED: tuple[frozenset[str], ...] = (
    frozenset({"huawei", "honor"}),
    frozenset({"oppo", "realme", "oneplus"}),
    frozenset({"motorola", "lenovo"}),
    frozenset({"tecno", "infinix", "itel"}),
)

# Chip-maker / reference-build names that no phone brand uses (MediaTek "alps" builds etc.).
GENERIC_NAMES = frozenset({
    "alps", "generic", "mtk", "mediatek", "android", "unknown", "unknow", "full", "aosp",
    "sprd", "spreadtrum", "unisoc", "rockchip", "allwinner", "softwinner", "qualcomm", "qcom",
    "mt6580", "mt6735", "mt6737", "mt6739", "mt6761", "mt6765", "sc9863a", "null", "",
})
_GENERIC_PREFIX = re.compile(r"^(full_|generic|aosp_|sdk_|gsi_|android sdk built for)")
# MediaTek / Qualcomm reference-board names used as a device or model (k62v1_64_bsp, ...).
_REFERENCE_BOARD = re.compile(r"^(k\d{2,3}v\d|tb\d{4}|(mt|msm|sdm|sm|sc)\d{4})", re.IGNORECASE)

# Words in a model / marketing name that name a brand (ASCII matched as whole words).
_NAME_TOKENS: dict[str, str] = {
    "samsung": "samsung", "galaxy": "samsung", "iphone": "apple", "ipad": "apple",
    "apple": "apple", "pixel": "google", "nexus": "google", "xiaomi": "xiaomi",
    "redmi": "xiaomi", "poco": "xiaomi", "小米": "xiaomi", "红米": "xiaomi", "oppo": "oppo",
    "realme": "realme", "真我": "realme", "oneplus": "oneplus", "一加": "oneplus",
    "vivo": "vivo", "iqoo": "vivo", "huawei": "huawei", "华为": "huawei", "honor": "honor",
    "荣耀": "honor", "nokia": "nokia", "motorola": "motorola", "moto": "motorola",
    "xperia": "sony", "sony": "sony", "zenfone": "asus", "asus": "asus", "tecno": "tecno",
    "infinix": "infinix", "itel": "itel", "vsmart": "vsmart", "masstel": "masstel",
    "mobell": "mobell", "meizu": "meizu", "魅族": "meizu", "lenovo": "lenovo", "zte": "zte",
    "nubia": "zte", "lg": "lg", "lge": "lg", "google": "google", "hmd": "nokia",
    "blackshark": "xiaomi",
}

# Signal codes (parse time, criteria-free) -> English message for the volunteer.
SIGNAL_MESSAGES: dict[str, str] = {
    "no_brand": N_("The phone reports no brand: check by hand where it comes from"),
    "generic_brand": N_("The brand '{brand}' is a chip-maker or reference name, not a phone "
                        "brand: this may be a copy. Check it by hand"),
    "generic_manufacturer": N_("The maker '{manufacturer}' is a chip-maker or reference "
                               "name: this may be a copy. Check it by hand"),
    "reference_device": N_("The device name '{device}' is a reference-board name: this may "
                           "be a copy. Check it by hand"),
    "emulator": N_("This is an emulator, not a phone"),
    "claims_apple": N_("An Android phone that calls itself Apple is a copy. Check it by hand"),
    "name_contradicts_brand": N_("The name '{name}' does not match the brand '{brand}': "
                                 "this may be a copy. Check it by hand"),
    "maker_contradicts_brand": N_("The maker '{manufacturer}' does not match the brand "
                                  "'{brand}': this may be a copy. Check it by hand"),
    "test_keys": N_("The system is a test build ({tags}), not the maker's own: check it by "
                    "hand"),
}
# A copy that fakes ro.product.brand/manufacturer often keeps the chip-maker's name in the
# vendor partition or the build fingerprint ("alps/full_k62v1_64_bsp/..."); same sentence as
# generic_manufacturer, showing that hidden name.
SIGNAL_MESSAGES["reference_build"] = SIGNAL_MESSAGES["generic_manufacturer"]

# Only names no genuine phone shows there. Genuine builds do show "unknown", "Android" and
# "QUALCOMM" in the system/product partition props (Honor Magic6 Pro 15, Redmi K70 15), and
# MediaTek/Qualcomm board names in ro.build.product (vivo V15 9: k71v1_64_bsp), so those
# props and names are not read here.
_HIDDEN_CHIP_MAKERS = frozenset({"alps", "mtk", "mediatek", "sprd", "spreadtrum", "unisoc"})


# Set on every Android build (Build.java reads them); origin is decided from them.
REQUIRED_PROPS: tuple[str, ...] = ("ro.product.brand", "ro.product.manufacturer",
                                   "ro.product.model", "ro.build.tags",
                                   "ro.build.fingerprint", "ro.hardware")
# Other properties a sign of a copy is read from (present on some builds only).
_SIGNAL_PROPS: tuple[str, ...] = (
    "ro.product.vendor.brand", "ro.product.vendor.manufacturer", "ro.product.device",
    "ro.product.name", "ro.vendor.build.fingerprint", "ro.kernel.qemu", "ro.boot.qemu",
    "ro.boot.hardware")


@dataclass(frozen=True)
class Facts:
    brand: str | Unknown
    manufacturer: str = ""
    model: str = ""
    device: str = ""
    product: str = ""
    marketing_name: str = ""
    build_tags: str = ""
    signals: tuple[str, ...] = ()  # codes from SIGNAL_MESSAGES found without criteria
    operator_accepted: bool | None = None  # a person's recorded decision, when one was needed
    decided_by: str = ""  # who made that decision
    decision_note: str = ""
    hidden_maker: str = ""  # chip-maker name under a brand-name build (signal reference_build)


def with_operator_input(facts: Facts, data: object) -> Facts:
    """Hook for traomay.provision.inspect: a person's decision on a phone whose origin needed one:
    a bool, or a mapping with ``accepted`` (bool), ``by`` and ``note``. Anything else
    changes nothing."""
    by = note = ""
    if isinstance(data, Mapping):
        by = str(data.get("by") or "").strip()[:80]
        note = str(data.get("note") or "").strip()[:500]
        data = data.get("accepted")
    if not isinstance(data, bool):
        return facts
    return replace(facts, operator_accepted=data, decided_by=by, decision_note=note)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def _tokens_in(name: str) -> set[str]:
    low = name.lower()
    found = set()
    for token, family in _NAME_TOKENS.items():
        if token.isascii():
            if re.search(r"(?<![a-z])" + re.escape(token) + r"(?![a-z])", low):
                found.add(family)
        elif token in name:
            found.add(family)
    return found


def _related(a: str, b: str) -> bool:
    return a == b or any(a in group and b in group for group in _RELATED)


def _family(name: str) -> str | None:
    """Brand family of a brand/manufacturer value, from the name tokens (criteria-free)."""
    families = _tokens_in(name)
    return next(iter(families)) if len(families) == 1 else None


@never_raises("getprop text", lambda u: Facts(brand=u))
def parse(sections: Mapping[str, str]) -> Facts:
    text = sections.get("getprop") if isinstance(sections, Mapping) else None
    if not isinstance(text, str) or not text.strip():
        return Facts(brand=Unknown("getprop output is missing"))
    props = parse_getprop(text)
    if not props:
        return Facts(brand=Unknown("getprop output has no properties"))
    # Every Android build sets these; the signs of a copy are read from them, so one that
    # is missing (getprop cut short, a line lost) must not read as "no sign of a copy".
    missing = [k for k in REQUIRED_PROPS if k not in props]
    if missing:
        return Facts(brand=Unknown(f"getprop lacks {missing[0]} (output cut short?)"))
    twice = conflicting_props(text, REQUIRED_PROPS + _SIGNAL_PROPS)
    if twice:
        return Facts(brand=Unknown(f"getprop prints {twice[0]} twice with different values"))
    brand = first_prop(props, "ro.product.brand", "ro.product.vendor.brand",
                       "ro.product.odm.brand", "ro.product.system.brand")
    maker = first_prop(props, "ro.product.manufacturer", "ro.product.vendor.manufacturer",
                       "ro.product.odm.manufacturer")
    model = first_prop(props, "ro.product.model", "ro.product.vendor.model",
                       "ro.product.odm.model")
    device = first_prop(props, "ro.product.device", "ro.product.vendor.device")
    product = first_prop(props, "ro.product.name", "ro.product.vendor.name")
    device_name = sections.get("device_name")
    market = marketing_name(props, samsung_device_name=device_name
                            if isinstance(device_name, str) else None)
    signals: list[str] = []
    if not brand:
        signals.append("no_brand")
    elif _norm(brand) in GENERIC_NAMES or _GENERIC_PREFIX.match(_norm(brand)):
        signals.append("generic_brand")
    if maker and (_norm(maker) in GENERIC_NAMES or _GENERIC_PREFIX.match(_norm(maker))):
        signals.append("generic_manufacturer")
    if any(_GENERIC_PREFIX.match(_norm(v)) or _REFERENCE_BOARD.match(v.strip())
           for v in (device, product, model) if v):
        signals.append("reference_device")
    hidden = "" if {"generic_brand", "generic_manufacturer"} & set(signals) else _hidden_maker(
        props)
    if hidden:
        signals.append("reference_build")
    hardware = first_prop(props, "ro.hardware", "ro.boot.hardware").lower()
    if (first_prop(props, "ro.kernel.qemu", "ro.boot.qemu") == "1"
            or hardware in {"goldfish", "ranchu", "vbox86", "cutf_cvm"}):
        signals.append("emulator")
    brand_family = _family(brand) if brand else None
    maker_family = _family(maker) if maker else None
    if "apple" in (brand_family, maker_family) or _tokens_in(f"{model} {market}") & {"apple"}:
        signals.append("claims_apple")  # no genuine Apple device answers adb
    if brand_family:
        for name in (model, market):
            if any(not _related(f, brand_family) for f in _tokens_in(name)):
                signals.append("name_contradicts_brand")
                break
        if maker_family and not _related(maker_family, brand_family):
            signals.append("maker_contradicts_brand")
    return Facts(
        brand=brand, manufacturer=maker, model=model, device=device, product=product,
        marketing_name=market, build_tags=first_prop(props, "ro.build.tags"),
        signals=tuple(dict.fromkeys(signals)), hidden_maker=hidden,
    )


def _hidden_maker(props: Mapping[str, str]) -> str:
    """A chip-maker name in the vendor brand/maker or in a build fingerprint's brand field."""
    values = [props.get("ro.product.vendor.brand", ""),
              props.get("ro.product.vendor.manufacturer", "")]
    for key in ("ro.build.fingerprint", "ro.vendor.build.fingerprint"):
        values.append(props.get(key, "").split("/", 1)[0])
    return next((v.strip()[:40] for v in values if _norm(v) in _HIDDEN_CHIP_MAKERS), "")


# -- evaluate ---------------------------------------------------------------------------


def canonical_brand(name: str, criteria: Mapping[str, Any]) -> str | None:
    """The accepted-list key whose aliases contain ``name`` (case-insensitive), else None."""
    wanted = _norm(name)
    accepted = criteria.get("accepted_brands") or {}
    if not isinstance(accepted, Mapping):
        return None
    for key, aliases in accepted.items():
        names = [aliases] if isinstance(aliases, str) else list(aliases or ())
        if wanted in {_norm(str(key)), *(_norm(str(a)) for a in names)}:
            return str(key)
    return None


def origin_signals(facts: Facts, criteria: Mapping[str, Any]) -> list[str]:
    """All signal codes for these facts under ``criteria`` (parse-time ones, filtered, plus
    build tags)."""
    c = {**DEFAULT_CRITERIA, **criteria}
    brand = facts.brand if isinstance(facts.brand, str) else ""
    canonical = canonical_brand(brand, c) if brand else None
    odm = {_norm(str(b)) for b in c.get("odm_brands") or ()}
    signals = [s for s in facts.signals
               if not (s in ("generic_manufacturer", "reference_build")
                       and canonical and canonical in odm)]
    tags = {t.strip().lower() for t in facts.build_tags.split(",")}
    if tags & {str(t).lower() for t in c.get("suspicious_build_tags") or ()}:
        signals.append("test_keys")
    return signals


def evaluate(facts: Facts, criteria: Mapping[str, Any]) -> CheckResult:
    c = {**DEFAULT_CRITERIA, **criteria}
    if isinstance(facts.brand, Unknown):
        return _result(Status.ERROR, "Could not read the phone's brand: {reason}", {},
                       reason=facts.brand.reason)
    brand = facts.brand
    canonical = canonical_brand(brand, c) if brand else None
    signals = origin_signals(facts, c)
    m: dict[str, Any] = {
        "brand": brand, "manufacturer": facts.manufacturer, "model": facts.model,
        "device": facts.device, "marketing_name": facts.marketing_name,
        "canonical_brand": canonical, "accepted_brand": canonical is not None,
        "build_tags": facts.build_tags, "origin_signals": signals,
        "operator_accepted": facts.operator_accepted,
    }
    if facts.operator_accepted is not None and (signals or canonical is None):
        m.update(decided_by=facts.decided_by, decision_note=facts.decision_note)
    name = facts.marketing_name or facts.model
    if signals or canonical is None:
        if facts.operator_accepted is True:
            return _result(Status.PASS, "Origin checked and accepted by a person: {brand} {name}",
                           m, brand=brand, name=name)
        if facts.operator_accepted is False:
            return _result(Status.FAIL, "Origin checked and refused by a person: {brand} {name}",
                           m, brand=brand, name=name)
    if signals:
        first = signals[0]
        maker = facts.hidden_maker if first == "reference_build" else facts.manufacturer
        return _result(Status.NEEDS_OPERATOR, SIGNAL_MESSAGES[first], m, brand=brand,
                       manufacturer=maker, device=facts.device or facts.product,
                       name=name, tags=facts.build_tags)
    if canonical is None:
        return _result(Status.NEEDS_OPERATOR, "The brand '{brand}' is not on the accepted "
                       "list: check the phone by hand and record your decision", m, brand=brand)
    return _result(Status.PASS, "Known brand: {brand} {name}", m, brand=brand, name=name)


def _result(status: Status, msgid: str, m: Mapping[str, Any], **args: Any) -> CheckResult:
    used = {k: v for k, v in args.items() if "{" + k + "}" in msgid}
    return CheckResult(NAME, status, Msg(msgid, used), dict(m))
