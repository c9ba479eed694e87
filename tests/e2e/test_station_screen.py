"""The station's screen end to end: the Textual app run headless (Pilot) over a real Station,
the real adb server and simulated phones. A simulated volunteer does the physical steps (the
erase from Settings, USB debugging on again, Allow) while the test answers every question
through key presses on the screen, as a person would: arrows to the phone, then its key.
Also ``traomay station --once --plain`` as a subprocess."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from traomay.core.campaign import find_folder
from traomay.core.i18n import current_language, set_language
from traomay.core.msg import Msg
from traomay.demo.demo import demo_config, demo_manifest
from traomay.demo.volunteer import SimulatedVolunteer
from traomay.interface.station_screen import Ending, StationApp, screen_text
from traomay.inventory.store import Inventory
from traomay.provision.station.runner import HUB_PROBLEM, Station
from traomay.provision.station.worker import StationOptions
from traomay.simulator.phone import Phone

HOSTILE = "[bold red]X\x1b[2J"  # rich markup and "clear the screen"
ANSWERS = {"appearance": "1", "origin": "y", "rang": "y", "touch_retry": "x"}
FINAL = ("done", "set_aside")


@pytest.fixture()
def vietnamese():
    before = current_language()
    set_language("vi")
    yield
    set_language(before)


@pytest.fixture()
def english():
    before = current_language()
    set_language("en")
    yield
    set_language(before)


def _hostile(profile: str) -> Phone:
    phone = Phone.from_profile(profile)
    phone.props["ro.product.model"] = phone.props["ro.product.vendor.model"] = HOSTILE
    return phone


async def _choose(pilot, app, number: int) -> bool:
    """Arrow keys until phone #number is the chosen row."""
    from textual.widgets import DataTable

    table = app.query_one("#phones", DataTable)
    for _ in range(20):
        row = app.chosen_row()
        if row is not None and row.number == number:
            return True
        target = next((i for i, r in enumerate(app.station.board.snapshot().rows)
                       if r.number == number), None)
        if target is None:
            return False
        await pilot.press("down" if target > table.cursor_row else "up")
        await pilot.pause(0.05)
    return False


async def _shown(pilot, app, row) -> bool:
    """Wait until the screen (which reads the board a few times a second) shows ``row``'s
    question on the chosen row, as a person would before pressing its key."""
    for _ in range(400):  # loaded machines: up to 20 s
        chosen = app.chosen_row()
        if chosen is not None and chosen.ask is row.ask:
            return True
        now = app.station.board.row(row.transport_id)
        if now is None or now.ask is not row.ask:
            return False
        await pilot.pause(0.05)
    return False


