"""The simulator's ``df`` and ``dumpsys diskstats``: what the storage check reads, in the
format of each Android version, agreeing with the profile's numbers."""

from __future__ import annotations

from dataclasses import replace

import pytest
import yaml
from sim_apk_builder import build_apk

from traomay.checks import storage
from traomay.checks.storage_readers import Problem, parse_df, read_df, read_diskstats
from traomay.core.results import Status
from traomay.simulator.phone import Phone
from traomay.simulator.profile import (
    PROFILES_DIR,
    ProfileError,
    list_profiles,
    load_profile,
    parse_profile,
)

PROFILES = list_profiles()
BLOCK = 4096


def sections(phone: Phone) -> dict[str, str]:
    return {key: phone.run(command).stdout.decode()
            for key, command in {**storage.COMMANDS, "getprop": "getprop"}.items()}


@pytest.mark.parametrize("name", PROFILES)
def test_df_and_diskstats_give_the_profile_numbers(name):
    phone = Phone.from_profile(name)
    total = phone.profile.storage_total_bytes // BLOCK * BLOCK
    free = phone.storage_free // BLOCK * BLOCK
    found = sections(phone)
    assert found["storage_df"].startswith("Filesystem      1K-blocks")  # toybox (7.0+)
    assert parse_df(found["storage_df"]) == (total, free)
    reading = read_diskstats(found["diskstats"])
    assert not isinstance(reading, Problem)
    assert (reading.total_bytes, reading.free_bytes) == (total, free)
    facts = storage.parse(found)
    assert (facts.total_bytes, facts.free_bytes, facts.sdk) == (total, free, phone.sdk)
    assert facts.file_based_encryption is (phone.sdk >= 29)
    expected = Status.NEEDS_OPERATOR if name == "masstel-max-10" else Status.PASS
    assert storage.evaluate(facts, {}).status is expected


def test_marshmallow_prints_the_toolbox_table():
    profile = load_profile("xiaomi-redmi-5a")
    phone = Phone(replace(profile, props={**profile.props, "ro.build.version.sdk": "23",
                                          "ro.build.version.release": "6.0.1"}))
    found = sections(phone)
    assert found["storage_df"] == ("Filesystem               Size     Used     Free   Blksize\n"
                                   "/data                   10.0G     5.8G     4.2G   4096\n")
    reading = read_df(found["storage_df"])
    assert not isinstance(reading, Problem) and reading.style == "toolbox"
    facts = storage.parse(found)
    assert facts.source == "diskstats"  # exact, where toolbox's "4.2G" is rounded
    assert facts.free_bytes == phone.storage_free // BLOCK * BLOCK
    assert facts.file_based_encryption is None
    assert "Recent Disk Write Speed" not in found["diskstats"]


def test_installs_and_resets_move_the_free_space():
    phone = Phone.from_profile("samsung-galaxy-s9")
    before = parse_df(phone.run("df /data").stdout.decode())[1]
    apk = build_apk("com.vnid", 211, "2.1.11", 21, 33, padding=3_000_000)
    command = f"cmd package 'install' -S {len(apk)}"
    assert phone.run(command, apk).stdout == b"Success\n"
    after = storage.parse(sections(phone))
    assert isinstance(before, int) and isinstance(after.free_bytes, int)
    assert after.free_bytes < before
    assert '"com.vnid"' in phone.run("dumpsys diskstats").stdout.decode()
    phone.factory_reset_from_settings()
    reset = parse_df(phone.run("df /data").stdout.decode())
    assert reset[1] is not None and reset[0] is not None and before < reset[1] < reset[0]


def test_a_full_phone_asks_for_room_and_a_reset_gives_it():
    phone = Phone.from_profile("masstel-max-10")
    result = storage.evaluate(storage.parse(sections(phone)), {})
    assert result.status is Status.NEEDS_OPERATOR and result.summary.args["free"] < 200
    phone.factory_reset_from_settings()
    assert storage.evaluate(storage.parse(sections(phone)), {}).status is Status.PASS


def test_df_of_a_missing_path_and_the_whole_table():
    phone = Phone.from_profile("xiaomi-redmi-note7")
    missing = phone.run("df /no/such/dir")
    assert missing.exit_code == 1
    assert missing.stderr == b"df: '/no/such/dir': No such file or directory\n"
    table = phone.run("df").stdout.decode()
    assert parse_df(table) == parse_df(phone.run("df /data").stdout.decode())
    assert "/storage/emulated" in table and "diskstats" in phone.run("dumpsys -l").stdout.decode()


def test_profile_storage_must_fit():
    data = {"name": "x", "description": "x"}
    with pytest.raises(ProfileError, match="storage_free_bytes <= storage_total_bytes"):
        parse_profile({**_minimal(data), "storage_free_bytes": 10000, "storage_total_bytes": 9000})
    with pytest.raises(ProfileError, match="missing field 'storage_total_bytes'"):
        parse_profile({**_minimal(data), "storage_free_bytes": 10})


def _minimal(data: dict) -> dict:
    """A valid profile document (the bundled Redmi 5A's) without its /data size."""
    doc = yaml.safe_load((PROFILES_DIR / "xiaomi-redmi-5a.yaml").read_text(encoding="utf-8"))
    doc.pop("storage_total_bytes")
    return {**doc, **data}
