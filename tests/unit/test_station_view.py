"""What the station shows for a board row (traomay.interface.station_view): short words for
waiting checks that still match the checks' messages, columns that fit 80 columns, device
text escaped, the --once exit rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from traomay.core.i18n import current_language, set_language
from traomay.core.msg import Msg
from traomay.interface import station_view as view
from traomay.provision.station import guide
from traomay.provision.station.board import Ask, Board, Choice, Row

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def vietnamese():
    before = current_language()
    set_language("vi")
    yield
    set_language(before)


def _source_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "traomay" / "checks")
                     .glob("*.py"))


def test_short_actions_follow_the_checks_messages():
    # Each key is a check's message, as written in traomay/checks (line breaks between the
    # string's parts joined): a reworded check would silently lose its short words.
    source = re.sub(r'"\s*\n\s*"', "", _source_text())
    for msgid in view.SHORT_ACTIONS:
        assert msgid in source, msgid


def test_the_row_words_read_as_the_volunteer_expects(vietnamese):
    gps = Msg("No satellites received yet: take the phone to a window or outdoors, then "
              "check again")
    assert view.safe(view.short(gps)) == "mang ra cửa sổ để bắt GPS"
    expected = [(guide.TAP_ALLOW, "chạm Cho phép"), (guide.REMOVE_GOOGLE, "xóa tài khoản Google"),
                (guide.SWIPE_GRID, "vẽ kín lưới trên màn hình"),
                (guide.CALL_PHONE, "gọi vào máy này"), (guide.UNPLUG_DONE, "rút máy: xong")]
    for msg, words in expected:
        assert view.safe(msg).startswith(words), msg.msgid


@pytest.mark.parametrize("width", [80, 100, 120, 160])
def test_columns_fit_the_terminal(width):
    columns = view.columns_for(width)
    used = sum(w or 0 for w in columns.widths) + 2 * len(columns.keys) + 2
    assert used <= width
    assert columns.keys[0] == "number" and columns.keys[-1] == "action"
    assert columns.narrow == (width < view.NARROW_BELOW)
    assert columns.widths[-1] >= 35  # the next thing to do stays readable


def test_device_text_is_shown_as_typed():
    row = Row(7, "emulator-5554", number=3, phone="[bold red]X\x1b[2J\u202eevil",
              state="person", action=Msg("{why}", {"why": "\x1b]0;title\x07[link]"}),
              ask=Ask("origin", Msg("Origin in doubt: {why}. Accept this phone?",
                                    {"why": "[i]\x9b2J"}),
                      (Choice("y", Msg("accept (box, invoice or donor known)"), True),)))
    texts = [view.plain_line(row), view.panel_text(row, None).plain,
             *(c.plain for c in view.row_cells(row, view.columns_for(80), None))]
    for text in texts:
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", text), repr(text)
    assert "[bold red]X" in view.plain_line(row)
    assert "[i]" in view.panel_text(row, None).plain


def test_waits_show_what_and_how_long():
    row = Row(1, "s", number=1, state="person", action=guide.SWIPE_GRID, progress="12/28",
              wait_until=1000.0 + 161)
    assert view.progress_text(row, None, now=1000.0).plain == "12/28 ⏳2:41"
    assert view.progress_text(row, None, now=1000.0, narrow=True).plain == "⏳2:41"
    waiting = Row(2, "s", number=2, state="waiting_back", action=guide.WAIT_BACK)
    assert view.progress_text(waiting, since=1000.0, now=1042.0).plain == "⌛0:42"
    assert view.clock(3725) == "1:02:05"


def test_once_exit_rule():
    board = Board()
    board.update(1, "a", number=1, state="done", verdict="pass")
    board.update(2, "b", number=2, state="person", verdict="incomplete")
    assert not view.exit_failed(board.snapshot())
    board.update(3, "c", number=3, state="set_aside", verdict="fail")
    assert view.exit_failed(board.snapshot())
