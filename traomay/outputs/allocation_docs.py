"""The allocation's documents: the public list posted at the commune office (PDF or CSV),
the hand-over commitment form (mẫu số 2, PDF) and the monthly totals (CSV).

The public list shows household code, neighbourhood, priority tier, phone and whether it was
handed over: never a name, an ID number or a phone number (the rows it is made from,
:class:`traomay.inventory.allocation.PublicRow`, do not hold them). The hand-over form is the
household's own document: it names the recipient and the household.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from traomay.core.campaign import TEMPLATES, Campaign
from traomay.core.errors import UsageError
from traomay.core.msg import N_, Msg
from traomay.core.safe_text import for_csv
from traomay.inventory.allocation import AllocationRun, PublicRow, allocate, public_list
from traomay.inventory.allocation_policy import Policy, policy_from
from traomay.inventory.allocation_report import COUNTS, MonthlyTotals, TotalsLine
from traomay.inventory.handover import Handover, Sim, record_handover
from traomay.inventory.household_csv import read_households_file
from traomay.inventory.households import household_by_code, import_households
from traomay.inventory.store import Inventory, utc_now
from traomay.outputs.dossier import gather
from traomay.outputs.forms import (
    FORM_LANGUAGE,
    header_blocks,
    out_file,
    phone_title,
    tr,
    vn_date,
    vn_datetime,
)
from traomay.outputs.pdf import Document

SAMPLE_HOUSEHOLDS = "households-sample.csv"  # invented names, clearly marked as examples
STATE_LABELS = {"allocated": N_("Allocated"), "handed_over": N_("Handed over")}


def tier_text(label: str, is_msgid: bool, lang: str = FORM_LANGUAGE) -> str:
    """A tier's name: the built-in ones translated, a campaign's own as written."""
    return tr(label, lang) if is_msgid else label


def _write_csv(path: Path, head: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    """UTF-8 with a byte-order mark (Excel reads the Vietnamese), comma-separated, every text
    cell safe from formulas; written whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([for_csv(h) for h in head])
        writer.writerows([for_csv(c) if isinstance(c, str) else c for c in r] for r in rows)
    tmp.replace(path)
    return path


def _kind(path: Path) -> str:
    kind = path.suffix.lower().lstrip(".")
    if kind not in ("pdf", "csv"):
        raise UsageError(Msg("Write the list to a .pdf or .csv file (not {file}).",
                             {"file": path.name}))
    return kind


# -- the public list --------------------------------------------------------------------------
def _public_head(lang: str) -> list[str]:
    return [tr("Row no.", lang), tr("Household code", lang), tr("Neighbourhood", lang),
            tr("Tier", lang), tr("Phone", lang), tr("Status", lang)]


def _public_cells(number: int, row: PublicRow, words: dict[str, str]) -> list[object]:
    return [number, row.household_code, row.unit, row.tier, row.phone,
            words.get(row.state, row.state)]


def _labels(rows: Sequence[PublicRow], lang: str) -> tuple[dict[str, str], dict[int, str]]:
    """The words of the list, translated once (not once per household): the states, and
    each tier's name."""
    states = {k: tr(v, lang) for k, v in STATE_LABELS.items()}
    tiers: dict[int, str] = {}
    for row in rows:
        if row.tier not in tiers:
            tiers[row.tier] = tier_text(row.tier_label, row.tier_label_is_msgid, lang)
    return states, tiers


def order_text(policy: Policy, lang: str = FORM_LANGUAGE) -> str:
    """The rules of ``policy`` in one paragraph, for the people reading the list."""
    parts = [tr("Phones are given in the order of the priority tiers, within a tier in "
                "household-code order.", lang) if policy.order_in_tier == "household_code"
             else tr("Phones are given in the order of the priority tiers, within a tier to "
                     "the households with the most adults without a smartphone first, then "
                     "in household-code order.", lang)]
    parts.append({
        "last": tr("Households that already received a device from a public programme come "
                   "after all the others.", lang),
        "last_in_tier": tr("Households that already received a device from a public programme "
                           "come last in their tier.", lang),
        "excluded": tr("Households that already received a device from a public programme "
                       "are not on the list.", lang)}[policy.already_received])
    parts.append(tr("Every household gets one phone before any gets a second. The list gives "
                    "no names, ID numbers or phone numbers.", lang))
    return " ".join(parts)


