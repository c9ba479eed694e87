"""A plain `pip install .` puts one importable top-level package, `traomay`: no `checks`,
`inventory`, `provision` or `simulator` to clash with other packages; the installed
`traomay` command runs from outside the repository."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "--quiet", "-w", str(out), str(REPO)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    (path,) = out.glob("traomay-*.whl")
    return path


def test_wheel_has_one_top_level_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    packages = {t for t in tops if not t.endswith((".dist-info", ".data"))}
    assert packages == {"traomay"}, packages
    assert "traomay/simulator/profiles/samsung-galaxy-a55.yaml" in names
    assert "traomay/locale/vi/LC_MESSAGES/traomay.mo" in names


def test_installed_command_runs_and_generic_names_are_not_importable(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
                    "--target", str(target), str(wheel)], check=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(target), TRAOMAY_LANG="en")
    for name in ("checks", "inventory", "provision", "simulator"):
        probe = subprocess.run([sys.executable, "-c", f"import {name}"], cwd=elsewhere,
                               env=env, capture_output=True, text=True, timeout=60)
        assert probe.returncode != 0 and "ModuleNotFoundError" in probe.stderr, name
    found = subprocess.run([sys.executable, "-c", "import traomay; print(traomay.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60)
    assert Path(found.stdout.strip()).is_relative_to(target)
    script = target / "bin" / "traomay"
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "traomay"]
    helped = subprocess.run([*command, "--help"], cwd=elsewhere, env=env,
                            capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "inspect" in helped.stdout, helped.stderr
