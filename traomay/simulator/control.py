"""The control channel of a running ``traomay sim``: how ``traomay sim do PHONE ACTION``
in another terminal reaches the simulated phones.

``traomay sim`` starts a :class:`ControlServer`: a TCP server on the loopback interface only
(127.0.0.1, a port the OS picks), and writes a state file readable by this user only, in
the per-user runtime folder (``sim-<adb port>.json``: one per adb server, so trainees on
the same computer with their own adb servers never mix). The file holds the port and a
random token; a request without the token is refused. One request per connection: one
JSON line in, one JSON line out.

Request: ``{"token": ..., "phone": "t:3" | "127.0.0.1:40123" | "oppo-a5s",
"action": "ring", "seconds": 10}``. Answer: ``{"ok": true, "code": "ringing",
"details": {...}, "phone": {...}}`` or ``{"ok": false, "error": "unknown_phone", ...}``.
Codes and errors are names, not sentences: the interface translates them.

Names of phones are resolved here, on the simulator's side, so ``t:N`` keeps working while
a phone is unplugged (adb forgets it; the hub remembers which phone it was).
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import socket
import socketserver
import stat
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from traomay.simulator.actions import ACTIONS, ActionOutcome, perform

if TYPE_CHECKING:  # 'traomay sim do' (the client side) needs none of the wire side
    from traomay.simulator.hub import SimulatedHub

MAX_REQUEST_BYTES = 64 * 1024
STATE_DIR_ENV = "TRAOMAY_SIM_STATE_DIR"  # tests and unusual setups may point elsewhere


class ControlUnavailable(Exception):
    """No running ``traomay sim`` answers for this adb server. ``reason``: no_sim (no state
    file), not_running (nothing listens: the sim was stopped), refused (bad answer)."""

    def __init__(self, reason: str, where: str = "") -> None:
        super().__init__(f"{reason}: {where}" if where else reason)
        self.reason = reason
        self.where = where


@dataclass(frozen=True)
class SimState:
    """What a running ``traomay sim`` wrote about itself."""

    pid: int
    port: int
    token: str
    adb_port: int
    time_scale: float
    addresses: tuple[str, ...]
    path: Path


def state_dir() -> Path:
    """The per-user runtime folder (``$XDG_RUNTIME_DIR/traomay`` on Linux, a private temp
    folder elsewhere), or ``$TRAOMAY_SIM_STATE_DIR``."""
    explicit = os.environ.get(STATE_DIR_ENV, "").strip()
    if explicit:
        return Path(explicit)
    import platformdirs

    with warnings.catch_warnings():  # "XDG_RUNTIME_DIR is not set": the fallback is fine
        warnings.simplefilter("ignore")
        return Path(platformdirs.user_runtime_dir("traomay", appauthor=False))


def state_path(adb_port: int, folder: Path | None = None) -> Path:
    return (folder or state_dir()) / f"sim-{int(adb_port)}.json"


def _private_folder(folder: Path) -> None:
    """Create ``folder`` for this user only; refuse one others may write to (POSIX), since
    whoever controls the state file decides where ``sim do`` sends its token."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if sys.platform == "win32":
        return  # the per-user LocalAppData folder is private already
    info = folder.stat()
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise PermissionError(f"{folder} is not private to this user")