def write_public_list(inventory: Inventory, path: Path, campaign: Campaign | None = None, *,
                      policy: Policy | None = None,
                      lang: str = FORM_LANGUAGE) -> tuple[Path, int]:
    """The public list as ``path`` (.pdf or .csv); returns the path and the number of
    households on it."""
    kind = _kind(path)
    rows = public_list(inventory)
    states, tiers = _labels(rows, lang)
    if kind == "csv":
        cells = [[*_public_cells(i, r, states), tiers[r.tier]]
                 for i, r in enumerate(rows, start=1)]
        return _write_csv(path, [*_public_head(lang), tr("Tier name", lang)], cells), len(rows)
    doc = Document(tr("Public list of phone allocations", lang))
    left, right = header_blocks(campaign, "", lang)
    doc.header(left, right)
    doc.title(tr("LIST OF HOUSEHOLDS RECEIVING A PHONE", lang),
              tr("Posted publicly, {date}", lang, date=vn_datetime(utc_now())))
    doc.para(order_text(policy or Policy(), lang), size=7.5)
    for number, label in sorted(tiers.items()):
        doc.line(tr("Tier {number}", lang, number=number), label, size=7.5)
    doc.pdf.ln(1)
    doc.table(_public_head(lang), [[str(c) for c in _public_cells(i, r, states)]
                                   for i, r in enumerate(rows, start=1)],
              (9, 20, 31, 10, 38, 18), size=7)
    doc.footer_note(tr("{count} households on this list. Questions or objections: the "
                       "campaign's organiser.", lang, count=len(rows)))
    return doc.save(path), len(rows)


# -- the hand-over form (mẫu số 2) ------------------------------------------------------------
def handover_form_name(handover: Handover) -> str:
    code = re.sub(r"[^A-Za-z0-9_-]+", "-", handover.household.code).strip("-") or "ho"
    return f"ban-giao-{code}-id{handover.device_id}.pdf"


@dataclass(frozen=True)
class HandoverFiles:
    handover: Handover
    form: Path


def hand_over(inventory: Inventory, device_id: int, household_code: str, *, recipient: str,
              campaign: Campaign | None, folder: Path, path: Path | None = None,
              recipient_id: str = "", sim: Sim | None = None, data_plan: str = "",
              by: str = "", lang: str = FORM_LANGUAGE) -> HandoverFiles:
    """Record the hand-over (:func:`traomay.inventory.handover.record_handover`) and write
    the commitment form into ``folder`` (or ``path``)."""
    done = record_handover(inventory, device_id, household_code, recipient=recipient,
                           recipient_id=recipient_id, sim=sim, data_plan=data_plan, by=by)
    target = path or out_file(folder, handover_form_name(done))
    return HandoverFiles(done, write_handover_form(inventory, done, campaign, target,
                                                   lang=lang))


def write_handover_form(inventory: Inventory, handover: Handover, campaign: Campaign | None,
                        path: Path, *, lang: str = FORM_LANGUAGE) -> Path:
    """The commitment form the recipient signs: recipient and household, the phone's
    identity, the apps installed, the SIM and data bundle, the commitments, signatures."""
    dossier = gather(inventory, handover.device_id)
    device = dossier.device
    doc = Document(tr("Commitment on receiving a phone", lang))
    left, right = header_blocks(campaign, tr("Form no. 2", lang), lang)
    doc.header(left, right)
    doc.title(tr("COMMITMENT ON RECEIVING A PHONE", lang),
              tr("Handed over on {date}", lang, date=vn_datetime(handover.at)))
    doc.section(tr("Recipient", lang))
    doc.line(tr("Full name", lang), handover.recipient)
    doc.line(tr("ID number (CCCD)", lang), handover.recipient_id or "." * 40)
    doc.line(tr("Household code", lang), handover.household.code)
    if handover.household.head_name:
        doc.line(tr("Head of household", lang), handover.household.head_name)
    doc.line(tr("Neighbourhood", lang), handover.household.unit)
    label = str(handover.rule.get("tier_label") or "")
    doc.line(tr("Priority tier", lang), f"{handover.tier}: " + tier_text(
        label, bool(handover.rule.get("label_is_msgid")), lang) if label else handover.tier)
    doc.section(tr("The phone", lang))
    doc.line(tr("Phone", lang), phone_title(device) or "-")
    if device.get("serial"):
        doc.line(tr("Serial number", lang), device["serial"])
    if device.get("android_version"):
        doc.line(tr("Android version", lang), device["android_version"])
    doc.line(tr("Inventory number", lang), f"id:{device['id']} · {device.get('uid') or ''}")
    checked = vn_date(dossier.checked_at)
    doc.line(tr("Checked", lang), tr("passed every criterion of the campaign ({date})", lang,
                                     date=checked) if checked else
             tr("passed every criterion of the campaign", lang))
    apps = [a for a in dossier.apps if a.status in ("installed", "skipped")]
    doc.line(tr("Apps installed", lang), ", ".join(
        a.name + (f" ({a.version})" if a.version else "") for a in apps)
        or tr("none recorded", lang))
    doc.section(tr("SIM and mobile data", lang))
    if handover.sim:
        doc.line(tr("SIM", lang), f"{handover.sim.operator} {handover.sim.number}")
    else:
        doc.line(tr("SIM", lang), tr("none given with the phone", lang))
    if handover.data_plan:
        doc.line(tr("Data bundle", lang), handover.data_plan)
    doc.section(tr("Commitment", lang))
    doc.para(tr("I received the phone above in working order, with the apps listed installed, "
                "working on 3G/4G. I commit to use it for the members of my household (VNeID "
                "and public services, learning, work); not to sell, pawn or give it away; to "
                "keep my VNeID account and passwords to myself; and to bring it back to the "
                "campaign if my household no longer needs it.", lang))
    doc.signatures([tr("Handed over by", lang), handover.by],
                   [tr("Recipient", lang), tr("(signature and full name)", lang)])
    return doc.save(path)


