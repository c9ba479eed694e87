"""Shared fixtures: a private adb server (bundled binary, private port and HOME — never the
user's server on 5037) and the real captures folder."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

# Tests never start an adb server through the CLI's normal path (which would use the user's
# HOME and, unless told otherwise, port 5037); they use the private server fixture below.
os.environ["TRAOMAY_NO_ADB_START"] = "1"
os.environ.setdefault("TRAOMAY_ADB_PORT", "1")  # nothing listens there: a stray call fails

REPO = Path(__file__).resolve().parents[1]
CAPTURES = REPO.parent / "shared" / "captures"


def capture_rows(file_name: str) -> list[tuple[str, Path]]:
    """(folder, path) for every capture named ``file_name`` listed in SOURCES.tsv."""
    sources = CAPTURES / "SOURCES.tsv"
    if not sources.is_file():
        return []
    with sources.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [(r["folder"], CAPTURES / r["folder"] / r["file"])
            for r in rows if r["file"] == file_name]


def require_captures() -> None:
    if not (CAPTURES / "SOURCES.tsv").is_file():
        pytest.skip(f"real captures not found at {CAPTURES} (they live in ../shared/captures)")


@pytest.fixture(scope="session")
def adb_server(tmp_path_factory):
    from traomay.device.adb import free_port, private_adb_server

    home = tmp_path_factory.mktemp("adbhome")
    with private_adb_server(home, free_port(16037)) as server:
        yield server


def pytest_report_header(config):
    if (CAPTURES / "SOURCES.tsv").is_file():
        return f"traomay: real captures from {CAPTURES}"
    return (f"traomay: real captures NOT found at {CAPTURES} (they live in ../shared/captures); "
            "the tests parametrized over them are skipped (\"got empty parameter set\")")


def pytest_collection_modifyitems(config, items):
    """Say plainly why capture-based tests skip when ../shared/captures is absent."""
    if (CAPTURES / "SOURCES.tsv").is_file():
        return
    reason = f"real captures not found at {CAPTURES} (they live in ../shared/captures)"
    for item in items:
        marker = item.get_closest_marker("skip")
        if marker and "empty parameter set" in str(marker.kwargs.get("reason", "")):
            item.add_marker(pytest.mark.skip(reason=reason), append=False)
