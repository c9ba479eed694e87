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
from traomay.checks.props import parse_getprop, sdk_checked
from traomay.core.results import CheckResult, Status, Unknown, command_refused

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

_USER = re.compile(r"^User UserInfo\{(-?\d{1,9}):.*\}:\s*$")
_USER_START = re.compile(r"^User UserInfo\b")
_COUNT = re.compile(r"^\s+Accounts: (\d{1,6})\s*$")
_COUNT_START = re.compile(r"^\s+Accounts:")
# The name may contain anything (", type=" too): the type is the text after the LAST
# ", type=" on the line, up to the closing brace.
_ACCOUNT = re.compile(r"^\s+Account \{name=.*, type=([^,{}\n]*)\}\s*$")
# Any line that starts like an account (a cut or garbled one included). Session lines
# ("Session: ..., getAuthToken, Account {name=...}") do not start so and are not accounts.
_ACCOUNT_START = re.compile(r"^\s+Account \{")
_SERVICES = re.compile(r"^\s+RegisteredServicesCache: (?:(\d{1,6}) services|services not "
                       r"loaded)\s*$")
_SERVICES_START = re.compile(r"^\s+RegisteredServicesCache:")
_SERVICE_INFO = re.compile(r"^\s+ServiceInfo: ")
_TIMEOUT = "DUMP TIMEOUT"
PRIMARY_USER = 0


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
    # Accounts of each type listed anywhere in the dump, even one that cannot be trusted as a
    # whole (then ``users`` is Unknown): "at least this many" for the technician.
    listed: tuple[tuple[str, int], ...] = ()

    def count(self, account_type: str) -> int:
        if isinstance(self.users, Unknown):
            return 0
        return sum(n for u in self.users for t, n in u.by_type if t == account_type)


@never_raises("account dump", lambda u: Facts(u, u))
def parse(sections: Mapping[str, str]) -> Facts:
    # The API level decides whether an FRP setting exists (30+): it must be confirmed by
    # the Android version, so a damaged digit cannot skip the FRP question.
    checked = sdk_checked(parse_getprop(section_text(sections, "getprop")))
    sdk = checked if isinstance(checked, int) else None
    text = section_text(sections, "accounts")
    return Facts(parse_accounts(text), _frp(sections, sdk), sdk, listed_types(text))


def listed_types(text: str) -> tuple[tuple[str, int], ...]:
    """How many accounts of each type the dump lists, wherever they are (no names)."""
    counts: dict[str, int] = {}
    for line in text.splitlines():
        match = _ACCOUNT.match(line)
        if match:
            kind = match.group(1).strip()[:128]
            counts[kind] = counts.get(kind, 0) + 1
    return tuple(sorted(counts.items()))


def parse_accounts(text: str) -> tuple[UserAccounts, ...] | Unknown:
    """Counts by type per user, or Unknown with the reason when the dump is missing, cut or
    does not add up. Never "no account" from a dump that does not prove it.

    What a complete dump is (AccountManagerService.dump, Android 5-15, every vendor in
    ../shared/captures): one block per user, ``User UserInfo{id:name:flags}:``, then
    ``  Accounts: N`` and exactly N ``    Account {name=..., type=...}`` lines, then
    (7.0+) the accounts history table, ``  Active Sessions: K`` and its lines, and
    ``  RegisteredServicesCache: M services`` with M ``ServiceInfo:`` lines (every
    version); 8.0+ adds ``Account visibility:`` for an unlocked user. So each block must
    hold exactly one count line that agrees with the account lines, no account line
    elsewhere, and reach its authenticator list whole; the primary user (0) must be there.
    A cut that falls exactly between two user blocks cannot be seen in the text; only a
    secondary user (work profile, dual apps, Secure Folder) can be lost that way.
    """
    if not text.strip():
        return Unknown("the account dump is empty")
    if _TIMEOUT in text:
        return Unknown("the account dump timed out on the phone (output cut short)")
    lines = text.replace("\r\n", "\n").split("\n")
    heads = [i for i, line in enumerate(lines) if _USER_START.match(line)]
    if not heads:
        # The phone's own refusal is worth showing; any other text could hold an account
        # name (PRIVACY), so it is never quoted.
        first = next((line.strip() for line in lines if line.strip()), "")[:80]
        said = f" (the phone said {first!r})" if command_refused(first) else ""
        return Unknown(f"no 'User UserInfo' block in the account dump{said}")
    if any(_COUNT_START.match(line) or _ACCOUNT_START.match(line) for line in lines[:heads[0]]):
        return Unknown("account lines before the first user in the account dump")
    users: list[UserAccounts] = []
    for n, head in enumerate(heads):
        end = heads[n + 1] if n + 1 < len(heads) else len(lines)
        user = _user_block(lines[head], lines[head + 1:end])
        if isinstance(user, Unknown):
            return user
        if any(u.user_id == user.user_id for u in users):
            return Unknown(f"user {user.user_id} appears twice in the account dump")
        users.append(user)
    if not any(u.user_id == PRIMARY_USER for u in users):
        return Unknown("the account dump has no block for the phone's owner (user 0)")
    return tuple(users)


