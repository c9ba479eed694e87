"""What officers and the district get: list, intake (mẫu số 1), certificate, export,
report weekly (mẫu 3), inventory merge/check. Each command reads its options, makes one
library call (traomay.outputs, traomay.inventory) and renders."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from traomay.core.i18n import _
from traomay.core.msg import N_, Msg
from traomay.interface import app as cli
from traomay.interface.app import app, hub, open_inventory, phone_session

if TYPE_CHECKING:
    from traomay.core.campaign import Campaign, CampaignFolder
    from traomay.inventory.store import Inventory


class Status(str, Enum):
    """Which phones (traomay.outputs.export.Status, kept here so --help stays fast)."""

    passed = "passed"
    failed = "failed"
    incomplete = "incomplete"
    all = "all"


# -- the campaign folder ------------------------------------------------------------------
def _folder(needed: bool) -> CampaignFolder:
    """The campaign folder (set up on first use when ``needed``)."""
    return cli.campaign(needed=needed)


def _campaign(required: bool) -> Campaign | None:
    from traomay.core.campaign import load_campaign
    from traomay.core.errors import BadInputError

    folder = _folder(needed=required)
    if folder.campaign_file.is_file():
        return load_campaign(folder.campaign_file)
    if required:
        raise BadInputError(Msg("No campaign.yaml in {folder}: set up the campaign folder with "
                                "'traomay init', or name it with --campaign.",
                                {"folder": str(folder.root)}))
    return None


def _outputs_dir() -> Path:
    return _folder(needed=False).outputs_dir


def _device_id(inv: Inventory, phone: str) -> int:
    """``id:N`` from the inventory alone; ``t:N`` and serials through adb if attached."""
    from traomay.provision.names import device_id_for, parse_name

    name = parse_name(phone)
    adb = hub(start=False) if name.device_id is None else None
    return device_id_for(adb, inv, name)


def _wrote(path: Path) -> None:
    from traomay.interface import render as ui

    ui.say(Msg("Written: {path}", {"path": str(path.resolve())}), "green")


# -- list ---------------------------------------------------------------------------------
@app.command("list", help=N_(
    "The inventory in the terminal: each phone's stage, verdict and donor unit."))
def list_phones(
    status: Annotated[Status, typer.Option("--status", case_sensitive=False,
                                           help=N_("passed | failed | incomplete | all"))
                      ] = Status.all,
    since: Annotated[str | None, typer.Option("--since", help=N_("YYYY-MM-DD: phones seen or "
                                                              "received since that day"))] = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help=N_("Newest N phones; 0: all."))
                     ] = 50,
) -> None:
    from traomay.interface import render as ui
    from traomay.outputs import export
    from traomay.outputs.export import Selection, as_dicts, count_all, parse_since, rows

    sel = Selection(export.Status(status.value), parse_since(since), limit or None)
    with open_inventory(read_only=True) as inv:
        found = as_dicts(rows(inv, sel, lang=cli.OPTIONS.lang))
        total = count_all(inv)
    headers = [_("ID"), _("Phone"), _("Serial"), _("Stage"), _("Verdict"), _("Fails"),
               _("Donor unit"), _("Last seen")]
    title = _("Inventory: {shown} of {total} phones").format(shown=len(found), total=total)
    if len(found) > PLAIN_LIST_FROM:
        _plain_list(title, headers, found)
        return
    table_rows = [[ui.cell(f"id:{r['inventory_id']}"),
                   ui.cell(" ".join(x for x in (r["brand"], r["marketing_name"] or r["model"])
                                    if x), max_len=40),
                   ui.cell(r["serial"] or "", max_len=24),
                   ui.cell(r["stage_label"]),
                   ui.cell(r["verdict_label"], ui.STATUS_STYLE.get(r["verdict"], "")),
                   ui.cell(r["failed_criteria"], "red", max_len=60),
                   ui.cell(r["donor_unit"] or "", max_len=30),
                   ui.cell(r["last_seen"] or "")] for r in found]
    con = ui.console()
    con.print(ui.table(title, headers, table_rows))
    if limit and len(found) == limit:
        ui.say(Msg("Only the newest {limit} are shown: --limit 0 shows all.",
                   {"limit": limit}), "dim")


# A rich table of tens of thousands of rows takes minutes to lay out: long lists are
# printed as plain aligned columns (device text made safe all the same).
PLAIN_LIST_FROM = 500
_PLAIN_WIDTHS = (8, 28, 18, 22, 12, 24, 24, 16)


def _plain_list(title: str, headers: list[str], found: list[dict]) -> None:
    import sys

    from traomay.core.safe_text import for_terminal

    def line(cells: list[object]) -> str:
        out = []
        for value, width in zip(cells, _PLAIN_WIDTHS, strict=True):
            text = for_terminal(value, max_len=width)
            out.append(text.ljust(width))
        return "  ".join(out).rstrip() + "\n"

    write = sys.stdout.write
    write(for_terminal(title, 300) + "\n")
    write(line(headers))
    for r in found:
        write(line([f"id:{r['inventory_id']}",
                    " ".join(x for x in (r["brand"], r["marketing_name"] or r["model"]) if x),
                    r["serial"] or "", r["stage_label"], r["verdict_label"],
                    r["failed_criteria"], r["donor_unit"] or "", r["last_seen"] or ""]))


# -- intake -------------------------------------------------------------------------------
@app.command(help=N_(
    "Record who gave a phone, for which donor unit, when and in what condition, and write the"
    " receipt (mẫu số 1) as a PDF."))
def intake(
    phone: Annotated[str | None, typer.Argument(help=N_(
        "t:N, id:N, or the phone's serial (see 'traomay devices'); none with --manual"))
                     ] = None,
    donor: Annotated[str, typer.Option("--donor", help=N_("Who gave the phone."))] = "",
    unit: Annotated[str, typer.Option("--unit", help=N_("Donor unit (one of campaign.yaml's)."))
                    ] = "",
    donor_phone: Annotated[str, typer.Option("--phone", help=N_("The donor's phone number."))
                           ] = "",
    note: Annotated[str, typer.Option("--note", help=N_("Condition, remarks."))] = "",
    by: Annotated[str, typer.Option("--by", help=N_("Who received the phone."))] = "",
    manual: Annotated[bool, typer.Option("--manual", help=N_("A phone without adb (iPhone, does "
                                                          "not power on): entered by hand."))
                      ] = False,
    brand: Annotated[str, typer.Option("--brand", help=N_("With --manual."))] = "",
    model: Annotated[str, typer.Option("--model", help=N_("With --manual."))] = "",
    imei: Annotated[str, typer.Option("--imei", help=N_("With --manual (dial *#06#)."))] = "",
) -> None:
    from traomay.core.errors import UsageError
    from traomay.inventory.intake import Donation, ManualPhone
    from traomay.outputs.receipt import take_in, take_in_manual

    campaign = _campaign(required=True)
    assert campaign is not None
    donation = Donation(donor, unit, donor_phone, note, by)
    folder = _outputs_dir()
    if manual:
        if phone:
            raise UsageError(Msg("--manual is for a phone that is not connected: give --brand "
                                 "and --model instead of {phone}.", {"phone": phone}))
        with open_inventory() as inv:
            receipt = take_in_manual(inv, ManualPhone(brand, model, imei), donation, campaign,
                                     folder)
    elif not phone:
        raise UsageError(Msg("Name the phone (t:N, id:N or its serial), or use --manual with "
                             "--brand and --model."))
    elif phone.strip().lower().startswith("id:"):
        from traomay.provision.names import parse_name

        device_id = parse_name(phone).device_id
        assert device_id is not None
        with open_inventory() as inv:
            receipt = take_in(inv, device_id, donation, campaign, folder)
    else:
        with phone_session(phone) as session:
            receipt = take_in(session.inventory, session.device_id, donation, campaign, folder)
    from traomay.interface import render as ui

    ui.say(Msg("Received phone id:{id} from {donor} ({unit}); receipt {receipt}.",
               {"id": receipt.intake.device_id, "donor": receipt.intake.donor_name,
                "unit": receipt.intake.donor_unit, "receipt": receipt.intake.receipt_no}))
    _wrote(receipt.path)


# -- certificate --------------------------------------------------------------------------
@app.command(help=N_(
    "A5 certificate (PDF, Vietnamese) for a phone that passed, a failure report for one that "
    "failed; 'certificate verify FILE-or-QR-TEXT' says genuine, forged or revoked."))
def certificate(
    phone: Annotated[str | None, typer.Argument(
        help=N_("t:N, id:N, or the phone's serial (see 'traomay devices'); or 'verify' "
                "followed by a certificate PDF or its QR text"))] = None,
    code: Annotated[str | None, typer.Argument(
        metavar="[CODE]", help=N_("With verify: the PDF or the QR text."))] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help=N_("FILE.pdf (one "
                                                "phone) or a folder (--all-passed)."))] = None,
    all_passed: Annotated[bool, typer.Option("--all-passed", help=N_("A certificate for every "
                                                                  "phone that passed."))] = False,
) -> None:
    from traomay.core.errors import UsageError
    from traomay.interface import render as ui
    from traomay.outputs import certificate as cert

    if phone == "verify":
        if not code:
            raise UsageError(Msg("Give the certificate to check: its PDF file or the text of "
                                 "its QR code."))
        with open_inventory(read_only=True) as inv:
            result = cert.verify(inv, code)
        style = {"genuine": "bold green", "revoked": "bold yellow"}.get(result.outcome.value,
                                                                        "bold red")
        words = {"genuine": _("GENUINE"), "forged": _("FORGED"), "revoked": _("REVOKED"),
                 "unknown": _("NOT IN THIS INVENTORY")}
        ui.console().print(ui.line(words[result.outcome.value], style))
        ui.say(result.reason)
        if result.outcome is not cert.Verification.GENUINE:
            raise typer.Exit(1)
        return
    if code is not None:
        raise UsageError(Msg("One phone at a time: 'traomay certificate PHONE -o FILE.pdf'."))
    campaign = _campaign(required=False)
    if all_passed:
        if phone:
            raise UsageError(Msg("--all-passed takes no phone."))
        folder = output or _outputs_dir()
        with open_inventory() as inv:
            count = sum(1 for _issued in cert.issue_all_passed(inv, folder, campaign))
        ui.say(Msg("{count} certificates written in {folder}.",
                   {"count": count, "folder": str(folder.resolve())}), "green")
        return
    if not phone:
        raise UsageError(Msg("Name the phone (t:N, id:N or its serial), or use --all-passed."))
    with open_inventory() as inv:
        device_id = _device_id(inv, phone)
        verdict = str(inv.device(device_id).get("verdict"))
        kind = "certificate" if verdict == "pass" else "failure_report"
        path = output or _outputs_dir() / cert.default_name(device_id, kind)
        issued = cert.issue(inv, device_id, path, campaign)
    if issued.kind == "failure_report":
        ui.say(Msg("Phone id:{id} did not pass: this is its failure report, with the reasons.",
                   {"id": device_id}), "yellow")
    _wrote(issued.path)


# -- export -------------------------------------------------------------------------------
export_app = typer.Typer(no_args_is_help=True, help=N_("The inventory as CSV (Excel) or JSON."))
app.add_typer(export_app, name="export")


def _export(kind: str, output: Path, status: Status, since: str | None,
            personal: bool) -> None:
    from traomay.interface import render as ui
    from traomay.outputs import export

    sel = export.Selection(export.Status(status.value), export.parse_since(since))
    write = export.write_csv if kind == "csv" else export.write_json
    with open_inventory(read_only=True) as inv:
        count = write(inv, output, sel, personal=personal, lang=cli.OPTIONS.lang)
    ui.say(Msg("{count} phones exported.", {"count": count}))
    _wrote(output)


OutputOpt = Annotated[Path, typer.Option("-o", "--output", help=N_("The file to write."))]
StatusOpt = Annotated[Status, typer.Option("--status", case_sensitive=False,
                                           help=N_("passed | failed | incomplete | all"))]
SinceOpt = Annotated[str | None, typer.Option("--since", help=N_("YYYY-MM-DD"))]
PersonalOpt = Annotated[bool, typer.Option(
    "--personal", help=N_("Add personal data (the donor's name and phone number). Only when the "
    "district asks for it."))]


@export_app.command("csv", help=N_(
    "CSV for Excel (UTF-8 with BOM); the columns are listed in the README."))
def export_csv(output: OutputOpt, status: StatusOpt = Status.all, since: SinceOpt = None,
               personal: PersonalOpt = False) -> None:
    _export("csv", output, status, since, personal)


@export_app.command("json", help=N_("JSON with the same fields as the CSV."))
def export_json(output: OutputOpt, status: StatusOpt = Status.all, since: SinceOpt = None,
                personal: PersonalOpt = False) -> None:
    _export("json", output, status, since, personal)


# -- report -------------------------------------------------------------------------------
report_app = typer.Typer(no_args_is_help=True, help=N_("Reports to the district."))
app.add_typer(report_app, name="report")


@report_app.command("weekly", help=N_(
    "The weekly report (mẫu 3): per donor unit, received, passed, failed, provisioned and "
    "handed over against its quota; CSV and PDF."))
def report_weekly(
    week: Annotated[str | None, typer.Option("--week", help=N_("YYYY-Www, e.g. 2024-W26 "
                                                            "(default: this week)"))] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help=N_("Folder (default: the "
                                                "campaign's outputs folder)."))] = None,
) -> None:
    from traomay.interface import render as ui
    from traomay.outputs.report import write_weekly

    campaign = _campaign(required=False)
    with open_inventory(read_only=True) as inv:
        files = write_weekly(inv, campaign, output or _outputs_dir())
    t = files.report.total
    ui.say(Msg("Week {week}: {received} received this week, {total} in all; {passed} passed, "
               "{failed} failed, {provisioned} provisioned.",
               {"week": files.report.label, "received": t.received_week,
                "total": t.received_total, "passed": t.passed, "failed": t.failed,
                "provisioned": t.provisioned}))
    _wrote(files.csv)
    _wrote(files.pdf)


# -- inventory ----------------------------------------------------------------------------
inventory_app = typer.Typer(no_args_is_help=True, help=N_(
    "Merge stations' inventories; check one."))
app.add_typer(inventory_app, name="inventory")


@inventory_app.command("merge", help=N_(
    "Bring another station's records in: the same phone stays one phone, merging twice is "
    "merging once, every event keeps its station; conflicting verdicts are listed."))
def inventory_merge(
    other: Annotated[Path, typer.Argument(help=N_("Another station's inventory (.sqlite) of the "
                                               "same campaign."))],
) -> None:
    from traomay.interface import render as ui
    from traomay.inventory.merge import merge

    with open_inventory() as inv:
        result = merge(inv, other)
    ui.say(Msg("Merged {path}: {new} new phones, {matched} already known; {events} events, "
               "{runs} check runs, {intakes} intakes, {certificates} certificates added.",
               {"path": str(other), "new": result.phones_new, "matched": result.phones_matched,
                "events": result.events, "runs": result.runs, "intakes": result.intakes,
                "certificates": result.certificates}), "green" if result.changed else "")
    if not result.changed:
        ui.say(Msg("Nothing new: everything in it was here already."))
    for c in result.conflicts:
        ui.say(Msg("Conflict: phone id:{id} {here} here but {there} at {station}; its verdict "
                   "from the newest results is now {now}.",
                   {"id": c.device_id, "here": c.here, "there": c.there,
                    "station": c.there_station, "now": c.now}), "yellow")
    for device_id in result.intake_conflicts:
        ui.say(Msg("Conflict: phone id:{id} was received at both stations; the intake here is "
                   "kept.", {"id": device_id}), "yellow")


@inventory_app.command("check", help=N_(
    "Check the inventory's integrity: SQLite's own check and traomay's rules."))
def inventory_check() -> None:
    from traomay.interface import render as ui
    from traomay.inventory.integrity import check

    with open_inventory(read_only=True) as inv:
        result = check(inv)
    ui.say(Msg("{devices} phones, {events} events, {runs} check runs, {results} results, "
               "{intakes} intakes, {certificates} certificates.",
               {"devices": result.counts.get("devices", 0),
                "events": result.counts.get("events", 0), "runs": result.counts.get("runs", 0),
                "results": result.counts.get("check_results", 0),
                "intakes": result.counts.get("intakes", 0),
                "certificates": result.counts.get("certificates", 0)}))
    for problem in result.problems:
        ui.say(problem, "red")
    if result.problems:
        raise typer.Exit(1)
    ui.say(Msg("The inventory is sound."), "green")
