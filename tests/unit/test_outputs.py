"""Issue 12: what officers and the district get, from a real inventory (the store's own
writes): receipts, certificates and reports as PDFs whose text is read back with pypdf,
the signed QR code, the CSV/JSON export, the readable views, intake rules."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from outputs_world import KEY, STATION, add_phone, campaign, open_inventory
from pypdf import PdfReader

from traomay.core.errors import UsageError
from traomay.inventory.intake import (
    AlreadyReceived,
    Donation,
    ManualPhone,
    imei_plain_key,
    record_intake,
)
from traomay.inventory.integrity import check
from traomay.inventory.store import Inventory
from traomay.outputs import certificate, export, export_lines, receipt, report
from traomay.outputs.samples import write_samples

HOSTILE_MODEL = '=HYPERLINK("http://x","y")'


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


@pytest.fixture()
def inv(tmp_path):
    with open_inventory(tmp_path / "inventory.sqlite") as inventory:
        yield inventory


DONATION = Donation("Nguyễn Văn An", "hội nông dân", "0912 345 678", "Màn hình trầy nhẹ", "Lan")


# -- receipts (mẫu số 1) ------------------------------------------------------------------
def test_receipt_pdf_has_the_vietnamese_form(inv, tmp_path):
    phone = add_phone(inv, "R58M1")
    made = receipt.take_in(inv, phone, DONATION, campaign(), tmp_path / "outputs")
    assert made.path.is_file() and made.path.parent == tmp_path / "outputs"
    text = pdf_text(made.path)
    for expected in ("BIÊN NHẬN THIẾT BỊ QUYÊN GÓP", "Mẫu số 1",
                     "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "Họ và tên: Nguyễn Văn An", "Đơn vị vận động: Hội Nông dân",
                     "Số điện thoại: 0912345678", "Tình trạng khi nhận: Lên nguồn và kết nối "
                     "được qua cáp USB.", "Ghi chú: Màn hình trầy nhẹ", made.intake.receipt_no,
                     "ĐOÀN THANH NIÊN THỊ TRẤN LAI UYÊN", "(ký, ghi rõ họ tên)"):
        assert expected in text, expected
    # the unit is stored as campaign.yaml spells it; the event names no donor
    assert made.intake.donor_unit == "Hội Nông dân"
    intake_event = [e for e in inv.events(phone) if e["kind"] == "intake"][0]
    assert "Nguyễn Văn An" not in intake_event["data"]


def test_intake_rules(inv, tmp_path):
    phone = add_phone(inv, "R58M1")
    with pytest.raises(UsageError) as unknown:
        record_intake(inv, phone, Donation("An", "Hội Bóng đá"), campaign())
    assert "Hội Nông dân" in unknown.value.message.args["units"]
    with pytest.raises(UsageError):
        record_intake(inv, phone, Donation("", "Hội Nông dân"), campaign())
    with pytest.raises(UsageError):
        record_intake(inv, phone, Donation("An", "Hội Nông dân", donor_phone="12ab"), campaign())
    record_intake(inv, phone, Donation("An", "Hội Nông dân"), campaign())
    with pytest.raises(AlreadyReceived) as again:
        record_intake(inv, phone, Donation("Bình", "Đoàn Thanh niên"), campaign())
    assert again.value.exit_code == 1
    assert inv.db["intakes"].count == 1


def test_manual_phone_is_keyed_like_the_same_phone_on_adb(inv, tmp_path):
    from traomay.provision.identify import Identity

    imei = "490154203237518"
    made = receipt.take_in_manual(inv, ManualPhone("Apple", "iPhone 8", imei),
                                  Donation("Trần Thị Bình", "Khu phố Đồng Sơn"), campaign(),
                                  tmp_path / "outputs")
    record = inv.device(made.intake.device_id)
    assert record["entry"] == "manual" and record["brand"] == "Apple"
    assert "Nhập tay" in pdf_text(made.path)
    # the same IMEI read over adb later finds this record, not a new one
    ident = Identity("samsung", "samsung", "SM-A105F", "Galaxy A10", "a10", "11", 30,
                     ("arm64-v8a",), "R58M9", imeis=(imei,))
    assert ident.candidate_keys()[0] == imei_plain_key(imei)
    seen = inv.record_seen(ident.to_json(), ident.candidate_keys())
    assert seen.id == made.intake.device_id and not seen.created
    # without an IMEI: a fresh key each time (two iPhones are two phones)
    other = receipt.take_in_manual(inv, ManualPhone("Apple", "iPhone 8"),
                                   Donation("C", "Đoàn Thanh niên"), campaign(), tmp_path)
    assert other.intake.device_id != made.intake.device_id
    with pytest.raises(UsageError):
        receipt.take_in_manual(inv, ManualPhone("Apple", "iPhone 8", "490154203237519"),
                               Donation("C", "Đoàn Thanh niên"), campaign(), tmp_path)


# -- certificates --------------------------------------------------------------------------
def test_certificate_pdf_states_the_phone_the_criteria_and_the_erasure(inv, tmp_path):
    phone = add_phone(inv, "R58M1")
    receipt.take_in(inv, phone, DONATION, campaign(), tmp_path)
    issued = certificate.issue(inv, phone, tmp_path / "c.pdf", campaign())
    assert issued.kind == "certificate"
    text = pdf_text(issued.path)
    for expected in ("GIẤY CHỨNG NHẬN KIỂM TRA VÀ XÓA DỮ LIỆU", "1. Thiết bị",
                     "Kiểu máy: Galaxy A10 (SM-A105F)", "Số sê-ri: R58M1",
                     "2. Kết quả kiểm tra theo tiêu chí của chiến dịch",
                     "Pin dùng được hơn 4 giờ", "Đạt", "3. Ứng dụng đã cài đặt", "VNeID",
                     "com.vnid", "2041", "4. Xóa dữ liệu của chủ cũ", "Mã hóa theo tệp (FBE)",
                     "Bản vá bảo mật: 2024-05-01", "NIST SP 800-88 Rev. 2", "Purge",
                     "IEEE 2883-2022", "Người kiểm tra: Nguyễn Thị Lan",
                     f"Trạm: {STATION}", "Người kiểm tra"):
        assert expected in text, expected
    payload = inv.db.execute("SELECT payload FROM certificates").fetchone()[0]
    assert certificate.read_payload(str(issued.path)) == payload
    assert certificate.verify(inv, str(issued.path)).outcome is certificate.Verification.GENUINE


def test_no_purge_claim_without_file_based_encryption(inv, tmp_path):
    phone = add_phone(inv, "R58M1", crypto="")
    text = pdf_text(certificate.issue(inv, phone, tmp_path / "c.pdf").path)
    assert "Purge (tẩy sạch)" not in text and "mức Clear" in text
    assert "Không rõ: máy không báo trạng thái mã hóa" in text


def test_failed_phone_gets_a_failure_report_with_its_reasons(inv, tmp_path):
    phone = add_phone(inv, "R58M2", fail="battery")
    issued = certificate.issue(inv, phone, tmp_path / "f.pdf", campaign())
    assert issued.kind == "failure_report" and issued.certificate_id is None
    text = pdf_text(issued.path)
    assert "PHIẾU BÁO KẾT QUẢ KIỂM TRA: MÁY KHÔNG ĐẠT" in text
    assert "2. Lý do không đạt" in text and "Không đạt" in text
    assert "Pin chỉ dùng được khoảng 2.5 giờ (tối thiểu 4 giờ)" in text
    assert inv.db["certificates"].count == 0


def test_unfinished_phone_gets_nothing(inv, tmp_path):
    phone = inv.record_seen({"brand": "x", "model": "y"}, ["serial-z"]).id
    with pytest.raises(certificate.NotFinished):
        certificate.issue(inv, phone, tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize("position", [4, 10, 36, 37, 50, -1])
def test_one_byte_changed_in_the_qr_payload_is_forged(inv, tmp_path, position):
    phone = add_phone(inv, "R58M1")
    certificate.issue(inv, phone, tmp_path / "c.pdf")
    payload = inv.db.execute("SELECT payload FROM certificates").fetchone()[0]
    assert certificate.verify(inv, payload).outcome is certificate.Verification.GENUINE
    chars = list(payload)
    chars[position] = "0" if chars[position] != "0" else "1"
    tampered = "".join(chars)
    assert tampered != payload
    assert certificate.verify(inv, tampered).outcome is certificate.Verification.FORGED


def test_forged_and_foreign_codes(inv, tmp_path):
    assert certificate.verify(inv, "hello").outcome is certificate.Verification.FORGED
    assert certificate.verify(inv, "TM1:" + "A" * 32 + ":" + "B" * 32).outcome \
        is certificate.Verification.FORGED
    # a genuine code of another inventory of the same campaign: genuine key, not here
    with Inventory(tmp_path / "other" / "inv.sqlite", station="Xã B", key=KEY) as other:
        phone = add_phone(other, "R58M7")
        certificate.issue(other, phone, tmp_path / "o.pdf")
        payload = other.db.execute("SELECT payload FROM certificates").fetchone()[0]
    assert certificate.verify(inv, payload).outcome is certificate.Verification.UNKNOWN
    # another campaign's key: forged
    with Inventory(tmp_path / "third" / "inv.sqlite", station="Xã C") as third:
        assert certificate.verify(third, payload).outcome is certificate.Verification.FORGED


def test_revoked_when_superseded_or_no_longer_passing(inv, tmp_path):
    from traomay.core.msg import Msg
    from traomay.core.results import CheckResult, Status

    phone = add_phone(inv, "R58M1")
    first = certificate.issue(inv, phone, tmp_path / "1.pdf")
    second = certificate.issue(inv, phone, tmp_path / "2.pdf")
    assert certificate.verify(inv, str(first.path)).outcome is certificate.Verification.REVOKED
    assert certificate.verify(inv, str(second.path)).outcome is certificate.Verification.GENUINE
    inv.record_run(phone, "recheck", "t1", [CheckResult("battery", Status.FAIL, Msg("x"))], {}, 1)
    inv.set_device_fields(phone, verdict="fail")
    assert certificate.verify(inv, str(second.path)).outcome is certificate.Verification.REVOKED


def test_certificates_for_every_passed_phone(inv, tmp_path):
    a = add_phone(inv, "R58M1")
    add_phone(inv, "R58M2", fail="camera")
    c = add_phone(inv, "R58M3")
    made = list(certificate.issue_all_passed(inv, tmp_path / "all"))
    assert [m.device_id for m in made] == [a, c]
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == [
        f"chung-nhan-id{a}.pdf", f"chung-nhan-id{c}.pdf"]


# -- CSV and JSON --------------------------------------------------------------------------
def test_csv_neutralises_formulas_and_keeps_vietnamese(inv, tmp_path):
    hostile = add_phone(inv, "R58M1", model=HOSTILE_MODEL)
    receipt.take_in(inv, hostile, DONATION, campaign(), tmp_path)
    add_phone(inv, "R58M2", fail="battery")
    out = tmp_path / "kho.csv"
    assert export.write_csv(inv, out) == 2
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig", newline="")))
    assert list(rows[0]) == list(export.COLUMNS)
    model = rows[0]["model"]
    assert model == "'" + HOSTILE_MODEL  # text, never a formula
    assert all(not v.lstrip().startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
    assert rows[0]["donor_unit"] == "Hội Nông dân" and rows[0]["verdict_label"] == "Đạt"
    assert rows[1]["verdict"] == "fail" and rows[1]["failed_criteria"] == "Pin"
    assert "Nguyễn Văn An" not in raw.decode("utf-8-sig")  # personal data only when asked
    export.write_csv(inv, out, personal=True)
    assert "Nguyễn Văn An" in out.read_text(encoding="utf-8-sig")


def test_csv_filters_and_json_has_the_same_fields(inv, tmp_path):
    add_phone(inv, "R58M1")
    add_phone(inv, "R58M2", fail="gps")
    sel = export.Selection(export.Status.failed)
    assert export.write_csv(inv, tmp_path / "f.csv", sel) == 1
    export.write_json(inv, tmp_path / "a.json")
    data = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert data["columns"] == list(export.COLUMNS)
    assert [set(p) for p in data["phones"]] == [set(export.COLUMNS)] * 2
    assert data["phones"][1]["failed_criteria"] == "GPS"
    future = export.Selection(since=export.parse_since("2999-01-01"))
    assert export.write_csv(inv, tmp_path / "n.csv", future) == 0
    with pytest.raises(UsageError):
        export.parse_since("21/06/2024")


def test_failed_criteria_are_the_newest_result_of_each_criterion(inv, tmp_path):
    from traomay.core.msg import Msg
    from traomay.core.results import CheckResult, Status

    phone = add_phone(inv, "R58M1", fail="battery")
    recheck = (("battery", Status.PASS), ("gps", Status.FAIL), ("camera", Status.FAIL))
    inv.record_run(phone, "recheck", "t1",
                   [CheckResult(name, status, Msg("x")) for name, status in recheck], {}, 1)
    first, second = [r[0] for r in inv.db.execute("SELECT id FROM runs ORDER BY id")]
    with inv.db.conn:  # times that cannot tie: the recheck is the newer
        inv.db.execute("UPDATE check_results SET at = '2024-06-01T00:00:00.000+00:00' "
                       "WHERE run_id = ?", [first])
        inv.db.execute("UPDATE check_results SET at = '2024-06-02T00:00:00.000+00:00' "
                       "WHERE run_id = ?", [second])
    inv.set_device_fields(phone, verdict="fail")
    export.write_csv(inv, tmp_path / "k.csv")
    row = next(csv.DictReader((tmp_path / "k.csv").open(encoding="utf-8-sig", newline="")))
    # battery passed since; both new failures, in the criteria's order (their keys)
    assert row["failed_criteria"] == "Camera; GPS"
    assert export.as_dicts(export.rows(inv))[0]["failed_criteria"] == "Camera; GPS"
    export.write_json(inv, tmp_path / "k.json", lang="en")
    phones = json.loads((tmp_path / "k.json").read_text(encoding="utf-8"))["phones"]
    assert phones[0]["failed_criteria"] == "Cameras; GPS"


# Device text at its worst (and what a damaged or forged inventory may hold): the export
# writes it as the cell-by-cell formatter does (for_csv on every text cell, csv.writer;
# for_json), whether a line is finished the fast way or the exact way.
NASTY = ["a,b", 'say "hi"', "back\\slash", "tab\there", "line\nbreak", "nul\x00after",
         "esc\x1b[31m", "c1\x85x", "bidi\u202eevil", "ls\u2028x", "nbsp\xa0x", "\u3000lead",
         "=1+2", "+1", "-1", "@sum", " =x", "＝1", "null", "[x],[y]", "…", "x" * 2100,
         "Hội Phụ nữ, xã A", "", None, b"blob", b'"x"', 2.5, 7]


def exact_csv(inv, path, *, personal=False, lang="vi"):
    from traomay.core.safe_text import for_csv

    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(export.columns(personal))
        writer.writerows([for_csv(v) if type(v) is str else v for v in row]
                         for row in export.rows(inv, personal=personal, lang=lang))


def exact_json(inv, path, *, personal=False, lang="vi"):
    from traomay.core.safe_text import for_json

    cols = export.columns(personal)
    head = {"schema": 1, "generator": f"traomay {export.__version__}",
            "generated_at": export.utc_now(), "station": inv.station, "columns": list(cols)}
    lines = [for_json(dict(zip(cols, row, strict=True)), indent=None) for row in
             export.rows(inv, personal=personal, local_times=False, lang=lang)]
    path.write_text(for_json(head, indent=None)[:-1] + ', "phones": [\n' + ",\n".join(lines)
                    + "\n]}\n", encoding="utf-8", newline="\n")


@pytest.mark.parametrize("blobs_refused", [True, False])
def test_export_writes_hostile_text_as_the_cell_by_cell_formatter(inv, tmp_path, monkeypatch,
                                                                   blobs_refused):
    # blobs_refused=False: the guard SQLite 3.45 and later need, whatever runs the test
    monkeypatch.setattr(export_lines, "BLOBS_REFUSED", blobs_refused)
    monkeypatch.setattr(export_lines, "CHUNK", 4)  # blocks of plain lines between the others
    monkeypatch.setattr(export, "utc_now", lambda: "2024-06-21T00:00:00.000+00:00")
    phones = [add_phone(inv, f"R58M{i}", fail="gps" if i % 3 == 0 else None)
              for i in range(2 * len(NASTY) + 8)]  # the last ones: whole blocks
    receipt.take_in(inv, phones[1], DONATION, campaign(), tmp_path)
    certificate.issue(inv, phones[2], tmp_path / "c.pdf")
    columns = ("model", "marketing_name", "serial", "station", "imei_count", "stage")
    with inv.db.conn:
        for i, value in enumerate(NASTY):  # a nasty value every other phone
            inv.db.execute(f"UPDATE devices SET {columns[i % len(columns)]} = ? WHERE id = ?",
                           [value, phones[2 * i]])
        inv.db.execute("UPDATE intakes SET donor_unit = 'Hội Phụ nữ, xã A', donor_name = '-An'")
        inv.db.execute("UPDATE check_results SET check_name = 'new, \"odd\"' WHERE id = "
                       "(SELECT max(id) FROM check_results WHERE status = 'fail')")
        inv.db.execute("UPDATE devices SET first_seen = '202460' WHERE id = ?", [phones[4]])
        inv.db.execute("UPDATE devices SET uid = NULL WHERE id = ?", [phones[-2]])
    for personal, lang in ((False, "vi"), (True, "en")):
        export.write_csv(inv, tmp_path / "fast.csv", personal=personal, lang=lang)
        exact_csv(inv, tmp_path / "exact.csv", personal=personal, lang=lang)
        assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "exact.csv").read_bytes()
        export.write_json(inv, tmp_path / "fast.json", personal=personal, lang=lang)
        exact_json(inv, tmp_path / "exact.json", personal=personal, lang=lang)
        assert (tmp_path / "fast.json").read_bytes() == (tmp_path / "exact.json").read_bytes()
    text = (tmp_path / "fast.csv").read_text(encoding="utf-8-sig")
    assert "'=1+2" in text and "'-An" in text and '"Hội Phụ nữ, xã A"' in text


# -- weekly report (mẫu 3) -----------------------------------------------------------------
def test_weekly_report_counts_per_unit_against_quota(inv, tmp_path):
    c = campaign()
    a, b = add_phone(inv, "R58M1"), add_phone(inv, "R58M2", fail="battery")
    record_intake(inv, a, Donation("An", "Khu phố Đồng Sơn"), c)
    record_intake(inv, b, Donation("Bình", "Khu phố Đồng Sơn"), c)
    add_phone(inv, "R58M3")  # no intake recorded
    files = report.write_weekly(inv, c, tmp_path)
    line = next(x for x in files.report.lines if x.unit == "Khu phố Đồng Sơn")
    assert (line.quota, line.received_week, line.received_total, line.passed, line.failed,
            line.provisioned, line.handed_over) == (4, 2, 2, 1, 1, 1, 0)
    assert line.percent == 50
    assert files.report.lines[-1].unit == "" and files.report.lines[-1].received_total == 1
    assert files.report.total.received_total == 3
    assert files.report.total.quota == sum(u.quota for u in c.donor_units)
    text = pdf_text(files.pdf)
    for expected in ("BÁO CÁO TUẦN VỀ THIẾT BỊ VẬN ĐỘNG ĐƯỢC", "Mẫu số 3",
                     "Kính gửi: Huyện Đoàn Bàu Bàng", "Khu phố Đồng Sơn", "Tổng cộng",
                     "(chưa ghi biên nhận)", "Chỉ tiêu"):
        assert expected in text, expected
    rows = list(csv.reader(files.csv.open(encoding="utf-8-sig", newline="")))
    assert rows[0][0] == "Đơn vị vận động" and rows[-1][0] == "Tổng cộng"
    # a week before anything was received
    old = report.weekly(inv, c, "2024-W26")
    assert old.total.received_total == 0 and old.label == "2024-W26"
    with pytest.raises(UsageError):
        report.parse_week("2024-W60")


# -- the readable inventory ----------------------------------------------------------------
def test_readable_views_in_vietnamese(inv, tmp_path):
    phone = add_phone(inv, "R58M2", fail="battery")
    record_intake(inv, phone, Donation("An", "Hội Nông dân"), campaign())
    inv.close()
    # what Datasette or a spreadsheet sees: plain SQLite, no traomay code
    db = sqlite3.connect(tmp_path / "inventory.sqlite")
    row = db.execute('SELECT "Kết quả", "Giai đoạn", "Đơn vị vận động" FROM phones').fetchone()
    assert row == ("Không đạt", "Đã cài ứng dụng", "Hội Nông dân")
    battery = db.execute('SELECT "Hạng mục", "Kết quả", "Chi tiết" FROM check_results_readable '
                         "WHERE check_name = 'battery'").fetchone()
    assert battery == ("Pin", "Không đạt", "Pin chỉ dùng được khoảng 2.5 giờ (tối thiểu 4 giờ)")
    uids = [r[0] for r in db.execute("SELECT uid FROM devices UNION ALL SELECT uid FROM events "
                                     "UNION ALL SELECT uid FROM runs")]
    assert all(len(u) == 36 and u[14] == "4" for u in uids) and len(set(uids)) == len(uids)
    db.close()


def test_integrity_check_finds_a_wrong_verdict(inv, tmp_path):
    phone = add_phone(inv, "R58M1")
    certificate.issue(inv, phone, tmp_path / "c.pdf")
    assert check(inv).ok, check(inv).problems
    inv.set_device_fields(phone, verdict="fail")
    inv.db.execute("UPDATE certificates SET payload = payload || 'X'")
    problems = [p.msgid for p in check(inv).problems]
    assert any("stored verdict" in p for p in problems)
    assert any("signature" in p for p in problems)


def test_samples_for_the_demo(inv, tmp_path):
    add_phone(inv, "R58M1")
    made = write_samples(inv, tmp_path / "out", campaign())
    assert made.csv.is_file() and made.report_csv.is_file() and made.report_pdf.is_file()
    assert made.certificate is not None and made.certificate.is_file()
