"""Accounts check: counts by type per user on the 5 real dumps, FRP flags, and the privacy
rule (no account name ever reaches the facts or the result)."""

from __future__ import annotations

import json
import re

import pytest
from fakes import undecorated
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import capture_rows, require_captures
from traomay.checks import accounts
from traomay.core.results import Status, Unknown

ROWS = capture_rows("dumpsys_account.txt")

VIVO_TYPES = {
    "com.tencent.android.qqdownloader.YYBLiveAccountProvider.account": 1,
    "com.tencent.mobileqq.account": 1, "com.alibaba.android.rimet": 1,
    "com.sina.weibo.account": 1, "BBKOnLineService": 1, "com.eg.android.AlipayGphone.perf": 1,
    "com.tencent.edu": 1, "com.henrik.keeplive": 1, "com.youku.phone.auth": 1,
    "com.tencent.mtt.account.sync": 1, "com.pp.assistant": 1, "com.ss.android.ugc.aweme": 1,
    "com.xunmeng.pinduoduo.account_type": 1,
    "com.gotokeep.keep.service.outdoor.account.EmptyAccountSyncServer": 1,
    "com.tencent.qqpimsecure": 1, "com.ss.android.article.news": 1,
    "com.dxtdkwt.drivermanagerproject.account": 1, "cn.etouch.ecalendar.account": 1,
}
# folder -> ({user id: {type: count}}, decision), counted by hand from each dump.
EXPECTED = {
    "google-pixel_sailfish-10": ({0: {}, 11: {}}, "pass"),
    "meizu-MX6-7.1.1": ({0: {"com.UCMobile": 2, "com.sina.weibo.account": 1,
                             "com.tencent.android.qqdownloader.YYBLiveAccountProvider.account":
                             1, "com.facebook.auth.login": 1}}, "pass"),
    "smartron-tphoneE_T5911-8.1.0": ({0: {"com.android.sim": 1, "com.android.localphone": 1}},
                                     "pass"),
    "sunmi-T2s_LITE-9": ({0: {"com.google": 3}}, "fail"),
    # vivo account (BBKOnLineService) => a person checks the maker's lock
    "vivo-X9_PD1616-7.1.2": ({0: VIVO_TYPES, 999: {}}, "needs_operator"),
}


def _names_in(text: str) -> set[str]:
    """Every account name in a dump, to prove none of them leaks."""
    names = set()
    for match in re.finditer(r"Account \{name=(.*?), type=", text):
        name = match.group(1).strip()
        if len(name) >= 3:
            names.add(name)
    return names


@pytest.mark.parametrize(("folder", "path"), ROWS, ids=[f for f, _ in ROWS])
def test_counts_by_type_on_real_dump_and_no_names(folder, path):
    require_captures()
    per_user, decision = EXPECTED[folder]
    text = path.read_text(encoding="utf-8")
    getprop = (path.parent / "getprop.txt").read_text(encoding="utf-8")
    facts = accounts.parse({"accounts": text, "getprop": getprop})
    assert {u.user_id: dict(u.by_type) for u in facts.users} == per_user
    result = accounts.evaluate(facts, {})
    assert result.status.value == decision
    assert result.measurements["google_accounts"] == sum(
        u.get("com.google", 0) for u in per_user.values())
    names = _names_in(text)
    if any(per_user.values()):
        assert names, "the capture should contain account names to test the privacy rule"
    dumped = repr(facts) + json.dumps(result.to_json(), ensure_ascii=False)
    for name in names:
        assert name not in dumped
    for user_name in re.findall(r"UserInfo\{-?\d+:([^:]+):", text):
        assert f"'{user_name}'" not in dumped and f'"{user_name}"' not in dumped


def test_every_capture_has_an_expectation():
    require_captures()
    assert {f for f, _ in ROWS} == set(EXPECTED)


def test_google_account_message_tells_where_to_remove_it():
    require_captures()
    path = dict(ROWS)["sunmi-T2s_LITE-9"]
    result = accounts.evaluate(accounts.parse({"accounts": path.read_text(encoding="utf-8")}),
                               {})
    assert result.status is Status.FAIL
    assert "Settings > Accounts" in result.summary.msgid
    assert result.summary.args == {"count": 3}


