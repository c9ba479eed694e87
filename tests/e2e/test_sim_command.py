"""`traomay sim` for volunteer training: the phones appear in the adb server the other
traomay commands use, until Ctrl-C."""

import os
import signal
import subprocess
import sys
import time

import pytest


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT (Ctrl-C) the POSIX way")
def test_sim_phones_visible_to_other_commands_until_ctrl_c(adb_server, tmp_path):
    env = dict(os.environ, TRAOMAY_ADB_PORT=str(adb_server.port), TRAOMAY_LANG="en",
               COLUMNS="200")
    sim = subprocess.Popen([sys.executable, "-m", "traomay", "sim", "--phones", "3",
                            "--profiles", "oppo-a5s,vivo-v15,nokia-1-plus"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        hub = adb_server.hub()
        deadline = time.monotonic() + 20
        while len([p for p in hub.list_phones() if p.ready]) < 3:
            assert time.monotonic() < deadline, "simulated phones never appeared"
            assert sim.poll() is None, sim.stderr.read()
            time.sleep(0.2)
        out = subprocess.run([sys.executable, "-m", "traomay", "--db",
                              str(tmp_path / "i.sqlite"), "devices"],
                             capture_output=True, text=True, env=env, timeout=60)
        assert out.returncode == 0
        for name in ("OPPO A5s", "vivo V15", "Nokia 1 Plus"):
            assert name in out.stdout
    finally:
        sim.send_signal(signal.SIGINT)
        sim.wait(timeout=20)
    assert sim.returncode in (0, 130)
    deadline = time.monotonic() + 10
    while adb_server.hub().list_phones() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert adb_server.hub().list_phones() == []


def test_sim_unknown_profile_is_a_clear_error(adb_server):
    env = dict(os.environ, TRAOMAY_ADB_PORT=str(adb_server.port), TRAOMAY_LANG="en")
    out = subprocess.run([sys.executable, "-m", "traomay", "sim", "--profiles", "iphone-99"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 2  # a wrong option value
    assert "iphone-99" in out.stderr and "oppo-a5s" in out.stderr