# -- the monthly totals -----------------------------------------------------------------------
_COUNT_HEADS = {
    "eligible": N_("Eligible households"), "waiting": N_("Waiting"),
    "allocated": N_("Allocated"), "handed_over_month": N_("Handed over this month"),
    "handed_over_to_date": N_("Handed over in all"),
    "returned_month": N_("Returned this month"), "held": N_("In the households' hands"),
}


def _totals_cells(line: TotalsLine, lang: str, total: bool = False) -> list[object]:
    unit = tr("Total", lang) if total else line.unit
    tier = "" if total else (line.tier or tr("none now", lang))
    return [unit, tier, *(getattr(line, name) for name in COUNTS)]


def write_monthly_totals(totals: MonthlyTotals, path: Path, *,
                         lang: str = FORM_LANGUAGE) -> Path:
    """One line per neighbourhood and tier, and the total."""
    head = [tr("Month", lang), tr("Neighbourhood", lang), tr("Tier", lang),
            *(tr(_COUNT_HEADS[name], lang) for name in COUNTS)]
    rows = [[totals.month, *_totals_cells(line, lang)] for line in totals.lines]
    rows.append([totals.month, *_totals_cells(totals.total, lang, total=True)])
    return _write_csv(path, head, rows)


# -- the demo's allocation --------------------------------------------------------------------
@dataclass(frozen=True)
class SampleAllocation:
    imported: int  # households added or updated from the sample file
    run: AllocationRun
    public_list: Path
    handover: HandoverFiles | None  # the first allocated phone handed over, with its form


def sample_allocation(inventory: Inventory, campaign: Campaign | None, folder: Path, *,
                      hand_over_first: bool = True) -> SampleAllocation:
    """What the demo shows of allocation, in one call: import the sample households
    (``traomay/templates/households-sample.csv``, invented names), allocate the passing,
    finalized phones by campaign.yaml's rules, write the public list
    (``danh-sach-phan-bo.pdf``) into ``folder`` and, when a phone was allocated, hand the
    first one over with its commitment form (mẫu số 2)."""
    parsed = read_households_file(TEMPLATES / SAMPLE_HOUSEHOLDS)
    imported = import_households(inventory, parsed.households, SAMPLE_HOUSEHOLDS,
                                 parsed.ignored_columns)
    policy = policy_from(campaign.allocation, campaign.path) if campaign else Policy()
    run = allocate(inventory, policy)
    listed, _count = write_public_list(inventory, out_file(folder, "danh-sach-phan-bo.pdf"),
                                       campaign, policy=policy)
    done = None
    first = next((row for row in public_list(inventory) if row.state == "allocated"), None)
    if hand_over_first and first is not None:
        device_id = int(inventory.db.execute(
            "SELECT a.device_id FROM allocations a JOIN households h ON h.id = a.household_id "
            "WHERE h.code = ? AND a.state = 'allocated' ORDER BY a.id LIMIT 1",
            [first.household_code]).fetchone()[0])
        # The sample's head of household (an invented name) receives it.
        head = household_by_code(inventory, first.household_code).head_name
        done = hand_over(inventory, device_id, first.household_code, recipient=head,
                         campaign=campaign, folder=folder)
    return SampleAllocation(imported.added + imported.updated, run, listed, done)
