"""Certificates (A5 PDF, Vietnamese) for phones that passed, failure reports for those that
did not, and the check of a certificate's QR code.

A certificate states, for one phone: its identity, each criterion of the campaign with its
result and date, the apps installed with their versions, the erasure (method, encryption,
security patch, how it was verified, the standard it is stated against), the station and
the inspectors; and a QR code ``TM1:<certificate id>:<signature>``. The signature is an
HMAC-SHA256 (first 16 bytes) of ``TM1:<certificate id>`` under the campaign's certificate
key (traomay.inventory.certificates.signing_key): any station or the district holding
``campaign.key`` can check it; nobody without it can make one.

The erasure is stated against NIST SP 800-88 Rev. 2 as "Purge" by cryptographic erase
only when the phone reported file-based encryption after its reset (``ro.crypto.type`` =
``file``; required for phones launched with Android 10+): the reset destroys the keys, so
what stays in flash cannot be read. Otherwise it is stated as "Clear" (a logical erase).
"""

from __future__ import annotations

import hmac
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from traomay import __version__
from traomay.core.campaign import Campaign
from traomay.core.errors import BadInputError, TraomayError
from traomay.core.msg import N_, Msg
from traomay.inventory import readable
from traomay.inventory.certificates import (
    PREFIX,
    CertificateRecord,
    find_certificate,
    record_certificate,
    signature,
    signing_key,
)
from traomay.inventory.store import Inventory
from traomay.outputs.dossier import Dossier, gather
from traomay.outputs.forms import FORM_LANGUAGE, header_blocks, out_file, tr, vn_date, vn_datetime
from traomay.outputs.pdf import Document

_PAYLOAD = re.compile(r"^TM1:([0-9A-F]{32}):([0-9A-F]{32})$")
# Where a payload may sit in a text or a file (then checked strictly by _PAYLOAD).
_FIND = re.compile(r"TM1:[^\s()<>\[\]{}/\\]{0,80}:[^\s()<>\[\]{}/\\]{0,80}")


class NotFinished(TraomayError):
    """The phone has no verdict yet: neither a certificate nor a failure report."""


class Verification(str, Enum):
    GENUINE = "genuine"  # signed with this campaign's key, in the inventory, not revoked
    FORGED = "forged"  # not signed with this campaign's key (or not a certificate code)
    REVOKED = "revoked"  # genuine, but superseded or the phone no longer passes
    UNKNOWN = "unknown"  # genuine signature, not in this inventory (merge its station)


@dataclass(frozen=True)
class VerifyResult:
    outcome: Verification
    reason: Msg
    certificate: CertificateRecord | None = None
    device: dict | None = None


@dataclass(frozen=True)
class Issued:
    """A document written for one phone."""

    device_id: int
    path: Path
    kind: str  # certificate | failure_report
    certificate_id: str | None = None


# -- signing -----------------------------------------------------------------------------
def make_payload(key: bytes, cert_id: str) -> str:
    return f"{PREFIX}:{cert_id}:{signature(key, cert_id)}"


def find_payload(text: str) -> str | None:
    """The first thing in ``text`` that looks like a certificate code."""
    match = _FIND.search(text)
    return match.group(0) if match else None


def read_payload(source: str) -> str:
    """The certificate code in ``source``: a PDF or text file, or the code itself (what a
    QR scanner shows). BadInputError when a file holds none."""
    path = Path(source)
    try:
        is_file = len(source) < 4096 and path.is_file()
    except OSError:
        is_file = False
    if is_file:
        try:
            data = path.read_bytes()[:20_000_000].decode("latin-1")
        except OSError as exc:
            raise BadInputError(Msg("Cannot read {path}.", {"path": source}),
                                detail=str(exc)) from None
        found = find_payload(data)
        if found is None:
            raise BadInputError(Msg("{path} holds no traomay certificate code.",
                                    {"path": source}))
        return found
    return source.strip()


def verify(inventory: Inventory, source: str) -> VerifyResult:
    """Genuine, forged, revoked or unknown: the code's signature under this campaign's key,
    then the inventory's record of the certificate and the phone's verdict now."""
    payload = read_payload(source)
    match = _PAYLOAD.match(payload)
    if not match:
        return VerifyResult(Verification.FORGED, Msg(
            "This is not a valid traomay certificate code."))
    cert_id, signed = match.groups()
    if not hmac.compare_digest(signature(signing_key(inventory), cert_id), signed):
        return VerifyResult(Verification.FORGED, Msg(
            "The signature does not match this campaign's key: the certificate is forged or "
            "altered (or comes from another campaign)."))
    record = find_certificate(inventory, cert_id)
    if record is None:
        return VerifyResult(Verification.UNKNOWN, Msg(
            "Signed with this campaign's key, but not in this inventory: merge the inventory "
            "of the station that issued it ('traomay inventory merge')."))
    device = inventory.device(record.device_id)
    if record.revoked_at and record.revoked_reason == "returned":
        return VerifyResult(Verification.REVOKED, Msg(
            "Revoked on {date}: the phone was returned by its household; it must be erased "
            "and checked again.", {"date": vn_datetime(record.revoked_at)}), record, device)
    if record.revoked_at:
        return VerifyResult(Verification.REVOKED, Msg(
            "Revoked on {date}: a newer certificate was issued for this phone.",
            {"date": vn_datetime(record.revoked_at)}), record, device)
    if device.get("verdict") != "pass":
        return VerifyResult(Verification.REVOKED, Msg(
            "Revoked: this phone no longer passes (verdict now: {verdict}).",
            {"verdict": tr(readable.VERDICT_LABELS.get(str(device.get("verdict")),
                                                        "Not finished"))}), record, device)
    return VerifyResult(Verification.GENUINE, Msg(
        "Genuine: issued on {date} at {station} for phone id:{id}.",
        {"date": vn_datetime(record.issued_at), "station": record.station,
         "id": record.device_id}), record, device)


