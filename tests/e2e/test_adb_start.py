"""Starting the adb server returns as soon as the server answers, while the server (a daemon
that outlives ``adb start-server``) keeps running.

On Windows adb.exe starts its daemon with inherited handles: a pipe given to
``start-server`` as stdout stays open while the daemon runs, and reading it to the end
waits for the whole timeout (AdvancedSharpAdbClient issue 123). The second test models
that on any system with a stand-in ``adb`` whose daemon inherits its stdout and stderr,
and shows the pipe would hang; ``AdbServer.start`` must not.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from traomay.device.adb import AdbServer, _port_answers, free_port


def test_bundled_adb_starts_promptly_and_stays_up(tmp_path):
    port = free_port(18037)
    server = AdbServer(port=port, private_home=tmp_path)
    started = time.monotonic()
    server.start(timeout=20)
    seconds = time.monotonic() - started
    try:
        print(f"adb start-server: {seconds:.2f} s")
        assert seconds < 10, seconds
        time.sleep(1.0)  # the daemon outlives start-server
        assert _port_answers("127.0.0.1", port)
        assert server.hub().list_phones() == []
    finally:
        server.stop()


# A stand-in for adb: "start-server" starts a daemon that inherits stdout/stderr (as the
# server does on Windows), listens on the port, and exits after 60 s at most.
FAKE_ADB = textwrap.dedent('''\
    #!{python}
    import os, socket, subprocess, sys, time
    port = int(sys.argv[sys.argv.index("-P") + 1])
    if sys.argv[-1] == "start-server":
        daemon = subprocess.Popen([sys.executable, __file__, "-P", str(port), "daemon"],
                                  stdin=subprocess.DEVNULL, close_fds=False)
        open(os.environ["FAKE_ADB_PIDFILE"], "w").write(str(daemon.pid))
        print("* daemon started successfully", flush=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        sys.exit(0)
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(8)
    server.settimeout(0.5)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            server.accept()[0].close()
        except OSError:
            pass
''')


@pytest.fixture()
def fake_adb(tmp_path, monkeypatch):
    if sys.platform == "win32":
        pytest.skip("the stand-in adb is a script run through its #! line")
    script = tmp_path / "adb"
    script.write_text(FAKE_ADB.format(python=sys.executable), encoding="utf-8")
    script.chmod(0o755)
    pidfile = tmp_path / "daemon.pid"
    monkeypatch.setenv("FAKE_ADB_PIDFILE", str(pidfile))
    yield script
    if pidfile.is_file():  # the daemon we started: end it by its pid
        try:
            os.kill(int(pidfile.read_text()), signal.SIGTERM)
        except ProcessLookupError:
            pass


def test_a_daemon_holding_our_stdout_does_not_hang_the_start(fake_adb, tmp_path):
    # The hazard is real: with stdout as a pipe, reading to the end waits for the daemon.
    port = free_port(18137)
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run([str(fake_adb), "-P", str(port), "start-server"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=3)
    os.kill(int(Path(os.environ["FAKE_ADB_PIDFILE"]).read_text()), signal.SIGTERM)
    time.sleep(0.3)

    port = free_port(18237)
    server = AdbServer(port=port, private_home=tmp_path / "home", adb_path=str(fake_adb))
    started = time.monotonic()
    server.start(timeout=20)
    seconds = time.monotonic() - started
    print(f"start with a daemon holding stdout: {seconds:.2f} s")
    assert seconds < 5, seconds
    time.sleep(0.5)
    assert _port_answers("127.0.0.1", port)  # the daemon is still up
