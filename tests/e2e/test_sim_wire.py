"""The simulator's wire side against Google's real adb server (bundled with adbutils), through
the toolkit's own device layer (traomay.device.adb) and the adb command line."""

from __future__ import annotations

import hashlib
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import adbutils
import pytest
from sim_minimal_phone import OLD_FEATURES, MinimalPhone

from traomay.core.errors import DeviceGone
from traomay.device.adb import AdbHub, PhoneLink, PhoneListing
from traomay.simulator.adb_wire import (
    A_CNXN,
    A_OKAY,
    HEADER,
    WireError,
    banner_features,
    pack,
    unpack_header,
)
from traomay.simulator.hub import SimulatedHub, parse_devices
from traomay.simulator.wire_faults import DropConnection, WireFaults

MB = 1024 * 1024


# --- pure framing ----------------------------------------------------------------------
def test_pack_roundtrip_and_magic() -> None:
    raw = pack(A_OKAY, 7, 9, b"abc", checksum=True)
    assert len(raw) == HEADER.size + 3
    assert unpack_header(raw[:24]) == (A_OKAY, 7, 9, 3)
    assert struct.unpack("<6I", raw[:24])[4] == ord("a") + ord("b") + ord("c")
    with pytest.raises(WireError):
        unpack_header(raw[:20] + b"\0\0\0\0")


def test_banner_features_and_device_list_parsing() -> None:
    phone = MinimalPhone(features=["shell_v2", "cmd"])
    assert banner_features(phone.banner()) == ["shell_v2", "cmd"]
    assert banner_features(b"device::") == []
    text = "127.0.0.1:4000 device product:x model:y\n127.0.0.1:4001 unauthorized\n"
    assert parse_devices(text) == {"127.0.0.1:4000": "device", "127.0.0.1:4001": "unauthorized"}
    assert A_CNXN == 0x4E584E43


# --- through the real adb server -------------------------------------------------------
@pytest.fixture
def adb(adb_server) -> AdbHub:
    return adb_server.hub()


def listing_for(adb: AdbHub, address: str) -> PhoneListing:
    found = adb.wait_for(lambda p: p.serial == address and p.state == "device", timeout=5)
    assert found is not None, adb.list_phones()
    return found


def link_for(adb: AdbHub, address: str) -> PhoneLink:
    return adb.link(listing_for(adb, address))


@pytest.fixture
def two_phones(adb_server):
    phones = [MinimalPhone("NEW1"), MinimalPhone("OLD1", features=OLD_FEATURES)]
    with SimulatedHub(phones, adb_port=adb_server.port) as hub:
        yield hub, phones


def test_phones_listed_as_device(two_phones, adb: AdbHub) -> None:
    hub, _ = two_phones
    by_serial = {p.serial: p for p in adb.list_phones()}
    for address in hub.addresses:
        port = int(address.rsplit(":", 1)[1])
        assert not 5555 <= port <= 5585 and port != 5037
        assert by_serial[address].state == "device"
        assert by_serial[address].model == "Minimal_Phone"


def test_shell_v2_output_and_exit_codes(two_phones, adb: AdbHub) -> None:
    hub, phones = two_phones
    link = link_for(adb, hub.addresses[0])
    assert "shell_v2" in link.features()
    result = link.shell("echo hello; false")
    assert (result.output, result.exit_code) == ("hello\n", 1)
    assert link.shell("getprop ro.serialno").output == "NEW1\n"
    assert link.shell("mixed").exit_code == 3
    assert phones[0].commands[-1] == "mixed"  # no marker appended with v2
    # stderr travels in its own v2 packets
    device = adbutils.AdbClient(port=adb.port).device(transport_id=link.transport_id)
    ret = device.shell2("mixed", v2=True)
    assert (ret.stdout, ret.stderr, ret.returncode) == ("to stdout\n", "to stderr\n", 3)


def test_shell_without_v2_uses_exit_marker(two_phones, adb: AdbHub) -> None:
    hub, phones = two_phones
    link = link_for(adb, hub.addresses[1])
    assert "shell_v2" not in link.features()
    result = link.shell("echo hello; false")
    assert (result.output, result.exit_code) == ("hello\n", 1)
    assert link.shell("true").exit_code == 0
    mixed = link.shell("mixed")
    assert mixed.exit_code == 3 and "to stdout" in mixed.output and "to stderr" in mixed.output
    assert phones[1].commands[-1].endswith("$?")


