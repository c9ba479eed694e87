"""Walking skeleton end to end: simulated phones -> real adb server -> toolkit -> inventory.
No mock of adbutils: the bundled adb binary runs on a private port with a private HOME."""

from __future__ import annotations

import json
import subprocess
import sys

from traomay.inventory.store import Inventory
from traomay.provision.config import SessionConfig
from traomay.provision.hub_run import open_all
from traomay.simulator.phone import Phone

SAME_SERIAL = ("nokia-1-plus", "masstel-max-10")  # both report 0123456789ABCDEF


def _open_all(hub, inv, listings):
    return open_all(hub, inv, listings, SessionConfig(criteria={}))


def test_two_phones_with_the_same_serial_are_two_devices(sim_hub, tmp_path):
    rig = sim_hub(*SAME_SERIAL)
    listings = [rig.listing(0), rig.listing(1)]
    hub = rig.hub
    with Inventory(tmp_path / "inv.sqlite", station="test") as inv:
        seen = _open_all(hub, inv, listings)
        assert [s.identity.serial for s in seen] == ["0123456789ABCDEF"] * 2
        assert len({s.session.device_id for s in seen}) == 2
        devices = inv.devices()
        assert len(devices) == 2
        assert {d["serial"] for d in devices} == {"0123456789ABCDEF"}
        # Seen again: still two devices, no third record.
        _open_all(hub, inv, listings)
        assert len(inv.devices()) == 2


def test_unauthorized_phone_gets_the_instruction_then_is_identified(sim_hub, cli, tmp_path):
    rig = sim_hub("samsung-galaxy-a55", "oppo-a5s", unauthorized={0})
    sim, hub = rig.sim, rig.hub
    sim.wait_settled()
    states = sorted(p.state for p in hub.list_phones())
    assert states == ["device", "unauthorized"]
    out = cli(tmp_path / "inv.sqlite", "devices")
    assert out.returncode == 0, out.stderr
    assert "Allow" in out.stdout and "unauthorized" in out.stdout
    assert "OPPO" in out.stdout and "id:1" in out.stdout  # the inventory id is shown
    with Inventory(tmp_path / "inv.sqlite") as inv:  # the ready phone seen is recorded
        assert [d["model"] for d in inv.devices()] == ["CPH1909"]
    waiting = next(p for p in hub.list_phones() if p.state == "unauthorized")
    refused = cli(tmp_path / "inv.sqlite", "identify", waiting.serial)
    assert refused.returncode == 4
    assert "Allow" in refused.stderr
    sim.allow(0)  # the volunteer taps "Allow"
    assert hub.wait_for(lambda p: p.serial == waiting.serial and p.ready, timeout=15)
    ok = cli(tmp_path / "inv.sqlite", "identify", waiting.serial, "--json")
    assert ok.returncode == 0, ok.stderr
    device = json.loads(ok.stdout)["device"]
    assert (device["brand"], device["model"], device["android_version"]) == \
        ("samsung", "SM-A5560", "15")
    assert device["marketing_name"] == "Galaxy A55"
    assert "imeis" not in device and "android_id" not in device


def test_identify_vietnamese_output_and_transport_id_selector(sim_hub, cli, tmp_path):
    listing = sim_hub("xiaomi-redmi-5a").listing()
    out = cli(tmp_path / "inv.sqlite", "identify", f"t:{listing.transport_id}", lang="vi")
    assert out.returncode == 0, out.stderr
    assert "Redmi 5A" in out.stdout and "7.1.2" in out.stdout
    with Inventory(tmp_path / "inv.sqlite") as inv:
        (dev,) = inv.devices()
        assert dev["model"] == "Redmi 5A" and dev["sdk"] == 25
        assert [e["kind"] for e in inv.events(dev["id"])] == ["seen"]


def test_unknown_serial_is_a_clear_error(sim_hub, cli, tmp_path):
    sim_hub("oppo-a5s")
    out = cli(tmp_path / "inv.sqlite", "identify", "NOPE123")
    assert out.returncode == 3
    assert "NOPE123" in out.stderr and "traomay devices" in out.stderr


def test_help_does_not_import_heavy_modules():
    code = ("import sys; sys.argv=['traomay','--help']\n"
            "import traomay.interface.app as c\n"
            "try:\n    c.app()\nexcept SystemExit:\n    pass\n"
            "heavy=[m for m in ('adbutils','sqlite_utils','traomay.simulator.hub','yaml') "
            "if m in sys.modules]\nprint('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr


def test_copies_of_one_model_are_distinct_phones(sim_hub, tmp_path):
    """`traomay demo --phones 32` / `sim --phones 32` reuse profiles: each copy is another
    unit of that model (own IMEI and android_id), never merged with the first."""
    rig = sim_hub(*[Phone.from_profile("masstel-max-10", copy=i) for i in range(3)])
    listings = [rig.listing(i) for i in range(3)]
    with Inventory(tmp_path / "inv.sqlite") as inv:
        seen = _open_all(rig.hub, inv, listings)
        assert len({s.session.device_id for s in seen}) == 3
        assert len(inv.devices()) == 3
