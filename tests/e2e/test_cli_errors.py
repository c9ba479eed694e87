"""Bad input gets a clear message (Vietnamese by default, English with --lang en), a
documented exit code, and nothing half-written."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys


def run(*args, env_extra=None, cwd=None):
    env = dict(os.environ, COLUMNS="200", **(env_extra or {}))
    env.pop("TRAOMAY_LANG", None)
    return subprocess.run([sys.executable, "-m", "traomay", *args], capture_output=True,
                          text=True, encoding="utf-8", env=env, cwd=cwd, timeout=60)


def test_broken_manifest_names_file_entry_and_key(tmp_path):
    bad = tmp_path / "apk_manifest.yaml"
    bad.write_text("schema: 1\napps:\n  - name: VNeID\n    package: com.vnid\n"
                   "    min_sdk: twenty\n", encoding="utf-8")
    out = run("--lang", "en", "manifest", "check", "--manifest", str(bad))
    assert out.returncode == 5
    assert str(bad) in out.stderr and "VNeID" in out.stderr and "min_sdk" in out.stderr
    assert "Traceback" not in out.stderr


def test_broken_yaml_manifest(tmp_path):
    bad = tmp_path / "m.yaml"
    bad.write_text("apps: [\n", encoding="utf-8")
    out = run("--lang", "en", "manifest", "check", "--manifest", str(bad))
    assert out.returncode == 5 and "line" in out.stderr and "Traceback" not in out.stderr


def test_garbage_inventory_file_is_refused_and_left_as_it_was(tmp_path):
    db = tmp_path / "inventory.sqlite"
    db.write_bytes(b"not a database at all" * 50)
    before = db.read_bytes()
    out = run("--lang", "en", "--db", str(db), "explain", "id:1")
    assert out.returncode == 7
    assert str(db) in out.stderr and "Traceback" not in out.stderr
    assert db.read_bytes() == before


def test_vietnamese_is_the_default(tmp_path):
    from traomay.inventory.store import Inventory

    db = tmp_path / "inv.sqlite"
    Inventory(db).close()
    out = run("--db", str(db), "explain", "id:9", env_extra={"LANG": "vi_VN.UTF-8"})
    assert out.returncode == 3
    en = run("--lang", "en", "--db", str(db), "explain", "id:9")
    assert en.returncode == 3
    assert out.stderr != en.stderr  # translated, not the English msgid
    assert "id:9" in out.stderr and "id:9" in en.stderr


def test_unknown_check_name_is_a_usage_style_error(tmp_path):
    # No phone needed: the name is checked before any adb call.
    out = run("--lang", "en", "--adb-port", "1", "recheck", "t:1", "--only", "baterry")
    assert out.returncode == 2
    assert "baterry" in out.stderr and "battery" in out.stderr


def test_inventory_survives_a_rejected_write(tmp_path):
    from traomay.inventory.store import Inventory

    db = tmp_path / "inv.sqlite"
    with Inventory(db) as inv:
        inv.record_seen({"brand": "x", "model": "y", "serial": "s", "abis": [], "imeis": []},
                        ["k1"])
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM devices").fetchone()[0] == 1
    conn.close()


def test_attest_rejects_words_it_does_not_know():
    out = run("--lang", "en", "--adb-port", "1", "attest", "t:1", "--screen", "good",
              "--back", "ok", "--by", "Lan")
    assert out.returncode == 2
    assert "--screen" in out.stderr and "Choose one of: ok, cracked." in out.stderr


def test_hostile_phone_names_are_not_markup():
    from rich.console import Console

    from traomay.interface import render as ui

    con = Console(width=120, record=True, color_system=None)
    con.print(ui.table("Phone [bold red]X[/bold] \x1b[2J", ["[link=https://evil]h[/link]"],
                       [["[/bold] A55"]]))
    text = con.export_text()
    assert "[bold red]X[/bold]" in text and "[/bold] A55" in text
    assert "\x1b" not in text
