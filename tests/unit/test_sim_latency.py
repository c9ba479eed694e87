"""The simulated phone's clock (simulator/latency.py, shell.py jobs) and the batch's
concurrent form (device/batch.py) on it: background jobs overlap until ``wait``, the
concurrent batch reads the same sections as the sequential one in less simulated time, and
a shell without jobs falls back to the sequential form for good."""

from __future__ import annotations

import pytest

from tests.fakes import SimShell, sim_phone
from traomay.checks.registry import CHECK_ORDER
from traomay.core.results import ShellResult
from traomay.device import batch
from traomay.provision.inspect import _sections_for
from traomay.simulator.faults import kind_of
from traomay.simulator.latency import REALISTIC, CommandLatency


def test_latency_table_and_install_time():
    assert REALISTIC(["dumpsys", "batterystats"]) == 2.0
    assert REALISTIC(["dumpsys", "battery"]) == 0.1
    assert REALISTIC(["dumpsys", "media.camera"]) == 0.5
    assert REALISTIC(["dumpsys", "nosuch"]) == 0.15  # the longest matching prefix
    streamed = REALISTIC(["cmd", "package", "install", "-r", "-S", "50000000"], 50_000_000)
    assert streamed == pytest.approx(0.3 + 1.0 + 2.0)
    assert CommandLatency(scale=2.0)(["getprop"]) == pytest.approx(0.06)


def test_jobs_overlap_until_wait():
    phone = sim_phone("samsung-galaxy-a55")
    phone.latency = REALISTIC
    one_by_one = phone.run("dumpsys batterystats >/dev/null; dumpsys media.camera >/dev/null")
    assert one_by_one.seconds == pytest.approx(2.5)
    at_once = phone.run("( dumpsys batterystats ) >/dev/null & ( dumpsys media.camera ) "
                        ">/dev/null & wait; echo done")
    assert at_once.seconds == pytest.approx(2.0)
    assert at_once.stdout == b"done\n"
    # Without `wait` the line still lasts as long as its longest job.
    assert phone.run("( dumpsys batterystats ) >/dev/null & echo x").seconds == \
        pytest.approx(2.0)
    assert sim_phone("samsung-galaxy-a55").run("dumpsys batterystats").seconds == 0.0


def test_subshell_output_goes_to_its_file_with_its_status():
    phone = sim_phone("samsung-galaxy-a55")
    out = phone.run('( echo a; false ) >/data/local/tmp/f 2>&1 & wait; '
                    'cat /data/local/tmp/f; echo "s=$?"')
    assert out.stdout == b"a\ns=0\n"
    looped = phone.run('for f in x y; do echo "$f"; done </dev/null 2>&1; echo end')
    assert looped.stdout == b"x\ny\nend\n"


def test_concurrent_batch_reads_what_the_sequential_one_reads():
    phone = sim_phone("samsung-galaxy-a55")
    phone.latency = REALISTIC
    sections = _sections_for(CHECK_ORDER)
    texts = {}
    for concurrent in (False, True):
        cmd = batch.build(sections, nonce="n0nce", concurrent=concurrent)
        out = phone.run(cmd.command_line)
        texts[concurrent] = (batch.split(cmd, out.stdout.decode()), out.seconds)
    (seq, seq_s), (con, con_s) = texts[False], texts[True]
    assert set(seq) == set(con) == set(sections)
    assert {k: v.exit_code for k, v in seq.items()} == {k: v.exit_code for k, v in con.items()}
    assert seq["getprop"].text == con["getprop"].text
    assert seq["battery"].text == con["battery"].text
    assert con_s < seq_s - 1.0  # batterystats (2 s) no longer adds to everything else
    assert not [p for p in phone.files if ".tm-" in p]  # the job files are removed


def test_batch_run_remembers_a_shell_without_jobs():
    phone = sim_phone("samsung-galaxy-a55")

    def no_subshells(command: str, n: int) -> ShellResult | None:
        if command.startswith("( "):  # an old shell: "syntax error: '(' unexpected"
            return ShellResult("/system/bin/sh: syntax error: '(' unexpected\n", 2)
        return None

    shell = SimShell(phone, hooks={"": no_subshells})
    sections = {"getprop": "getprop", "battery": "dumpsys battery"}
    _cmd, found = batch.run(shell, sections)
    assert set(found) == {"getprop", "battery"}
    assert shell.background_jobs is False and len(shell.commands) == 2
    _cmd, found = batch.run(shell, sections)  # straight to the sequential form now
    assert set(found) == {"getprop", "battery"} and len(shell.commands) == 3
    works = SimShell(sim_phone("samsung-galaxy-a55"))
    batch.run(works, sections)
    assert works.background_jobs is True and works.commands[0].startswith("( ")


@pytest.mark.parametrize(("service", "kind"), [
    ("shell,v2:dumpsys battery", "shell"),
    ("exec:cmd package install -r -S 3815", "install"),
    ("shell:pm install -r /data/local/tmp/traomay-install.apk", "install"),
    ("exec:cmd package install-write -S 10 1234 0_base.apk -", "install"),
    ("abb_exec:package\0install-commit\x001234", "install"),
    ("shell,v2:dumpsys package com.vnid", "shell"),
    ("sync:", "push"),
    ("reboot:", "reboot"),
    ("shell,v2:cmd testharness enable", "reboot"),
])
def test_fault_plans_tell_services_apart(service, kind):
    assert kind_of(service) == kind