# -- documents ---------------------------------------------------------------------------
def issue(inventory: Inventory, device_id: int, path: Path, campaign: Campaign | None = None,
          *, lang: str = FORM_LANGUAGE) -> Issued:
    """The phone's certificate (passed: recorded, signed) or failure report (failed) at
    ``path``. NotFinished when the phone has no verdict yet."""
    info = gather(inventory, device_id)
    verdict = info.verdict.verdict
    if verdict == "pass":
        cert_id = uuid.uuid4().hex.upper()
        payload = make_payload(signing_key(inventory), cert_id)
        _certificate_pdf(info, campaign, cert_id, payload, lang).save(path)
        # Recorded after the file is written: a certificate that could not be saved is
        # never in the inventory.
        record_certificate(inventory, cert_id, device_id, verdict, payload)
        return Issued(device_id, path, "certificate", cert_id)
    if verdict == "fail":
        _failure_pdf(info, campaign, lang).save(path)
        return Issued(device_id, path, "failure_report")
    raise NotFinished(Msg(
        "Phone id:{id} has not finished its checks (waiting: {waiting}); no certificate. "
        "See 'traomay explain id:{id}'.",
        {"id": device_id, "waiting": ", ".join(info.verdict.waiting)}))


def default_name(device_id: int, kind: str = "certificate") -> str:
    return (f"chung-nhan-id{device_id}.pdf" if kind == "certificate"
            else f"phieu-khong-dat-id{device_id}.pdf")


def issue_all_passed(inventory: Inventory, folder: Path, campaign: Campaign | None = None,
                     *, lang: str = FORM_LANGUAGE) -> Iterator[Issued]:
    """A certificate for every phone whose verdict is pass, one file each in ``folder``."""
    ids = readable.snapshot(inventory, lambda: [int(r[0]) for r in inventory.db.execute(
        "SELECT id FROM devices WHERE verdict = 'pass' ORDER BY id").fetchall()])
    for device_id in ids:
        yield issue(inventory, device_id, out_file(folder, default_name(device_id)), campaign,
                    lang=lang)


def _identity(doc: Document, info: Dossier, lang: str) -> None:
    d = info.device
    doc.section(tr("1. The phone", lang))
    doc.line(tr("Brand", lang), d.get("brand") or "-")
    doc.line(tr("Model", lang), f"{d.get('marketing_name') or ''} ({d.get('model') or ''})")
    doc.line(tr("Android version", lang), d.get("android_version") or "-")
    doc.line(tr("Serial number", lang), d.get("serial") or "-")
    doc.line(tr("Inventory number", lang), f"id:{d['id']} · {d.get('uid') or ''}")
    if info.intake is not None:
        doc.line(tr("Received", lang), tr("receipt {receipt} of {date}, donor unit {unit}", lang,
                                          receipt=info.intake.receipt_no,
                                          date=vn_date(info.intake.at),
                                          unit=info.intake.donor_unit))


def _criteria_rows(info: Dossier, lang: str, only_failing: bool = False) -> list[list[str]]:
    rows = []
    for line in info.verdict.lines:
        if only_failing and line.status != "fail":
            continue
        status = tr(readable.STATUS_LABELS.get(line.status, line.status), lang)
        summary = tr(line.summary.msgid, lang, **line.summary.args) if line.summary else ""
        rows.append([tr(line.label.msgid, lang), status, summary, vn_date(line.at)])
    return rows


