"""Inspection commands: inspect, recheck, attest, explain."""

from __future__ import annotations

from contextlib import nullcontext
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from traomay.core.i18n import _, render
from traomay.core.msg import N_
from traomay.interface.app import (
    CRITERIA_HELP,
    JSON_HELP,
    PHONE_HELP,
    app,
    hub,
    open_inventory,
    phone_session,
)
from traomay.interface.commands.phones import device_json


def _checks_json(session: Any, inspection: Any) -> dict[str, Any]:
    return {
        "device": device_json(session),
        "checks": [{"name": r.name, "status": r.status.value, "summary": render(r.summary),
                    "measurements": dict(r.measurements)} for r in inspection.results],
        "verdict": inspection.verdict.verdict,
        "round_trips": inspection.round_trips,
    }


def show_inspection(session: Any, inspection: Any, title: str | None = None) -> None:
    from traomay.interface import render as ui

    con = ui.console()
    rows = [[ui.check_label(r.name), ui.status_text(r.status), ui.msg_cell(r.summary)]
            for r in inspection.results]
    con.print(ui.table(title or _("Checks on {model} ({name}, inventory id:{id})").format(
        model=ui.phone_name(session.identity), name=session.name, id=session.device_id),
        [_("Check"), _("Result"), _("Details")], rows))
    verdict = inspection.verdict.verdict
    con.print(ui.line(_("Verdict: ") + _(verdict.upper()), ui.STATUS_STYLE.get(verdict, "")))


def _run(phone: str, only: str | None, kind: str, criteria: Path | None,
         as_json: bool) -> None:
    from traomay.interface import render as ui
    from traomay.provision.inspect import parse_only

    names = parse_only(only)
    with phone_session(phone, criteria=criteria) as session:
        # Radio tests can take a minute (GPS waits for satellites): show that work goes on.
        waiting = nullcontext() if as_json else ui.console(stderr=True).status(
            _("Checking {phone}: {checks}…").format(phone=ui.phone_name(session.identity),
                                                    checks=", ".join(names)))
        with waiting:
            inspection = session.inspect(names, kind=kind)
        if as_json:
            ui.print_json(_checks_json(session, inspection))
        else:
            show_inspection(session, inspection)
    if inspection.verdict.verdict == "fail":
        raise typer.Exit(1)