def test_push_a_few_mb_and_read_back(two_phones, adb: AdbHub) -> None:
    hub, phones = two_phones
    link = link_for(adb, hub.addresses[0])
    data = os.urandom(3 * MB + 12345)
    link.push(data, "/data/local/tmp/blob.bin", mode=0o640)
    assert phones[0].files["/data/local/tmp/blob.bin"][0] == data
    device = adbutils.AdbClient(port=adb.port).device(transport_id=link.transport_id)
    assert hashlib.sha256(device.sync.read_bytes("/data/local/tmp/blob.bin")).digest() == \
        hashlib.sha256(data).digest()
    info = device.sync.stat("/data/local/tmp/blob.bin")
    assert info.size == len(data) and info.mode & 0o777 == 0o640
    assert [f.path for f in device.sync.list("/data/local/tmp")] == ["blob.bin"]
    assert not device.sync.exists("/data/local/tmp/missing")
    with pytest.raises(Exception, match="t:"):
        link.push(b"x", "/system/app/evil.apk")  # the phone refuses: FAIL on SEND
    with pytest.raises(adbutils.AdbError):
        device.sync.read_bytes("/nope")  # RECV of a missing file -> FAIL


def test_adb_command_line_push_pull_ls(two_phones, adb_server, tmp_path) -> None:
    """adb's own client uses STA2/LST2/LIS2 when the phone advertises stat_v2/ls_v2."""
    hub, phones = two_phones
    src = tmp_path / "up.bin"
    src.write_bytes(os.urandom(200_000))
    for address in hub.addresses:
        def adb_cli(*args: str, address: str = address) -> str:
            return subprocess.run([adb_server.adb_path, "-P", str(adb_server.port), "-s",
                                   address, *args], env=adb_server.env(), capture_output=True,
                                  text=True, timeout=20, check=True).stdout
        adb_cli("push", str(src), "/sdcard/up.bin")
        adb_cli("pull", "/sdcard/up.bin", str(tmp_path / f"down{address[-5:]}.bin"))
        assert (tmp_path / f"down{address[-5:]}.bin").read_bytes() == src.read_bytes()
        assert "up.bin" in adb_cli("ls", "/sdcard")
        assert adb_cli("shell", "echo", "cli") == "cli\n"


def test_exec_install_delivers_exactly_n_bytes(two_phones, adb: AdbHub) -> None:
    hub, phones = two_phones
    apk = os.urandom(2 * MB + 7)
    link = link_for(adb, hub.addresses[0])
    chunks = [apk[i:i + 65536] for i in range(0, len(apk), 65536)]
    out = link.exec_out(f"cmd package install -S {len(apk)}", chunks)
    assert out.strip() == "Success"
    assert phones[0].installed == [(len(apk), hashlib.sha256(apk).hexdigest())]


def test_abb_exec_install_and_unknown_service(two_phones, adb: AdbHub) -> None:
    hub, phones = two_phones
    apk = os.urandom(300_000)
    listing = listing_for(adb, hub.addresses[0])
    device = adbutils.AdbClient(port=adb.port).device(transport_id=listing.transport_id)
    with device.open_transport() as conn:
        conn.send_command(f"abb_exec:package\0install\0-S\0{len(apk)}")
        conn.check_okay()
        conn.conn.sendall(apk)
        assert conn.read_until_close().strip() == "Success"
    assert phones[0].installed[-1][0] == len(apk)
    with device.open_transport() as conn:
        conn.send_command("no-such-service:")
        with pytest.raises(adbutils.AdbError):
            conn.check_okay()
    old = adbutils.AdbClient(port=adb.port).device(serial=hub.addresses[1])
    with old.open_transport() as conn:  # no abb_exec feature: refused like a real old phone
        conn.send_command("abb_exec:package\0list")
        with pytest.raises(adbutils.AdbError):
            conn.check_okay()


def test_unauthorized_until_allow(adb_server, adb: AdbHub) -> None:
    phone = MinimalPhone("LOCKED", authorized=False)
    with SimulatedHub([phone], adb_port=adb_server.port) as hub:
        address = hub.addresses[0]
        waiting = adb.wait_for(lambda p: p.serial == address, timeout=5)
        assert waiting is not None and waiting.state == "unauthorized"
        hub.allow(0)
        ready = listing_for(adb, address)
        assert ready.transport_id == waiting.transport_id  # same cable, no re-plug
        assert adb.link(ready).shell("echo ok").output == "ok\n"


def test_reboot_comes_back_with_new_transport(two_phones, adb: AdbHub) -> None:
    hub, phones = two_phones
    address = hub.addresses[0]
    before = listing_for(adb, address)
    adb.link(before).reboot()  # reboot: service; the phone stays away 0.3 s
    back = adb.wait_for(lambda p: p.serial == address and p.state == "device"
                        and p.transport_id != before.transport_id, timeout=5)
    assert back is not None and phones[0].boots == 2
    # a plain shell command that asks for a reboot works the same way (old phone, raw shell)
    old = listing_for(adb, hub.addresses[1])
    adb.link(old).shell("reboot")
    again = adb.wait_for(lambda p: p.serial == hub.addresses[1] and p.state == "device"
                         and p.transport_id != old.transport_id, timeout=5)
    assert again is not None and phones[1].boots == 2


