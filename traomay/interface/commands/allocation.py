"""Allocation: ``traomay households import|list``, ``traomay allocate`` (with ``--explain``,
``--list``, ``--report``), ``traomay handover`` (mẫu số 2, ``--undo``) and ``traomay return``.
Each command reads its options, makes one library call (traomay.inventory.allocation and
friends, traomay.outputs.allocation_docs) and renders. Household personal data (names, ID
and phone numbers) is shown only with ``--personal-data``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from traomay.core.i18n import _, render
from traomay.core.msg import N_, Msg
from traomay.interface import app as cli
from traomay.interface.app import PHONE_HELP, app, hub, open_inventory

if TYPE_CHECKING:
    from traomay.core.campaign import Campaign, CampaignFolder
    from traomay.inventory.allocation_policy import Policy
    from traomay.inventory.store import Inventory

HOUSEHOLD_HELP = N_("The household's code (mã hộ), as in the households file.")
JSON_OUTPUT = N_("Machine-readable output (JSON).")
POVERTY_LABELS = {"poor": N_("poor"), "near_poor": N_("near-poor"), "none": N_("none")}
ACTION_LABELS = {
    "allocated": N_("allocated"), "released": N_("released"),
    "handed_over": N_("handed over"), "handover_undone": N_("hand-over undone"),
    "returned": N_("returned"),
}
SHOWN = 50  # changes listed on the screen; the rest are counted

households_app = typer.Typer(no_args_is_help=True,
                             help=N_("The registered households (the commune's list)."))
app.add_typer(households_app, name="households")


# -- shared -----------------------------------------------------------------------------------
def _folder() -> CampaignFolder:
    """The campaign folder (never set up here: the allocation needs no file of it)."""
    return cli.campaign(needed=False)


def _campaign() -> Campaign | None:
    """campaign.yaml of the campaign folder (None when there is none: the defaults)."""
    from traomay.core.campaign import load_campaign

    folder = _folder()
    return load_campaign(folder.campaign_file) if folder.campaign_file.is_file() else None


def _policy(campaign: Campaign | None) -> Policy:
    from traomay.inventory.allocation_policy import Policy, policy_from

    return policy_from(campaign.allocation, campaign.path) if campaign else Policy()


def _device_id(inv: Inventory, phone: str) -> int:
    """``id:N`` from the inventory alone; ``t:N`` and serials through adb if attached."""
    from traomay.provision.names import device_id_for, parse_name

    name = parse_name(phone)
    adb = hub(start=False) if name.device_id is None else None
    return device_id_for(adb, inv, name)


def _outputs_dir() -> Path:
    return _folder().outputs_dir


def _when(iso: Any) -> str:
    return str(iso or "")[:16].replace("T", " ")


def _tier_name(tier: Any) -> str:
    if tier is None:
        return ""
    return render(Msg(tier.label)) if tier.label_is_msgid else tier.label


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


# -- households -------------------------------------------------------------------------------
@households_app.command("import", help=N_(
    "Import the commune's list of households from a CSV file. All or nothing: with any bad "
    "row nothing is imported, and every problem is listed with its row and column."))
def households_import(
    file: Annotated[Path, typer.Argument(help=N_("CSV file saved from the spreadsheet."))],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_OUTPUT)] = False,
) -> None:
    from traomay.interface import render as ui
    from traomay.inventory.household_csv import read_households_file
    from traomay.inventory.households import HouseholdFileError, import_households

    try:
        parsed = read_households_file(file)
        with open_inventory() as inv:
            report = import_households(inv, parsed.households, file.name,
                                       parsed.ignored_columns)
    except HouseholdFileError as exc:
        if as_json:
            ui.print_json({"imported": False, "problems": [
                {"row": p.row, "column": p.column, "reason": render(ui.safe_msg(p.reason))}
                for p in exc.problems]})
        else:
            rows = [[ui.cell(p.row or ""), ui.cell(p.column), ui.msg_cell(ui.safe_msg(p.reason))]
                    for p in exc.problems]
            ui.console(stderr=True).print(ui.table(_("Problems in {file}").format(
                file=file.name), [_("Row"), _("Column"), _("Problem")], rows))
        raise
    if as_json:
        ui.print_json({"imported": True, "added": report.added, "updated": report.updated,
                       "unchanged": report.unchanged,
                       "ignored_columns": list(report.ignored_columns)})
        return
    ui.say(Msg("Households imported from {file}: {added} added, {updated} updated, {unchanged} "
               "unchanged.", {"file": file.name, "added": report.added,
                              "updated": report.updated, "unchanged": report.unchanged}),
           "green")
    if report.ignored_columns:
        ui.say(Msg("Columns not used: {columns}.",
                   {"columns": ", ".join(report.ignored_columns)}), "dim")


@households_app.command("list", help=N_(
    "The registered households: neighbourhood, category, tier, place in line, phones. Names, "
    "phone and ID numbers only with --personal-data."))
def households_list(
    personal: Annotated[bool, typer.Option(
        "--personal-data", help=N_("Also show names, phone and ID numbers."))] = False,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_OUTPUT)] = False,
) -> None:
    from traomay.interface import render as ui
    from traomay.inventory.allocation import household_lines

    policy = _policy(_campaign())
    with open_inventory(read_only=True) as inv:
        lines = household_lines(inv, policy, personal=personal)
    if as_json:
        ui.print_json([_line_json(line, personal) for line in lines])
        return
    head = [_("Household"), _("Neighbourhood"), _("Category"), _("Merit"), _("Social policy"),
            _("Already received"), _("Adults"), _("Tier"), _("Place in line"),
            _("Allocated"), _("Handed over")]
    if personal:
        head += [_("Head of household"), _("Phone number"), _("ID number")]
    rows = []
    for line in lines:
        h = line.household
        row = [ui.cell(h.code), ui.cell(h.unit), ui.cell(_(POVERTY_LABELS[h.poverty])),
               ui.cell(_yes(h.merit)), ui.cell(_yes(h.social_policy)),
               ui.cell(_yes(h.prior_device)), ui.cell(h.adults),
               ui.cell(line.tier or "-"),
               ui.cell(line.rank) if line.rank else ui.cell(_("not eligible"), "dim"),
               ui.cell(line.allocated), ui.cell(line.handed_over)]
        if personal:
            row += [ui.cell(h.head_name), ui.cell(h.contact_phone), ui.cell(h.national_id)]
        rows.append(row)
    ui.console().print(ui.table(_("Households ({count})").format(count=len(lines)), head, rows))


def _line_json(line: Any, personal: bool) -> dict[str, Any]:
    h = line.household
    data = {"code": h.code, "unit": h.unit, "poverty": h.poverty, "merit": h.merit,
            "social_policy": h.social_policy, "already_received": h.prior_device,
            "adults": h.adults, "tier": line.tier, "place_in_line": line.rank,
            "not_eligible": render(line.ineligible) if line.ineligible else None,
            "allocated": line.allocated, "handed_over": line.handed_over}
    if personal:
        data.update(head_of_household=h.head_name, contact_phone=h.contact_phone,
                    national_id=h.national_id)
    return data


# -- allocate ---------------------------------------------------------------------------------
@app.command(help=N_(
    "Give the passing, finalized phones to the registered households by the priority tiers "
    "of campaign.yaml: one phone per household before any gets a second."))
def allocate(
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help=N_("Show what would change; change nothing."))] = False,
    explain: Annotated[str | None, typer.Option(
        "--explain", metavar="HOUSEHOLD",
        help=N_("Why this household has (or has not) a phone."))] = None,
    public: Annotated[bool, typer.Option(
        "--list", help=N_("Write the public list (-o FILE.pdf or FILE.csv)."))] = False,
    report: Annotated[bool, typer.Option(
        "--report", help=N_("Write the month's totals by neighbourhood and tier "
                            "(-o FILE.csv)."))] = False,
    month: Annotated[str | None, typer.Option(
        "--month", help=N_("With --report: YYYY-MM."))] = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help=N_("File to write."))] = None,
    by: Annotated[str, typer.Option("--by", help=N_("Who runs the allocation."))] = "",
    as_json: Annotated[bool, typer.Option("--json", help=JSON_OUTPUT)] = False,
) -> None:
    from traomay.core.errors import UsageError

    modes = [m for m, on in (("--explain", explain is not None), ("--list", public),
                             ("--report", report)) if on]
    if len(modes) > 1 or (modes and dry_run):
        raise UsageError(Msg("Use one of --dry-run, --explain, --list, --report at a time."))
    if (public or report) and output is None:
        raise UsageError(Msg("Name the file to write with -o FILE."))
    if output is not None and not (public or report):
        raise UsageError(Msg("-o is for --list and --report."))
    if month is not None and not report:
        raise UsageError(Msg("--month is for --report."))
    campaign = _campaign()
    policy = _policy(campaign)
    if explain is not None:
        _explain(explain, policy, as_json)
    elif public:
        _public_list(output, campaign, policy)  # type: ignore[arg-type]
    elif report:
        _report(output, policy, month)  # type: ignore[arg-type]
    else:
        _allocate(policy, dry_run, by, as_json)


def _allocate(policy: Policy, dry_run: bool, by: str, as_json: bool) -> None:
    from traomay.interface import render as ui
    from traomay.inventory.allocation import allocate as run_allocation
    from traomay.inventory.handover import clean_person

    with open_inventory() as inv:
        run = run_allocation(inv, policy, dry_run=dry_run,
                             by=clean_person(by, "--by", required=False),
                             detail=None if as_json else SHOWN)
    if as_json:
        ui.print_json({"dry_run": run.dry_run, "allocated": run.allocated,
                       "released": run.released, "kept": run.kept, "in_line": run.in_line,
                       "waiting": run.waiting, "unused_phones": run.unused_phones,
                       "changes": [{"action": c.action, "phone": f"id:{c.device_id}",
                                    "household": c.household_code, "unit": c.unit,
                                    "tier": c.tier, "round": c.round, "model": c.phone,
                                    "reason": render(c.reason) if c.reason else None}
                                   for c in run.changes]})
        return
    con = ui.console()
    if run.changes:
        rows = [[ui.cell(_(ACTION_LABELS[c.action]), "green" if c.action == "allocated"
                         else "yellow"), ui.cell(f"id:{c.device_id}"), ui.cell(c.phone),
                 ui.cell(c.household_code), ui.cell(c.unit), ui.cell(c.tier),
                 ui.cell(c.round), ui.msg_cell(c.reason) if c.reason else ui.cell("")]
                for c in run.changes[:SHOWN]]
        title = _("What would change (nothing was changed)") if dry_run else _("Changes")
        con.print(ui.table(title, [_("Action"), _("Phone"), _("Model"), _("Household"),
                                   _("Neighbourhood"), _("Tier"), _("Phone no."), _("Why")],
                           rows))
        more = run.allocated + run.released - len(run.changes)
        if more > 0:
            ui.say(Msg("... and {count} more.", {"count": more}), "dim")
    else:
        ui.say(Msg("Nothing to change: every allocation stands."), "green")
    ui.say(Msg("{allocated} allocated, {released} released, {kept} kept. {in_line} households "
               "in line, {waiting} still waiting; {unused} passing phones not needed.",
               {"allocated": run.allocated, "released": run.released, "kept": run.kept,
                "in_line": run.in_line, "waiting": run.waiting,
                "unused": run.unused_phones}))


def _explain(code: str, policy: Policy, as_json: bool) -> None:
    from traomay.interface import render as ui
    from traomay.inventory.allocation import explain

    with open_inventory(read_only=True) as inv:
        found = explain(inv, code, policy)
    h = found.household
    if as_json:
        ui.print_json({
            "household": h.code, "unit": h.unit, "poverty": h.poverty,
            "tier": found.tier.number if found.tier else None,
            "not_eligible": render(found.ineligible) if found.ineligible else None,
            "place_in_line": found.rank, "in_line": found.in_line,
            "capacity": found.capacity, "phones_ahead": found.phones_ahead,
            "allocations": [{"phone": f"id:{a['device_id']}", "model": a["phone"],
                             "state": a["state"], "rule": a["rule"]} for a in found.current],
            "history": [{"at": e.at, "action": e.action, "by": e.by, "phone": f"id:{e.device_id}",
                         "reason": e.reason or (render(e.why) if e.why else "")}
                        for e in found.history]})
        return
    con = ui.console()
    con.print(ui.line(_("Household {code} ({unit})").format(code=ui.for_terminal(h.code),
                                                             unit=ui.for_terminal(h.unit)),
                      "bold"))
    if found.ineligible is not None:
        con.print(ui.msg_cell(Msg("Not eligible: {why}", {"why": render(found.ineligible)}),
                              "yellow"))
    else:
        con.print(ui.msg_cell(Msg(
            "Tier {tier} ({label}); place {rank} of {in_line} households in line; up to "
            "{capacity} phone(s) (one per adult without a smartphone).",
            {"tier": found.tier.number if found.tier else "-",
             "label": _tier_name(found.tier), "rank": found.rank, "in_line": found.in_line,
             "capacity": found.capacity})))
        if found.phones_ahead is not None:
            con.print(ui.msg_cell(Msg("Waiting: {count} more passing phone(s) are needed before "
                                      "its next one.", {"count": found.phones_ahead}),
                                  "yellow"))
    for a in found.current:
        rule = a["rule"]
        label = render(Msg(rule.get("tier_label", ""))) if rule.get("label_is_msgid") \
            else rule.get("tier_label", "")
        con.print(ui.msg_cell(Msg(
            "Phone id:{id} ({phone}), {state}: tier {tier} ({label}), place {rank} of "
            "{in_line} in line, the household's phone no. {round} (allocated {at}).",
            {"id": a["device_id"], "phone": a["phone"], "state": _(ACTION_LABELS[a["state"]]),
             "tier": rule.get("tier", "-"), "label": label, "rank": rule.get("rank", "-"),
             "in_line": rule.get("in_line", "-"), "round": rule.get("round", "-"),
             "at": _when(a["allocated_at"])}), "green"))
    if found.history:
        rows = [[ui.cell(_when(e.at)), ui.cell(_(ACTION_LABELS.get(e.action, e.action))),
                 ui.cell(f"id:{e.device_id}"), ui.cell(e.phone), ui.cell(e.by),
                 ui.msg_cell(e.why) if e.why else ui.cell(e.reason)] for e in found.history]
        con.print(ui.table(_("History"), [_("Time (UTC)"), _("Step"), _("Phone"), _("Model"),
                                          _("By"), _("Why")], rows))


def _public_list(output: Path, campaign: Campaign | None, policy: Policy) -> None:
    from traomay.interface import render as ui
    from traomay.outputs.allocation_docs import write_public_list

    with open_inventory(read_only=True) as inv:
        path, count = write_public_list(inv, output, campaign, policy=policy)
    ui.say(Msg("Public list of {count} households written: {path} (no names, ID or phone "
               "numbers).", {"count": count, "path": str(path.resolve())}), "green")


def _report(output: Path, policy: Policy, month: str | None) -> None:
    from traomay.interface import render as ui
    from traomay.inventory.allocation_report import monthly_totals
    from traomay.outputs.allocation_docs import write_monthly_totals

    with open_inventory(read_only=True) as inv:
        totals = monthly_totals(inv, policy, month)
    path = write_monthly_totals(totals, output)
    total = totals.total
    ui.say(Msg("Allocation totals for {month}: {handed} handed over this month, {held} in the "
               "households' hands, {waiting} households waiting. Written: {path}",
               {"month": totals.month, "handed": total.handed_over_month, "held": total.held,
                "waiting": total.waiting, "path": str(path.resolve())}), "green")


# -- hand-over and return ---------------------------------------------------------------------
@app.command(help=N_(
    "Hand a phone over to the household it is allocated to and write the commitment form "
    "(mẫu số 2) for the recipient to sign; --undo takes back a hand-over recorded by "
    "mistake."))
def handover(
    phone: Annotated[str, typer.Argument(help=PHONE_HELP)],
    household: Annotated[str | None, typer.Argument(help=HOUSEHOLD_HELP)] = None,
    recipient: Annotated[str, typer.Option(
        "--recipient", help=N_("Who receives the phone (an adult of the household)."))] = "",
    recipient_id: Annotated[str, typer.Option(
        "--recipient-id", help=N_("The recipient's ID number (CCCD), printed on the form."))
                            ] = "",
    sim: Annotated[str | None, typer.Option(
        "--sim", metavar="OPERATOR:NUMBER",
        help=N_("The SIM given with the phone, e.g. Viettel:0981234567."))] = None,
    data_plan: Annotated[str, typer.Option(
        "--data-plan", help=N_("The data bundle given with it, e.g. '4G 12 tháng'."))] = "",
    by: Annotated[str, typer.Option("--by", help=N_("Who hands the phone over."))] = "",
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help=N_("Where to write the form (PDF)."))] = None,
    undo: Annotated[bool, typer.Option(
        "--undo", help=N_("Undo a hand-over recorded by mistake (with --reason)."))] = False,
    reason: Annotated[str, typer.Option("--reason", help=N_("With --undo: why."))] = "",
) -> None:
    from traomay.core.errors import UsageError
    from traomay.interface import render as ui

    if undo:
        if household or recipient or recipient_id or sim or data_plan or output:
            raise UsageError(Msg("--undo takes the phone and --reason only."))
        from traomay.inventory.handover import undo_handover

        with open_inventory() as inv:
            device_id = _device_id(inv, phone)
            undo_handover(inv, device_id, reason=reason, by=by)
        ui.say(Msg("Hand-over of phone id:{id} undone: it is allocated again, not handed over.",
                   {"id": device_id}), "yellow")
        return
    if not household:
        raise UsageError(Msg("Name the household the phone goes to (its code)."))
    if reason:
        raise UsageError(Msg("--reason is for --undo."))
    from traomay.inventory.handover import parse_sim
    from traomay.outputs.allocation_docs import hand_over

    given = parse_sim(sim) if sim else None
    campaign = _campaign()
    with open_inventory() as inv:
        device_id = _device_id(inv, phone)
        done = hand_over(inv, device_id, household, recipient=recipient, campaign=campaign,
                         folder=_outputs_dir(), path=output, recipient_id=recipient_id,
                         sim=given, data_plan=data_plan, by=by)
    ui.say(Msg("Phone id:{id} handed over to household {code}. Print the form and have the "
               "recipient sign it: {path}", {"id": device_id, "code": done.handover.household.code,
                                             "path": str(done.form.resolve())}), "green")


@app.command("return", help=N_(
    "A handed-over phone brought back: the household is in line again, and the phone must be "
    "erased and finalized again before it is given to anyone."))
def return_(
    phone: Annotated[str, typer.Argument(help=PHONE_HELP)],
    reason: Annotated[str, typer.Option("--reason", help=N_("Why the phone came back."))] = "",
    by: Annotated[str, typer.Option("--by", help=N_("Who took the phone back."))] = "",
) -> None:
    from traomay.interface import render as ui
    from traomay.inventory.handover import return_phone

    with open_inventory() as inv:
        device_id = _device_id(inv, phone)
        code = return_phone(inv, device_id, reason=reason, by=by)
    ui.say(Msg("Phone id:{id} returned by household {code}. Erase it and finalize it again "
               "before it is allocated again; the household is back in line.",
               {"id": device_id, "code": code}), "yellow")
