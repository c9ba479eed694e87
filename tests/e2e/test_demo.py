"""`traomay demo` as a newcomer runs it: exits 0 and names every simulated phone."""

import os
import subprocess
import sys

from traomay.simulator.profile import list_profiles, load_profile


def test_demo_runs_end_to_end_and_names_every_phone(tmp_path):
    env = dict(os.environ, TRAOMAY_LANG="en", COLUMNS="220")
    out = subprocess.run([sys.executable, "-m", "traomay", "--db",
                          str(tmp_path / "demo.sqlite"), "demo"],
                         capture_output=True, text=True, encoding="utf-8", env=env,
                         cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    for name in list_profiles():
        props = load_profile(name).props
        assert props["ro.product.model"] in out.stdout, name
        assert props["ro.product.brand"] in out.stdout, name
    assert "Allow" in out.stdout  # the unauthorized phone got its instruction
    assert "Remove account" in out.stdout  # the donor's account blocked the reset first
    assert "too old" in out.stdout.lower() or "Can run VNeID" in out.stdout
    assert (tmp_path / "demo.sqlite").is_file()
    assert "nguoicu" not in out.stdout  # the previous owner's account name never shows
