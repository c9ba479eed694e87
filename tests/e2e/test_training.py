"""Training on simulated phones, as a trainee does it: ``traomay sim`` runs in one terminal,
every other step is a ``traomay`` command in another, and each next step is chosen from
what the screen says (in Vietnamese, the default), never from the simulator's internals.

Every bundled profile is taken to the verdict ``traomay sim --list`` announces for it: the
person's parts are played with ``traomay sim do PHONE ACTION`` (look at the phone, ring it,
turn Bluetooth on in Settings, take it outdoors, a wall charger, remove the donor's account
or screen lock, unplug and replug it for the drain test, erase it from Settings, turn USB
debugging on again and tap Allow). Phones are carried in parallel, as at a station.

The matching helpers below look for the *Vietnamese rendering* of an English msgid on the
screen (the catalog's text, split at its placeholders), so a reworded translation keeps the
test honest and an untranslated screen fails it.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from traomay.core import i18n
from traomay.simulator.profile import list_profiles

TIME_SCALE = 600  # the simulated battery's clock: a 30-minute drain test takes 3 s
WORKERS = 5  # phones carried at once (2 cores: the commands are mostly waiting on adb)


def vi(msgid: str) -> list[str]:
    """The fixed pieces of ``msgid``'s Vietnamese text (placeholders cut out)."""
    before = i18n.current_language()
    i18n.set_language("vi")
    try:
        text = i18n._(msgid)
    finally:
        i18n.set_language(before)
    assert text != msgid or not re.search("[a-z]{4}", msgid), f"untranslated: {msgid}"
    return [p.strip() for p in re.split(r"\{[^}]*\}", text) if len(p.strip()) > 2]


def says(screen: str, msgid: str) -> bool:
    flat = " ".join(screen.split())
    return all(piece in flat for piece in vi(msgid))


def commands_on(screen: str, verb: str) -> list[list[str]]:
    """``traomay VERB ...`` commands the screen tells the trainee to type."""
    found = []
    for match in re.finditer(r"traomay (" + re.escape(verb) + r"[^\n│,;(]*)", screen):
        found.append(shlex.split(match.group(1).rstrip(" .")))
    return found


class Terminal:
    """A second terminal next to ``traomay sim``: runs traomay commands, shows their output."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.log: list[str] = []
        self._lock = threading.Lock()
        self.t0 = time.monotonic()

    def run(self, *args: str, codes: tuple[int, ...] = (0,), timeout: float = 120) -> str:
        out = subprocess.run([sys.executable, "-m", "traomay", *args], capture_output=True,
                             text=True, encoding="utf-8", env=self.env, cwd=self.cwd,
                             timeout=timeout)
        screen = out.stdout + out.stderr
        with self._lock:
            self.log.append(f"[{time.monotonic() - self.t0:6.1f}] $ traomay {' '.join(args)}"
                            f"  -> {out.returncode}\n{screen}")
        assert out.returncode in codes, f"traomay {' '.join(args)} -> {out.returncode}\n{screen}"
        return screen

    def start(self, *args: str) -> Running:
        return Running(self, args)


class Running:
    """A command still running (it waits for the trainee to do something on the phone)."""

    def __init__(self, terminal: Terminal, args: tuple[str, ...]) -> None:
        self.terminal, self.args = terminal, args
        self.proc = subprocess.Popen([sys.executable, "-m", "traomay", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, encoding="utf-8", env=terminal.env,
                                     cwd=terminal.cwd)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def screen(self) -> str:
        return "".join(self.lines)

    def wait_for(self, msgid: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while not says(self.screen, msgid):
            assert self.proc.poll() is None or self._reader.is_alive(), \
                f"traomay {' '.join(self.args)} ended without saying {msgid!r}:\n{self.screen}"
            assert time.monotonic() < deadline, f"never said {msgid!r}:\n{self.screen}"
            time.sleep(0.1)
        return self.screen

    def finish(self, codes: tuple[int, ...] = (0,), timeout: float = 120) -> str:
        self.proc.wait(timeout)
        self._reader.join(5)
        with self.terminal._lock:
            self.terminal.log.append(f"[{time.monotonic() - self.terminal.t0:6.1f}] $ traomay "
                                     f"{' '.join(self.args)}  -> {self.proc.returncode}\n"
                                     f"{self.screen}")
        assert self.proc.returncode in codes, \
            f"traomay {' '.join(self.args)} -> {self.proc.returncode}\n{self.screen}"
        return self.screen


# -- what the trainee does, phone by phone ----------------------------------------------------

def follow(term: Terminal, screen: str, verb: str, name: str, **kw: object) -> str:
    """Type the ``traomay VERB`` command the screen gave (with our name for NAME)."""
    commands = commands_on(screen, verb)
    assert commands, f"the screen gives no 'traomay {verb}' command:\n{screen}"
    words = [name if w in ("NAME", "TÊN") else w for w in commands[0]]
    return term.run(*words, **kw)  # type: ignore[arg-type]


def call_test(term: Terminal, name: str) -> None:
    test = term.start("call-test", name, "--timeout", "60")
    test.wait_for("Waiting for the phone to ring.")
    term.run("sim", "do", name, "ring")
    screen = test.finish(codes=(0, 1))
    assert says(screen, "It rang. You can hang up."), screen


def drain_test(term: Terminal, name: str) -> None:
    """The timed drain test with the simulated battery's clock running TIME_SCALE faster."""
    test = term.start("battery-test", name, "--minutes", "30")
    test.wait_for("Waiting for you to unplug the phone.")
    unplugged = term.run("sim", "do", name, "unplug")
    test.wait_for("Time is up: plug the phone back in now.", timeout=120)
    follow(term, unplugged, "sim do", "Lan")  # the screen said how to plug it back
    screen = test.finish(codes=(0, 1))
    assert says(screen, "Battery level went {start}% → {end}%, in {minutes} minutes."), screen