def read_state(adb_port: int, folder: Path | None = None) -> SimState | None:
    """The running sim for this adb server, as its state file says (None: no file)."""
    path = state_path(adb_port, folder)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return SimState(int(data["pid"]), int(data["port"]), str(data["token"]),
                        int(data["adb_port"]), float(data.get("time_scale", 1.0)),
                        tuple(str(a) for a in data.get("addresses", [])), path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        raise ControlUnavailable("refused", str(path)) from None


def send(request: dict[str, Any], adb_port: int, *, folder: Path | None = None,
         timeout: float = 60.0) -> dict[str, Any]:
    """Send one request (the token is added) to the sim serving ``adb_port``."""
    state = read_state(adb_port, folder)
    if state is None:
        raise ControlUnavailable("no_sim", str(state_path(adb_port, folder)))
    body = json.dumps({**request, "token": state.token}).encode() + b"\n"
    try:
        with socket.create_connection(("127.0.0.1", state.port), timeout=timeout) as sock:
            sock.sendall(body)
            sock.shutdown(socket.SHUT_WR)
            answer = _read_line(sock.makefile("rb"))
    except OSError:
        raise ControlUnavailable("not_running", str(state.path)) from None
    try:
        data = json.loads(answer)
    except ValueError:
        raise ControlUnavailable("refused", str(state.path)) from None
    if not isinstance(data, dict):
        raise ControlUnavailable("refused", str(state.path))
    return data


def _read_line(stream: Any) -> bytes:
    line = stream.readline(MAX_REQUEST_BYTES + 1)
    if len(line) > MAX_REQUEST_BYTES:
        raise ValueError("request too long")
    return line


# --- adb's view: transport ids ----------------------------------------------------------------

def adb_devices(port: int, host: str = "127.0.0.1", timeout: float = 5.0) -> dict[str, tuple[
        int | None, str]]:
    """``host:devices-l`` from the adb server: {serial: (transport_id, state)}."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        request = b"host:devices-l"
        sock.sendall(b"%04x" % len(request) + request)
        reader = sock.makefile("rb")
        status = reader.read(4)
        length = int(reader.read(4) or b"0", 16)
        text = reader.read(length).decode("utf-8", "replace")
    if status != b"OKAY":
        raise OSError(f"adb refused host:devices-l: {text[:200]}")
    found: dict[str, tuple[int | None, str]] = {}
    for line in text.split("\n"):
        parts = line.split()
        if len(parts) < 2:
            continue
        tid = next((int(p.split(":", 1)[1]) for p in parts[2:]
                    if p.startswith("transport_id:") and p.split(":", 1)[1].isdigit()), None)
        found[parts[0]] = (tid, parts[1])
    return found


# --- the server -------------------------------------------------------------------------------

class ControlServer:
    """Serves person's actions on ``hub``'s phones to ``traomay sim do``; see the module
    docstring. Use as a context manager (writes and removes the state file)."""

    def __init__(self, hub: SimulatedHub, *, time_scale: float = 1.0,
                 folder: Path | None = None) -> None:
        self.hub = hub
        self.time_scale = time_scale
        self.folder = folder
        self.token = secrets.token_hex(32)
        self._tids: dict[int, str] = {}  # every transport id adb gave a phone of this hub
        self._lock = threading.Lock()
        self._server: socketserver.ThreadingTCPServer | None = None
        self._thread: threading.Thread | None = None
        self.path = state_path(hub.adb_port, folder)

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> ControlServer:
        control = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 120

            def handle(self) -> None:
                try:
                    request = json.loads(_read_line(self.rfile))
                    if not isinstance(request, dict):
                        raise ValueError("not an object")
                except ValueError:
                    answer: dict[str, Any] = {"ok": False, "error": "bad_request"}
                else:
                    token = str(request.get("token", ""))
                    if not hmac.compare_digest(token.encode(), control.token.encode()):
                        answer = {"ok": False, "error": "bad_token"}
                    else:
                        answer = control.handle(request)
                self.wfile.write(json.dumps(answer).encode() + b"\n")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = False

        self._server = Server(("127.0.0.1", 0), Handler)  # loopback only
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="traomay-sim-control", daemon=True)
        self._thread.start()
        self._write_state()
        self.refresh()
        return self

    def _write_state(self) -> None:
        assert self._server is not None
        folder = self.path.parent
        _private_folder(folder)
        data = {"pid": os.getpid(), "port": self._server.server_address[1],
                "token": self.token, "adb_port": self.hub.adb_port,
                "time_scale": self.time_scale, "addresses": self.hub.addresses}
        tmp = folder / f".{self.path.name}.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, self.path)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        try:  # only our own file: another sim may have taken this adb port since
            if json.loads(self.path.read_text(encoding="utf-8")).get("token") == self.token:
                self.path.unlink()
        except (OSError, ValueError, AttributeError):
            pass

    def __enter__(self) -> ControlServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- requests ----------------------------------------------------------------------
    def refresh(self) -> dict[str, tuple[int | None, str]]:
        """Read adb's list; remember every transport id a phone of this hub had."""
        try:
            devices = adb_devices(self.hub.adb_port, self.hub.adb_host)
        except (OSError, ValueError):
            return {}
        mine = set(self.hub.addresses)
        with self._lock:
            for serial, (tid, _state) in devices.items():
                if tid is not None and serial in mine:
                    self._tids[tid] = serial
        return devices

    def resolve(self, name: str) -> int:
        """A phone's index from ``t:N`` (every transport id adb ever gave it), its adb serial
        (``host:port``) or its profile name (``oppo-a5s``, ``oppo-a5s#1`` for a second one);
        IndexError. (Inventory ids, ``id:N`` or the station's ``#N``, are turned into the adb
        serial by the caller, which has the inventory.)"""
        name = name.strip()
        addresses = self.hub.addresses
        if name.lower().startswith("t:") and name[2:].isdigit():
            tid = int(name[2:])
            with self._lock:
                known = self._tids.get(tid)
            if known is None:
                self.refresh()
                with self._lock:
                    known = self._tids.get(tid)
            if known in addresses:
                return addresses.index(known)
            raise IndexError(name)
        if name in addresses:
            return addresses.index(name)
        names = [getattr(p, "profile", None) and p.profile.name for p in self.hub.phones]
        matches = [i for i, n in enumerate(names) if n == name or (n or "").split("#")[0] == name]
        if len(matches) == 1:
            return matches[0]
        raise IndexError(name)

    def phone_info(self, index: int) -> dict[str, Any]:
        devices = self.refresh()
        address = self.hub.addresses[index]
        tid, state = devices.get(address, (None, None))
        phone = self.hub.phones[index]
        props = getattr(phone, "props", {})
        profile = getattr(phone, "profile", None)
        return {"number": index + 1, "address": address, "transport_id": tid, "state": state,
                "profile": profile.name if profile is not None else "",
                "brand": props.get("ro.product.brand", ""),
                "model": props.get("ro.product.marketname") or props.get("ro.product.model", "")}

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """One request (token already checked): resolve the phone, play the action."""
        action = str(request.get("action", ""))
        if action not in ACTIONS:
            return {"ok": False, "error": "unknown_action", "action": action,
                    "actions": list(ACTIONS)}
        try:
            index = self.resolve(str(request.get("phone", "")))
        except IndexError:
            return {"ok": False, "error": "unknown_phone", "name": str(request.get("phone")),
                    "phones": [self.phone_info(i) for i in range(len(self.hub.phones))]}
        seconds = request.get("seconds")
        seconds = float(seconds) if isinstance(seconds, (int, float)) else None
        before = self.phone_info(index)
        outcome: ActionOutcome = perform(self.hub, index, action, seconds)
        after = self._settle(index, action)
        return {"ok": True, "code": outcome.code, "done": outcome.done,
                "details": dict(outcome.details), "before": before, "phone": after}

    def _settle(self, index: int, action: str, timeout: float = 10.0) -> dict[str, Any]:
        """After an action that takes the phone off adb's list or brings it back, wait
        until adb shows it so, so the next command sees the phone as the volunteer does."""
        deadline = time.monotonic() + timeout
        while True:
            info = self.phone_info(index)
            if action in ("unplug", "factory-reset"):
                settled = info["state"] is None
            elif action == "allow":
                settled = info["state"] in ("device", None)
            elif action in ("plug", "usb-debugging"):
                settled = info["state"] in ("device", "unauthorized") or \
                    not self.hub.act(index, _expect_listed)
            else:
                settled = True
            if settled or time.monotonic() > deadline:
                return info
            time.sleep(0.1)


def _expect_listed(phone: Any, _server: Any) -> bool:
    """Cable in and USB debugging on: adb should list the phone."""
    getter = getattr(phone, "get_setting", None)
    adb_on = getter("global", "adb_enabled") not in ("0", None) if getter else True
    return bool(getattr(phone, "usb_connected", True) and adb_on)