def _gone_from_adb(adb: AdbHub, addresses: set[str], timeout: float = 10.0) -> bool:
    """Wait (bounded) until adb's own list no longer has any of ``addresses``."""
    from traomay.core.polling import poll_until

    return poll_until(lambda: {p.serial for p in adb.list_phones()} & addresses,
                      lambda left: not left, timeout, 0.05).done


def test_unplug_and_replug(two_phones, adb: AdbHub) -> None:
    hub, _ = two_phones
    address = hub.addresses[1]
    before = listing_for(adb, address)
    hub.unplug(1)
    assert _gone_from_adb(adb, {address})  # adb drops it; its list may lag a moment
    hub.replug(1)
    back = adb.wait_for(lambda p: p.serial == address and p.ready
                        and p.transport_id != before.transport_id, timeout=10)
    assert back is not None


def test_eight_phones_in_parallel(adb_server, adb: AdbHub) -> None:
    phones = [MinimalPhone(f"P{i}", features=None if i % 2 else OLD_FEATURES) for i in range(8)]
    errors: list[BaseException] = []
    with SimulatedHub(phones, adb_port=adb_server.port) as hub:
        links = [link_for(adb, a) for a in hub.addresses]

        def work(index: int) -> None:
            try:
                link = links[index]
                for _ in range(10):
                    assert link.shell("getprop ro.serialno").output == f"P{index}\n"
                blob = os.urandom(MB + index)
                link.push(blob, "/sdcard/x.bin")
                assert phones[index].files["/sdcard/x.bin"][0] == blob
            except BaseException as exc:  # reported in the main thread
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert not errors, errors


def test_many_streams_on_one_phone(two_phones, adb: AdbHub) -> None:
    hub, phones = two_phones
    link = link_for(adb, hub.addresses[0])
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            blob = os.urandom(512 * 1024 + index)
            link.push(blob, f"/sdcard/s{index}.bin")
            for _ in range(5):
                assert link.shell(f"echo {index}").output == f"{index}\n"
            assert phones[0].files[f"/sdcard/s{index}.bin"][0] == blob
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors


class DropOnBoom(WireFaults):
    async def before_service(self, server, service: str) -> None:
        if service.endswith(":boom"):
            raise DropConnection()


def test_fault_hook_can_drop_the_connection(adb_server, adb: AdbHub) -> None:
    with SimulatedHub([MinimalPhone()], adb_port=adb_server.port, faults=[DropOnBoom()]) as hub:
        link = link_for(adb, hub.addresses[0])
        # adbutils raises a bare EOFError from shell2() here, which PhoneLink does not map
        # to DeviceGone yet (reported to the device-layer owner).
        with pytest.raises((DeviceGone, EOFError)):
            link.shell("boom", timeout=5)
        # adb retries a dropped connect-style phone after 250 ms: it comes back by itself,
        # under the same transport id (only host:disconnect + host:connect give a new one)
        deadline = time.monotonic() + 5
        while True:
            try:
                assert link_for(adb, hub.addresses[0]).shell("echo back").output == "back\n"
                break
            except (DeviceGone, EOFError):
                assert time.monotonic() < deadline
                time.sleep(0.05)


def test_stop_detaches_every_phone(adb_server, adb: AdbHub) -> None:
    hub = SimulatedHub([MinimalPhone(), MinimalPhone()], adb_port=adb_server.port).start()
    addresses = hub.addresses
    hub.stop()
    assert _gone_from_adb(adb, set(addresses))


@pytest.mark.skipif(os.name == "nt", reason="sends SIGINT to a child process")
def test_run_forever_ends_on_ctrl_c(adb_server, adb: AdbHub) -> None:
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from sim_minimal_phone import MinimalPhone; "
        "from traomay.simulator.hub import SimulatedHub; "
        "hub = SimulatedHub([MinimalPhone()], adb_port=int(sys.argv[2])); "
        "hub.start(); print(hub.addresses[0], flush=True); hub.run_forever_until_interrupted(); "
        "print('stopped', flush=True)"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(Path(__file__).parent),
                             str(adb_server.port)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    address = proc.stdout.readline().strip()
    assert listing_for(adb, address).state == "device"
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=15)
    assert rest.strip() == "stopped"
    assert proc.returncode == 0
    assert all(p.serial != address for p in adb.list_phones())


class BrokenListing(MinimalPhone):
    def list_dir(self, path: str) -> list[tuple[str, int, int, int]]:
        raise RuntimeError("bug in the phone model")


def test_phone_model_bug_ends_only_that_stream(adb_server, adb: AdbHub) -> None:
    with SimulatedHub([BrokenListing()], adb_port=adb_server.port) as hub:
        link = link_for(adb, hub.addresses[0])
        device = adbutils.AdbClient(port=adb.port).device(transport_id=link.transport_id)
        with pytest.raises((adbutils.AdbError, EOFError, struct.error)):
            device.sync.list("/sdcard")
        assert link.shell("echo still here").output == "still here\n"
