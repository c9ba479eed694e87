"""Vietnamese everywhere by default, whatever the operating system's language: help pages,
usage errors and the words click and typer add around them. English only on request; an
unknown language is a usage error that names the two traomay speaks.

The laptops volunteers bring are often set to English: every run here has
LANG=en_US.UTF-8 and LC_ALL=en_US.UTF-8 and no TRAOMAY_LANG.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

ENGLISH_OS = {"LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8", "LANGUAGE": "en_US:en"}

# Words of an English sentence. Vietnamese help keeps option names, file names, commands
# and brand names (USB, Bluetooth, VNeID, criteria.yaml…) but none of these words.
ENGLISH_WORDS = re.compile(
    r"\b(the|and|of|with|for|is|are|this|that|what|which|when|from|phone|phones|show|"
    r"usage|options|commands|arguments|missing|invalid|error|try|required|default|such|"
    r"message|exit|run|record|list|check|checks)\b", re.I)
# Vietnamese words every help page shows (the heading, the help option, the usage line).
VIETNAMESE_HELP = ("Cách dùng:", "Tùy chọn:", "Hiện hướng dẫn này rồi thoát.")

def command_paths() -> list[list[str]]:
    """Every command and subcommand of traomay, from its click command tree: a command
    added later is checked too."""
    import typer.main

    from traomay.interface.app import _register_commands, app

    _register_commands()
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


COMMANDS = command_paths()


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "TRAOMAY_LANG"}
    full.update(ENGLISH_OS, COLUMNS="100", TRAOMAY_ADB_PORT="1")
    full.update(env)
    return subprocess.run([sys.executable, "-m", "traomay", *args], capture_output=True,
                          text=True, encoding="utf-8", env=full, timeout=60)


def english_left(text: str) -> list[str]:
    """Lines that still read as English. What is code is cut first: option names, quoted
    values, command lines ('traomay …'), file names, metavars, choices in <…|…>."""
    left = []
    text = re.sub(r"\[[^\]]*\]", " ", text)  # [mặc định: …], [bắt buộc], wrapped or not
    text = re.sub(r"^  [\w-]+(?=  )", " ", text, flags=re.M)  # a command's name in a list
    for line in text.splitlines():
        plain = re.sub(r"'[^']*'|\"[^\"]*\"|<[^>]*>|\{[^}]*\}", " ", line)
        plain = re.sub(r"--?[\w-]+|traomay( [\w:-]+)*|\S+\.(yaml|sqlite|apk)\b|\S+=\S+",
                       " ", plain)
        plain = re.sub(r"\b(ok|cracked|bulging|yes|no|accept|reject|origin|look|allow|ring|"
                       r"plug|unplug|outdoors)\b", " ", plain)
        found = ENGLISH_WORDS.findall(plain)
        if found:
            left.append(f"{line.strip()}  <- {found}")
    return left


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "traomay")
def test_help_is_vietnamese_on_an_english_laptop(command: list[str]) -> None:
    out = run(*command, "--help")
    assert out.returncode == 0, out.stderr
    for words in VIETNAMESE_HELP:
        assert words in out.stdout, f"{words!r} missing:\n{out.stdout}"
    assert not english_left(out.stdout), "\n".join(english_left(out.stdout))


@pytest.mark.parametrize("args, vietnamese", [
    (["attest", "t:1", "--screen", "tot", "--back", "ok", "--by", "Lan"],
     "Giá trị không hợp lệ cho --screen: tot. Hãy chọn một trong: ok, cracked."),
    (["attest", "t:1", "--screen", "ok", "--back", "ok"], "Thiếu tùy chọn --by."),
    (["recheck", "t:1"], "Thiếu tùy chọn --only."),
    (["inspect"], "Thiếu MÁY"),
    (["inspekt", "t:1"], "Không có lệnh inspekt. Có phải ý bạn là inspect?"),
    (["inspect", "t:1", "--jsn"], "Không có tùy chọn --jsn. Có phải ý bạn là --json?"),
    (["inspect", "t:1", "thua"], "Thừa đối số: thua."),
    (["battery-test", "t:1", "--minutes", "abc"], "--minutes: abc không phải là số."),
    (["sim", "--phones", "0"], "--phones: 0. Phải từ 1 trở lên."),
    (["finalize", "t:1", "--keep-adb=3"], "Tùy chọn --keep-adb không nhận giá trị nào."),
    (["inspect", "t:1", "--only", "batery"], "batery"),
    (["sim", "--profiles", "iphone-99"], "iphone-99"),
    (["sim", "do", "t:1", "dance"], "dance"),
    (["decide", "t:1", "origin", "maybe", "--by", "Lan"], "accept, reject"),
])
def test_usage_errors_are_vietnamese_and_exit_2(args: list[str], vietnamese: str) -> None:
    out = run(*args)
    assert out.returncode == 2, out.stdout + out.stderr
    assert vietnamese in " ".join(out.stderr.split()), out.stderr
    assert "Lỗi:" in out.stderr
    assert not english_left(out.stderr), "\n".join(english_left(out.stderr))


def test_unknown_language_is_a_usage_error_naming_vi_and_en() -> None:
    for out in (run("--lang", "fr", "devices"), run("devices", TRAOMAY_LANG="fr")):
        assert out.returncode == 2, out.stderr
        assert "fr" in out.stderr and "vi (Tiếng Việt" in out.stderr and "en (" in out.stderr


def test_english_only_on_request() -> None:
    for out in (run("--lang", "en", "attest", "--help"),
                run("attest", "--help", TRAOMAY_LANG="en")):
        assert out.returncode == 0
        assert "Usage: traomay attest [OPTIONS] {PHONE}" in out.stdout
        assert "Who looked at the phone." in out.stdout
    out = run("--lang", "en", "attest", "t:1", "--screen", "tot", "--back", "ok", "--by", "x")
    assert out.returncode == 2
    assert "Error: Invalid value for --screen: tot. Choose one of: ok, cracked." in out.stderr


def test_vietnamese_help_fits_80_columns() -> None:
    out = run("sim", "do", "--help", COLUMNS="80")
    assert max(len(line) for line in out.stdout.splitlines()) <= 80, out.stdout
