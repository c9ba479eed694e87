"""Remove the previous owner's personal data from raw outputs before they are kept for
audit: account names, e-mail addresses, phone numbers in call state, GPS coordinates."""

from __future__ import annotations

import re

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # dumpsys account: "Account {name=someone@gmail.com, type=com.google}"
    (re.compile(r"(Account\s*\{\s*name=)[^,}]*"), r"\1[redacted]"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
    # dumpsys location: "Location[gps 10.123456,106.654321 hAcc=..."
    (re.compile(r"(Location\[\w+\s+)-?\d+[.,]\d+\s*,\s*-?\d+[.,]\d+"), r"\1[coordinates]"),
    (re.compile(r"((?:latitude|longitude|lat|lon)[=:]\s*)-?\d+[.,]\d+", re.I), r"\1[coord]"),
    # telephony.registry: the number of the last caller
    (re.compile(r"(mCallIncomingNumber=)\S*"), r"\1[redacted]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
