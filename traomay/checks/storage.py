"""Storage: is /data big enough, and is there room for the manifest's apps?

Reads ``df /data`` and ``dumpsys diskstats`` (readers and their Android quirks in
:mod:`traomay.checks.storage_readers`). Both report the same statfs figures of /data, the
partition that holds apps and user files (smaller than the size on the box: system and
vendor partitions take 2-8 GB of it). When both are read they must agree; the smaller free
figure is used. The install pre-check (traomay.apps.plan) reads ``df /data`` with the same
:func:`parse_df`.

The caller may put ``required_bytes`` (what the manifest's apps need on this phone) into the
criteria; the check then asks for ``max(min_free_mb, required_bytes)`` free.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traomay.checks.base import ResultMaker, never_raises, section_text
from traomay.checks.props import parse_getprop, sdk_int
from traomay.checks.storage_readers import (
    GIB,
    MIB,
    DfReading,
    DiskstatsReading,
    Problem,
    parse_df,
    read_df,
    read_diskstats,
)
from traomay.core.results import CheckResult, Status, Unknown

__all__ = ["COMMANDS", "DEFAULT_CRITERIA", "NAME", "Facts", "evaluate", "parse", "parse_df"]

NAME = "storage"

COMMANDS: dict[str, str] = {
    "storage_df": "df /data",
    "diskstats": "dumpsys diskstats",
}

DEFAULT_CRITERIA: Mapping[str, Any] = {
    # Free space on /data (MiB) the phone must have: Android warns "storage space running
    # out" and starts refusing work below min(10% of /data, 500 MB) (DeviceStorageMonitor
    # defaults, Android 5-15); VNeID plus Bình Dương Số need about 400 MB more to install
    # (2 x APK + 50 MB each, traomay.apps.plan). 1024 MiB leaves that and a little room.
    "min_free_mb": 1024,
    # Size of /data (GiB) below which the phone is too small even after a reset. Phones sold
    # as "8 GB" have a /data of 4.3-5.8 GiB and, reset, 2-3 GiB free: enough for the apps.
    # Phones sold as "4 GB" (/data about 2 GiB) are not. Raise to 8 to take only 16 GB+.
    "min_total_gb": 4,
}
REQUIRED_BYTES = "required_bytes"  # criteria key the caller injects (not in criteria.yaml)

# df and diskstats read the same statfs a second apart: beyond these, one of them is wrong.
_TOTAL_TOLERANCE = 0.02  # of the size of /data
_FREE_TOLERANCE = 0.05  # of the size of /data (toolbox "Free" includes reserved blocks)
_FREE_TOLERANCE_MIN = 256 * MIB


@dataclass(frozen=True)
class Facts:
    total_bytes: int | Unknown
    free_bytes: int | Unknown
    source: str | None  # where free_bytes came from: "diskstats" or "df"
    file_based_encryption: bool | None  # diskstats says "File-based Encryption: true"
    sdk: int | None = None
    free_margin_bytes: int = 0  # a rounded toolbox figure may be this much too high
    df: DfReading | None = None
    diskstats: DiskstatsReading | None = None

    @property
    def write_test_error(self) -> str | None:
        return self.diskstats.write_test_error if self.diskstats else None


@never_raises("storage output", lambda u: Facts(u, u, None, None))
def parse(sections: Mapping[str, str]) -> Facts:
    """Pure; never raises. A present but cut or contradictory output gives Unknown sizes."""
    sdk = sdk_int(parse_getprop(section_text(sections, "getprop")))
    df = read_df(section_text(sections, "storage_df"))
    ds = read_diskstats(section_text(sections, "diskstats"))
    df_ok = df if isinstance(df, DfReading) else None
    ds_ok = ds if isinstance(ds, DiskstatsReading) else None
    fbe: bool | None = None
    if ds_ok is not None:
        # AOSP prints the line only when true (7.0+); before 7.0 there was no such line.
        fbe = True if ds_ok.file_based_encryption else (False if sdk and sdk >= 24 else None)

    def facts(total: int | Unknown, free: int | Unknown, source: str | None = None,
              margin: int = 0) -> Facts:
        return Facts(total, free, source, fbe, sdk, margin, df_ok, ds_ok)

    garbled = [p.reason for p in (df, ds) if isinstance(p, Problem) and p.garbled]
    if garbled:
        why = Unknown("; ".join(garbled))
        return facts(why, why)
    if df_ok is None and ds_ok is None:
        why = Unknown("; ".join(p.reason for p in (df, ds) if isinstance(p, Problem)))
        return facts(why, why)
    if df_ok is not None and ds_ok is not None:
        disagreement = _disagreement(df_ok, ds_ok)
        if disagreement:
            why = Unknown(disagreement)
            return facts(why, why)
        if df_ok.free_margin_bytes == 0 and df_ok.free_bytes < ds_ok.free_bytes:
            return facts(ds_ok.total_bytes, df_ok.free_bytes, "df")  # exact and smaller
        return facts(ds_ok.total_bytes, ds_ok.free_bytes, "diskstats")
    if ds_ok is not None:
        return facts(ds_ok.total_bytes, ds_ok.free_bytes, "diskstats")
    assert df_ok is not None
    return facts(df_ok.total_bytes, df_ok.free_bytes, "df", df_ok.free_margin_bytes)


def _disagreement(df: DfReading, ds: DiskstatsReading) -> str | None:
    size = max(df.total_bytes, ds.total_bytes)
    if abs(df.total_bytes - ds.total_bytes) > _TOTAL_TOLERANCE * size + df.free_margin_bytes:
        return (f"df and diskstats disagree on the size of /data ({_mib(df.total_bytes)} "
                f"and {_mib(ds.total_bytes)} MiB)")
    allowed = max(_FREE_TOLERANCE * size, _FREE_TOLERANCE_MIN) + df.free_margin_bytes
    if abs(df.free_bytes - ds.free_bytes) > allowed:
        return (f"df and diskstats disagree on the free space of /data ({_mib(df.free_bytes)} "
                f"and {_mib(ds.free_bytes)} MiB)")
    return None


# -- evaluate ---------------------------------------------------------------------------------


def evaluate(facts: Facts, criteria: Mapping[str, Any]) -> CheckResult:
    c = {**DEFAULT_CRITERIA, **criteria}
    m = _measurements(facts)
    for value in (facts.free_bytes, facts.total_bytes):
        if isinstance(value, Unknown):
            return _result(Status.ERROR, "Could not read the phone's storage: {reason}", m,
                           reason=value.reason)
    assert isinstance(facts.total_bytes, int) and isinstance(facts.free_bytes, int)
    required = c.get(REQUIRED_BYTES, 0)
    if isinstance(required, bool) or not isinstance(required, int) or required < 0:
        why = "the space the apps need is not a byte count (" + repr(required)[:40] + ")"
        return _result(Status.ERROR, "Could not read the phone's storage: {reason}", m,
                       reason=why)
    needed = max(int(float(c["min_free_mb"]) * MIB), required)
    total_gb = round(facts.total_bytes / GIB, 1)
    m.update(needed_bytes=needed, required_bytes=required)
    if facts.total_bytes < float(c["min_total_gb"]) * GIB:
        return _result(Status.FAIL, "This phone has too little storage: {total} GB for apps "
                       "and files (minimum {minimum} GB)", m, total=total_gb,
                       minimum=c["min_total_gb"])
    if facts.write_test_error is not None:
        return _result(Status.NEEDS_OPERATOR, "The phone could not write a test file to its "
                       "storage ({error}): restart the phone and check again; if it happens "
                       "again, the storage is failing", m, error=facts.write_test_error)
    usable = facts.free_bytes - facts.free_margin_bytes
    free_mb = max(0, usable // MIB)
    if usable < needed:
        return _result(Status.NEEDS_OPERATOR, "Only {free} MB free, {needed} MB needed: "
                       "delete files or apps, or reset the phone, then check again", m,
                       free=free_mb, needed=-(-needed // MIB))
    return _result(Status.PASS, "{free} MB free of {total} GB (needed: {needed} MB)", m,
                   free=free_mb, total=total_gb, needed=-(-needed // MIB))


_result = ResultMaker(NAME)


def _measurements(facts: Facts) -> dict[str, Any]:
    df, ds = facts.df, facts.diskstats
    total = facts.total_bytes if isinstance(facts.total_bytes, int) else None
    free = facts.free_bytes if isinstance(facts.free_bytes, int) else None
    return {
        "total_bytes": total,
        "free_bytes": free,
        "free_margin_bytes": facts.free_margin_bytes,
        "source": facts.source,
        "df_total_bytes": df.total_bytes if df else None,
        "df_free_bytes": df.free_bytes if df else None,
        "df_style": df.style if df else None,
        "diskstats_total_bytes": ds.total_bytes if ds else None,
        "diskstats_free_bytes": ds.free_bytes if ds else None,
        "file_based_encryption": facts.file_based_encryption,
        "write_latency_ms": ds.write_latency_ms if ds else None,
        "write_test_error": facts.write_test_error,
        "write_speed_kbps": ds.write_speed_kbps if ds else None,
        "sdk": facts.sdk,
    }


def _mib(n: int) -> int:
    return n // MIB
