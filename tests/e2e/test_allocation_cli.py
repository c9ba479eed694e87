"""The allocation commands end to end (``python -m traomay`` in a campaign folder): households
import (all or nothing), allocate, the public list, hand-over with its form, undo, return.
They work from the inventory alone (``id:N``): no adb server is involved."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from pypdf import PdfReader

from tests.unit.allocation_cases import add_phone
from traomay.core.campaign import TEMPLATES
from traomay.inventory.store import Inventory

SAMPLE = TEMPLATES / "households-sample.csv"


@pytest.fixture()
def traomay(tmp_path):
    folder = tmp_path / "chien-dich"

    def run(*args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, TRAOMAY_LANG=lang, COLUMNS="200", TRAOMAY_ADB_PORT="1")
        env.pop("TRAOMAY_DB", None)
        return subprocess.run([sys.executable, "-m", "traomay", "--campaign", str(folder),
                               *args], capture_output=True, text=True, encoding="utf-8",
                              env=env, timeout=120)

    assert run("init").returncode == 0
    run.folder = folder  # type: ignore[attr-defined]
    return run


def test_allocation_from_households_file_to_return(traomay, tmp_path):
    bad = tmp_path / "ho.csv"
    lines = SAMPLE.read_text(encoding="utf-8-sig").splitlines()
    lines[6] = lines[6].replace(",3,0900000006,", ",ba,0900000006,")  # row 7: adults "ba"
    bad.write_text("\n".join(lines), encoding="utf-8-sig")
    out = traomay("households", "import", str(bad))
    assert out.returncode == 5, out.stderr
    assert "│ 7 " in out.stderr and "H (Số người lớn chưa có điện thoại thông minh)" in out.stderr
    assert "'ba'" in out.stderr
    assert json.loads(traomay("households", "list", "--json").stdout) == []

    out = traomay("households", "import", str(SAMPLE))
    assert out.returncode == 0 and "12 added" in out.stdout, out.stderr
    with Inventory(traomay.folder / "inventory.sqlite", station="test") as inv:
        phones = [add_phone(inv, apps=True) for _ in range(3)]
        add_phone(inv, passed=False)

    out = traomay("allocate", "--json")
    result = json.loads(out.stdout)
    assert [(c["household"], c["tier"]) for c in result["changes"]] == [
        ("LU-001", 1), ("LU-007", 1), ("LU-002", 2)]
    again = traomay("allocate")
    assert again.returncode == 0 and "Nothing to change" in again.stdout

    public = tmp_path / "danh-sach.csv"
    assert traomay("allocate", "--list", "-o", str(public)).returncode == 0
    text = public.read_text(encoding="utf-8-sig")
    plain = traomay("households", "list")
    for secret in ("Nguyễn Văn Mẫu", "0900000001", "074090000001"):
        assert secret not in text and secret not in plain.stdout
    assert "Nguyễn Văn Mẫu" in traomay("households", "list", "--personal-data").stdout

    out = traomay("handover", f"id:{phones[0]}", "LU-001", "--recipient", "Nguyễn Văn Mẫu",
                  "--sim", "Viettel:0981234567", "--by", "Tình nguyện viên")
    assert out.returncode == 0, out.stderr
    form = traomay.folder / "outputs" / f"ban-giao-LU-001-id{phones[0]}.pdf"
    assert "BẢN CAM KẾT NHẬN ĐIỆN THOẠI" in PdfReader(form).pages[0].extract_text()
    wrong = traomay("handover", f"id:{phones[1]}", "LU-001", "--recipient", "X")
    assert wrong.returncode == 1 and "LU-007" in wrong.stderr
    assert traomay("handover", "--undo", f"id:{phones[0]}", "--reason", "nhầm").returncode == 0
    assert traomay("handover", f"id:{phones[0]}", "LU-001", "--recipient", "B").returncode == 0
    out = traomay("return", f"id:{phones[0]}", "--reason", "Hộ chuyển đi")
    assert out.returncode == 0 and "LU-001" in out.stdout

    story = json.loads(traomay("allocate", "--explain", "lu-001", "--json").stdout)
    assert [e["action"] for e in story["history"]] == [
        "allocated", "handed_over", "handover_undone", "handed_over", "returned"]
    assert story["history"][-1]["reason"] == "Hộ chuyển đi" and story["allocations"] == []

    report = tmp_path / "thang.csv"
    out = traomay("allocate", "--report", "-o", str(report), lang="vi")
    assert out.returncode == 0 and report.read_text(encoding="utf-8-sig").startswith("Tháng,")


@pytest.mark.parametrize("args", [
    ("allocate", "--list"),
    ("allocate", "--report", "--dry-run", "-o", "x.csv"),
    ("allocate", "-o", "x.csv"),
    ("allocate", "--list", "-o", "x.txt"),
    ("handover", "id:1"),
    ("handover", "id:1", "LU-001", "--recipient", "A", "--sim", "Nokia:0981234567"),
])
def test_bad_options_are_usage_errors(traomay, args):
    out = traomay(*args)
    assert out.returncode == 2, out.stdout + out.stderr
