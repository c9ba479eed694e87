"""Simulator wire timings through Google's real adb server (private port and HOME).

    .venv/bin/python benchmarks/sim_wire.py

Prints: raw shell round trip through PhoneLink.shell (shell_v2 and old raw shell), the same
at the smart-socket level without adbutils, connect-to-``device`` time for 1 and 16 phones,
and push throughput. Uses the tiny test phone (tests/sim_minimal_phone.py).
"""

from __future__ import annotations

import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from sim_minimal_phone import OLD_FEATURES, MinimalPhone  # noqa: E402

from traomay.device.adb import AdbHub, free_port, private_adb_server  # noqa: E402
from traomay.simulator.hub import SimulatedHub  # noqa: E402

ROUNDS = 200


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def smart_socket_shell(port: int, serial: str, command: str) -> bytes:
    """host:transport:SERIAL then exec:CMD, read to close: no adbutils in the way."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        for request in (f"host:transport:{serial}", f"exec:{command}"):
            body = request.encode()
            sock.sendall(b"%04x" % len(body) + body)
            status = sock.recv(4)
            assert status == b"OKAY", status
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
        return out


def timed(fn, rounds: int = ROUNDS) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), statistics.mean(samples)


def connect_time(adb_port: int, count: int) -> float:
    phones = [MinimalPhone(f"C{i}") for i in range(count)]
    start = time.perf_counter()
    hub = SimulatedHub(phones, adb_port=adb_port).start()  # returns once all are `device`
    elapsed = time.perf_counter() - start
    hub.stop()
    return elapsed


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="traomay-bench-"))
    with private_adb_server(home, free_port(19037)) as server:
        adb = AdbHub(port=server.port)
        phones = [MinimalPhone("V2"), MinimalPhone("OLD", features=OLD_FEATURES)]
        with SimulatedHub(phones, adb_port=server.port) as hub:
            listings = {p.serial: p for p in adb.list_phones()}
            for address, label in zip(hub.addresses, ("shell_v2", "raw shell (no v2)"),
                                      strict=True):
                link = adb.link(listings[address])
                med, mean = timed(lambda link=link: link.shell("echo hi"))
                print(f"PhoneLink.shell round trip, {label}: median {ms(med)}, mean {ms(mean)}")
            med, mean = timed(lambda: smart_socket_shell(server.port, hub.addresses[0], "echo hi"))
            print(f"smart-socket exec: round trip (no adbutils): median {ms(med)}, "
                  f"mean {ms(mean)}")
            link = adb.link(listings[hub.addresses[0]])
            blob = os.urandom(50 * 1024 * 1024)
            start = time.perf_counter()
            link.push(blob, "/sdcard/big.bin")
            secs = time.perf_counter() - start
            print(f"push 50 MB via PhoneLink.push: {secs:.2f} s ({50 / secs:.0f} MB/s)")
        for count in (1, 16):
            times = [connect_time(server.port, count) for _ in range(5)]
            print(f"connect {count:2d} phone(s) until `device`: median "
                  f"{ms(statistics.median(times))} (5 runs)")


if __name__ == "__main__":
    main()