def reset_from_settings(term: Terminal, name: str) -> None:
    """Android 9 and older: traomay shows the Settings steps and waits; Ctrl-C first (what
    is kept is said), then the real erase played on the phone."""
    stopped = term.start("reset", name)
    stopped.wait_for("Waiting for the erase to start: do the steps above in Settings (the "
                     "phone leaves the list when it restarts).")
    stopped.proc.send_signal(signal.SIGINT)
    screen = stopped.finish(codes=(130,))
    assert says(screen, "Stopped. Nothing was recorded for this phone; its inventory record "
                "is kept. If the phone is erasing, let it finish, then run: traomay accounts "
                "{name}"), screen

    reset = term.start("reset", name)
    reset.wait_for("Open Settings > System > Reset options > Erase all data (factory reset).")
    erased = term.run("sim", "do", name, "factory-reset")
    reset.wait_for("Waiting for the phone to come back: finish the setup screens without an "
                   "account, turn USB debugging on again, plug it in and tap Allow.")
    asked = follow(term, erased, "sim do", "Lan")  # usb-debugging, as the screen said
    reset.wait_for("The phone is back and asks \"Allow USB debugging?\": unlock it and tap "
                   "Allow.")
    follow(term, asked, "sim do", "Lan")  # allow
    screen = reset.finish()
    assert says(screen, "Reset done ({method}). Google accounts on the phone now: {n}."), screen


RECHECKS = (  # (what the inspection says, the person's action on the phone)
    ("Turn Bluetooth on in Settings, then check again", "bluetooth-on"),
    ("No satellites received yet: take the phone to a window or outdoors, then check again",
     "outdoors"),
    ("Plugged in ({source}) but the battery is draining: connect a wall charger, then check "
     "again", "charger-wall"),
)


def carry(term: Terminal, name: str, profile: str) -> str:
    """One phone from its first inspection to its verdict; returns the explain screen."""
    looked = term.run("sim", "do", name, "look")
    follow(term, looked, "attest", "Lan", codes=(0, 1))
    screen = term.run("inspect", name, codes=(0, 1))
    if says(screen, "Run the touch test: touch every square of the {cols} x {rows} grid"):
        term.run("touch-test", name, codes=(0, 1))
    if says(screen, "Call this phone from another phone and confirm that it rings"):
        call_test(term, name)
    for summary, action in RECHECKS:
        if says(screen, summary):
            done = term.run("sim", "do", name, action)
            follow(term, done, "recheck", "Lan", codes=(0, 1))
    if says(screen, "The brand '{brand}' is a chip-maker or reference name, not a phone brand: "
                    "this may be a copy. Check it by hand"):
        term.run("decide", name, "origin", "reject", "--by", "Lan", "--note", "alps clone",
                 codes=(0, 1))
    if says(screen, "Remove the Google account ({count}) in Settings > Accounts > Google > "
                    "Remove account"):
        refused = term.run("reset", name, codes=(1,))
        assert says(refused, "A Google account is still on this phone. Remove it first: "
                    "Settings > Accounts > Google > Remove account. A reset that skips this "
                    "can lock the phone for its next owner (Factory Reset Protection). Use "
                    "--force only if the donor cannot be reached."), refused
        removed = term.run("sim", "do", name, "remove-account")
        follow(term, removed, "accounts", "Lan")
        term.run("reset", name)  # Android 10+: Test Harness Mode, followed through the reboot
    if profile == "xiaomi-redmi-note10":  # a reset trainee: the donor's pattern lock
        refused = term.run("reset", name, codes=(1,))
        assert says(refused, "This phone has a screen lock, so it cannot be reset "
                    "automatically. Remove it: Settings > Security > Screen lock > None "
                    "(enter the PIN if asked), then try again."), refused
        term.run("sim", "do", name, "remove-lock")
        term.run("reset", name)
    if profile == "vivo-v15":  # Android 9: the erase is done by hand in Settings
        reset_from_settings(term, name)
    if profile == "nokia-1-plus":
        drain_test(term, name)
    term.run("install", name, codes=(0, 1))
    return term.run("explain", name, codes=(0,))


