"""Walking skeleton end to end: simulated phones -> real adb server -> toolkit -> inventory.
No mock of adbutils: the bundled adb binary runs on a private port with a private HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from traomay.inventory.store import Inventory
from traomay.provision.pipeline import process_phones
from traomay.simulator.hub import SimulatedHub
from traomay.simulator.phone import Phone

SAME_SERIAL = ("nokia-1-plus", "masstel-max-10")  # both report 0123456789ABCDEF


@pytest.fixture()
def hub_of(adb_server):
    hubs = []

    def start(profiles, unauthorized=()):
        phones = [Phone.from_profile(p, authorized=(i not in unauthorized))
                  for i, p in enumerate(profiles)]
        sim = SimulatedHub(phones, adb_port=adb_server.port).start()
        hubs.append(sim)
        return sim, adb_server.hub()

    yield start
    for sim in hubs:
        sim.stop()


def _traomay(adb_server, db, *args, lang="en"):
    env = dict(os.environ, TRAOMAY_ADB_PORT=str(adb_server.port), TRAOMAY_LANG=lang,
               COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "traomay", "--db", str(db), *args],
                          capture_output=True, text=True, encoding="utf-8", env=env, timeout=120)


def test_two_phones_with_the_same_serial_are_two_devices(hub_of, tmp_path):
    sim, hub = hub_of(SAME_SERIAL)
    listings = hub.list_phones()
    assert len(listings) == 2 and all(p.ready for p in listings)
    with Inventory(tmp_path / "inv.sqlite", station="test") as inv:
        reports = process_phones(hub, inv, listings)
        assert [r.identity.serial for r in reports] == ["0123456789ABCDEF"] * 2
        assert len({r.device_id for r in reports}) == 2
        devices = inv.devices()
        assert len(devices) == 2
        assert {d["serial"] for d in devices} == {"0123456789ABCDEF"}
        # Seen again: still two devices, no third record.
        process_phones(hub, inv, hub.list_phones())
        assert len(inv.devices()) == 2


def test_unauthorized_phone_gets_the_instruction_then_is_identified(hub_of, adb_server,
                                                                   tmp_path):
    sim, hub = hub_of(["samsung-galaxy-a55", "oppo-a5s"], unauthorized={0})
    sim.wait_settled()
    states = sorted(p.state for p in hub.list_phones())
    assert states == ["device", "unauthorized"]
    out = _traomay(adb_server, tmp_path / "inv.sqlite", "devices")
    assert out.returncode == 0, out.stderr
    assert "Allow" in out.stdout and "unauthorized" in out.stdout
    assert "OPPO" in out.stdout
    with Inventory(tmp_path / "inv.sqlite") as inv:  # the ready phone seen is recorded
        assert [d["model"] for d in inv.devices()] == ["CPH1909"]
    waiting = next(p for p in hub.list_phones() if p.state == "unauthorized")
    refused = _traomay(adb_server, tmp_path / "inv.sqlite", "identify", waiting.serial)
    assert refused.returncode == 4
    assert "Allow" in refused.stderr
    sim.allow(0)  # the volunteer taps "Allow"
    assert hub.wait_for(lambda p: p.serial == waiting.serial and p.ready, timeout=15)
    ok = _traomay(adb_server, tmp_path / "inv.sqlite", "identify", waiting.serial, "--json")
    assert ok.returncode == 0, ok.stderr
    device = json.loads(ok.stdout)["device"]
    assert (device["brand"], device["model"], device["android_version"]) == \
        ("samsung", "SM-A5560", "15")
    assert device["marketing_name"] == "Galaxy A55"
    assert "imeis" not in device and "android_id" not in device


def test_identify_vietnamese_output_and_transport_id_selector(hub_of, adb_server, tmp_path):
    sim, hub = hub_of(["xiaomi-redmi-5a"])
    listing = hub.list_phones()[0]
    out = _traomay(adb_server, tmp_path / "inv.sqlite", "identify", f"t:{listing.transport_id}",
                   lang="vi")
    assert out.returncode == 0, out.stderr
    assert "Redmi 5A" in out.stdout and "7.1.2" in out.stdout
    with Inventory(tmp_path / "inv.sqlite") as inv:
        (dev,) = inv.devices()
        assert dev["model"] == "Redmi 5A" and dev["sdk"] == 25
        assert [e["kind"] for e in inv.events(dev["id"])] == ["seen"]


def test_unknown_serial_is_a_clear_error(hub_of, adb_server, tmp_path):
    hub_of(["oppo-a5s"])
    out = _traomay(adb_server, tmp_path / "inv.sqlite", "identify", "NOPE123")
    assert out.returncode == 3
    assert "NOPE123" in out.stderr and "traomay devices" in out.stderr


def test_help_does_not_import_heavy_modules():
    code = ("import sys; sys.argv=['traomay','--help']\n"
            "import traomay.interface.app as c\n"
            "try:\n    c.app()\nexcept SystemExit:\n    pass\n"
            "heavy=[m for m in ('adbutils','sqlite_utils','simulator.hub','yaml') "
            "if m in sys.modules]\nprint('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr


def test_copies_of_one_model_are_distinct_phones(adb_server, tmp_path):
    """`traomay demo --phones 32` / `sim --phones 32` reuse profiles: each copy is another
    unit of that model (own IMEI and android_id), never merged with the first."""
    phones = [Phone.from_profile("masstel-max-10", copy=i) for i in range(3)]
    with SimulatedHub(phones, adb_port=adb_server.port) as sim:
        hub = adb_server.hub()
        listings = [hub.find(address) for address in sim.addresses]
        with Inventory(tmp_path / "inv.sqlite") as inv:
            reports = process_phones(hub, inv, listings)
            assert len({r.device_id for r in reports}) == 3
            assert len(inv.devices()) == 3
