"""The inventory under several processes at once, with real SQLite files and real processes
(one per phone, as `traomay inspect` runs on a hub): nothing lost, nothing half-written, a
newer inventory refused untouched, read-only opening on read-only media."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from traomay.core.errors import ExitCode, InventoryError
from traomay.core.msg import Msg
from traomay.core.results import CheckResult, Status
from traomay.inventory import store
from traomay.inventory.migrations import KNOWN, migrations
from traomay.inventory.store import Inventory

ROOT = Path(__file__).resolve().parents[2]

# One writer process: prints "ready", waits for a line on stdin (so all processes start
# together), opens the inventory (a fresh file races the migrations), then runs `n` writes
# cycling record_seen (new phone), record_seen (one phone all processes share, plus an
# alias), record_run (two results), add_event. Prints a JSON summary; exit 7 on any loss.
WRITER = textwrap.dedent("""
    import json, sys, time
    from traomay.core.errors import InventoryError
    from traomay.core.msg import Msg
    from traomay.core.results import CheckResult, Status
    from traomay.inventory.store import Inventory

    db, me, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ident = {"brand": "samsung", "model": "SM-A105F", "serial": f"S{me}", "abis": ["arm64-v8a"]}
    print("ready", flush=True)
    sys.stdin.readline()
    lost, slowest = [], 0.0
    try:
        inv = Inventory(db, station=f"station-{me}")
    except InventoryError as exc:
        print(json.dumps({"open_error": str(exc), "detail": exc.detail}), flush=True)
        sys.exit(7)
    dev = None
    with inv:
        for i in range(n):
            t = time.perf_counter()
            try:
                op = i % 4
                if op == 0:
                    dev = inv.record_seen(ident, [f"w{me}-{i}"]).id
                elif op == 1:
                    inv.record_seen(ident, ["shared-phone", f"alias-w{me}-{i}"])
                elif op == 2:
                    results = [CheckResult("battery", Status.PASS, Msg("ok"), {"i": i}),
                               CheckResult("camera", Status.FAIL, Msg("no"), {})]
                    inv.record_run(dev, "inspect", "t0", results, {"battery": "x" * 500}, 3)
                else:
                    inv.add_event(dev, "note", {"i": i})
            except InventoryError as exc:
                lost.append(f"{i}: {exc} ({exc.detail})")
            slowest = max(slowest, time.perf_counter() - t)
    print(json.dumps({"lost": lost, "slowest": slowest}), flush=True)
    sys.exit(7 if lost else 0)
""")


def _run_writers(db: Path, processes: int, writes: int) -> tuple[list[dict], float]:
    """Start the writers, let them all go at once, return their summaries and the time
    from "go" to the last exit."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(i), str(writes)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env)
             for i in range(processes)]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        start = time.perf_counter()
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outs = [p.communicate(timeout=120) for p in procs]
        elapsed = time.perf_counter() - start
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    summaries = []
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, f"writer exited {p.returncode}: {out} {err}"
        summaries.append(json.loads(out.strip().splitlines()[-1]))
    return summaries, elapsed


def _counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                for t in ("devices", "device_keys", "events", "runs", "check_results")}
    finally:
        conn.close()


def test_twelve_processes_writing_at_once_lose_nothing(tmp_path):
    processes, writes = 12, 15  # the adversarial run that lost 147 of 180 writes
    db = tmp_path / "inv.sqlite"  # fresh: the processes also race the migrations
    summaries, elapsed = _run_writers(db, processes, writes)
    assert all(s["lost"] == [] for s in summaries)
    per = [sum(1 for i in range(writes) if i % 4 == op) for op in range(4)]
    seen_new, seen_shared, runs, _notes = (processes * k for k in per)
    assert _counts(db) == {
        "devices": seen_new + 1,  # every process's shared phone is one row
        "device_keys": seen_new + 1 + seen_shared,
        "events": processes * writes,
        "runs": runs,
        "check_results": 2 * runs,
    }
    with Inventory(db) as inv:
        shared = inv.find_device_id(["shared-phone"])
        assert shared is not None
        assert sum(e["kind"] == "seen" for e in inv.events(shared)) == seen_shared
    print(f"{processes} processes x {writes} writes: 0 lost, {elapsed:.2f} s, slowest write "
          f"{max(s['slowest'] for s in summaries):.3f} s")


