"""Accounts: is the previous owner signed out, and is the phone free of FRP?

Reads ``dumpsys account``: per user ``User UserInfo{id:name:flags}:``, ``Accounts: N``, then
``Account {name=..., type=...}`` lines. PRIVACY: only the number of accounts per type is
kept. Account names (e-mail addresses, phone numbers) and user names never enter the
facts, not even hashed.

Factory Reset Protection: ``settings get secure secure_frp_mode`` (API 30-33),
``settings get global secure_frp_mode`` (34+; 1 = in FRP now) and, on Android 15,
``dumpsys persistent_data_block`` "FRP state: true|false". Before API 30 there is no such
setting; a phone that answers adb has finished setup, so it is not in FRP now.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traomay.checks.base import ResultMaker, never_raises, section_text
from traomay.checks.props import parse_getprop, sdk_int
from traomay.core.results import CheckResult, Status, Unknown

NAME = "accounts"

COMMANDS: dict[str, str] = {
    "accounts": "dumpsys account",
    "frp_secure": "settings get secure secure_frp_mode",
    "frp_global": "settings get global secure_frp_mode",
    "frp_pdb": "dumpsys persistent_data_block",
}

DEFAULT_CRITERIA: Mapping[str, Any] = {
    # Account types that lock the phone to its owner after a reset (FRP): must be removed.
    "blocking_account_types": ["com.google"],
    # Phone makers' accounts with their own anti-theft lock (Mi Cloud, Samsung
    # Reactivation lock, Huawei ID, vivo account): a person checks they are signed out.
    "maker_lock_account_types": ["com.xiaomi", "com.osp.app.signin", "com.huawei.hwid",
                                 "BBKOnLineService"],
}

_USER = re.compile(r"^User UserInfo\{(-?\d+):")
_COUNT = re.compile(r"^\s+Accounts: (\d+)\s*$")
# The name may contain anything (", type=" too): the type is the text after the LAST
# ", type=" on the line, up to the closing brace.
_ACCOUNT = re.compile(r"^\s+Account \{name=.*, type=([^,{}\n]*)\}\s*$")


@dataclass(frozen=True)
class UserAccounts:
    user_id: int
    by_type: tuple[tuple[str, int], ...]  # (account type, count), sorted by type

    @property
    def total(self) -> int:
        return sum(n for _, n in self.by_type)


@dataclass(frozen=True)
class Facts:
    users: tuple[UserAccounts, ...] | Unknown
    frp_active: bool | Unknown
    sdk: int | None = None

    def count(self, account_type: str) -> int:
        if isinstance(self.users, Unknown):
            return 0
        return sum(n for u in self.users for t, n in u.by_type if t == account_type)


@never_raises("account dump", lambda u: Facts(u, u))
def parse(sections: Mapping[str, str]) -> Facts:
    sdk = sdk_int(parse_getprop(section_text(sections, "getprop")))
    return Facts(parse_accounts(section_text(sections, "accounts")), _frp(sections, sdk), sdk)


def parse_accounts(text: str) -> tuple[UserAccounts, ...] | Unknown:
    """Counts by type per user; Unknown when the dump is missing or looks cut short."""
    users: list[UserAccounts] = []
    user_id: int | None = None
    expected: int | None = None
    counts: dict[str, int] = {}
    in_list = False

    def close() -> str | None:
        if user_id is None:
            return None
        if expected is not None and sum(counts.values()) != expected:
            return f"user {user_id}: 'Accounts: {expected}' but {sum(counts.values())} listed"
        users.append(UserAccounts(user_id, tuple(sorted(counts.items()))))
        return None

    for line in text.splitlines():
        match = _USER.match(line)
        if match:
            problem = close()
            if problem:
                return Unknown(problem)
            user_id, expected, counts, in_list = int(match.group(1)), None, {}, False
            continue
        if user_id is None:
            continue
        match = _COUNT.match(line)
        if match and expected is None:
            expected, in_list = int(match.group(1)), True
            continue
        if in_list:
            match = _ACCOUNT.match(line)
            if match:
                kind = match.group(1).strip()[:128]
                counts[kind] = counts.get(kind, 0) + 1
                continue
            in_list = False  # the list ends at the first other line
    problem = close()
    if problem:
        return Unknown(problem)
    if not users:
        return Unknown("no 'User UserInfo' block in the account dump")
    return tuple(users)


def _setting_flag(text: str) -> bool | None:
    value = text.strip()
    if value in ("0", "null"):  # "null": never set = not in FRP
        return False
    if value == "1":
        return True
    return None  # an error message, or nothing


def _frp(sections: Mapping[str, str], sdk: int | None) -> bool | Unknown:
    pdb = re.search(r"^\s*FRP state:\s*(true|false)\s*$", section_text(sections, "frp_pdb"),
                    re.MULTILINE | re.IGNORECASE)
    if pdb:
        return pdb.group(1).lower() == "true"
    secure = _setting_flag(section_text(sections, "frp_secure"))
    global_ = _setting_flag(section_text(sections, "frp_global"))
    # API 34 moved the flag to Settings.Global (the secure copy is deprecated).
    ordered = (global_, secure) if sdk is None or sdk >= 34 else (secure, global_)
    if True in ordered:
        return True
    if sdk is not None and sdk < 30:
        return False  # no FRP-mode setting before API 30; adb works only after setup
    for flag in ordered:
        if flag is not None:
            return flag
    return Unknown("secure_frp_mode could not be read")


# -- evaluate ---------------------------------------------------------------------------


def evaluate(facts: Facts, criteria: Mapping[str, Any]) -> CheckResult:
    c = {**DEFAULT_CRITERIA, **criteria}
    users = facts.users if isinstance(facts.users, tuple) else ()
    totals: dict[str, int] = {}
    for user in users:
        for kind, n in user.by_type:
            totals[kind] = totals.get(kind, 0) + n
    blocking = sum(totals.get(str(t), 0) for t in c["blocking_account_types"])
    maker = sorted(t for t in totals if t in {str(x) for x in c["maker_lock_account_types"]})
    m = {
        "accounts_by_type": dict(sorted(totals.items())),
        "accounts_per_user": {str(u.user_id): u.total for u in users},
        "google_accounts": totals.get("com.google", 0),
        "blocking_accounts": blocking,
        "frp_active": facts.frp_active if isinstance(facts.frp_active, bool) else None,
    }
    if facts.frp_active is True:
        return _result(Status.FAIL, "The phone is locked to its previous owner (Factory Reset "
                       "Protection): contact the donor to unlock it", m)
    if isinstance(facts.users, Unknown):
        return _result(Status.ERROR, "Could not read the accounts on the phone: {reason}", m,
                       reason=facts.users.reason)
    if blocking:
        # vi (vi-glossary.md): "Cài đặt › Mật khẩu và tài khoản" (Android 9: "Tài khoản";
        # Samsung: "Tài khoản và sao lưu › Quản lý tài khoản") › Google › "Xóa tài khoản".
        return _result(Status.FAIL, "Remove the Google account ({count}) in Settings > "
                       "Accounts > Google > Remove account", m, count=blocking)
    if maker:
        return _result(Status.NEEDS_OPERATOR, "Sign out of the phone maker's account "
                       "({types}) in Settings, then check again", m, types=", ".join(maker))
    if isinstance(facts.frp_active, Unknown):
        return _result(Status.ERROR, "Could not tell whether the phone is locked to its "
                       "previous owner: {reason}", m, reason=facts.frp_active.reason)
    return _result(Status.PASS, "No Google account on the phone", m)


_result = ResultMaker(NAME)
