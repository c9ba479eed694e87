"""Intake and its receipt (mẫu số 1: biên nhận thiết bị quyên góp).

:func:`take_in` is what the station calls for a phone on the hub (its inventory id known),
:func:`take_in_manual` for a phone entered by hand; both record the intake in the inventory
(traomay.inventory.intake) and write the receipt as an A5 PDF in the campaign's outputs
folder, returning its path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from traomay.core.campaign import Campaign
from traomay.inventory.intake import (
    Donation,
    Intake,
    ManualPhone,
    intake_of,
    record_intake,
    record_manual_phone,
)
from traomay.inventory.store import Inventory
from traomay.outputs.forms import (
    FORM_LANGUAGE,
    header_blocks,
    out_file,
    phone_title,
    tr,
    vn_datetime,
)
from traomay.outputs.pdf import Document


@dataclass(frozen=True)
class Receipt:
    intake: Intake
    path: Path


def receipt_name(intake: Intake) -> str:
    return f"bien-nhan-{intake.receipt_no}.pdf"


def take_in(inventory: Inventory, device_id: int, donation: Donation, campaign: Campaign,
            folder: Path, *, lang: str = FORM_LANGUAGE) -> Receipt:
    """Record who gave phone ``device_id`` and write the receipt into ``folder``.
    UsageError for a donor unit not in campaign.yaml; AlreadyReceived for a second intake."""
    intake = record_intake(inventory, device_id, donation, campaign)
    return Receipt(intake, write_receipt(inventory, intake, campaign,
                                         out_file(folder, receipt_name(intake)), lang=lang))


def take_in_manual(inventory: Inventory, phone: ManualPhone, donation: Donation,
                   campaign: Campaign, folder: Path, *, lang: str = FORM_LANGUAGE) -> Receipt:
    """Enter a phone without adb (iPhone, does not power on) and write its receipt."""
    intake = record_manual_phone(inventory, phone, donation, campaign)
    return Receipt(intake, write_receipt(inventory, intake, campaign,
                                         out_file(folder, receipt_name(intake)), lang=lang))


def reprint(inventory: Inventory, device_id: int, campaign: Campaign | None, folder: Path,
            *, lang: str = FORM_LANGUAGE) -> Receipt | None:
    """The receipt of a phone already received, written again (None: no intake)."""
    intake = intake_of(inventory, device_id)
    if intake is None:
        return None
    return Receipt(intake, write_receipt(inventory, intake, campaign,
                                         out_file(folder, receipt_name(intake)), lang=lang))


def write_receipt(inventory: Inventory, intake: Intake, campaign: Campaign | None,
                  path: Path, *, lang: str = FORM_LANGUAGE) -> Path:
    device = inventory.device(intake.device_id)
    doc = Document(tr("Receipt of a donated phone", lang))
    left, right = header_blocks(campaign, tr("Form no. 1", lang), lang)
    doc.header(left, right)
    doc.title(tr("RECEIPT OF A DONATED PHONE", lang),
              tr("No. {number}, {date}", lang, number=intake.receipt_no,
                 date=vn_datetime(intake.at)))
    doc.section(tr("Donor", lang))
    doc.line(tr("Full name", lang), intake.donor_name)
    if intake.donor_phone:
        doc.line(tr("Phone number", lang), intake.donor_phone)
    doc.line(tr("Donor unit", lang), intake.donor_unit)
    doc.section(tr("The phone", lang))
    doc.line(tr("Phone", lang), phone_title(device) or "-")
    if device.get("serial"):
        doc.line(tr("Serial number", lang), device["serial"])
    if device.get("android_version"):
        doc.line(tr("Android version", lang), device["android_version"])
    doc.line(tr("Inventory number", lang), f"id:{device['id']} · {device.get('uid') or ''}")
    condition = (tr("Entered by hand: it could not be connected over USB (an iPhone, or it "
                    "does not power on).", lang) if intake.condition == "manual"
                 else tr("Powers on and connects over USB.", lang))
    doc.line(tr("Condition when received", lang), condition)
    if intake.note:
        doc.line(tr("Notes", lang), intake.note)
    doc.section(tr("Received at", lang))
    doc.line(tr("Station", lang), intake.station)
    doc.line(tr("Time", lang), vn_datetime(intake.at))
    doc.pdf.ln(2)
    doc.para(tr("The station confirms it received the phone above. It will be checked, "
                "factory reset, given the required apps and handed over to a poor or near-poor "
                "household according to the campaign's plan. Personal data left on the phone will "
                "be erased and never kept.", lang))
    doc.signatures([tr("Donor", lang), tr("(signature and full name)", lang)],
                   [tr("Received by", lang), intake.received_by
                    or tr("(signature and full name)", lang)])
    return doc.save(path)
