"""`traomay demo` as a newcomer runs it: exits 0 and names every simulated phone."""

import os
import subprocess
import sys
from pathlib import Path

from traomay.simulator.profile import list_profiles, load_profile


def test_demo_runs_end_to_end_and_names_every_phone(tmp_path):
    env = dict(os.environ, TRAOMAY_LANG="en", COLUMNS="220")
    out = subprocess.run([sys.executable, "-m", "traomay", "--db",
                          str(tmp_path / "demo.sqlite"), "demo"],
                         capture_output=True, text=True, encoding="utf-8", env=env,
                         cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    for name in list_profiles():  # every phone has its row, by its brand
        props = load_profile(name).props
        assert props["ro.product.brand"].lower() in out.stdout.lower(), name
    assert "(17 phones)" in out.stdout
    assert "Allow" in out.stdout  # the unauthorized phone got its instruction
    assert "remove the Google account" in out.stdout  # the donor's account, then the erase
    assert "erase the phone in Settings" in out.stdout
    assert "Can run the apps" in out.stdout  # the Redmi 5A is too old for Bình Dương Số
    assert "unplug: done" in out.stdout and "PASS" in out.stdout
    assert (tmp_path / "demo.sqlite").is_file()
    assert "nguoicu" not in out.stdout  # the previous owner's account name never shows
    written = [line.split("Written: ", 1)[1] for line in out.stdout.splitlines()
               if "Written: " in line]
    names = {p.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] for p in written}
    assert {"kho-may.csv", "danh-sach-phan-bo.pdf"} <= names
    assert any(n.startswith("chung-nhan-") for n in names)  # a certificate
    assert any(n.startswith("bao-cao-tuan-") and n.endswith(".pdf") for n in names)
    assert any(n.startswith("mau-2") or "ban-giao" in n for n in names), names
    # The weekly report is written after the demo's hand-over, and counts it (last column
    # of its total line).
    report = next(p for p in written if p.endswith(".csv") and "bao-cao-tuan-" in p)
    total = Path(report.strip()).read_text(encoding="utf-8-sig").splitlines()[-1]
    assert total.rsplit(",", 1)[1] == "1", total