def _certificate_pdf(info: Dossier, campaign: Campaign | None, cert_id: str, payload: str,
                     lang: str) -> Document:
    number = cert_id[:8]
    doc = Document(tr("Certificate of inspection and data erasure", lang),
                   subject=f"traomay certificate {payload}", keywords=payload)
    left, right = header_blocks(campaign, "", lang)
    doc.header(left, right)
    doc.title(tr("CERTIFICATE OF INSPECTION AND DATA ERASURE", lang),
              tr("No. {number}, issued {date}", lang, number=number,
                 date=vn_datetime(_now())))
    _identity(doc, info, lang)
    doc.section(tr("2. Inspection against the campaign's criteria", lang))
    doc.table([tr("Criterion", lang), tr("Result", lang), tr("Evidence", lang),
               tr("Date", lang)], _criteria_rows(info, lang), (38, 15, 56, 17), size=7)
    doc.section(tr("3. Apps installed", lang))
    if info.apps:
        doc.table([tr("App", lang), tr("Package", lang), tr("Version", lang), tr("State", lang)],
                  [[a.name, a.package, str(a.version) if a.version is not None else "-",
                    tr(_APP_STATUS.get(a.status, a.status), lang)] for a in info.apps],
                  (30, 46, 18, 32))
    else:
        doc.para(tr("No installation recorded.", lang))
    _erasure(doc, info, lang)
    doc.section(tr("5. Station and inspectors", lang))
    station = info.device.get("station") or ""
    doc.line(tr("Station", lang), station)
    doc.line(tr("Inspected by", lang), ", ".join(info.people) or "-")
    doc.line(tr("Tool", lang), f"traomay {__version__}")
    doc.pdf.ln(1)
    doc.qr(payload, caption=tr(
        "Check this certificate: scan the QR code, or run 'traomay certificate verify' with "
        "the code below at any station of the campaign. Code: {payload}", lang,
        payload=payload))
    doc.signatures([tr("Inspector", lang), tr("(signature and full name)", lang)],
                   [tr("For the organiser", lang), tr("(signature, full name, seal)", lang)])
    return doc


_APP_STATUS = {
    "installed": N_("installed"),
    "skipped": N_("already installed"),
    "refused": N_("not installed"),
    "failed": N_("install failed"),
}


def _erasure(doc: Document, info: Dossier, lang: str) -> None:
    doc.section(tr("4. Erasure of the previous owner's data", lang))
    e = info.erasure
    if e is None:
        doc.para(tr("This station did not factory-reset this phone; no erasure is certified. "
                    "The previous owner's account was found removed (criterion above).",
                    lang))
        return
    method = (tr("Factory reset through Test Harness Mode (Android 10+), run by the station "
                 "over adb", lang) if e.method == "testharness"
              else tr("Factory reset from Settings (Erase all data), done on the phone by a "
                      "volunteer", lang))
    doc.line(tr("Method", lang), f"{method} · {vn_datetime(e.at)}")
    if e.crypto_type == "file":
        crypto = tr("File-based encryption (FBE): the reset destroys the encryption keys, so "
                    "the old data left in memory cannot be read (cryptographic erase).", lang)
    elif e.crypto_type == "block":
        crypto = tr("Full-disk encryption (FDE): the reset erases the data partition and its "
                    "key.", lang)
    else:
        crypto = tr("Not known: the phone did not report its encryption (ro.crypto.type).",
                    lang)
    doc.line(tr("Encryption", lang), crypto)
    doc.line(tr("Security patch", lang), e.security_patch or tr("not reported", lang))
    accounts = info.verdict.lines
    account_line = next((line for line in accounts if line.key == "accounts"), None)
    if e.accounts_after == 0 and account_line is not None and account_line.status == "pass":
        verified = tr("after the reset the phone came back as new and its account list, read "
                      "over adb on {date}, holds no account.", lang,
                      date=vn_datetime(account_line.at))
    else:
        verified = tr("the account list after the reset could not be confirmed empty.", lang)
    doc.line(tr("Verified", lang), verified)
    if e.cryptographic:
        standard = tr("NIST SP 800-88 Rev. 2: Purge by cryptographic erase, relying on "
                      "Android's file-based encryption; IEEE 2883-2022 (cryptographic erase).",
                      lang)
    else:
        standard = tr("NIST SP 800-88 Rev. 2: Clear (logical erase by factory reset). Not "
                      "stated as Purge: file-based encryption was not confirmed.", lang)
    doc.line(tr("Standard", lang), standard)
    if e.forced:
        doc.para(tr("The reset was forced while a Google account was on the phone.", lang),
                 style="I")


def _failure_pdf(info: Dossier, campaign: Campaign | None, lang: str) -> Document:
    doc = Document(tr("Inspection report: not accepted", lang))
    left, right = header_blocks(campaign, "", lang)
    doc.header(left, right)
    doc.title(tr("INSPECTION REPORT: PHONE NOT ACCEPTED", lang),
              tr("Made on {date}", lang, date=vn_datetime(_now())))
    _identity(doc, info, lang)
    doc.section(tr("2. Why it was not accepted", lang))
    doc.table([tr("Criterion", lang), tr("Result", lang), tr("Evidence", lang),
               tr("Date", lang)], _criteria_rows(info, lang, only_failing=True),
              (38, 15, 56, 17), size=7)
    doc.section(tr("3. Every criterion", lang))
    doc.table([tr("Criterion", lang), tr("Result", lang), tr("Evidence", lang),
               tr("Date", lang)], _criteria_rows(info, lang), (38, 15, 56, 17), size=7)
    doc.line(tr("Station", lang), info.device.get("station") or "")
    doc.line(tr("Inspected by", lang), ", ".join(info.people) or "-")
    doc.footer_note(tr("A phone that is repaired can be checked again ('traomay recheck'); "
                       "this report is not a certificate.", lang))
    return doc


def _now() -> str:
    from traomay.inventory.store import utc_now

    return utc_now()
