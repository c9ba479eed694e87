"""The command line's language and layout: the language is chosen before click parses and
never from the operating system; the words click and typer add are translated; tables
take a compact layout in an 80-column terminal; a wait is shown as a countdown."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from traomay.core import i18n
from traomay.core.errors import UsageError
from traomay.core.msg import Msg
from traomay.interface import render as ui
from traomay.interface.cli_text import language_from, translate_help


@pytest.fixture
def vietnamese():
    before = i18n.current_language()
    i18n.set_language("vi")
    yield
    i18n.set_language(before)


@pytest.mark.parametrize("argv, env, lang", [
    ([], {}, "vi"),
    ([], {"LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8"}, "vi"),  # the OS never decides
    (["--lang", "en", "devices"], {}, "en"),
    (["--lang=EN", "devices"], {}, "en"),
    (["devices"], {"TRAOMAY_LANG": "en"}, "en"),
    (["--lang", "vi"], {"TRAOMAY_LANG": "en"}, "vi"),  # the option beats the environment
    (["--", "--lang", "fr"], {}, "vi"),  # after "--" nothing is an option
])
def test_language_from(argv, env, lang):
    assert language_from(argv, env) == lang


@pytest.mark.parametrize("argv, env", [(["--lang", "fr"], {}), ([], {"TRAOMAY_LANG": "fr"})])
def test_unknown_language_is_a_usage_error(argv, env):
    with pytest.raises(UsageError) as err:
        language_from(argv, env)
    assert err.value.exit_code == 2
    assert err.value.message.args["lang"] == "fr"
    assert "vi (Tiếng Việt" in err.value.message.msgid and "en (English)" in \
        err.value.message.msgid


def test_set_language_refuses_what_it_does_not_speak():
    with pytest.raises(UsageError):
        i18n.set_language("fr")


def test_click_words_are_translated(vietnamese):
    english = ("Usage: traomay attest [OPTIONS] {PHONE}\n\nOptions:\n  --by <str>  Who."
               "  [required]\n  --n <int>  [default: 3]\n  --help  Show this message and exit."
               "\n\nCommands:\n  do  x\n")
    text = translate_help(english)
    for word in ("Cách dùng:", "[TÙY_CHỌN]", "Tùy chọn:", "<chữ>", "[bắt buộc]",
                 "[mặc định: 3]", "Hiện hướng dẫn này rồi thoát.", "Lệnh:"):
        assert word in text, text
    for word in ("Usage", "Options", "required", "default", "Show this message", "Commands"):
        assert word not in text, text


def _rows():
    return [[f"t:{i}", f"id:{i}", "127.0.0.1:45323", "device", "xiaomi Redmi Note 7", "10",
             "Mở khóa điện thoại và bấm \"Cho phép\" ở hộp \"Cho phép gỡ lỗi qua USB?\""]
            for i in range(1, 4)]


def _draw(renderable, width: int) -> str:
    con = Console(width=width, record=True, color_system=None, file=io.StringIO())
    con.print(renderable)
    return con.export_text()


def test_tables_are_compact_at_80_columns():
    columns = ["ID", "Sổ kho", "Số sê-ri", "Trạng thái", "Điện thoại", "Android", "Cần làm gì"]
    table = ui.table("Điện thoại trên máy tính này", columns, _rows(), narrow_drop=(2, 3))
    narrow = _draw(table, 80)
    assert max(len(line) for line in narrow.splitlines()) <= 80
    assert "Số sê-ri" not in narrow and "127.0.0.1:45323" not in narrow  # left out
    assert "│" not in narrow  # no side borders: the room goes to the words
    assert "Cho phép gỡ lỗi qua USB?" in " ".join(narrow.split())  # wrapped, not cut
    wide = _draw(table, 160)
    assert "Số sê-ri" in wide and "127.0.0.1:45323" in wide and "┃" in wide


def test_three_column_result_table_stays_readable_at_80():
    rows = [["Bluetooth", ui.status_text("needs_operator"),
             "Bật Bluetooth trong Cài đặt, rồi kiểm tra lại"]] * 3
    text = _draw(ui.table("Kiểm tra OPPO A5s (t:3, mã trong sổ kho id:3)",
                          ["Mục kiểm tra", "Kết quả", "Chi tiết"], rows), 80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "Bật Bluetooth trong Cài đặt, rồi kiểm tra lại" in text  # one line: fits


@pytest.mark.parametrize("seconds, shown", [(0, "0:00"), (59.6, "1:00"), (125, "2:05"),
                                            (3725, "1:02:05"), (-3, "0:00")])
def test_clock_text(seconds, shown):
    assert ui.clock_text(seconds) == shown


def test_countdown_in_a_log_says_what_it_waits_for_time_left_and_ctrl_c(vietnamese, capsys):
    countdown = ui.Countdown(every=3600)
    countdown.con = Console(width=200, file=io.StringIO(), record=True,
                            force_terminal=False)
    waiting = Msg("Waiting for the phone to restart.")
    for left in (900, 899.5, 899):  # the same wait: one line, not one per poll
        countdown(waiting, left)
    countdown(Msg("Waiting for the phone to come back after the erase."), 600)
    text = countdown.con.export_text()
    assert text.count("Đang chờ máy khởi động lại.") == 1
    assert "(còn 15:00; bấm Ctrl-C để dừng)" in text
    assert "Đang chờ máy kết nối lại sau khi xóa. (còn 10:00; bấm Ctrl-C để dừng)" in text