def test_station_screen_answers_by_keys_and_shows_device_text_literally(
        sim_hub, tmp_path, vietnamese):
    # nokia-1-plus (the hostile name): passes its person's steps, then waits for GPS;
    # alps clone: doubtful origin (asked), touch grid incomplete (asked), set aside;
    # samsung-galaxy-a55: passes and is finalized.
    rig = sim_hub(_hostile("nokia-1-plus"), "alps-clone-s23ultra", "samsung-galaxy-a55")
    manifest = demo_manifest(tmp_path / "campaign")
    pressed: list[tuple[int, str, str]] = []
    with Inventory(tmp_path / "campaign" / "inventory.sqlite", station="test") as inv:
        def start(operator: str) -> Station:
            station = Station(rig.hub, inv, demo_config(manifest), StationOptions(
                operator=operator, touch_timeout=20, call_timeout=8, recheck_every=60,
                logs_dir=tmp_path / "logs"))
            SimulatedVolunteer(station.board, rig.sim,
                               dict(zip(rig.sim.addresses, rig.phones, strict=True)),
                               station.stop, answer_questions=False).start()
            return station

        app = StationApp(start, station_name="test")
        screens: dict[str, str] = {}
        board: dict[str, object] = {}

        async def drive() -> None:
            async with app.run_test(size=(80, 30)) as pilot:
                await pilot.pause(0.2)
                assert app.station is None  # nothing starts before the name is given
                await pilot.press(*"Lan", "enter")
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    await pilot.pause(0.1)
                    rows = app.station.board.snapshot().rows
                    asked = [r for r in rows if r.ask is not None and r.number is not None]
                    if asked:
                        row = asked[0]
                        assert await _choose(pilot, app, row.number)
                        if not await _shown(pilot, app, row):
                            continue  # withdrawn before the screen showed it
                        key = ANSWERS[row.ask.kind]
                        pressed.append((row.number, row.ask.kind, key))
                        await pilot.press(key)
                        for _ in range(400):  # until the worker took the answer (loaded
                            await pilot.pause(0.05)  # machines: up to 20 s)
                            now = app.station.board.row(row.transport_id)
                            if now is None or now.ask is not row.ask:
                                break
                        continue
                    states = sorted(r.state for r in rows)
                    if len(rows) == 3 and states == ["done", "person", "set_aside"] and \
                            all(r.stage == "recheck" for r in rows if r.state == "person"):
                        break
                await pilot.pause(0.6)  # a few more reads of the board
                nokia = next(r for r in app.station.board.snapshot().rows
                             if "Nokia" in r.phone)
                assert await _choose(pilot, app, nokia.number)
                await pilot.pause(0.3)
                screens["80"] = screen_text(app)
                await pilot.resize_terminal(120, 30)
                await pilot.pause(0.5)
                screens["120"] = screen_text(app)
                board["before_quit"] = app.station.board.snapshot()
                # The volunteer unplugs the finished phones, then quits (confirmed).
                for index in range(3):
                    rig.sim.unplug(index)
                await pilot.press("q")
                await pilot.pause(0.2)
                assert "Dừng trạm?" in screen_text(app)
                await pilot.press("y")
                for _ in range(150):
                    if not app.is_running:
                        break
                    await pilot.pause(0.1)

        asyncio.run(drive())
        devices = {d["id"]: d for d in inv.devices()}
        appearance = {i: inv.latest_results(i).get("appearance") for i in devices}

    assert app.ending is Ending.QUIT and app.station.stop.is_set()
    assert not any(w.is_alive() for w in app.station.workers.values())
    assert app.result is not None
    snapshot = board["before_quit"]  # then the phones were unplugged
    rows = {r.number: r for r in snapshot.rows}
    by_name = {r.phone: r for r in snapshot.rows}
    # Every question was answered by a key press on the chosen row.
    kinds = sorted(k for _n, k, _key in pressed)
    assert kinds == ["appearance"] * 3 + ["origin", "touch_retry"]
    # The rows reached their verdicts, the same as the inventory's.
    a55 = by_name["samsung Galaxy A55"]
    alps = next(r for r in snapshot.rows if "S23" in r.phone)
    nokia = next(r for r in snapshot.rows if "Nokia" in r.phone)
    assert (a55.state, a55.verdict) == ("done", "pass")
    assert (alps.state, alps.verdict) == ("set_aside", "fail")
    assert nokia.state == "person" and nokia.verdict == "incomplete"
    for number, row in rows.items():
        assert devices[number]["verdict"] == row.verdict
    # The summary counts match the inventory, on the screen too.
    verdicts = [d["verdict"] for d in devices.values()]
    assert (snapshot.summary.passed, snapshot.summary.failed) == (
        verdicts.count("pass"), verdicts.count("fail")) == (1, 1)
    assert "Đạt 1 · Không đạt 1 · Chờ người 1" in screens["80"]
    # The appearance was attested by the person who gave the name at the start.
    assert json.dumps(appearance[a55.number]["measurements"], ensure_ascii=False).count("Lan")
    # The hostile model name is shown as typed: no markup, no escape sequence.
    for text in screens.values():
        assert "\x1b" not in text
        assert "Nokia [bold red]X" in text  # the chosen phone's panel
        assert "rút máy: xong" in text and "mang ra cửa sổ để bắt GPS" in text
    assert "Bước" in screens["120"] and "Bước" not in screens["80"]  # the narrow layout
    assert all(len(line) <= 80 for line in screens["80"].splitlines())


