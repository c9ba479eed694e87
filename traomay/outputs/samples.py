"""One call that shows what the outputs look like (the demo ends with it): the inventory as
CSV, this week's report (CSV and PDF), and one certificate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from traomay.core.campaign import Campaign
from traomay.inventory import readable
from traomay.inventory.store import Inventory
from traomay.outputs import certificate, export, report


@dataclass(frozen=True)
class SampleOutputs:
    csv: Path
    report_csv: Path
    report_pdf: Path
    certificate: Path | None  # None when no phone has passed


def write_samples(inventory: Inventory, folder: Path,
                  campaign: Campaign | None = None) -> SampleOutputs:
    """Write ``kho-may.csv``, ``bao-cao-tuan-<week>.csv/.pdf`` and the certificate of the
    first phone that passed (``chung-nhan-id<N>.pdf``) into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / "kho-may.csv"
    export.write_csv(inventory, csv_path)
    files = report.write_weekly(inventory, campaign, folder)
    first = readable.snapshot(inventory, lambda: inventory.db.execute(
        "SELECT id FROM devices WHERE verdict = 'pass' ORDER BY id LIMIT 1").fetchone())
    cert = None
    if first is not None:
        device_id = int(first[0])
        cert = certificate.issue(inventory, device_id,
                                 folder / certificate.default_name(device_id), campaign).path
    return SampleOutputs(csv_path, files.csv, files.pdf, cert)
