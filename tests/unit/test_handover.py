"""Hand-over (mẫu số 2), its undo, and returns: each step in the audit trail with who, when
and why; the form's text, read back from the PDF, has the Vietnamese exactly."""

from __future__ import annotations

import unicodedata

import pytest
from pypdf import PdfReader

from tests.unit.allocation_cases import add_phone, holdings, household, register
from traomay.core.campaign import TEMPLATES, load_campaign
from traomay.core.errors import UsageError
from traomay.inventory.allocation import allocate, explain, phone_history
from traomay.inventory.allocation_policy import Policy
from traomay.inventory.allocation_report import month_bounds, monthly_totals
from traomay.inventory.handover import (
    AllocationRefused,
    parse_sim,
    record_handover,
    return_phone,
    undo_handover,
)
from traomay.inventory.store import Inventory
from traomay.outputs.allocation_docs import hand_over, write_monthly_totals

RECIPIENT = "Nguyễn Thị Thử Nghiệm"


@pytest.fixture()
def inv(tmp_path):
    with Inventory(tmp_path / "inventory.sqlite", station="Điểm tiếp nhận 1") as inventory:
        register(inventory, household("LU-001", merit=True, unit="Khu phố Bàu Bàng",
                                      name="Trần Văn Chủ Hộ"),
                 household("LU-002", "near_poor"))
        yield inventory


def _log(inv, household="LU-001"):
    """The household's audit trail: (step, who, why)."""
    return [(e.action, e.by, e.reason) for e in explain(inv, household, Policy()).history]


def test_handover_undo_and_return_leave_an_audit_trail(inv):
    phone = add_phone(inv)
    allocate(inv, Policy(), by="Ban phân bổ")
    done = record_handover(inv, phone, "lu-001", recipient=RECIPIENT,
                           sim=parse_sim("viettel:0981 234 567"), data_plan="4G 12 tháng",
                           by="Lê Văn Tình Nguyện")
    assert done.household.code == "LU-001" and done.sim.operator == "Viettel"
    undo_handover(inv, phone, reason="Ghi nhầm người nhận", by="Lê Văn Tình Nguyện")
    record_handover(inv, phone, "LU-001", recipient=RECIPIENT, by="Lê Văn Tình Nguyện")
    assert return_phone(inv, phone, reason="Màn hình hỏng", by="Cán bộ xã") == "LU-001"
    assert _log(inv) == [
        ("allocated", "Ban phân bổ", ""),
        ("handed_over", "Lê Văn Tình Nguyện", ""),
        ("handover_undone", "Lê Văn Tình Nguyện", "Ghi nhầm người nhận"),
        ("handed_over", "Lê Văn Tình Nguyện", ""),
        ("returned", "Cán bộ xã", "Màn hình hỏng")]
    times = [e.at for e in explain(inv, "LU-001", Policy()).history]
    assert times == sorted(times) and all(t.endswith("+00:00") for t in times)
    assert [e.action for e in phone_history(inv, phone)] == [a for a, _b, _r in _log(inv)]
    # what the undone hand-over had recorded stays in the log
    undone = inv.db.execute("SELECT data FROM allocation_log WHERE action = "
                            "'handover_undone'").fetchone()[0]
    assert "Viettel" in undone and RECIPIENT in undone
    # the phone's own history, without personal data
    kinds = [e["kind"] for e in inv.events(phone)]
    assert kinds[-4:] == ["handover", "handover_undone", "handover", "returned"]
    assert not [e for e in inv.events(phone) if RECIPIENT in (e["data"] or "")]
    # back: not given again before it is erased and finalized; the household is in line
    assert inv.device(phone)["stage"] == "inspected"
    assert holdings(inv) == {}
    assert explain(inv, "LU-001", Policy()).rank == 1
    assert [e.action for e in explain(inv, "LU-001", Policy()).history][-1] == "returned"


