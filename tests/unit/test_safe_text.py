from hypothesis import given
from hypothesis import strategies as st

from traomay.core.safe_text import for_csv, for_terminal


def test_escape_sequences_and_controls_removed():
    hostile = "Galaxy\x1b[2J\x1b]0;pwned\x07 A12\u202e\r\nX"
    out = for_terminal(hostile)
    assert "\x1b" not in out and "\x07" not in out and "\n" not in out
    assert "\u202e" not in out
    assert out.startswith("Galaxy")


def test_long_text_is_cut():
    assert len(for_terminal("x" * 500, max_len=50)) == 50


def test_csv_formula_neutralised():
    assert for_csv("=HYPERLINK(\"http://x\")").startswith("'=")
    assert for_csv("+84 912") == "'+84 912"
    assert for_csv("Redmi 9A") == "Redmi 9A"


@given(st.text())
def test_terminal_text_has_no_controls(text):
    out = for_terminal(text)
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in out)


def test_redact_removes_owner_data():
    from traomay.core.redact import redact

    text = ("  Account {name=nguoicu.donor@gmail.com, type=com.google}\n"
            "last location=Location[gps 10.123456,106.654321 hAcc=5]\n"
            "mCallIncomingNumber=+84912345678\n")
    out = redact(text)
    assert "nguoicu" not in out and "10.123456" not in out and "912345678" not in out
    assert "type=com.google" in out


def test_redact_sections_drop_or_clean_owner_data():
    from traomay.checks.registry import PRIVATE_SECTIONS
    from traomay.core.redact import NOT_KEPT_NOTE, redact
    from traomay.core.redact import redact_section as kept

    def redact_section(name, text):
        return kept(name, text, PRIVATE_SECTIONS)

    assert redact_section("accounts", "Account {name=Van A, Lan, type=com.google}") == \
        NOT_KEPT_NOTE
    assert redact_section("wifi", '"FAKE-SSID-01" aa:bb:cc:00:00:01') == NOT_KEPT_NOTE
    props = ("[net.hostname]: [RedmiNote7-moumouRed]\n[persist.sys.device_name]: [Lan's phone]\n"
             "[ro.product.model]: [Redmi Note 7]\n[ril.iccid.sim1]: [8984000000000000000]\n")
    out = redact_section("getprop", props)
    assert "moumou" not in out and "Lan" not in out and "8984" not in out
    assert "[ro.product.model]: [Redmi Note 7]" in out and "[net.hostname]: [redacted]" in out
    users = redact("User UserInfo{0:Nguyễn Thị Lan:c13} running")
    assert "Nguyễn" not in users and "UserInfo{0:[redacted]:c13}" in users
    acct = redact("Account {name=Van A, Lan, type=com.google}")
    assert "Van" not in acct and "type=com.google" in acct
