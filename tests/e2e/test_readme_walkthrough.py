"""The README's one-phone walkthrough, run verbatim on a simulated phone that is t:3.

A fresh private adb server numbers transports from 1: two other phones are attached first,
so the Galaxy S9 (Android 10, the donor's Google account still on it) is t:3 as in the
README. Every command of the walkthrough's code block runs as written; the test plays the
volunteer (rings the phone, removes the account) and checks each step's outcome. After the
reset the phone reconnects as a new t:N and the README's later ``t:3`` commands still reach
it, saying so.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from traomay.device.adb import free_port, private_adb_server
from traomay.simulator.hub import SimulatedHub
from traomay.simulator.phone import Phone

README = Path(__file__).resolve().parents[2] / "README.md"


def walkthrough() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Quy trình cho một máy"):]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("#", 1)[0].strip() for line in block.splitlines()
            if line.startswith("traomay ")]


def test_walkthrough_lines_name_the_phone_t3():
    lines = walkthrough()
    assert lines[0] == "traomay devices"
    assert all("t:3" in line for line in lines[1:]), lines


@pytest.fixture()
def station(tmp_path):
    """A fresh adb server (transports from t:1), fillers t:1 and t:2, the S9 as t:3, and a
    campaign folder whose apk_manifest.yaml pins the demo's stand-in APKs."""
    from traomay.core.campaign import CampaignFolder, init_folder
    from traomay.demo.demo import demo_manifest

    init_folder(CampaignFolder(tmp_path))  # the commands run in it: it is their campaign
    demo_manifest(tmp_path)  # writes tmp_path/apk_manifest.yaml and tmp_path/apks/
    home = tmp_path / "adbhome"
    home.mkdir()
    with private_adb_server(home, free_port(17037)) as server:
        fillers = SimulatedHub([Phone.from_profile("samsung-galaxy-a55"),
                                Phone.from_profile("oppo-a5s")], adb_port=server.port)
        with fillers:
            for address in fillers.addresses:  # one at a time: t:1 then t:2
                server.hub().wait_for(lambda p, a=address: p.serial == a and p.ready, 15)
            s9 = Phone.from_profile("samsung-galaxy-s9")
            s9.touch_row_delay = 0.005
            with SimulatedHub([s9], adb_port=server.port) as target:
                listing = server.hub().wait_for(lambda p: p.serial == target.addresses[0]
                                                and p.ready, 15)
                yield server, target, s9, listing


def test_readme_walkthrough_verbatim(station, tmp_path):
    server, target, s9, listing = station
    if listing.transport_id != 3:
        pytest.skip(f"adb numbered the phone t:{listing.transport_id}, not t:3")
    env = dict(os.environ, TRAOMAY_ADB_PORT=str(server.port), TRAOMAY_LANG="en",
               TRAOMAY_DB=str(tmp_path / "inventory.sqlite"), COLUMNS="200")

    def run(line: str) -> subprocess.CompletedProcess[str]:
        argv = shlex.split(line)[1:]
        return subprocess.run([sys.executable, "-m", "traomay", *argv], capture_output=True,
                              text=True, encoding="utf-8", env=env, cwd=tmp_path, timeout=180)

    ringing = threading.Event()

    def ring_while_waiting() -> None:  # someone calls the phone while call-test waits
        while not ringing.wait(0.5):
            target.ring(0, seconds=1.0)

    outputs = {}
    for line in walkthrough():
        command = shlex.split(line)[1]
        if command == "call-test":
            ringer = threading.Thread(target=ring_while_waiting, daemon=True)
            ringer.start()
            out = run(line)
            ringing.set()
            ringer.join()
        elif command == "reset":
            s9.accounts.clear()  # the volunteer removed the Google account in Settings
            out = run(line)
        else:
            out = run(line)
        outputs[command] = out
        shown = out.stdout + out.stderr
        expected = {"inspect": 1, "accounts": 1, "decide": 2, "finalize": 1}.get(command, 0)
        assert out.returncode == expected, f"{line}\n{shown}"
    assert "t:3" in outputs["devices"].stdout and "id:3" in outputs["devices"].stdout
    assert "Remove the Google account" in outputs["inspect"].stdout
    assert "It rang" in outputs["call-test"].stdout
    assert "does not need a decision" in outputs["decide"].stderr  # origin clear: no decision
    new = re.search(r"back as t:(\d+)", outputs["reset"].stdout)
    assert new and new.group(1) != "3", outputs["reset"].stdout
    for command in ("install", "explain", "finalize"):
        assert f"t:3 is now t:{new.group(1)}" in outputs[command].stdout + \
            outputs[command].stderr or command == "explain", command
    assert "Required apps installed" in outputs["install"].stdout
    assert "PASS" in outputs["explain"].stdout and "id:3" in outputs["explain"].stdout
    assert "Test Harness Mode" in outputs["finalize"].stdout
