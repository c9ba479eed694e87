"""Identifiers unique across the stations of a campaign, made fast enough for a province."""

from __future__ import annotations

import os
import time


def random_uids(count: int) -> list[str]:
    """``count`` identifiers in the UUID version 7 layout: the time in milliseconds, then
    74 random bits drawn once for the batch with the row's number in the batch in their
    last 32. Unique across stations (two stations would need the same millisecond and the
    same 42 random bits), and in increasing order within a batch, so a province's 100 000
    rows go into the uid index in order instead of at random places (several times faster
    than ``uuid.uuid4()`` per row)."""
    if count >= 2**32:
        raise ValueError("too many identifiers for one batch")
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big") >> 6  # 74 random bits
    head = (ms & (2**48 - 1)) << 80 | 0x7 << 76 | (rand >> 62) << 64 | 0b10 << 62
    h = f"{head | (rand & (2**30 - 1)) << 32:032x}"
    prefix = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:24]}"  # all but the row number
    return [f"{prefix}{i:08x}" for i in range(count)]
