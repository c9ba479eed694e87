"""Issue 5: the overall verdict and `traomay explain`, on simulated profiles through the real
adb server (the clone-like profile included)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from traomay.inventory.verdict import VERDICT_CRITERIA
from traomay.simulator.hub import SimulatedHub
from traomay.simulator.phone import Phone

PROFILES = ["alps-clone-s23ultra", "samsung-galaxy-s8", "samsung-galaxy-s24"]


@pytest.fixture(scope="module")
def serials(adb_server):
    hub = SimulatedHub([Phone.from_profile(p) for p in PROFILES],
                       adb_port=adb_server.port).start()
    yield dict(zip(PROFILES, hub.addresses, strict=True))
    hub.stop()


def traomay(adb_server, db, *args):
    env = dict(os.environ, TRAOMAY_ADB_PORT=str(adb_server.port), TRAOMAY_LANG="en",
               COLUMNS="220")
    return subprocess.run([sys.executable, "-m", "traomay", "--db", str(db), *args],
                          capture_output=True, text=True, encoding="utf-8", env=env,
                          timeout=180)


def test_clone_needs_a_person_and_explain_lists_every_criterion(serials, adb_server, tmp_path):
    db = tmp_path / "inv.sqlite"
    out = traomay(adb_server, db, "inspect", serials["alps-clone-s23ultra"], "--only",
                  "origin,compatibility,camera,accounts", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    origin = data["checks"][0]
    assert origin["name"] == "origin" and origin["status"] == "needs_operator"
    assert set(origin["measurements"]["origin_signals"]) >= {"generic_brand", "test_keys"}
    assert data["verdict"] == "incomplete"

    explained = traomay(adb_server, db, "explain", "id:1", "--json")
    assert explained.returncode == 0, explained.stderr
    lines = json.loads(explained.stdout)["criteria"]
    assert [line["key"] for line in lines] == [key for key, _c, _l in VERDICT_CRITERIA]
    status = {line["key"]: line["status"] for line in lines}
    assert status["origin"] == "needs_operator"
    assert status["camera"] == "pass" and status["accounts"] == "pass"
    assert status["battery"] == "missing" and status["apps"] == "missing"
    by_key = {line["key"]: line for line in lines}
    assert by_key["camera"]["summary"].startswith("Found 1 front")
    assert by_key["camera"]["at"][:4] == "2026" or by_key["camera"]["at"][:2] == "20"

    table = traomay(adb_server, db, "explain", "id:1")
    assert table.returncode == 0
    assert "Known brand, origin clear" in table.stdout
    assert "not checked yet" in table.stdout
    assert "Verdict: INCOMPLETE" in table.stdout
    vi = subprocess.run([sys.executable, "-m", "traomay", "--lang", "vi", "--db", str(db),
                         "explain", "id:1"], capture_output=True, text=True, encoding="utf-8",
                        env=dict(os.environ, COLUMNS="220"), timeout=60)
    assert vi.returncode == 0 and "id:1" not in vi.stderr


def test_failing_phone_lists_every_failing_criterion(serials, adb_server, tmp_path):
    db = tmp_path / "inv.sqlite"
    out = traomay(adb_server, db, "inspect", serials["samsung-galaxy-s8"], "--only",
                  "battery,camera,accounts")
    assert out.returncode == 1  # a failing phone exits 1
    assert "Verdict: FAIL" in out.stdout
    explained = json.loads(traomay(adb_server, db, "explain", "id:1", "--json").stdout)
    failing = [c["key"] for c in explained["criteria"] if c["status"] == "fail"]
    assert failing == ["battery"]
    assert explained["verdict"] == "fail"


def test_explain_unknown_device_is_a_clear_error(adb_server, tmp_path):
    from traomay.inventory.store import Inventory

    missing = traomay(adb_server, tmp_path / "none.sqlite", "explain", "id:42")
    assert missing.returncode == 7 and "no inventory at" in missing.stderr  # nothing made
    assert not (tmp_path / "none.sqlite").exists()
    Inventory(tmp_path / "empty.sqlite").close()
    out = traomay(adb_server, tmp_path / "empty.sqlite", "explain", "id:42")
    assert out.returncode == 3
    assert "id:42" in out.stderr