def training_criteria(path: Path) -> None:
    """The training campaign's criteria: the campaign's thresholds, shorter radio waits
    (simulated radios answer at once; an indoor GPS would make each inspection wait 2
    minutes for satellites that never come)."""
    short = {"scan_timeout_s": 4.0, "enable_timeout_s": 4.0, "fix_timeout_s": 4.0,
             "open_timeout_s": 4.0, "poll_interval_s": 0.3}
    text = path.read_text(encoding="utf-8")
    for key, value in short.items():
        text, n = re.subn(rf"^(\s+{key}): .*$", rf"\g<1>: {value}", text, flags=re.M)
        assert n, key
    path.write_text(text, encoding="utf-8")


def expected_verdicts(screen: str) -> dict[str, str]:
    """Profile name -> the verdict word `traomay sim --list` announces for it."""
    verdicts: dict[str, str] = {}
    profile = None
    for line in screen.splitlines():
        head = re.match(r"^(\S+) · ", line)
        if head:
            profile = head.group(1)
        elif profile and says(line, "Expected verdict: "):
            verdicts[profile] = line.split(":", 1)[1].strip()
    return verdicts


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT the POSIX way")
def test_training_takes_every_profile_to_its_verdict(adb_server, tmp_path):
    import resource  # POSIX: the CPU time the traomay processes used, load or not

    from traomay.demo.demo import demo_manifest

    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = before.ru_utime + before.ru_stime
    campaign = tmp_path / "campaign"
    env = dict(os.environ, TRAOMAY_ADB_PORT=str(adb_server.port), TRAOMAY_LANG="vi",
               TRAOMAY_SIM_STATE_DIR=str(tmp_path / "sim-state"),
               TRAOMAY_CAMPAIGN=str(campaign), COLUMNS="400", PYTHONUNBUFFERED="1")
    term = Terminal(env, tmp_path)
    term.run("init", str(campaign))
    training_criteria(campaign / "criteria.yaml")
    demo_manifest(campaign)  # the district's apps: stand-in APKs pinned in apk_manifest.yaml
    expected = expected_verdicts(term.run("sim", "--list"))
    profiles = list_profiles()
    assert set(expected) == set(profiles), expected

    sim = Running(term, ("sim", "--phones", str(len(profiles)), "--time-scale",
                         str(TIME_SCALE)))
    try:
        sim.wait_for("{n} simulated phones attached to the adb server on port {port}. Use "
                     "'traomay devices' in another terminal; play what a person does with "
                     "'traomay sim do PHONE ACTION' (list: traomay sim --list). Ctrl-C to "
                     "stop.", timeout=60)
        phones = re.findall(r"│ (t:\d+)\s+│ (\S+)\s+│[^│]*│ (\S+)\s+│", sim.screen)
        assert sorted(p[2] for p in phones) == sorted(profiles), sim.screen
        devices = term.run("devices")
        for name, serial, _profile in phones:
            assert name in devices and serial in devices

        verdict_word = {"pass": vi("PASS")[0], "fail": vi("FAIL")[0]}
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            screens = dict(zip([p[2] for p in phones], pool.map(
                lambda p: carry(term, p[0], p[2]), phones), strict=True))
        wrong = {}
        for profile, screen in screens.items():
            line = next(ln for ln in screen.splitlines() if says(ln, "Verdict: "))
            got = line.split(":", 1)[1].strip()
            if got != expected[profile]:
                wrong[profile] = (expected[profile], got)
        assert not wrong, wrong
        assert {verdict_word["pass"], verdict_word["fail"]} <= set(expected.values())
    finally:
        sim.proc.send_signal(signal.SIGINT)
        sim.proc.wait(30)
        Path(tmp_path / "training.log").write_text("\n".join(term.log), encoding="utf-8")
    assert says(sim.screen, "Stopped: the simulated phones are gone from the adb server.")
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"training: {len(profiles)} phones in {time.monotonic() - started:.0f} s, "
          f"{used.ru_utime + used.ru_stime - cpu_before:.0f} s of CPU in traomay processes")
