"""The layers are enforced: the import contracts in pyproject.toml pass, and they have teeth
(a check that imports the device layer, or core that imports rich, breaks them)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).parent / ("lint-imports.exe" if sys.platform == "win32"
                                      else "lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--no-cache", "--config", str(root / "pyproject.toml")],
                          cwd=root, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(root), "PATH": ""})


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    if not LINT.is_file():
        pytest.skip("import-linter is not installed (make test installs the dev extras)")
    root = tmp_path_factory.mktemp("arch")
    shutil.copytree(REPO / "traomay", root / "traomay",
                    ignore=shutil.ignore_patterns("__pycache__", "locale", "profiles"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_contracts_hold(copy):
    out = _lint(copy)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


@pytest.mark.parametrize(("module", "line", "broken"), [
    ("traomay/checks/wifi.py", "import traomay.device.adb", "traomay.checks is not allowed"),
    ("traomay/core/msg.py", "import rich", "traomay.core is not allowed to import rich"),
    ("traomay/inventory/verdict.py", "import traomay.provision.session",
     "traomay.inventory is not allowed"),
    ("traomay/simulator/phone.py", "import traomay.core.msg", "traomay.simulator is not"),
])
def test_a_wrong_import_breaks_them(copy, module, line, broken):
    path = copy / module
    original = path.read_text(encoding="utf-8")
    try:
        path.write_text(original + f"\n{line}  # noqa\n", encoding="utf-8")
        out = _lint(copy)
    finally:
        path.write_text(original, encoding="utf-8")
    assert out.returncode != 0 and broken in out.stdout, out.stdout
