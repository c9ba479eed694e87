"""Device access: the only module that imports adbutils.

Phones are addressed by adb *transport id*, never by serial alone: cheap phones share serials
such as ``0123456789ABCDEF`` and adbutils' ``device_list()`` would merge them
(adb-simulator-notes.md). Everything above this module sees ``AdbHub`` and ``PhoneLink``.
"""

from __future__ import annotations

import codecs
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import adbutils
from adbutils._adb import AdbConnection
from adbutils.errors import AdbError, AdbTimeout

from traomay.core.errors import (
    AdbServerError,
    DeviceGone,
    DeviceNotReady,
    DeviceTimeout,
)
from traomay.core.msg import Msg
from traomay.core.polling import poll_until
from traomay.core.results import ShellResult

DEFAULT_ADB_PORT = 5037


def _connect_without_starting_a_server(self: AdbConnection) -> socket.socket:
    """adbutils 2.x (``AdbConnection._safe_connect``) runs ``adb start-server`` with no port
    and the user's HOME whenever a connection fails: a private server that stopped would
    silently be replaced by one on the user's own port 5037. traomay starts servers only
    itself (:class:`AdbServer`, ``AdbHub.ensure_server``); a refused connection stays an
    error here (AdbConnectionError → AdbServerError for the volunteer)."""
    return self._create_socket()  # type: ignore[no-any-return]


AdbConnection._safe_connect = _connect_without_starting_a_server  # type: ignore[method-assign]
_EXIT_MARKER = "__TRAOMAY_EXIT:"


def bundled_adb_path() -> str:
    """Google's adb shipped inside the adbutils wheel (no platform-tools install needed)."""
    name = "adb.exe" if sys.platform == "win32" else "adb"
    path = Path(adbutils.__file__).parent / "binaries" / name
    if path.is_file():
        return str(path)
    return adbutils.adb_path()  # $ADBUTILS_ADB_PATH or adb on PATH


def user_adb_path() -> str:
    """For the user's own server: their adb on PATH if present, else the bundled one."""
    return adbutils.adb_path()


def configured_adb_port() -> int:
    for var in ("TRAOMAY_ADB_PORT", "ANDROID_ADB_SERVER_PORT"):
        value = os.environ.get(var, "").strip()
        if value.isdigit():
            return int(value)
    return DEFAULT_ADB_PORT


