"""A volunteer's install, as on their own laptop: the wheel `make dist` builds, installed into
a fresh virtual environment (as pipx does), run from an unrelated folder with a fresh HOME
and per-user data folder. Nothing may depend on the repository, the current folder or the
install location: the campaign folder lives in the per-user data folder, and a reinstall
(an upgrade) keeps the volunteer's files.

The fresh venv gets traomay's dependencies from the package index (never
--system-site-packages, which would hide a missing dependency); when the index cannot be
reached the tests skip and say so. One venv serves the whole module (about 25 s to make:
venv without pip, then the project's own pip installs into it with ``--python``).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import traomay

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("traomay", "pyproject.toml", "README.md", "LICENSE")
UNREACHABLE = ("Could not find a version that satisfies", "No matching distribution found",
               "Failed to establish a new connection", "Temporary failure in name resolution",
               "Network is unreachable", "ProxyError", "Name or service not known")


def _bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if sys.platform == "win32" else "bin") / name


def build_wheel(out: Path) -> Path:
    """What `make dist` runs, on a clean copy of the sources (a ``build/`` folder left in the
    checkout by an older build could add files that no longer exist)."""
    src = out / "src"
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            src.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, src / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "--quiet", "-w", str(out / "dist"),
                            str(src)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (out / "dist").glob("traomay-*.whl")
    return wheel


def pip_into(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The project's own pip, installing into ``venv`` (``pip --python``)."""
    return subprocess.run([sys.executable, "-m", "pip", "--python",
                           str(_bin(venv, "python.exe" if sys.platform == "win32" else
                                    "python")), "install", "--quiet", *args],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv, wheel): the built wheel installed with its dependencies in a fresh venv."""
    root = tmp_path_factory.mktemp("install")
    wheel = build_wheel(root)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    done = pip_into(venv, str(wheel))
    if done.returncode != 0:
        text = done.stdout + done.stderr
        if any(marker in text for marker in UNREACHABLE):
            last = text.strip().splitlines()[-1] if text.strip() else ""
            pytest.skip("the package index cannot be reached, so a fresh venv cannot get "
                        f"traomay's dependencies ({last})")
        pytest.fail(f"pip install of the wheel failed:\n{text[-3000:]}")
    return venv, wheel


@pytest.fixture()
def laptop(tmp_path, installed):
    """Run a command as the volunteer would: a fresh HOME and per-user data folder, an
    unrelated current folder, the venv's scripts on PATH (pipx puts them there)."""
    venv, _ = installed
    home = tmp_path / "home"
    data = home / "data"
    elsewhere = tmp_path / "Desktop"
    for folder in (home, data, elsewhere):
        folder.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TRAOMAY_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(HOME=str(home), USERPROFILE=str(home), XDG_DATA_HOME=str(data),
               LOCALAPPDATA=str(data), APPDATA=str(data), TRAOMAY_LANG="en",
               TRAOMAY_NO_ADB_START="1", COLUMNS="250",
               PATH=str(_bin(venv, "")) + os.pathsep + env.get("PATH", ""))

    def run(*argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(argv), cwd=elsewhere, env=env, capture_output=True,
                              text=True, encoding="utf-8", timeout=timeout)

    run.campaign = data / "traomay"  # type: ignore[attr-defined]
    run.cwd = elsewhere  # type: ignore[attr-defined]
    run.venv = venv  # type: ignore[attr-defined]
    return run


def test_wheel_ships_templates_not_data_files(installed):
    _, wheel = installed
    names = zipfile.ZipFile(wheel).namelist()
    for template in ("campaign.yaml", "criteria.yaml", "apk_manifest.yaml"):
        assert f"traomay/templates/{template}" in names, template
    # No files outside the package (the old share/traomay copies were edited in place).
    assert not [n for n in names if ".data/" in n], names


def test_version(laptop):
    for argv in (["traomay", "--version"],
                 [str(_bin(laptop.venv, "python")), "-m", "traomay", "--version"]):
        out = laptop(*argv)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == f"traomay {traomay.__version__}"


def test_init_then_manifest_check_says_where_apks_go_outside_the_venv(laptop):
    out = laptop("traomay", "init")
    assert out.returncode == 0, out.stdout + out.stderr
    campaign = laptop.campaign
    for name in ("campaign.yaml", "criteria.yaml", "apk_manifest.yaml", "campaign.key",
                 "inventory.sqlite"):
        assert (campaign / name).is_file(), name
    assert (campaign / "apks").is_dir()
    check = laptop("traomay", "manifest", "check")
    assert check.returncode == 1, check.stdout + check.stderr  # nothing pinned yet
    apks = str(campaign / "apks")
    assert f"copy them into {apks}" in check.stdout, check.stdout
    assert "traomay manifest pin --name VNeID" in check.stdout
    assert "expected_signer_sha256" in check.stdout
    assert str(laptop.venv) not in check.stdout
    where = laptop("traomay", "where")
    assert where.returncode == 0 and str(campaign) in where.stdout
    assert "0 of 2 apps pinned" in where.stdout
    assert list(laptop.cwd.iterdir()) == []  # nothing written where the volunteer stood


def test_a_reinstall_keeps_the_volunteers_pins(laptop, installed, tmp_path):
    from traomay.demo.apkfactory import build_apk

    venv, wheel = installed
    assert laptop("traomay", "init").returncode == 0
    apk = build_apk(tmp_path / "district", package="com.vnid", version_code=7, min_sdk=21)
    pinned = laptop("traomay", "manifest", "pin", "--name", "VNeID", str(apk))
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    manifest = laptop.campaign / "apk_manifest.yaml"
    before = manifest.read_text(encoding="utf-8")
    assert "com.vnid-7.apk" in before
    again = pip_into(venv, "--no-deps", "--force-reinstall", str(wheel))
    assert again.returncode == 0, again.stderr
    assert manifest.read_text(encoding="utf-8") == before
    check = laptop("traomay", "manifest", "check")
    vneid = next(line for line in check.stdout.splitlines() if "VNeID" in line)
    assert "OK" in vneid and "com.vnid-7.apk" in vneid, check.stdout


def test_demo_writes_in_the_data_folder_and_its_hint_works(laptop):
    out = laptop("traomay", "demo", timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    demo = laptop.campaign / "demo"
    assert f"Inventory written to {demo / 'inventory.sqlite'}" in out.stdout
    hint = next(line for line in out.stdout.splitlines() if "Look at one phone:" in line)
    command = hint.split("Look at one phone:", 1)[1].strip()
    assert command.startswith("traomay --campaign ")  # traomay is on PATH here
    argv = shlex.split(command, posix=sys.platform != "win32")
    shown = laptop(*argv)
    assert shown.returncode in (0, 1), shown.stdout + shown.stderr
    assert "Verdict" in shown.stdout
    assert list(laptop.cwd.iterdir()) == []