def test_processes_opening_a_fresh_inventory_at_once_all_succeed(tmp_path):
    db = tmp_path / "fresh.sqlite"
    summaries, _ = _run_writers(db, processes=12, writes=1)
    assert all(s["lost"] == [] for s in summaries)
    conn = sqlite3.connect(db)
    names = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    conn.close()
    assert names == KNOWN  # once each
    assert _counts(db)["devices"] == 12


def _ident(serial: str = "ABC123") -> dict:
    return {"brand": "samsung", "model": "SM-A105F", "serial": serial, "abis": ["arm64-v8a"]}


class WriteLockHolder(threading.Thread):
    """Another connection that holds the write lock (BEGIN IMMEDIATE) until released or
    ``seconds`` have passed, as a stuck process or a DB browser would."""

    def __init__(self, db: Path, seconds: float) -> None:
        super().__init__()
        self.db, self.seconds = db, seconds
        self.locked, self.release = threading.Event(), threading.Event()

    def __enter__(self) -> WriteLockHolder:
        self.start()
        assert self.locked.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.join()

    def run(self) -> None:
        conn = sqlite3.connect(self.db, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        self.locked.set()
        self.release.wait(self.seconds)
        conn.execute("COMMIT")
        conn.close()


@pytest.fixture
def short_timeouts(monkeypatch):
    monkeypatch.setattr(store, "BUSY_TIMEOUT_S", 0.1)
    monkeypatch.setattr(store, "WRITE_ATTEMPTS", 4)
    monkeypatch.setattr(store, "RETRY_PAUSE_S", 0.1)


def test_a_write_that_meets_a_lock_past_the_timeout_is_retried(tmp_path, short_timeouts):
    db = tmp_path / "inv.sqlite"
    with Inventory(db) as inv:
        dev = inv.record_seen(_ident(), ["k"]).id
        # Held for 0.5 s: the first attempt's 0.1 s busy timeout runs out, a later one wins.
        with WriteLockHolder(db, 0.5):
            t = time.perf_counter()
            inv.add_event(dev, "note", {"x": 1})
            waited = time.perf_counter() - t
        assert waited > 0.3  # it outlasted the first attempt (and its pause), then succeeded
        assert [e["kind"] for e in inv.events(dev)] == ["seen", "note"]


def test_a_write_locked_out_for_good_is_refused_with_exit_7_and_writes_nothing(
        tmp_path, short_timeouts):
    db = tmp_path / "inv.sqlite"
    with Inventory(db) as inv:
        dev = inv.record_seen(_ident(), ["k"]).id
        results = [CheckResult("battery", Status.PASS, Msg("ok"), {})]
        with WriteLockHolder(db, 10.0), pytest.raises(InventoryError) as err:
            inv.record_run(dev, "inspect", "t0", results, {"battery": "x"}, 1)
        assert err.value.exit_code == ExitCode.INVENTORY == 7
        assert "stayed locked" in str(err.value)
        assert (inv.db["runs"].count, inv.db["check_results"].count) == (0, 0)
        assert [e["kind"] for e in inv.events(dev)] == ["seen"]


def _newer_inventory(db: Path) -> None:
    with Inventory(db) as inv:
        inv.record_seen(_ident(), ["k"])
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO _sqlite_migrations(migration_set, name, applied_at) "
                 "VALUES ('traomay', 'm099_from_the_future', '2031-01-01')")
    conn.commit()
    conn.close()


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _stored(device_key: str, folder: Path) -> str:
    """How the inventory in ``folder`` stores a device key: an HMAC under its campaign key."""
    from traomay.inventory.campaign_key import keyed, read_key

    key = read_key(folder / "campaign.key")
    assert key is not None
    return keyed(key, device_key)


