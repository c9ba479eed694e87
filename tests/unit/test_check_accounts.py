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

  Active Sessions: 0
    Session: getAuthToken, Account {name=someone@gmail.com, type=com.google}
"""


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
    empty = "User UserInfo{0:Owner:13}:\n  Accounts: 0\n"
    getprop = f"[ro.build.version.sdk]: [{sdk}]"
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
