"""CLI commands for inspection: inspect, recheck, battery-test, attest, explain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from traomay.core.i18n import _, render
from traomay.interface.app import app, connected_phone, open_inventory


def _criteria(path: Path | None):
    from traomay.checks.criteria import load_criteria
    from traomay.core.errors import BadInputError
    from traomay.core.msg import Msg

    try:
        crit = dict(load_criteria(path))
    except (ValueError, OSError) as exc:
        raise BadInputError(Msg("The criteria file is broken: {error}", {"error": str(exc)})) \
            from None
    crit["compatibility"] = {"required_apps": _required_apps()}
    return crit


def _required_apps(manifest_path: Path | None = None) -> list[dict[str, Any]]:
    """Required apps' minimum SDK and ABIs from apk_manifest.yaml (empty if none is found)."""
    from traomay.apps.install_manifest import find_manifest_file
    from traomay.apps.manifest import load_manifest

    path = manifest_path or find_manifest_file()
    if path is None:
        return []
    manifest = load_manifest(path)
    return [{"name": app_.name, "min_sdk": app_.min_sdk or 0, "abis": list(app_.abis or ())}
            for app_ in manifest.apps if app_.required]


def _run(serial: str, only: str | None, kind: str, criteria_path: Path | None,
         as_json: bool, operator_inputs: dict[str, Any] | None = None) -> None:
    from traomay.inventory.verdict import compute_verdict
    from traomay.provision.inspect import inspect_and_record, parse_only

    names = parse_only(only)
    criteria = _criteria(criteria_path)
    from contextlib import nullcontext

    from traomay.interface import render as ui

    phone = connected_phone(serial)
    # Radio tests can take a minute (GPS waits for satellites): show that work goes on.
    waiting = nullcontext() if as_json else ui.console(stderr=True).status(
        _("Checking {phone}: {checks}…").format(phone=ui.phone_name(phone.identity),
                                                checks=", ".join(names)))
    with open_inventory() as inv, waiting:
        phone.record(inv)
        inspection = inspect_and_record(phone.link, inv, phone.device_id, names, criteria,
                                        kind=kind, operator_inputs=operator_inputs)
        verdict = compute_verdict(inv.latest_results(phone.device_id))
        inv.set_device_fields(phone.device_id, verdict=verdict.verdict)
    if as_json:
        data = {
            "device": phone.device_json(),
            "checks": [{"name": r.name, "status": r.status.value, "summary": render(r.summary),
                        "measurements": dict(r.measurements)} for r in inspection.results],
            "verdict": verdict.verdict,
            "round_trips": inspection.round_trips,
        }
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        from traomay.interface import render as ui

        con = ui.console()
        rows = [[ui.check_label(r.name), ui.status_text(r.status), ui.msg_cell(r.summary)]
                for r in inspection.results]
        con.print(ui.table(_("Checks on {model} (t:{tid})").format(
            model=ui.for_terminal(phone.identity.marketing_name), tid=phone.listing.transport_id),
            [_("Check"), _("Result"), _("Details")], rows))
        con.print(ui.line(_("Verdict: ") + _(verdict.verdict.upper()),
                          ui.STATUS_STYLE.get(verdict.verdict, "")))
    if verdict.verdict == "fail":
        raise typer.Exit(1)


@app.command()
def inspect(
    serial: Annotated[str, typer.Argument(help="adb serial, or t:N")],
    only: Annotated[str | None, typer.Option("--only", help="e.g. battery,camera")] = None,
    criteria: Annotated[Path | None, typer.Option("--criteria")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run the checks on one phone and record the results."""
    _run(serial, only, "inspect", criteria, as_json)


@app.command()
def recheck(
    serial: Annotated[str, typer.Argument(help="adb serial, or t:N")],
    only: Annotated[str, typer.Option("--only", help="Checks to rerun, e.g. battery,gps")],
    criteria: Annotated[Path | None, typer.Option("--criteria")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Rerun only some checks (after a repair, a charge, a SIM swap)."""
    _run(serial, only, "recheck", criteria, as_json)


@app.command()
def attest(
    serial: Annotated[str, typer.Argument(help="adb serial, or t:N")],
    screen: Annotated[str, typer.Option("--screen", help="ok | cracked")],
    back: Annotated[str, typer.Option("--back", help="ok | bulging")],
    by: Annotated[str, typer.Option("--by", help="Who looked at the phone.")],
) -> None:
    """Record the appearance check a person made (screen, back cover)."""
    from traomay.core.errors import BadInputError
    from traomay.core.msg import Msg

    screen_word, back_word = screen.strip().lower(), back.strip().lower()
    if screen_word not in ("ok", "cracked") or back_word not in ("ok", "bulging"):
        raise BadInputError(Msg("Use --screen ok or --screen cracked, and --back ok or --back "
                                "bulging."))
    if not by.strip():
        raise BadInputError(Msg("Say who looked at the phone with --by NAME."))
    inputs = {"appearance": {"screen_ok": screen_word == "ok", "back_ok": back_word == "ok",
                             "who": by.strip()}}
    _run(serial, "appearance", "recheck", None, False, operator_inputs=inputs)


@app.command()
def explain(
    device: Annotated[str, typer.Argument(help="Serial, or id:N from the inventory")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Why a phone passed or failed: one line per criterion with its evidence and date."""
    from traomay.interface import render as ui
    from traomay.inventory.verdict import compute_verdict

    with open_inventory() as inv:
        device_id = inv.resolve_device(device)
        record = inv.device(device_id)
        verdict = compute_verdict(inv.latest_results(device_id))
    if as_json:
        typer.echo(json.dumps({
            "device": {k: record[k] for k in ("id", "brand", "model", "marketing_name",
                                              "android_version", "serial")},
            "verdict": verdict.verdict,
            "criteria": [{"key": line.key, "status": line.status,
                          "summary": render(line.summary) if line.summary else None,
                          "at": line.at} for line in verdict.lines]},
            ensure_ascii=False, indent=2))
        return
    con = ui.console()
    rows = []
    for line in verdict.lines:
        rows.append([ui.msg_cell(line.label),
                     ui.status_text(line.status) if line.status != "missing"
                     else ui.line(_("not checked yet"), "yellow"),
                     ui.msg_cell(line.summary) if line.summary else ui.cell(""),
                     ui.cell((line.at or "")[:16].replace("T", " "))])
    title = _("Phone {name} ({serial}), inventory id {id}").format(
        name=ui.for_terminal(record.get("marketing_name") or record.get("model")),
        serial=ui.for_terminal(record.get("serial")), id=device_id)
    con.print(ui.table(title, [_("Criterion"), _("Result"), _("Evidence"), _("Date (UTC)")],
                       rows))
    con.print(ui.line(_("Verdict: ") + _(verdict.verdict.upper()),
                      ui.STATUS_STYLE.get(verdict.verdict, "")))

