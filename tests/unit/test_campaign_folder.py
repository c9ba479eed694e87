"""Every command finds its files in the campaign folder: criteria, the app list, the
inventory, the station's name; the folder is set up from the shipped templates without
overwriting anything; the hints print a command that works as typed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from traomay.apps.install_manifest import find_manifest_file
from traomay.apps.manifest import load_manifest
from traomay.checks.criteria import TEMPLATE_CRITERIA_FILE, find_criteria_file
from traomay.core.campaign import (
    TEMPLATES,
    CampaignFolder,
    ChosenBy,
    default_folder,
    find_folder,
    init_folder,
    load_campaign,
)
from traomay.core.errors import BadInputError
from traomay.interface import folder as cli_folder
from traomay.inventory.store import default_db_path


@pytest.fixture()
def clean_env(monkeypatch, tmp_path):
    for var in ("TRAOMAY_CAMPAIGN", "TRAOMAY_DB", "TRAOMAY_STATION"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "data"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return tmp_path


def test_init_copies_the_templates_and_never_overwrites(tmp_path):
    folder = CampaignFolder(tmp_path / "c")
    made = init_folder(folder, "Điểm tiếp nhận \"B\": nhà văn hóa")
    assert made == {"campaign.yaml": True, "criteria.yaml": True, "apk_manifest.yaml": True,
                    "apks/": True}
    assert load_campaign(folder.campaign_file).station == "Điểm tiếp nhận \"B\": nhà văn hóa"
    assert folder.criteria_file.read_bytes() == (TEMPLATES / "criteria.yaml").read_bytes()
    folder.manifest_file.write_text("schema: 1\napps: []\n", encoding="utf-8")
    again = init_folder(folder, "other")
    assert not any(again.values())
    assert folder.manifest_file.read_text(encoding="utf-8") == "schema: 1\napps: []\n"
    assert load_campaign(folder.campaign_file).station.startswith("Điểm tiếp nhận")


def test_files_come_from_the_campaign_folder_not_the_current_folder(clean_env, monkeypatch):
    # An apk_manifest.yaml lying in the current folder is not a campaign (no campaign.yaml).
    Path("apk_manifest.yaml").write_text("schema: 1\napps: []\n", encoding="utf-8")
    found = find_folder()
    assert found.chosen_by is ChosenBy.DEFAULT and found.root == default_folder()
    assert find_manifest_file() is None
    assert find_criteria_file() == TEMPLATE_CRITERIA_FILE
    init_folder(found)
    assert find_manifest_file() == found.manifest_file
    assert find_criteria_file() == found.criteria_file
    assert default_db_path() == found.inventory_file
    monkeypatch.setenv("TRAOMAY_DB", str(clean_env / "elsewhere.sqlite"))
    assert default_db_path() == clean_env / "elsewhere.sqlite"


def test_how_the_folder_was_chosen(clean_env, monkeypatch):
    assert find_folder(clean_env / "x").chosen_by is ChosenBy.OPTION
    monkeypatch.setenv("TRAOMAY_CAMPAIGN", str(clean_env / "env"))
    assert find_folder().chosen_by is ChosenBy.ENVIRONMENT
    monkeypatch.delenv("TRAOMAY_CAMPAIGN")
    Path("campaign.yaml").write_text("schema: 1\n", encoding="utf-8")
    assert find_folder().chosen_by is ChosenBy.CURRENT
    assert find_folder().root == Path.cwd()


def test_windows_default_is_where_the_inventory_always_was(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    assert default_folder() == tmp_path / "Local" / "traomay"


def test_default_folder_is_set_up_on_first_use_a_named_one_is_refused(clean_env, capsys):
    folder = cli_folder.campaign_folder(None, station="Điểm 3")
    assert folder.initialised and folder.apks_dir.is_dir()
    assert load_campaign(folder.campaign_file).station == "Điểm 3"
    assert str(folder.root) in capsys.readouterr().err  # says where, once
    cli_folder.campaign_folder(None)
    assert capsys.readouterr().err == ""  # said once
    with pytest.raises(BadInputError) as refused:
        cli_folder.campaign_folder(clean_env / "typo")
    assert refused.value.exit_code == 5
    assert "init" in refused.value.message.args["command"]
    assert not (clean_env / "typo").exists()
    # Only looking (needed=False) never creates anything.
    assert not cli_folder.campaign_folder(clean_env / "typo", needed=False).initialised


def test_command_line_folder_beats_traomay_db_the_environment_does_not(clean_env, monkeypatch):
    monkeypatch.setenv("TRAOMAY_DB", str(clean_env / "env.sqlite"))
    given = find_folder(clean_env / "given")
    assert cli_folder.inventory_path(given) == given.inventory_file
    assert cli_folder.inventory_path(find_folder()) == clean_env / "env.sqlite"


def test_station_option_then_environment_then_campaign_yaml(clean_env, monkeypatch):
    folder = CampaignFolder(clean_env / "c")
    assert cli_folder.station_name(folder, None) is None
    init_folder(folder, "Điểm 1")
    assert cli_folder.station_name(folder, None) == "Điểm 1"
    monkeypatch.setenv("TRAOMAY_STATION", "env")
    assert cli_folder.station_name(folder, None) == "env"
    assert cli_folder.station_name(folder, "opt") == "opt"


def test_command_prefix(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli_folder.shutil, "which", lambda name: "/usr/bin/traomay")
    assert cli_folder.command_prefix() == "traomay"
    monkeypatch.setattr(cli_folder.shutil, "which", lambda name: None)
    script = tmp_path / ".venv" / "bin" / "traomay"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n", encoding="utf-8")
    monkeypatch.setattr(sys, "argv", [str(script), "demo"])
    expected = ".\\.venv\\bin\\traomay" if sys.platform == "win32" else ".venv/bin/traomay"
    assert cli_folder.command_prefix() == expected
    monkeypatch.setattr(sys, "argv", [str(tmp_path / "traomay" / "__main__.py")])
    assert cli_folder.command_prefix().endswith(" -m traomay")


def test_apk_help_names_the_full_folder_and_the_files_waiting(tmp_path, monkeypatch):
    monkeypatch.setattr(cli_folder.shutil, "which", lambda name: "/usr/bin/traomay")
    folder = CampaignFolder(tmp_path / "My Campaign")
    init_folder(folder)
    (folder.apks_dir / "vneid-2.1.apk").write_bytes(b"PK")
    lines = cli_folder.apk_help(load_manifest(folder.manifest_file))
    text = [line.msgid.format(**line.args) for line in lines]
    assert str(folder.apks_dir) in text[0] and "VNeID" in text[0]
    assert "vneid-2.1.apk" in text[1]
    assert any("traomay manifest pin --name VNeID" in t and "My Campaign" in t for t in text)
    assert "expected_signer_sha256" in text[-1]