def _user_block(header: str, block: list[str]) -> UserAccounts | Unknown:
    match = _USER.match(header)
    if not match:
        return Unknown("a 'User UserInfo' line of the account dump is cut or garbled")
    user_id = int(match.group(1))
    # Every line of a block is indented (IndentingPrintWriter) or blank: anything else is
    # the start of a next user's header cut short, or garbage.
    stray = next((line for line in block if line.strip() and not line[:1].isspace()), None)
    if stray is not None:
        return Unknown(f"user {user_id}: an unindented line in the account dump (cut or "
                       "garbled)")
    listed = sum(1 for line in block if _ACCOUNT_START.match(line))
    where = f"user {user_id}"
    if listed:  # said so the technician knows an account is there, whatever else is wrong
        where += f" ({listed} account line{'s' if listed > 1 else ''} listed)"
    counts = [i for i, line in enumerate(block) if _COUNT_START.match(line)]
    if not counts:
        return Unknown(f"{where}: no 'Accounts:' count line")
    if len(counts) > 1:
        return Unknown(f"{where}: {len(counts)} 'Accounts:' count lines")
    count = _COUNT.match(block[counts[0]])
    if not count:
        return Unknown(f"{where}: the 'Accounts:' count is not a number")
    expected = int(count.group(1))
    start = counts[0] + 1
    kinds: dict[str, int] = {}
    for line in block[start:start + expected]:
        account = _ACCOUNT.match(line)
        if not account:
            break
        kind = account.group(1).strip()[:128]
        kinds[kind] = kinds.get(kind, 0) + 1
    found = sum(kinds.values())
    if found != expected or listed != expected:
        return Unknown(f"{where}: 'Accounts: {expected}' but {listed} listed")
    problem = _authenticators_problem(block[start + expected:])
    if problem:
        return Unknown(f"{where}: {problem}")
    return UserAccounts(user_id, tuple(sorted(kinds.items())))


def _authenticators_problem(rest: list[str]) -> str | None:
    """The block must go on to its whole authenticator list (printed by every version after
    the accounts); a dump cut before or inside it is not a complete one."""
    at = next((i for i, line in enumerate(rest) if _SERVICES_START.match(line)), None)
    if at is None:
        return "the dump stops before the authenticator list (cut short)"
    match = _SERVICES.match(rest[at])
    if not match:
        return "the authenticator list header is cut or garbled"
    if match.group(1) is None:  # "services not loaded": no list follows
        return None
    expected = int(match.group(1))
    listed = 0
    for line in rest[at + 1:]:
        if not _SERVICE_INFO.match(line):
            break
        listed += 1
    if listed != expected:
        return f"'{expected} services' but {listed} listed (cut short or garbled)"
    return None


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
    read = isinstance(facts.users, tuple)
    m = {
        "accounts_by_type": dict(sorted(totals.items())),
        "accounts_per_user": {str(u.user_id): u.total for u in users},
        # None, not 0, when the list could not be read: unknown is never "no account".
        "google_accounts": totals.get("com.google", 0) if read else None,
        "blocking_accounts": blocking if read else None,
        "frp_active": facts.frp_active if isinstance(facts.frp_active, bool) else None,
    }
    if not read:
        m["accounts_listed_by_type"] = dict(facts.listed)
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