@app.command(help=N_("Run the checks on one phone and record the results."))
def inspect(
    phone: Annotated[str, typer.Argument(help=PHONE_HELP)],
    only: Annotated[str | None, typer.Option(
        "--only", help=N_("Only these checks, e.g. battery,camera."))] = None,
    criteria: Annotated[Path | None, typer.Option("--criteria", help=CRITERIA_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    _run(phone, only, "inspect", criteria, as_json)


@app.command(help=N_("Rerun only some checks (after a repair, a charge, a SIM swap)."))
def recheck(
    phone: Annotated[str, typer.Argument(help=PHONE_HELP)],
    only: Annotated[str, typer.Option("--only", help=N_("Checks to rerun, e.g. battery,gps"))],
    criteria: Annotated[Path | None, typer.Option("--criteria", help=CRITERIA_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    _run(phone, only, "recheck", criteria, as_json)


class Screen(str, Enum):
    ok = "ok"
    cracked = "cracked"


class Back(str, Enum):
    ok = "ok"
    bulging = "bulging"


@app.command(help=N_("Record the appearance check a person made (screen, back cover)."))
def attest(
    phone: Annotated[str, typer.Argument(help=PHONE_HELP)],
    screen: Annotated[Screen, typer.Option("--screen", case_sensitive=False)],
    back: Annotated[Back, typer.Option("--back", case_sensitive=False)],
    by: Annotated[str, typer.Option("--by", help=N_("Who looked at the phone."))],
) -> None:
    from traomay.core.errors import UsageError
    from traomay.core.msg import Msg

    if not by.strip():
        raise UsageError(Msg("Say who looked at the phone with --by NAME."))
    value = {"screen_ok": screen is Screen.ok, "back_ok": back is Back.ok, "who": by.strip()}
    with phone_session(phone) as session:
        inspection = session.record_person("appearance", value)
        show_inspection(session, inspection, _("Recorded"))
    if inspection.results[0].status.value == "fail":
        raise typer.Exit(1)


@app.command(help=N_(
    "Why a phone passed or failed: one line per criterion with its evidence and date."))
def explain(
    phone: Annotated[str, typer.Argument(help=PHONE_HELP)],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    from traomay.interface import render as ui
    from traomay.inventory.verdict import compute_verdict
    from traomay.provision.names import device_id_for, parse_name

    name = parse_name(phone)
    adb = hub(start=False) if name.device_id is None else None
    with open_inventory(read_only=True) as inv:
        device_id = device_id_for(adb, inv, name)
        record = inv.device(device_id)
        verdict = compute_verdict(inv.latest_results(device_id))
    if as_json:
        ui.print_json({
            "device": {k: record[k] for k in ("id", "brand", "model", "marketing_name",
                                              "android_version", "serial", "stage")},
            "verdict": verdict.verdict,
            "criteria": [{"key": line.key, "status": line.status,
                          "summary": render(line.summary) if line.summary else None,
                          "at": line.at} for line in verdict.lines]})
        return
    con = ui.console()
    rows = []
    for line in verdict.lines:
        rows.append([ui.msg_cell(line.label),
                     ui.status_text(line.status) if line.status != "missing"
                     else ui.line(_("not checked yet"), "yellow"),
                     ui.msg_cell(line.summary) if line.summary else ui.cell(""),
                     ui.cell((line.at or "")[:16].replace("T", " "))])
    title = _("Phone {name} ({serial}), inventory id:{id}").format(
        name=ui.for_terminal(record.get("marketing_name") or record.get("model")),
        serial=ui.for_terminal(record.get("serial")), id=device_id)
    con.print(ui.table(title, [_("Criterion"), _("Result"), _("Evidence"), _("Date (UTC)")],
                       rows, narrow_drop=(3,)))
    con.print(ui.line(_("Verdict: ") + _(verdict.verdict.upper()),
                      ui.STATUS_STYLE.get(verdict.verdict, "")))


@app.command(help=N_(
    "The thresholds in force: every check's values, which ones differ from the defaults, "
    "and any campaign rule the file acknowledges weakening."))
def criteria(
    path: Annotated[Path | None, typer.Option("--criteria", help=CRITERIA_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    from traomay.checks.criteria import active_criteria, find_criteria_file
    from traomay.core.errors import BadInputError
    from traomay.core.msg import Msg
    from traomay.interface import render as ui
    from traomay.interface.app import campaign

    try:
        active = active_criteria(path or find_criteria_file(campaign(needed=False)))
    except (ValueError, OSError) as exc:
        raise BadInputError(Msg("The criteria file is broken: {error}", {"error": str(exc)})) \
            from None
    if as_json:
        ui.print_json({"source": active.source,
                       "criteria": {k: dict(v) for k, v in active.values.items()},
                       "acknowledged": dict(active.acknowledged)})
        return
    rows = []
    for section, values in active.values.items():
        for key, value in values.items():
            default = active.defaults.get(section, {}).get(key)
            changed = _plain(value) != _plain(default)
            rows.append([ui.check_label(section), ui.cell(key), ui.cell(_shown(value), max_len=80),
                         ui.cell(_("changed (default {value})").format(value=_shown(default))
                                 if changed else "", "yellow" if changed else "", max_len=80)])
    con = ui.console()
    con.print(ui.table(_("Criteria in force, from {source}").format(source=active.source),
                       [_("Check"), _("Setting"), _("Value"), _("Note")], rows))
    for rule, why in active.acknowledged.items():
        ui.say(Msg("Weaker than the campaign rule, acknowledged: {rule} ({why})",
                   {"rule": rule, "why": why}), "bold yellow")


def _plain(value: Any) -> Any:
    """Frozen criteria (tuples, read-only mappings) as plain lists and dicts."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _shown(value: Any) -> str:
    value = _plain(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    return str(value)
