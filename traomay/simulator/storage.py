"""``df`` and ``dumpsys diskstats`` for the simulated phone, from one statfs of /data.

The profile gives the size of /data (``storage_total_bytes``) and the phone its free bytes
(``Phone.storage_free``, lowered by installs). Formats follow the AOSP code that prints them:

- ``df``: toolbox before Android 7.0 (``Filesystem Size Used Free Blksize``, one decimal,
  "Free" = f_bfree), toybox from 7.0 (``1K-blocks``, "Available" = f_bavail for the shell
  user, column widths measured from the values, Use% rounded up);
- ``dumpsys diskstats``: DiskStatsService (Latency line, "Recent Disk Write Speed" from 9,
  Data/Cache/System-Free lines, "File-based Encryption: true", the cached sizes from 8.0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from traomay.simulator.phone import Phone
    from traomay.simulator.shell import Result

BLOCK = 4096
# ext4 blocks kept for system (fs_mgr "reservedsize=128M" on userdata, Android 10+ builds):
# counted free (f_bfree) but not available to apps (f_bavail).
RESERVED_BLOCKS_10 = 128 * 1024 * 1024 // BLOCK
TOYBOX_SDK = 24  # toolbox df until Android 6.0 (real 6.0 phones print the toolbox table)


@dataclass(frozen=True)
class StatFs:
    blocks: int
    bfree: int
    bavail: int
    bsize: int = BLOCK


def data_statfs(phone: Phone) -> StatFs:
    total = max(1, phone.profile.storage_total_bytes // BLOCK)
    avail = max(0, min(phone.storage_free // BLOCK, total))
    reserved = RESERVED_BLOCKS_10 if phone.sdk >= 29 else 0
    return StatFs(total, min(total, avail + reserved), avail)


def _mounts(phone: Phone) -> list[tuple[str, str, StatFs]]:
    """(device, mount point, statfs) as toybox lists them, creation order."""
    data_dev = "/dev/block/dm-5" if phone.sdk >= 29 else "/dev/block/dm-2"
    data = data_statfs(phone)
    system = StatFs(786432, 0 if phone.sdk >= 29 else 131072, 0 if phone.sdk >= 29 else 131072)
    tmpfs = StatFs(475000, 474800, 474800)
    return [("/dev/root" if phone.sdk >= 28 else "/dev/block/dm-0",
             "/" if phone.sdk >= 28 else "/system", system),
            ("tmpfs", "/dev", tmpfs), (data_dev, "/data", data),
            ("/data/media", "/storage/emulated", data)]


def df(phone: Phone, args: list[str], stdin: bytes) -> Result:
    paths = [a for a in args if not a.startswith("-")]
    mounts = _mounts(phone)
    if phone.sdk < TOYBOX_SDK:
        return _toolbox(phone, mounts, paths)
    rows, errors = [], []
    for path in paths or [m[1] for m in mounts]:
        found = _mount_of(phone, mounts, path)
        if found is None:
            errors.append(f"df: '{path}': No such file or directory\n")
        else:
            rows.append(found)
    out = _toybox_table(rows) if rows else ""
    return out.encode(), "".join(errors).encode(), 1 if errors else 0


def _mount_of(phone: Phone, mounts: list[tuple[str, str, StatFs]],
              path: str) -> tuple[str, str, StatFs] | None:
    """The mount holding ``path``; None when the path does not exist (df stats it first)."""
    if phone.stat_file(path) is None and path not in {m[1] for m in mounts}:
        return None
    if path in ("/sdcard", "/mnt/sdcard") or path.startswith(("/sdcard/", "/storage/")):
        path = "/storage/emulated"
    best = None
    for mount in mounts:
        point = mount[1]
        if path == point or path.startswith(point.rstrip("/") + "/"):
            if best is None or len(point) > len(best[1]):
                best = mount
    return best


def _toybox_table(rows: list[tuple[str, str, StatFs]]) -> str:
    values = []
    for device, point, st in rows:
        size = st.blocks * st.bsize // 1024
        used = (st.blocks - st.bfree) * st.bsize // 1024
        avail = st.bavail * st.bsize // 1024  # the shell is not root: f_bavail
        percent = math.ceil(used * 100 / (used + avail)) if used + avail else 0
        values.append((device, size, used, avail, percent, point))
    width = [max(14, *(len(v[0]) for v in values)),
             max(len("1K-blocks"), *(len(str(v[1])) for v in values)),
             max(len("Used"), *(len(str(v[2])) for v in values)),
             max(len("Available"), *(len(str(v[3])) for v in values)), len("Use%")]
    lines = [f"{'Filesystem':<{width[0]}} {'1K-blocks':>{width[1]}} {'Used':>{width[2]}} "
             f"{'Available':>{width[3]}} {'Use%':>{width[4]}} Mounted on"]
    for device, size, used, avail, percent, point in values:
        lines.append(f"{device:<{width[0]}} {size:>{width[1]}} {used:>{width[2]}} "
                     f"{avail:>{width[3]}} {percent:>{width[4] - 1}}% {point}")
    return "\n".join(lines) + "\n"


def _printsize(n: int) -> str:
    """toolbox df.c printsize() (KitKat to Marshmallow): one decimal, K/M/G."""
    unit = "K"
    n *= 10
    if n > 1024 * 1024 * 10:
        n //= 1024
        unit = "M"
    if n > 1024 * 1024 * 10:
        n //= 1024
        unit = "G"
    t = (n + 512) // 1024
    return f"{t // 10:4d}.{t % 10}{unit}"


def _toolbox(phone: Phone, mounts: list[tuple[str, str, StatFs]], paths: list[str]) -> Result:
    out = ["Filesystem               Size     Used     Free   Blksize\n"]
    errors = []
    chosen = [(m[1], m[2]) for m in mounts] if not paths else []
    for path in paths:
        found = _mount_of(phone, mounts, path)
        if found is None:
            errors.append(f"{path}: No such file or directory\n")
        else:
            chosen.append((path, found[2]))  # toolbox prints the path it was given
    for name, st in chosen:
        out.append(f"{name:<20}  {_printsize(st.blocks * st.bsize)}  "
                   f"{_printsize((st.blocks - st.bfree) * st.bsize)}  "
                   f"{_printsize(st.bfree * st.bsize)}   {st.bsize}\n")
    return "".join(out).encode(), "".join(errors).encode(), 1 if errors else 0


# --- dumpsys diskstats ------------------------------------------------------------------------

def diskstats(phone: Phone, args: list[str]) -> str:
    sdk, st = phone.sdk, data_statfs(phone)
    lines = [f"Latency: {1 if sdk >= 26 else 0}ms [512B Data Write]"]
    if sdk >= 28:  # storaged's benchmark (Android 9+); 0 = not measured yet
        lines.append("Recent Disk Write Speed (kB/s) = 16276")
    data = _free_line("Data", st)
    lines.append(data)
    # No /cache partition on A/B and Android 10+ devices: getDownloadCacheDirectory() is
    # /data/cache, so Cache-Free repeats Data-Free.
    lines.append(data.replace("Data-", "Cache-", 1) if sdk >= 29
                 else _free_line("Cache", StatFs(63480, 62133, 62133)))
    lines.append(_free_line("System", StatFs(786432, 0, 0) if sdk >= 29
                            else StatFs(786432, 131072, 131072)))
    if sdk >= 29:  # file-based encryption is required of devices launched with 10+
        lines.append("File-based Encryption: true")
    if sdk >= 26:
        lines += _cached_sizes(phone)
    return "\n".join(lines) + "\n"


def _free_line(name: str, st: StatFs) -> str:
    avail_k, total_k = st.bavail * st.bsize // 1024, st.blocks * st.bsize // 1024
    return (f"{name}-Free: {avail_k}K / {total_k}K total = "
            f"{st.bavail * 100 // st.blocks}% free")


def _cached_sizes(phone: Phone) -> list[str]:
    """What DiskStatsLoggingService saved in /data/system/diskstats_cache.json (8.0+).
    "App Data Size" / "App Data Sizes" are printed by newer releases only ([INF] the
    release that added them was not found; printed here from Android 11)."""
    names = sorted(phone.apps)
    sizes = [4096 * (7 + len(n)) * 1024 for n in names]
    data = phone.sdk >= 30
    lines = [f"App Size: {sum(sizes)}"]
    if data:
        lines.append(f"App Data Size: {sum(sizes) // 4}")
    lines += [f"App Cache Size: {sum(sizes) // 16}", "Photos Size: 0", "Videos Size: 0",
              "Audio Size: 0", "Downloads Size: 0", "System Size: 4000000000", "Other Size: 0",
              "Package Names: [" + ",".join(f'"{n}"' for n in names) + "]",
              "App Sizes: [" + ",".join(map(str, sizes)) + "]"]
    if data:
        lines.append("App Data Sizes: [" + ",".join(str(s // 4) for s in sizes) + "]")
    lines.append("Cache Sizes: [" + ",".join(str(s // 16) for s in sizes) + "]")
    return lines