def _port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class AdbServer:
    """An adb server process we started (or found) on ``port``.

    ``private_home`` isolates it: the server writes ``~/.android/adbkey`` and a log in
    TMPDIR, so tests and the demo never touch the user's keys or their server on 5037.
    """

    port: int
    host: str = "127.0.0.1"
    private_home: Path | None = None
    adb_path: str = field(default_factory=bundled_adb_path)
    started_here: bool = False

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["ANDROID_ADB_SERVER_PORT"] = str(self.port)
        # Never scan the emulator ports 5555-5585: a user's emulator or another adb
        # there would show up in our private list (adb transport_local: the scan stops at
        # ADB_LOCAL_TRANSPORT_MAX_PORT).
        env["ADB_LOCAL_TRANSPORT_MAX_PORT"] = "5553"
        env["ADB_MDNS"] = "0"
        if self.private_home is not None:
            home = str(self.private_home)
            tmp = str(self.private_home / "tmp")
            Path(tmp).mkdir(parents=True, exist_ok=True)
            env.update(HOME=home, USERPROFILE=home,
                       ANDROID_USER_HOME=str(self.private_home / ".android"),
                       TMPDIR=tmp, TMP=tmp, TEMP=tmp)
        return env

    def start(self, timeout: float = 20.0) -> None:
        """Run ``adb start-server`` and wait until the server answers on the port.

        ``start-server`` leaves a daemon running after it exits, and that daemon inherits
        the handles adb was started with. On Windows adb.exe starts its server with
        inherited handles, so a pipe of ours given as stdout would stay open as long as the
        server runs: reading it to the end (what ``subprocess.run`` with a pipe does) would
        wait for the whole ``timeout`` and report a failure while adb runs (seen with
        AdvancedSharpAdbClient, issue 123). So no pipe is given: stdin is the null device,
        stdout and stderr an anonymous temporary file read back for the error message, and
        on Windows the server gets no console of ours and its own process group (Ctrl-C in
        our console does not stop it)."""
        if _port_answers(self.host, self.port):
            return
        flags = 0
        if sys.platform == "win32":
            flags = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS
        with tempfile.TemporaryFile() as log:
            try:
                subprocess.run(
                    [self.adb_path, "-P", str(self.port), "start-server"],
                    env=self.env(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=timeout,
                    check=False,
                    close_fds=True,
                    creationflags=flags,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise AdbServerError(
                    Msg("Could not start the adb server on port {port}.", {"port": self.port}),
                    detail=str(exc),
                ) from exc
            deadline = time.monotonic() + timeout
            while not _port_answers(self.host, self.port):
                if time.monotonic() > deadline:
                    log.seek(0)
                    raise AdbServerError(
                        Msg("Could not start the adb server on port {port}.",
                            {"port": self.port}),
                        detail=log.read(20000).decode("utf-8", "replace"),
                    )
                time.sleep(0.05)
        self.started_here = True

    def stop(self) -> None:
        if not self.started_here:
            return
        try:
            adbutils.AdbClient(host=self.host, port=self.port).server_kill()
        except (AdbError, OSError):
            pass
        self.started_here = False

    def hub(self) -> AdbHub:
        return AdbHub(host=self.host, port=self.port)


@contextmanager
def private_adb_server(home: Path, port: int) -> Iterator[AdbServer]:
    """Start the bundled adb on a private port with a private HOME; kill it afterwards."""
    server = AdbServer(port=port, private_home=home)
    if _port_answers(server.host, port):
        raise AdbServerError(
            Msg("Port {port} is already in use; choose another with --adb-port.", {"port": port})
        )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def free_port(start: int = 15037) -> int:
    """A free loopback TCP port at or above ``start`` (outside adb's emulator range)."""
    for port in range(start, start + 2000):
        if 5555 <= port <= 5585:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AdbServerError(Msg("No free TCP port found for the adb server."))


def listing_model(model: str) -> str:
    """``ro.product.model`` as ``adb devices -l`` shows it: adb turns every byte that is
    not an ASCII letter or digit into '_' (so a UTF-8 character becomes several '_')."""
    return "".join(c if c.isascii() and c.isalnum() else "_" * len(c.encode("utf-8"))
                   for c in model)


def same_phone_back(listing: PhoneListing, model: str):
    """Predicate: the phone of ``listing`` is back ready after a reboot or replug (same
    adb serial and model; a new transport id is normal)."""
    wanted = listing_model(model)

    def same(p: PhoneListing) -> bool:
        return p.ready and p.serial == listing.serial and (not p.model or not wanted
                                                          or p.model == wanted)

    return same


@dataclass(frozen=True)
class PhoneListing:
    """One line of ``adb devices -l``."""

    serial: str
    state: str  # device | unauthorized | offline | recovery | ...
    transport_id: int
    model: str = ""
    product: str = ""
    device: str = ""

    @property
    def ready(self) -> bool:
        return self.state == "device"


# What adb prints as the state of a transport (adb transport.cpp to_string(ConnectionState)).
ADB_STATES = ("device", "offline", "unauthorized", "authorizing", "connecting", "recovery",
              "rescue", "sideload", "bootloader", "host", "no permissions", "detached")
_LINE = re.compile(r"^(?P<serial>[^ \t]+)[ \t]+(?P<state>" + "|".join(
    re.escape(s) for s in sorted(ADB_STATES, key=len, reverse=True)) + r")(?P<rest>(?:[ \t].*)?)$")
_TRANSPORT = re.compile(r"[ \t]transport_id:(\d+)$")


def parse_devices_l(text: str) -> tuple[list[PhoneListing], bool]:
    """Entries of ``host:devices-l``, and whether the text was clean.

    adb writes one ``\n``-ended line per transport: serial, state, then ``usb:``,
    ``product:``, ``model:``, ``device:`` and ``transport_id:N`` last. Only ``model`` is
    sanitised by adb; ``product`` and ``device`` come from the phone as they are, so a line is
    split on ``\n`` only (never on U+2028 and the other characters ``str.splitlines`` breaks
    on) and fields on ASCII space and tab only; the transport id is the last field. A line
    that does not parse, or a transport id claimed twice, makes the text "not clean" (a
    phone's strings may have forged a line): the caller then asks adb per transport."""
    phones: list[PhoneListing] = []
    clean = True
    seen: set[int] = set()
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        match = _LINE.match(line)
        tid = _TRANSPORT.search(line)
        if match is None or tid is None or int(tid.group(1)) in seen:
            clean = False
            continue
        seen.add(int(tid.group(1)))
        tags: dict[str, str] = {}
        for token in re.split(r"[ \t]+", match.group("rest").strip()):
            key, sep, value = token.partition(":")
            if sep and key in ("product", "model", "device") and key not in tags:
                tags[key] = value
        phones.append(PhoneListing(serial=match.group("serial"), state=match.group("state"),
                                   transport_id=int(tid.group(1)), model=tags.get("model", ""),
                                   product=tags.get("product", ""),
                                   device=tags.get("device", "")))
    return phones, clean


class AdbHub:
    """The adb server as a list of phones."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port if port is not None else configured_adb_port()
        self._client = adbutils.AdbClient(host=self.host, port=self.port, socket_timeout=15)

    def ensure_server(self) -> None:
        """Start the user's adb server if none answers (on their usual port).
        ``TRAOMAY_NO_ADB_START=1`` (set by the test suite) forbids starting one, so no test
        can ever start or touch a server on the user's port."""
        if _port_answers(self.host, self.port):
            return
        if os.environ.get("TRAOMAY_NO_ADB_START") == "1":
            raise AdbServerError(Msg("No adb server answers on port {port}.",
                                     {"port": self.port}))
        AdbServer(port=self.port, adb_path=user_adb_path()).start()

    def list_phones(self) -> list[PhoneListing]:
        """``adb devices -l``, read so that a phone's own strings cannot hide it or invent
        another (see :func:`parse_devices_l`); when the text looks tampered with, each entry
        is confirmed with adb's own per-transport answers."""
        try:
            with self._client.make_connection() as conn:
                conn.send_command("host:devices-l")
                conn.check_okay()
                text = conn.read_string_block()
            phones, clean = parse_devices_l(text)
            if not clean:
                phones = [p for p in (self._confirmed(p) for p in phones) if p is not None]
        except (AdbError, OSError, ValueError) as exc:
            raise AdbServerError(
                Msg("Cannot reach the adb server on port {port}.", {"port": self.port}),
                detail=str(exc),
            ) from exc
        return sorted(phones, key=lambda p: p.transport_id)

    def track_changes(self, stop: threading.Event) -> Iterator[str]:
        """Each ``host:track-devices`` report (a wake-up signal for the station; the listing
        stays the truth). Ends when ``stop`` is set or the server goes away."""
        with self._client.make_connection() as conn:
            conn.send_command("host:track-devices")
            conn.check_okay()
            conn.conn.settimeout(0.5)
            while not stop.is_set():
                try:
                    yield conn.read_string_block()
                except TimeoutError:
                    continue

    def reconnect_offline(self) -> None:
        """``adb reconnect offline``: adb drops and reopens transports stuck offline."""
        try:
            with self._client.make_connection() as conn:
                conn.send_command("host:reconnect-offline")
                conn.check_okay()
        except (AdbError, OSError):
            pass

    def _host_query(self, request: str) -> str | None:
        with self._client.make_connection() as conn:
            conn.send_command(request)
            try:
                conn.check_okay()
            except AdbError:
                return None  # no such transport (any more)
            return conn.read_string_block()

    def _confirmed(self, listing: PhoneListing) -> PhoneListing | None:
        """The entry as adb's per-transport services tell it (serial and state come from
        adb, not from the phone's banner); None when adb has no such transport."""
        prefix = f"host-transport-id:{listing.transport_id}:"
        serial = self._host_query(prefix + "get-serialno")
        state = self._host_query(prefix + "get-state")
        if serial is None or state is None:
            return None
        return PhoneListing(serial=serial, state=state, transport_id=listing.transport_id)

    def connect(self, address: str, timeout: float = 10.0) -> str:
        """``host:connect`` a network/simulated phone."""
        try:
            return self._client.connect(address, timeout=timeout)
        except (AdbError, OSError) as exc:
            raise DeviceGone(Msg("Could not connect to {address}.", {"address": address}),
                             detail=str(exc)) from exc

    def disconnect(self, address: str) -> None:
        try:
            self._client.disconnect(address)
        except (AdbError, OSError):
            pass

    def link(self, listing: PhoneListing) -> PhoneLink:
        if listing.state == "unauthorized":
            raise DeviceNotReady(instruction_for_state(listing.state))
        if listing.state != "device":
            raise DeviceNotReady(instruction_for_state(listing.state))
        return PhoneLink(self._client, listing)

    def wait_for(self, predicate: Callable[[PhoneListing], bool], timeout: float,
                 interval: float = 0.25) -> PhoneListing | None:
        """Poll ``adb devices`` until a listing satisfies ``predicate`` (no event stream
        alone: track-devices has missed connect-style phones going offline)."""
        polled = poll_until(lambda: next((p for p in self.list_phones() if predicate(p)), None),
                            lambda found: found is not None, timeout, interval)
        return polled.value


def instruction_for_state(state: str) -> Msg:
    """What the volunteer must do for a phone that is not ready."""
    if state == "unauthorized":
        return Msg("Unlock the phone and tap \"Allow\" on \"Allow USB debugging?\" "
                   "(tick \"Always allow from this computer\").")
    if state == "offline":
        return Msg("The phone is offline: unplug it, plug it in again, and unlock it.")
    if state in ("recovery", "sideload", "rescue", "bootloader"):
        return Msg("The phone is in {state} mode: restart it normally.", {"state": state})
    if state == "no permissions":
        return Msg("This computer has no permission for the USB device: check the udev rules.")
    if state == "device":
        return Msg("Ready.")
    return Msg("The phone is not ready ({state}): unplug it and plug it in again.",
               {"state": state})


class PhoneLink:
    """One phone, addressed by transport id. Every call has a timeout."""

    def __init__(self, client: adbutils.AdbClient, listing: PhoneListing) -> None:
        self.listing = listing
        self.transport_id = listing.transport_id
        self._device = client.device(transport_id=listing.transport_id)
        self._features: frozenset[str] | None = None
        self.round_trips = 0  # shell/exec calls made through this link (measured, reported)
        # Whether this phone's shell runs a batch's sections as background jobs
        # (traomay.device.batch.run): None until the first batch tells.
        self.background_jobs: bool | None = None

    # -- errors ----------------------------------------------------------------------
    def _gone(self, exc: Exception) -> DeviceGone:
        return DeviceGone(
            Msg("The phone (t:{tid}) stopped answering: check the cable and that it is "
                "still switched on.", {"tid": self.transport_id}),
            detail=str(exc))

    @contextmanager
    def _answering(self, timeout: float) -> Iterator[None]:
        """adbutils errors -> DeviceTimeout / DeviceGone that tell the volunteer what to do.
        EOFError: adbutils' shell2 raises it when the phone drops mid-command."""
        try:
            yield
        except AdbTimeout as exc:
            raise DeviceTimeout(
                Msg("The phone (t:{tid}) did not answer within {seconds} s.",
                    {"tid": self.transport_id, "seconds": int(timeout)}), detail=str(exc)) from exc
        except (AdbError, OSError, EOFError) as exc:
            raise self._gone(exc) from exc

    def features(self) -> frozenset[str]:
        if self._features is None:
            try:
                self._features = frozenset(self._device.get_features().split(","))
            except (AdbError, OSError, EOFError) as exc:
                raise self._gone(exc) from exc
        return self._features

    # -- shell -----------------------------------------------------------------------
    def shell(self, command: str, timeout: float = 30.0) -> ShellResult:
        """Run a command line; the exit code comes from shell_v2 when the phone has it,
        else from a marker echoed after the command (Android 6 and older have no v2)."""
        self.round_trips += 1
        with self._answering(timeout):
            if "shell_v2" in self.features():
                output, code = self._shell_v2(command, timeout)
                # stdout and stderr interleaved, as a phone without shell_v2 gives them:
                # the same parsers serve both (AOSP shell commands print errors on stderr).
                return ShellResult(output=output, exit_code=code)
            raw = self._shell_raw(f"{command}; echo {_EXIT_MARKER}$?", timeout)
        idx = raw.rfind(_EXIT_MARKER)
        if idx < 0:
            return ShellResult(output=raw, exit_code=None)
        code_text = raw[idx + len(_EXIT_MARKER):].strip()
        code = int(code_text) if code_text.isdigit() else None
        return ShellResult(output=raw[:idx], exit_code=code)

    def _shell_v2(self, command: str, timeout: float) -> tuple[str, int]:
        """``shell,v2:``: packets of stdout (1), stderr (2) and the exit code (3), each an id
        byte and a little-endian u32 length (what adbutils' shell2 reads, without its pause
        on close)."""
        conn = self._device.open_transport(timeout=timeout)
        try:
            conn.send_command(f"shell,v2:{command}")
            conn.check_okay()
            output, code = bytearray(), 255
            while True:
                header = conn.read_exact(5)
                length = int.from_bytes(header[1:5], "little")
                data = conn.read_exact(length) if length else b""
                if header[0] in (1, 2):
                    output += data
                elif header[0] == 3:
                    code = data[0] if data else 255
                    break
        finally:
            _close_now(conn)
        return output.decode("utf-8", "replace"), code

    def _shell_raw(self, command: str, timeout: float) -> str:
        """``shell:`` (no shell_v2): one raw stream until the phone closes it."""
        conn = self._device.open_transport(timeout=timeout)
        try:
            conn.send_command(f"shell:{command}")
            conn.check_okay()
            chunks = []
            while chunk := conn.read(65536):
                chunks.append(chunk)
        finally:
            _close_now(conn)
        return b"".join(chunks).decode("utf-8", "replace")

    def exec_out(self, command: str, payload: Iterable[bytes] = (), timeout: float = 120.0) -> str:
        """``exec:`` service: stream ``payload`` to the command's stdin, return its output.
        Used for streamed installs (``cmd package install -S N``)."""
        self.round_trips += 1
        with self._answering(timeout):
            conn = self._device.open_transport(timeout=timeout)
            try:
                conn.send_command("exec:" + command)
                conn.check_okay()
                for chunk in payload:
                    conn.conn.sendall(chunk)
                out = conn.read_until_close(encoding="utf-8")
            finally:
                _close_now(conn)
        return str(out)

    def open_stream(self, command: str, timeout: float = 15.0) -> ShellStream:
        """Start a long-running command (``getevent -lt DEV``) on the legacy ``shell:``
        service and read its output as it comes (:class:`ShellStream`); closing the stream
        ends the command on the phone."""
        self.round_trips += 1
        with self._answering(timeout):
            conn = self._device.open_transport(timeout=timeout)
            try:
                conn.send_command("shell:" + command)
                conn.check_okay()
            except BaseException:
                conn.close()
                raise
        return ShellStream(conn, self._gone)

    def push(self, data: bytes, remote: str, mode: int = 0o644) -> None:
        with self._answering(timeout=120.0):
            self._device.sync.push(data, remote, mode=mode)

    def reboot(self) -> None:
        try:
            self._device.reboot()
        except (AdbError, OSError, EOFError):
            pass  # the connection drops as the phone goes down: that is success here


def _close_now(conn) -> None:
    """Close an adb server connection at once. adbutils' close() half-closes, then sleeps
    10 ms "to make sure the shutdown is processed": on every call, ~80 % of a shell round
    trip on a local server. We close only once the phone's side is finished (its answer
    read to the end, or given up on), so nothing is left to process: the socket is closed
    first and adbutils' close, finding it closed, skips its pause."""
    try:
        conn.conn.close()
    except (AdbError, OSError):
        pass
    try:
        conn.close()
    except (AdbError, OSError):
        pass


class ShellStream:
    """Output of a running shell command, read piece by piece with a wait limit.

    [INF] getevent does not flush stdout itself, so through a pipe a phone may deliver
    events in bursts rather than line by line; callers must cope with both.
    """

    def __init__(self, conn, gone) -> None:
        self._conn = conn
        self._gone = gone
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.ended = False

    def read(self, wait: float) -> str | None:
        """Text that arrived within ``wait`` seconds ("" when none did); None once the
        command has ended (the phone closed the stream)."""
        if self.ended:
            return None
        try:
            sock = self._conn.conn
            sock.settimeout(max(0.001, wait))
            data = sock.recv(65536)
        except TimeoutError:
            return ""
        except (AdbError, OSError) as exc:
            raise self._gone(exc) from exc
        if not data:
            self.ended = True
            tail = self._decoder.decode(b"", final=True)
            return tail or None
        return self._decoder.decode(data)

    def close(self) -> None:
        _close_now(self._conn)

    def __enter__(self) -> ShellStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
