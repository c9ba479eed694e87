"""The campaign folder through the command line: first use sets up the per-user folder and
says where; `install` with nothing pinned says which folder the district's APK files go
into; campaign.yaml's station is the default station; `where` tells what is there."""

from __future__ import annotations

import sqlite3


def fresh(tmp_path):
    data = tmp_path / "data"
    return {"XDG_DATA_HOME": str(data), "LOCALAPPDATA": str(data)}, data / "traomay"


def test_first_use_sets_up_the_folder_and_install_says_where_apks_go(sim_hub, cli, tmp_path):
    env, campaign = fresh(tmp_path)
    rig = sim_hub("samsung-galaxy-a55")
    out = cli(None, "install", rig.address(0), env=env, cwd=tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr  # nothing pinned: a person must act
    assert f"created the campaign folder {campaign}" in out.stderr
    apks = campaign / "apks"
    assert apks.is_dir() and (campaign / "inventory.sqlite").is_file()
    assert f"copy them into {apks}" in out.stdout
    assert "manifest pin --name VNeID" in out.stdout
    again = cli(None, "manifest", "check", env=env, cwd=tmp_path)
    assert again.returncode == 1 and "created the campaign folder" not in again.stderr
    assert f"copy them into {apks}" in again.stdout


def test_campaign_option_station_and_where(sim_hub, cli, tmp_path):
    env, _ = fresh(tmp_path)
    folder = tmp_path / "Chiến dịch"
    missing = cli(None, "--campaign", str(folder), "manifest", "check", env=env)
    assert missing.returncode == 5 and "init" in missing.stderr
    before = cli(None, "--campaign", str(folder), "where", env=env)
    assert before.returncode == 0 and "missing" in before.stdout
    made = cli(None, "--station", "Điểm 2", "init", str(folder), env=env)
    assert made.returncode == 0, made.stderr
    assert (folder / "campaign.key").is_file()
    rig = sim_hub("oppo-a5s")
    seen = cli(None, "--campaign", str(folder), "identify", rig.address(0), env=env)
    assert seen.returncode == 0, seen.stderr
    with sqlite3.connect(folder / "inventory.sqlite") as db:
        stations = {row[0] for row in db.execute("SELECT station FROM events")}
    assert stations == {"Điểm 2"}
    where = cli(None, "--campaign", str(folder), "where", env=env)
    assert where.returncode == 0
    assert "given with --campaign" in where.stdout
    assert "1 phones in the inventory" in where.stdout, where.stdout
    assert "0 of 2 apps pinned" in where.stdout