def _assert_untouched(folder: Path, before: dict[str, bytes], *, read_only: bool) -> None:
    """Every file byte-identical. A read-only SQLite connection in a writable folder leaves
    an empty -wal and a -shm index behind (it may not delete them: that needs a write); the
    next normal open removes them. A read-write open leaves nothing."""
    after = _files(folder)
    assert {k: v for k, v in after.items() if k in before} == before
    extra = {k: v for k, v in after.items() if k not in before}
    if read_only:
        assert set(extra) <= {"inv.sqlite-wal", "inv.sqlite-shm"}
        assert extra.get("inv.sqlite-wal", b"") == b""
    else:
        assert extra == {}


@pytest.mark.parametrize("read_only", [False, True])
def test_inventory_from_a_newer_traomay_is_refused_and_left_untouched(tmp_path, read_only):
    db = tmp_path / "inv.sqlite"
    _newer_inventory(db)
    before = _files(tmp_path)
    with pytest.raises(InventoryError) as err:
        Inventory(db, read_only=read_only)
    assert err.value.exit_code == 7
    assert "written by a newer traomay: update traomay" in str(err.value)
    assert "m099_from_the_future" in err.value.detail
    _assert_untouched(tmp_path, before, read_only=read_only)


def test_read_only_refuses_an_older_inventory_until_a_normal_open_upgrades_it(tmp_path):
    db = tmp_path / "inv.sqlite"
    from sqlite_utils import Database

    old = Database(db)
    old.execute("PRAGMA journal_mode=WAL")
    migrations.apply(old, stop_before="m002_check_results")  # what an older traomay made
    old.close()
    before = _files(tmp_path)
    with pytest.raises(InventoryError) as err:
        Inventory(db, read_only=True)
    assert err.value.exit_code == 7
    assert "open it once with a normal command to upgrade it" in str(err.value)
    _assert_untouched(tmp_path, before, read_only=True)
    Inventory(db).close()
    with Inventory(db, read_only=True) as inv:
        assert inv.devices() == []


def test_read_only_reads_and_refuses_every_write(tmp_path):
    db = tmp_path / "inv.sqlite"
    with Inventory(db) as inv:
        dev = inv.record_seen(_ident(), ["k"]).id
    before = _files(tmp_path)
    with Inventory(db, read_only=True) as ro:
        assert [d["id"] for d in ro.devices()] == [dev]
        assert ro.resolve_device("ABC123") == dev
        for write in (lambda: ro.record_seen(_ident(), ["k2"]),
                      lambda: ro.add_event(dev, "note"),
                      lambda: ro.set_device_fields(dev, verdict="pass"),
                      lambda: ro.add_aliases(dev, ["k3"], "test"),
                      lambda: ro.record_run(dev, "inspect", "t0", [], {}, 0)):
            with pytest.raises(InventoryError, match="opened read-only") as err:
                write()
            assert err.value.exit_code == 7
    _assert_untouched(tmp_path, before, read_only=True)
    with pytest.raises(InventoryError, match="no inventory at"):
        Inventory(tmp_path / "missing.sqlite", read_only=True)
    assert not (tmp_path / "missing.sqlite").exists()


def test_read_only_sees_what_another_process_is_writing(tmp_path):
    db = tmp_path / "inv.sqlite"
    with Inventory(db) as writer, Inventory(db, read_only=True) as reader:
        assert not reader.immutable
        dev = writer.record_seen(_ident(), ["k"]).id
        assert [d["id"] for d in reader.devices()] == [dev]


