"""read_apk_cached: an APK is read and verified once while it stays the same file, and
read again as soon as it changes (a station installs the same files on dozens of phones)."""

from __future__ import annotations

import os

import pytest

from traomay.apps.apk import read_apk, read_apk_cached
from traomay.core.errors import BadInputError
from traomay.demo.apkfactory import build_apk, make_signer


def test_same_file_is_read_once_and_a_changed_one_again(tmp_path):
    signer = make_signer("cache test")
    path = build_apk(tmp_path, package="com.vnid", version_code=5, signer=signer)
    first = read_apk_cached(path)
    assert first == read_apk(path)
    assert read_apk_cached(path) is first  # remembered
    newer = build_apk(tmp_path / "new", package="com.vnid", version_code=6, signer=signer)
    path.write_bytes(newer.read_bytes())
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    assert read_apk_cached(path).version_code == 6  # a new version in the same place
    path.write_bytes(b"not an apk")
    with pytest.raises(BadInputError):
        read_apk_cached(path)
    path.unlink()
    with pytest.raises(BadInputError):
        read_apk_cached(path)