DUMP = """User UserInfo{0:Owner:c13}:
  Accounts: 2
    Account {name=someone@gmail.com, type=com.google}
    Account {name=weird, type=x, type=com.xiaomi}

  Active Sessions: 1
    Session: getAuthToken, Account {name=someone@gmail.com, type=com.google}

  RegisteredServicesCache: 1 services
    ServiceInfo: AuthenticatorDescription {type=com.google}, ComponentInfo{com.google.android.gms/.auth.GoogleAccountAuthenticatorService}, uid 10024
"""  # noqa: E501


def test_name_with_type_text_and_session_lines():
    users = accounts.parse_accounts(DUMP)
    assert [dict(u.by_type) for u in users] == [{"com.google": 1, "com.xiaomi": 1}]
    assert "someone" not in repr(users) and "weird" not in repr(users)


def test_cut_short_dump_is_unknown():
    cut = DUMP.split("    Account {name=weird")[0]
    facts = accounts.parse({"accounts": cut})
    assert isinstance(facts.users, Unknown)
    assert "someone" not in facts.users.reason
    assert accounts.evaluate(facts, {}).status is Status.ERROR


@pytest.mark.parametrize(("sections", "sdk", "frp"), [
    ({"frp_secure": "1"}, 31, True),
    ({"frp_secure": "0"}, 31, False),
    ({"frp_global": "1", "frp_secure": "0"}, 34, True),
    ({"frp_global": "null", "frp_secure": "null"}, 34, False),
    ({"frp_pdb": "FRP state: true\nVerified boot state: green"}, 35, True),
    ({"frp_pdb": "FRP state: false", "frp_global": "1"}, 35, False),  # the PDB is the source
    ({}, 28, False),  # no FRP-mode setting before API 30; adb means setup is done
    ({"frp_secure": "Exception: permission"}, 31, None),
])
def test_frp_flags(sections, sdk, frp):
    empty = "User UserInfo{0:Owner:13}:\n  Accounts: 0\n\n  RegisteredServicesCache: 0 services\n"
    release = {28: "9", 31: "12", 34: "14", 35: "15"}[sdk]
    getprop = f"[ro.build.version.release]: [{release}]\n[ro.build.version.sdk]: [{sdk}]"
    facts = accounts.parse({"accounts": empty, "getprop": getprop, **sections})
    if frp is None:
        assert isinstance(facts.frp_active, Unknown)
        assert accounts.evaluate(facts, {}).status is Status.ERROR
    else:
        assert facts.frp_active is frp
        expected = Status.FAIL if frp else Status.PASS
        result = accounts.evaluate(facts, {})
        assert result.status is expected
        if frp:
            assert "contact the donor" in result.summary.msgid


def test_maker_account_types_come_from_criteria():
    facts = accounts.parse({"accounts": DUMP.replace("com.google", "com.other"),
                            "frp_global": "0", "getprop": "[ro.build.version.sdk]: [34]"})
    assert accounts.evaluate(facts, {}).status is Status.NEEDS_OPERATOR  # com.xiaomi
    assert accounts.evaluate(facts, {"maker_lock_account_types": []}).status is Status.PASS


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["accounts", "frp_secure", "frp_global", "frp_pdb",
                                        "getprop"]), st.text()))
def test_parse_never_raises(sections):
    accounts.evaluate(undecorated(accounts.parse)(sections), {})


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["User UserInfo{0:a:13}:", "User UserInfo{x}:",
                                 "  Accounts: 1", "  Accounts: 99",
                                 "    Account {name=a, type=com.google}",
                                 "    Account {name=, type=}", "", "junk"])))
def test_parse_never_raises_on_shuffled_lines(lines):
    facts = undecorated(accounts.parse)({"accounts": "\n".join(lines)})
    accounts.evaluate(facts, {})



# -- the evidence rule: a damaged dump is never "no account" (issue 9, item 1) ------------

S9_LIKE = """User UserInfo{0:Owner:13}:
  Accounts: 1
    Account {name=x@gmail.com, type=com.google}
  
  AccountId, Action_Type, timestamp, UID, TableName, Key
  Accounts History
  
  Active Sessions: 0
  
  RegisteredServicesCache: 1 services
    ServiceInfo: AuthenticatorDescription {type=com.google}, ComponentInfo{com.google.android.gms/x}, uid 10024
  
"""  # noqa: E501,W293


def _lines_without(text: str, index: int) -> str:
    lines = text.split("\n")
    return "\n".join(lines[:index] + lines[index + 1:])