# -- read-only media -----------------------------------------------------------------------
# A read-only folder copy stands for a write-protected USB stick or a CD. As root, file
# permissions do not stop writes (CAP_DAC_OVERRIDE), so the reader runs in a child process
# that dropped those capabilities from its bounding set before exec (Linux prctl).

READER = textwrap.dedent("""
    import json, sys
    from traomay.core.errors import InventoryError
    from traomay.inventory.store import Inventory
    out = {}
    try:
        with Inventory(sys.argv[1], read_only=True) as inv:
            out["immutable"] = inv.immutable
            out["devices"] = [d["device_key"] for d in inv.devices()]
            out["events"] = sum(len(inv.events(d["id"])) for d in inv.devices())
            try:
                inv.add_event(None, "note")
            except InventoryError as exc:
                out["write"] = str(exc)
    except InventoryError as exc:
        out["error"] = str(exc)
        out["exit_code"] = int(exc.exit_code)
    print(json.dumps(out))
""")

_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _CAP_FOWNER, _CAP_LINUX_IMMUTABLE = 1, 2, 3, 9


def _drop_file_capabilities() -> None:  # runs in the child, between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _CAP_FOWNER, _CAP_LINUX_IMMUTABLE):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _as_unprivileged(code: str, *args: str) -> subprocess.CompletedProcess:
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          preexec_fn=_drop_file_capabilities if root else None)


def _make_read_only(folder: Path) -> None:
    for p in folder.iterdir():
        p.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH
                 | stat.S_IXOTH)
    probe = _as_unprivileged("import sys; open(sys.argv[1], 'w')", str(folder / "probe"))
    if probe.returncode == 0:
        pytest.skip("cannot make a folder read-only here (no prctl, or a permissive fs)")


@pytest.fixture
def media(tmp_path):
    folder = tmp_path / "usb"
    folder.mkdir()
    yield folder
    folder.chmod(stat.S_IRWXU)
    for p in folder.iterdir():
        p.chmod(stat.S_IRUSR | stat.S_IWUSR)


def _read_from(folder: Path) -> dict:
    before = _files(folder)
    run = _as_unprivileged(READER, str(folder / "inv.sqlite"))
    assert run.returncode == 0, run.stderr
    assert _files(folder) == before  # nothing created, nothing changed
    return json.loads(run.stdout)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_read_only_media_with_a_cleanly_closed_inventory(tmp_path, media):
    with Inventory(tmp_path / "inv.sqlite") as inv:
        dev = inv.record_seen(_ident(), ["phone-1"]).id
        inv.add_event(dev, "note")
    shutil.copy2(tmp_path / "inv.sqlite", media / "inv.sqlite")  # WAL gone: closed cleanly
    _make_read_only(media)
    out = _read_from(media)
    assert out["immutable"] is True  # mode=ro could not create -shm; immutable=1 fallback
    assert out["devices"] == [_stored("phone-1", tmp_path)] and out["events"] == 2
    assert "opened read-only" in out["write"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_read_only_media_with_changes_still_in_the_wal(tmp_path, media):
    db = tmp_path / "inv.sqlite"
    with Inventory(db) as inv:
        inv.db.execute("PRAGMA wal_autocheckpoint=0")
        dev = inv.record_seen(_ident(), ["phone-1"]).id
        inv.add_event(dev, "note")
        # copied while the station still has it open: the phone is only in the -wal file
        for suffix in ("", "-wal", "-shm"):
            shutil.copy2(f"{db}{suffix}", media / f"inv.sqlite{suffix}")
    _make_read_only(media)
    out = _read_from(media)  # -shm copied along: mode=ro reads the -wal too
    assert out["immutable"] is False and out["devices"] == [_stored("phone-1", tmp_path)]
    media.chmod(stat.S_IRWXU)
    (media / "inv.sqlite-shm").unlink()
    _make_read_only(media)
    out = _read_from(media)  # no -shm, none can be made: refuse rather than show old data
    assert out["exit_code"] == 7 and "recent changes in inv.sqlite-wal" in out["error"]
