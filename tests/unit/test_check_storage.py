"""Storage check: real `df` / `dumpsys diskstats` outputs (tests/fixtures/storage, see its
SOURCES.md), the evidence rule on cut and contradictory outputs, and the evaluation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import REPO
from traomay.apps.plan import parse_df_free
from traomay.checks import storage
from traomay.checks.storage_readers import Problem, parse_df, read_df, read_diskstats
from traomay.core.results import FAVOUR, Status, Unknown

FIXTURES = REPO / "tests" / "fixtures" / "storage"
K, MIB, GIB = 1024, 1024**2, 1024**3


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


# Golden values read by hand from each file (KiB figures x 1024; toolbox "3G" = 3 x 2^30).
DF_FIXTURES = {
    # /dev/fuse 11585536 1316348 10269188 12% /mnt/sdcard (used + avail = size: root df)
    "tradefed-toybox-sdcard.df.txt": (11585536 * K, 10269188 * K, "toybox", "/mnt/sdcard"),
    "tradefed-toybox-emulated.df.txt": (27240188 * K, 26251316 * K, "toybox",
                                        "/storage/emulated"),
    "tradefed-toybox-usb.df.txt": (31154688 * K, 31054112 * K, "toybox", "/storage/3134-3433"),
    # Gingerbread toolbox truncates to whole units: 3G - 787M - 2G leaves 237M unexplained.
    "tradefed-toolbox-gingerbread.df.txt": (3 * GIB, 2 * GIB, "toolbox", "/mnt/sdcard"),
    "tradefed-toolbox-froyo.df.txt": (3864064 * K, 2581184 * K, "toolbox-old", "/mnt/sdcard"),
}


@pytest.mark.parametrize("name", sorted(DF_FIXTURES))
def test_real_df_outputs(name):
    total, free, style, mount = DF_FIXTURES[name]
    text = fixture(name)
    assert parse_df(text) == (total, free)
    assert parse_df_free(text) == free  # the install pre-check reads df the same way
    reading = read_df(text)
    assert not isinstance(reading, Problem)
    assert (reading.style, reading.mount) == (style, mount)
    facts = storage.parse({"storage_df": text})
    assert (facts.total_bytes, facts.free_bytes, facts.source) == (total, free, "df")


def test_gingerbread_whole_units_count_as_a_full_unit_of_doubt():
    facts = storage.parse({"storage_df": fixture("tradefed-toolbox-gingerbread.df.txt")})
    assert facts.free_margin_bytes == GIB
    result = storage.evaluate(facts, {"min_total_gb": 1})
    assert result.status is Status.PASS and result.summary.args["free"] == 1024


def test_real_diskstats_output():
    # Data-Free: 5684936K / 6094400K total = 93% free (no File-based Encryption line)
    text = fixture("andromodem.diskstats.txt")
    reading = read_diskstats(text)
    assert not isinstance(reading, Problem)
    assert (reading.total_bytes, reading.free_bytes) == (6094400 * K, 5684936 * K)
    assert (reading.write_latency_ms, reading.write_test_error) == (0, None)
    facts = storage.parse({"diskstats": text})
    assert (facts.total_bytes, facts.free_bytes, facts.source) == (6094400 * K, 5684936 * K,
                                                                   "diskstats")
    assert facts.file_based_encryption is None  # no line, and the Android version unknown
    result = storage.evaluate(facts, {})
    assert result.status is Status.PASS
    assert result.summary.args == {"free": 5551, "total": 5.8, "needed": 1024}


@pytest.mark.parametrize(("name", "status"), [
    ("tradefed-toybox-sdcard.df.txt", Status.PASS),  # 11.0 GiB, 10028 MiB free
    ("tradefed-toolbox-gingerbread.df.txt", Status.FAIL),  # 3 GiB in all
    ("tradefed-toolbox-froyo.df.txt", Status.FAIL),  # 3.7 GiB in all
])
def test_evaluate_real_outputs(name, status):
    assert storage.evaluate(storage.parse({"storage_df": fixture(name)}), {}).status is status


# -- both sources ------------------------------------------------------------------------------

DS = ("Latency: 1ms [512B Data Write]\n"
      "Data-Free: 15377864K / 26658784K total = 57% free\n"
      "Cache-Free: 15377864K / 26658784K total = 57% free\n"
      "System-Free: 271388K / 2499580K total = 10% free\n")
DF = ("Filesystem            1K-blocks     Used Available Use% Mounted on\n"
      "/dev/block/mmcblk0p33  26658784 11095892  15380652  42% /data\n")


def test_both_sources_agree_and_the_smaller_free_figure_is_used():
    getprop = "[ro.build.version.sdk]: [25]"
    facts = storage.parse({"diskstats": DS, "storage_df": DF, "getprop": getprop})
    assert facts.total_bytes == 26658784 * K
    assert (facts.free_bytes, facts.source) == (15377864 * K, "diskstats")
    assert facts.file_based_encryption is False  # 7.1 prints the line only when true
    low_df = DF.replace("15380652  42%", "15370652  42%")
    assert storage.parse({"diskstats": DS, "storage_df": low_df}).source == "df"


def test_df_names_another_mount_of_the_data_device():
    # toybox shows the last mount of /data's device: a bind mount on Android 11+, or a vendor
    # path (Xiaomi /cust/...). One row is /data whatever its mount column says.
    one = ("Filesystem       1K-blocks    Used Available Use% Mounted on\n"
           "/dev/block/dm-27  51170024 5911412  45111156  12% /data/user/0\n")
    assert parse_df(one) == (51170024 * K, 45111156 * K)
    two = one + "/dev/block/dm-30    100000   50000     50000  50% /mnt/vendor\n"
    assert parse_df(two) == (None, None)  # a table without a /data row: which one?


def test_full_toolbox_table_android_6():
    text = ("Filesystem               Size     Used     Free   Blksize\n"
            "/dev                   956.5M   148.0K   956.3M   4096\n"
            "/system                  2.9G     2.6G   333.5M   4096\n"
            "/data                   10.9G     6.3G     4.6G   4096\n"
            "/mnt/runtime/default/emulated: Permission denied\n"
            "/storage/emulated       10.9G     6.3G     4.6G   4096\n")
    reading = read_df(text)
    assert not isinstance(reading, Problem)
    assert (reading.mount, reading.style) == ("/data", "toolbox")
    assert reading.total_bytes == 109 * GIB // 10 and reading.free_bytes == 46 * GIB // 10
    assert reading.free_margin_bytes == GIB // 20


def test_wrapped_and_512_byte_blocks():
    wrapped = ("Filesystem           1K-blocks      Used Available Use% Mounted on\n"
               "/dev/block/platform/soc/7824900.sdhci/by-name/userdata\n"
               "                       5000000   1000000   4000000  20% /data\n")
    assert parse_df(wrapped) == (5000000 * K, 4000000 * K)
    posix = ("Filesystem     512-blocks    Used Available Capacity Mounted on\n"
             "/dev/block/dm-5  10000000 2000000   8000000      20% /data\n")
    assert parse_df(posix) == (10000000 * 512, 8000000 * 512)


# -- the evidence rule -------------------------------------------------------------------------

@pytest.mark.parametrize(("sections", "why"), [
    ({}, "no df output; no diskstats output"),
    ({"storage_df": DF.replace(" 15380652  42% /data\n", "")}, "cut short"),
    ({"storage_df": DF.replace("15380652", "1538065")}, "cut short or garbled"),  # a lost digit
    ({"storage_df": DF.replace("26658784", "-26658784")}, "cut short or garbled"),
    ({"diskstats": DS.replace("26658784K total = 57% free", "2665")}, "cut short"),
    ({"diskstats": DS.replace("15377864K / 2", "1537786K / 2", 1)}, "do not add up"),
    ({"diskstats": "Latency: 1ms [512B Data Write]\nData-Free: 300000K / 200000K total = "
                   "150% free\n"}, "more free space than the size"),
    ({"diskstats": "Data-Free: 3221225472K / 3221225472K total = 100% free\n"}, "impossible"),
    ({"diskstats": "Data-Error: java.lang.IllegalArgumentException: Invalid stat: bsize=0 "
                   "avail=0 total=0\n"}, "could not measure /data"),
    ({"diskstats": "Latency: 1ms [512B Data Write]\n"}, "no Data-Free line"),
    ({"diskstats": DS + "Data-Free: 15377000K / 26658784K total = 57% free\n"}, "two different"),
    ({"diskstats": DS, "storage_df": DF.replace("26658784 11095892  15380652  42%",
                                                "31658784 16095892  15380652  52%")},
     "size of /data"),
    ({"diskstats": DS, "storage_df": DF.replace("11095892  15380652  42%", "21095892   5380652"
                                                "  80%")}, "free space of /data"),
    ({"diskstats": DS, "storage_df": DF.splitlines()[0] + "\n/dev/block/dm-2 26"}, "cut short"),
    ({"diskstats": DS, "storage_df": "Filesystem 1K-blocks\n/dev/x 1"}, "unknown shape"),
])
def test_cut_or_contradictory_output_is_an_error(sections, why):
    facts = storage.parse(sections)
    assert isinstance(facts.free_bytes, Unknown) and why in facts.free_bytes.reason
    result = storage.evaluate(facts, {})
    assert result.status is Status.ERROR and why in result.summary.args["reason"]


def test_an_absent_source_leaves_the_other_standing():
    refused = storage.parse({"diskstats": "Can't find service: diskstats\n", "storage_df": DF})
    assert (refused.free_bytes, refused.source) == (15380652 * K, "df")
    no_df = storage.parse({"diskstats": DS, "storage_df": "/system/bin/sh: df: not found\n"})
    assert (no_df.free_bytes, no_df.source) == (15377864 * K, "diskstats")


def test_every_one_character_deletion_in_the_data_free_line_is_refused():
    line = "Data-Free: 15377864K / 26658784K total = 57% free"
    for i in range(len(line)):
        mutated = DS.replace(line, line[:i] + line[i + 1:])
        facts = storage.parse({"diskstats": mutated})
        assert isinstance(facts.free_bytes, Unknown), mutated


@pytest.mark.parametrize("name", sorted(DF_FIXTURES))
def test_deleting_a_character_never_makes_the_result_better(name):
    text = fixture(name)
    base = storage.evaluate(storage.parse({"storage_df": text}), {"min_total_gb": 1})
    for i in range(len(text)):
        facts = storage.parse({"storage_df": text[:i] + text[i + 1:]})
        result = storage.evaluate(facts, {"min_total_gb": 1})
        assert FAVOUR[result.status] <= FAVOUR[base.status], (i, result)
        if isinstance(facts.free_bytes, int):
            assert facts.free_bytes - facts.free_margin_bytes <= (
                base.measurements["free_bytes"] - base.measurements["free_margin_bytes"])


# -- evaluate ----------------------------------------------------------------------------------

def facts_of(total_gib: float, free_mib: int, **diskstats_extra: str) -> storage.Facts:
    total_k, free_k = int(total_gib * GIB) // K, free_mib * MIB // K
    text = (diskstats_extra.get("head", "Latency: 2ms [512B Data Write]\n")
            + f"Data-Free: {free_k}K / {total_k}K total = {free_k * 100 // total_k}% free\n")
    return storage.parse({"diskstats": text, "getprop": "[ro.build.version.sdk]: [30]"})


def test_too_small_phone_fails():
    result = storage.evaluate(facts_of(3.5, 2000), {})
    assert result.status is Status.FAIL and result.summary.args == {"total": 3.5, "minimum": 4}


def test_low_free_space_asks_the_operator():
    result = storage.evaluate(facts_of(10.4, 600), {})
    assert result.status is Status.NEEDS_OPERATOR
    assert result.summary.args == {"free": 600, "needed": 1024}
    assert "reset the phone" in result.summary.msgid


def test_the_apps_requirement_raises_the_bar():
    facts = facts_of(10.4, 1500)
    assert storage.evaluate(facts, {}).status is Status.PASS
    needs = storage.evaluate(facts, {"required_bytes": 2000 * MIB})
    assert needs.status is Status.NEEDS_OPERATOR and needs.summary.args["needed"] == 2000
    assert needs.measurements["needed_bytes"] == 2000 * MIB
    small = storage.evaluate(facts, {"required_bytes": 300 * MIB})  # min_free_mb still holds
    assert small.status is Status.PASS and small.summary.args["needed"] == 1024


@pytest.mark.parametrize("bad", [-1, True, "2GB", 1.5e9])
def test_a_bad_requirement_is_an_error(bad):
    result = storage.evaluate(facts_of(10.4, 5000), {"required_bytes": bad})
    assert result.status is Status.ERROR


def test_rounded_toolbox_free_space_is_taken_at_its_lowest():
    text = ("Filesystem               Size     Used     Free   Blksize\n"
            "/data                   12.0G    11.0G     1.0G   4096\n")
    facts = storage.parse({"storage_df": text})
    assert facts.free_bytes == GIB and facts.free_margin_bytes == GIB // 20
    result = storage.evaluate(facts, {})
    assert result.status is Status.NEEDS_OPERATOR and result.summary.args["free"] == 972


def test_failed_write_test_is_not_a_pass():
    facts = facts_of(25, 9000, head="Test-Error: java.io.FileNotFoundException: "
                     "/data/system/perftest.tmp: open failed: EROFS (Read-only file system)\n")
    result = storage.evaluate(facts, {})
    assert result.status is Status.NEEDS_OPERATOR
    assert "EROFS" in result.summary.args["error"]


def test_file_based_encryption_and_write_speed_are_recorded():
    text = ("Latency: 1ms [512B Data Write]\nRecent Disk Write Speed (kB/s) = 16276\n"
            "Data-Free: 46549712K / 51883996K total = 89% free\n"
            "File-based Encryption: true\nApp Size: 2664341504\n")
    facts = storage.parse({"diskstats": text})
    m = storage.evaluate(facts, {}).measurements
    assert facts.file_based_encryption is True
    assert (m["write_speed_kbps"], m["write_latency_ms"]) == (16276, 1)
    marshmallow = storage.parse({"diskstats": DS, "getprop": "[ro.build.version.sdk]: [23]"})
    assert marshmallow.file_based_encryption is None  # no such line before 7.0


# -- never raises ------------------------------------------------------------------------------

FRAGMENTS = [DS, DF, "Data-Free: ", "K / ", "K total = ", "% free", "Filesystem", "1K-blocks",
             "Size Used Free Blksize", "/data", "12.0G", "-1.0K", "\n", " ", "0", "9" * 30,
             "Test-Error: x", "Data-Error: y", "\r\n", "\t", "512-blocks", "Can't find service"]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["storage_df", "diskstats", "getprop"]),
                       st.one_of(st.text(), st.lists(st.sampled_from(FRAGMENTS)).map("".join))))
def test_parse_never_raises(sections):
    facts = storage.parse.__wrapped__(sections)  # the undecorated parser: no safety net
    storage.evaluate(facts, {})


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_readers_never_raise(text):
    read_df(text)
    read_diskstats(text)
    parse_df(text)