@pytest.mark.parametrize(("damaged", "why"), [
    # the adversarial run's own example: no count line at all
    ("User UserInfo{0:Owner:13}:\n    Account {name=x@gmail.com, type=com.google}\n",
     "no 'Accounts:' count line"),
    ("User UserInfo{0:Owner:13}:\n", "no 'Accounts:' count line"),  # cut after line 1
    (S9_LIKE[:26], "no 'Accounts:' count line"),  # cut at byte 26 (header cut short)
    (_lines_without(S9_LIKE, 1), "no 'Accounts:' count line"),  # count line dropped
    (_lines_without(S9_LIKE, 2), "'Accounts: 1' but 0 listed"),  # account line dropped
    (S9_LIKE.replace("Accounts: 1", "Accounts: x"), "not a number"),
    (S9_LIKE.replace("Accounts: 1", "Accounts: -1"), "not a number"),
    (S9_LIKE.replace("Accounts: 1", "Accounts: 99999999999999999999"), "not a number"),
    (S9_LIKE.replace("Accounts: 1", "Accounts: 0"), "'Accounts: 0' but 1 listed"),
    (S9_LIKE.replace("Accounts: 1", "Accounts: 2"), "'Accounts: 2' but 1 listed"),
    (S9_LIKE.replace("  Accounts: 1", "  Accounts: 1\n  Accounts: 1"), "2 'Accounts:'"),
    (S9_LIKE.split("  RegisteredServicesCache")[0], "before the authenticator list"),
    (S9_LIKE.replace("1 services", "2 services"), "'2 services' but 1 listed"),
    (S9_LIKE.replace("Owner:13}:", "Owner:1"), "cut or garbled"),
    (S9_LIKE.replace("User UserInfo{0:", "User UserInfo{10:"), "no block for the phone's owner"),
    (S9_LIKE + S9_LIKE, "user 0 appears twice"),
    (S9_LIKE + "User Use", "unindented line"),  # the next user's header cut short
    (S9_LIKE[:80] + "\n*** SERVICE 'account' DUMP TIMEOUT (10000ms) EXPIRED ***\n",
     "timed out"),
    ("Can't find service: account\n", "the phone said \"Can't find service: account\""),
    # cut before the header: the first line holds the donor's address, never quoted
    ("    Account {name=x@gmail.com, type=com.google}\n", "no 'User UserInfo' block"),
    ("Permission Denial: can't dump account from from pid=1, uid=2000\n", "no 'User UserInfo'"),
    ("", "empty"),
])
def test_a_damaged_dump_is_unknown_never_no_account(damaged, why):
    facts = accounts.parse({"accounts": damaged, "frp_secure": "0", "frp_global": "0"})
    assert isinstance(facts.users, Unknown), damaged
    assert why in facts.users.reason
    result = accounts.evaluate(facts, {})
    assert result.status is Status.ERROR
    assert result.measurements["google_accounts"] is None  # unknown, never 0
    assert "x@gmail" not in facts.users.reason and "x@gmail" not in repr(result.to_json())


def test_the_complete_dump_fails_and_reports_what_a_damaged_one_lists():
    facts = accounts.parse({"accounts": S9_LIKE, "frp_secure": "0"})
    assert accounts.evaluate(facts, {}).status is Status.FAIL
    damaged = accounts.parse({"accounts": _lines_without(S9_LIKE, 1), "frp_secure": "0"})
    result = accounts.evaluate(damaged, {})
    assert result.measurements["accounts_listed_by_type"] == {"com.google": 1}
    assert "1 account line listed" in result.summary.args["reason"]


def test_a_damaged_android_version_does_not_skip_the_frp_question():
    # Android 12 (API 31), FRP setting unreadable: unknown. A digit of the API level changed
    # to 29 (before the FRP setting existed) must not turn that into "not locked".
    empty = "User UserInfo{0:Owner:13}:\n  Accounts: 0\n\n  RegisteredServicesCache: 0 services\n"
    for sdk in ("31", "29"):
        getprop = f"[ro.build.version.release]: [12]\n[ro.build.version.sdk]: [{sdk}]"
        facts = accounts.parse({"accounts": empty, "getprop": getprop, "frp_secure": "Error"})
        assert isinstance(facts.frp_active, Unknown)
        assert accounts.evaluate(facts, {}).status is Status.ERROR
