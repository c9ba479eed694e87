"""Issue 12 through the command line: intake of a simulated phone on the real adb server
(t:N through the phone session) and of a phone entered by hand, the list, certificates and
their check, the export, the weekly report, merge and check."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

from traomay.core.campaign import TEMPLATES
from traomay.inventory.store import Inventory


def _campaign_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "campaign"
    folder.mkdir()
    shutil.copyfile(TEMPLATES / "campaign.yaml", folder / "campaign.yaml")
    return folder


def _written(out: str) -> list[Path]:
    return [Path(p.strip()) for p in re.findall(r"Written: (.+)", out)]


def test_intake_list_certificate_export_report(cli, sim_hub, tmp_path):
    from tests.unit.outputs_world import add_phone

    folder = _campaign_folder(tmp_path)
    db = folder / "inventory.sqlite"
    env = {"TRAOMAY_CAMPAIGN": str(folder)}
    rig = sim_hub("samsung-galaxy-a55")
    listing = rig.listing(0)

    took = cli(db, "intake", f"t:{listing.transport_id}", "--donor", "Nguyễn Văn An",
               "--unit", "hội nông dân", "--phone", "0912345678", "--by", "Lan", env=env)
    assert took.returncode == 0, took.stderr
    receipt = _written(took.stdout)[0]
    assert receipt.parent == folder / "outputs" and receipt.suffix == ".pdf"
    again = cli(db, "intake", f"t:{listing.transport_id}", "--donor", "X", "--unit",
                "Hội Nông dân", env=env)
    assert again.returncode == 1 and "already received" in again.stderr
    bad_unit = cli(db, "intake", "id:1", "--donor", "X", "--unit", "Hội Bóng đá", env=env)
    assert bad_unit.returncode == 2 and "Hội Nông dân" in bad_unit.stderr

    manual = cli(db, "intake", "--manual", "--brand", "Apple", "--model", "iPhone 8",
                 "--imei", "490154203237518", "--donor", "Trần Thị Bình", "--unit",
                 "Khu phố Đồng Sơn", env=env)
    assert manual.returncode == 0, manual.stderr

    with Inventory(db) as inv:  # a phone that went through every criterion
        passed = add_phone(inv, "R58M1")

    listed = cli(db, "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "iPhone 8" in listed.stdout and "Khu phố Đồng Sơn" in listed.stdout
    failed_only = cli(db, "list", "--status", "failed", env=env)
    assert "iPhone 8" not in failed_only.stdout

    unfinished = cli(db, "certificate", "id:2", env=env)
    assert unfinished.returncode == 1 and "not finished" in unfinished.stderr
    made = cli(db, "certificate", f"id:{passed}", "-o", str(tmp_path / "c.pdf"), env=env)
    assert made.returncode == 0, made.stderr
    genuine = cli(db, "certificate", "verify", str(tmp_path / "c.pdf"), env=env)
    assert genuine.returncode == 0 and "GENUINE" in genuine.stdout
    with Inventory(db, read_only=True) as inv:
        payload = inv.db.execute("SELECT payload FROM certificates").fetchone()[0]
    forged = cli(db, "certificate", "verify", payload[:-1] + ("A" if payload[-1] != "A"
                                                               else "B"), env=env)
    assert forged.returncode == 1 and "FORGED" in forged.stdout

    out = tmp_path / "kho.csv"
    exported = cli(db, "export", "csv", "-o", str(out), env=env)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig", newline="")))
    assert len(rows) == 3 and {r["entry"] for r in rows} == {"adb", "manual"}
    assert "Nguyễn Văn An" not in out.read_text(encoding="utf-8-sig")

    weekly = cli(db, "report", "weekly", "-o", str(tmp_path / "rep"), env=env)
    assert weekly.returncode == 0, weekly.stderr
    assert sorted(p.suffix for p in _written(weekly.stdout)) == [".csv", ".pdf"]

    checked = cli(db, "inventory", "check", env=env)
    assert checked.returncode == 0 and "sound" in checked.stdout

    copy = tmp_path / "other" / "inventory.sqlite"
    copy.parent.mkdir()
    shutil.copyfile(db, copy)
    merged = cli(db, "inventory", "merge", str(copy), env=env)
    assert merged.returncode == 0 and "Nothing new" in merged.stdout