def test_plain_once_subprocess(sim_hub, cli, tmp_path):
    """`traomay station --once --plain`: nobody at the screen, so what needs a person stays
    for later (the row says what); a phone that failed makes exit code 1."""
    rig = sim_hub(_hostile("masstel-max-10"), "samsung-galaxy-s8")
    for index in range(2):
        rig.listing(index)
    db = tmp_path / "inventory.sqlite"
    started = time.monotonic()
    result = cli(db, "station", "--once", "--plain", lang="vi", timeout=180)
    took = time.monotonic() - started
    out = result.stdout
    assert result.returncode == 1, (out, result.stderr)  # the Galaxy S8's battery fails
    assert "\x1b" not in out
    assert "Masstel [bold red]X" in out
    lines = out.splitlines()
    masstel = [line for line in lines if "Masstel" in line and " · " in line]
    s8 = [line for line in lines if "Galaxy S8" in line and " · " in line]
    assert any("Nhìn máy: màn hình và nắp lưng thế nào?" in line for line in masstel), out
    assert any("KHÔNG ĐẠT" in line and "xóa sạch máy trong Cài đặt" in line for line in s8), out
    assert "Đạt 0 · Không đạt 1 · Chờ người 2" in out
    with Inventory(db) as inv:
        verdicts = sorted(d["verdict"] for d in inv.devices())
    assert verdicts == ["fail", "incomplete"]
    # Steps are logged per phone in the campaign folder's logs/, by inventory id.
    logs = find_folder().logs_dir / "phones"
    seen = [json.loads(line) for path in logs.glob("*.log")
            for line in path.read_text(encoding="utf-8").splitlines()]
    assert any(entry["what"] == "seen" for entry in seen)
    assert took < 60


def test_ctrl_c_on_the_screen_stops_the_station(sim_hub, tmp_path, english):
    rig = sim_hub("samsung-galaxy-s8")
    rig.listing(0)
    with Inventory(tmp_path / "inventory.sqlite", station="test") as inv:
        app = StationApp(lambda name: Station(rig.hub, inv, demo_config(demo_manifest(
            tmp_path / "campaign")), StationOptions(operator=name)), operator="Lan")

        async def drive() -> None:
            async with app.run_test(size=(80, 24)) as pilot:
                for _ in range(100):
                    await pilot.pause(0.1)
                    if app.station.board.snapshot().rows:
                        break
                # A station notice (the hub lost power) shows in the banner.
                app.station.board.notice(Msg(HUB_PROBLEM.msgid, {"n": 3}))
                await pilot.pause(0.5)
                assert "3 phones disconnected at once" in screen_text(app)
                await pilot.press("ctrl+c")
                for _ in range(150):
                    if not app.is_running:
                        break
                    await pilot.pause(0.1)

        asyncio.run(drive())
    assert app.ending is Ending.INTERRUPTED and app.result is not None
    assert not any(w.is_alive() for w in app.station.workers.values())


def test_plain_ctrl_c_keeps_what_is_recorded(sim_hub, adb_server, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    rig = sim_hub("samsung-galaxy-a55")
    rig.listing(0)
    env = dict(os.environ, TRAOMAY_ADB_PORT=str(adb_server.port), TRAOMAY_LANG="vi")
    db = tmp_path / "inventory.sqlite"
    proc = subprocess.Popen([sys.executable, "-m", "traomay", "--db", str(db), "station",
                             "--by", "Lan"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, encoding="utf-8", env=env)
    lines = []
    for line in proc.stdout:  # until the phone waits for a person (its appearance)
        lines.append(line)
        if "Nhìn máy" in line:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    out = "".join(lines) + out
    assert proc.returncode == 130, (out, err)
    assert "Đã dừng. Mọi việc đã làm đều đã ghi vào sổ kho" in out
    with Inventory(db) as inv:
        assert [d["verdict"] for d in inv.devices()] == ["incomplete"]