def test_handover_refusals_record_nothing(inv):
    first, second = add_phone(inv), add_phone(inv)
    loose = add_phone(inv, passed=False)
    allocate(inv, Policy())
    with pytest.raises(AllocationRefused, match="allocated to household LU-001"):
        record_handover(inv, first, "LU-002", recipient=RECIPIENT)
    with pytest.raises(AllocationRefused, match="not allocated"):
        record_handover(inv, loose, "LU-001", recipient=RECIPIENT)
    with pytest.raises(UsageError):
        record_handover(inv, first, "LU-001", recipient="  ")
    with pytest.raises(AllocationRefused, match="no hand-over"):
        undo_handover(inv, first, reason="x")
    with pytest.raises(AllocationRefused, match="not handed over"):
        return_phone(inv, first, reason="x")
    with pytest.raises(UsageError):
        return_phone(inv, first, reason="   ")
    inv.set_device_fields(second, verdict="fail")
    with pytest.raises(AllocationRefused, match="no longer passes"):
        record_handover(inv, second, "LU-002", recipient=RECIPIENT)
    record_handover(inv, first, "LU-001", recipient=RECIPIENT)
    with pytest.raises(AllocationRefused, match="already handed over"):
        record_handover(inv, first, "LU-001", recipient=RECIPIENT)
    assert [a for a, _b, _r in _log(inv)] == ["allocated", "handed_over"]
    assert [a for a, _b, _r in _log(inv, "LU-002")] == ["allocated"]


@pytest.mark.parametrize("text", ["0981234567", "Viettel", "Nokia:0981234567",
                                  "Viettel:12345", "MobiFone:02743123456"])
def test_bad_sims(text):
    with pytest.raises(UsageError):
        parse_sim(text)


def test_the_form_has_the_vietnamese_exactly(inv, tmp_path):
    phone = add_phone(inv, apps=True)
    allocate(inv, Policy())
    campaign = load_campaign(TEMPLATES / "campaign.yaml")
    files = hand_over(inv, phone, "LU-001", recipient=RECIPIENT, campaign=campaign,
                      folder=tmp_path / "outputs", recipient_id="074190000123",
                      sim=parse_sim("Viettel:0981234567"), data_plan="4G 12 tháng",
                      by="Lê Văn Tình Nguyện")
    assert files.form.name == f"ban-giao-LU-001-id{phone}.pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(files.form).pages)
    assert unicodedata.is_normalized("NFC", text)
    for expected in ("Mẫu số 2", "BẢN CAM KẾT NHẬN ĐIỆN THOẠI", "Người nhận",
                     f"Họ và tên: {RECIPIENT}", "Số CCCD: 074190000123",
                     "Mã hộ: LU-001", "Chủ hộ: Trần Văn Chủ Hộ", "Khu phố: Khu phố Bàu Bàng",
                     "Nhóm ưu tiên: 1: Hộ nghèo, cận nghèo là gia đình người có công với",
                     "Đã cài ứng dụng: VNeID (312), Bình Dương Số (20)",
                     "SIM: Viettel 0981234567", "Gói dữ liệu: 4G 12 tháng",
                     "Người bàn giao", "Lê Văn Tình Nguyện", "(ký, ghi rõ họ tên)",
                     "ĐOÀN THANH NIÊN THỊ TRẤN LAI UYÊN"):
        assert expected in text, expected
    flat = " ".join(text.split())
    assert "dùng được 3G/4G" in flat and "không bán, cầm cố hay cho người khác" in flat


