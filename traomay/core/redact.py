"""Remove the previous owner's personal data from raw outputs before they are kept for
audit. Sections that mostly hold it are not kept at all (their facts are in the results;
which ones is the check registry's ``private_sections``); the others are cleaned line by
line."""

from __future__ import annotations

import re
from collections.abc import Collection

NOT_KEPT_NOTE = "[not kept: this output can hold the previous owner's personal data]"

# getprop keys that can carry the owner's name or SIM identity (Xiaomi puts the owner's
# device name in net.hostname / persist.sys.device_name; ICCID/IMSI identify the SIM).
_PRIVATE_PROP = re.compile(
    r"^\[[^\]]*(hostname|device_?name|devicename|iccid|imsi|msisdn|phone_?number|"
    r"bt\.name|bluetooth\.name|\.owner)[^\]]*\]: .*$", re.IGNORECASE | re.MULTILINE)

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # "Account {name=someone@gmail.com, type=com.google}": everything up to the last type=
    (re.compile(r"(Account\s*\{\s*name=).*?(,\s*type=[^,}]*\})"), r"\1[redacted]\2"),
    # "UserInfo{0:Nguyễn Thị Lan:c13}"
    (re.compile(r"(UserInfo\{\d+:)[^:}]*"), r"\1[redacted]"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
    # "Location[gps 10.123456,106.654321 hAcc=..."
    (re.compile(r"(Location\[\w+\s+)-?\d+[.,]\d+\s*,\s*-?\d+[.,]\d+"), r"\1[coordinates]"),
    (re.compile(r"((?:latitude|longitude|lat|lon)[=:]\s*)-?\d+[.,]\d+", re.I), r"\1[coord]"),
    # telephony.registry: the number of the last caller
    (re.compile(r"(mCallIncomingNumber=)\S*"), r"\1[redacted]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def redact_section(name: str, text: str, private: Collection[str]) -> str:
    """What may be kept of one batched section's raw output; ``private``: the sections that
    are never kept."""
    if name in private:
        return NOT_KEPT_NOTE
    if name == "getprop":
        text = _PRIVATE_PROP.sub(lambda m: m.group(0).split("]: ", 1)[0] + "]: [redacted]", text)
    return redact(text)