def test_monthly_totals(inv, tmp_path):
    phones = [add_phone(inv) for _ in range(2)]
    allocate(inv, Policy())
    record_handover(inv, phones[0], "LU-001", recipient=RECIPIENT)
    totals = monthly_totals(inv, Policy())
    by_tier = {line.tier: line for line in totals.lines}
    assert (by_tier[1].handed_over_month, by_tier[1].held, by_tier[1].waiting) == (1, 1, 0)
    assert (by_tier[4].allocated, by_tier[4].eligible) == (1, 1)
    assert totals.total.eligible == 2 and totals.total.handed_over_to_date == 1
    last_year = monthly_totals(inv, Policy(), "2020-01")
    assert last_year.total.handed_over_month == 0 and last_year.total.allocated == 1
    path = write_monthly_totals(totals, tmp_path / "thang.csv")
    head = path.read_text(encoding="utf-8-sig").splitlines()[0]
    assert head.startswith("Tháng,Khu phố,Nhóm,Số hộ đủ điều kiện")
    assert month_bounds("2026-05")[1] == "2026-04-30T17:00:00.000+00:00"  # Vietnam: UTC+7
    with pytest.raises(UsageError):
        month_bounds("05/2026")


def test_the_demo_call_imports_the_sample_allocates_and_hands_over(tmp_path):
    from traomay.outputs.allocation_docs import sample_allocation

    campaign = load_campaign(TEMPLATES / "campaign.yaml")
    with Inventory(tmp_path / "inventory.sqlite", station="Điểm tiếp nhận 1") as inv:
        phones = [add_phone(inv, apps=True) for _ in range(3)]
        done = sample_allocation(inv, campaign, tmp_path / "outputs")
        assert done.imported == 12 and done.run.allocated == 3
        assert done.public_list.is_file() and done.handover is not None
        assert done.handover.handover.device_id == phones[0]
        assert done.handover.handover.household.code == "LU-001"
        assert done.handover.form.is_file()
        again = sample_allocation(inv, campaign, tmp_path / "outputs", hand_over_first=False)
        assert again.imported == 0 and not again.run.changes


def test_the_weekly_report_counts_phones_handed_over(inv):
    from traomay.outputs.report import weekly

    phone = add_phone(inv)
    allocate(inv, Policy(), by="Ban phân bổ")
    campaign = load_campaign(TEMPLATES / "campaign.yaml")
    assert weekly(inv, campaign).total.handed_over == 0
    record_handover(inv, phone, "LU-001", recipient=RECIPIENT, by="Lan")
    assert weekly(inv, campaign).total.handed_over == 1
    undo_handover(inv, phone, reason="nhầm", by="Lan")
    assert weekly(inv, campaign).total.handed_over == 0
    record_handover(inv, phone, "LU-001", recipient=RECIPIENT, by="Lan")
    return_phone(inv, phone, reason="Màn hình hỏng", by="Lan")
    assert weekly(inv, campaign).total.handed_over == 1  # handed over, then brought back
    # Another allocation of the same phone, handed over and undone, takes nothing away.
    inv.set_device_fields(phone, stage="finalized")
    allocate(inv, Policy(), by="Ban phân bổ")
    code = next(c for c, phones in holdings(inv).items() if phone in phones)
    record_handover(inv, phone, code, recipient=RECIPIENT, by="Lan")
    undo_handover(inv, phone, reason="nhầm", by="Lan")
    assert weekly(inv, campaign).total.handed_over == 1


def test_a_returned_phone_loses_its_certificate(tmp_path):
    """The certificate states the erase; a phone back from a household carries its data."""
    from outputs_world import KEY
    from outputs_world import add_phone as inspected_phone

    from traomay.outputs import certificate

    with Inventory(tmp_path / "inventory.sqlite", station="Xã A", key=KEY) as inv:
        register(inv, household("LU-001"))
        phone = inspected_phone(inv, "R58MRETURNED")
        inv.set_device_fields(phone, stage="finalized")
        issued = certificate.issue(inv, phone, tmp_path / "c.pdf")
        assert certificate.verify(inv, str(issued.path)).outcome is \
            certificate.Verification.GENUINE
        allocate(inv, Policy(), by="Ban phân bổ")
        record_handover(inv, phone, "LU-001", recipient=RECIPIENT, by="Lan")
        return_phone(inv, phone, reason="Màn hình hỏng", by="Lan")
        checked = certificate.verify(inv, str(issued.path))
        assert checked.outcome is certificate.Verification.REVOKED
        assert "returned by its household" in checked.reason.msgid
