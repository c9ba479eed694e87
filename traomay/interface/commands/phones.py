"""``traomay devices`` and ``traomay identify``: which phones are on this computer."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from traomay.core.i18n import _
from traomay.core.msg import N_
from traomay.interface.app import JSON_HELP, PHONE_HELP, app, hub, open_inventory, phone_session


def device_json(session: Any) -> dict[str, Any]:
    """The phone's identity for ``--json`` (no IMEI, no android_id: they identify a person's
    phone outside this campaign)."""
    data = {**session.identity.to_json(), "device_id": session.device_id,
            "transport_id": session.listing.transport_id, "adb_serial": session.listing.serial}
    data.pop("imeis", None)
    data.pop("android_id", None)
    return data


@app.command(help=N_(
    "List attached phones, record them in the inventory, and say what to do for each one that"
    " is not ready."))
def devices() -> None:
    from traomay.device.adb import instruction_for_state
    from traomay.interface import render as ui
    from traomay.provision.hub_run import open_all

    adb = hub()
    listings = adb.list_phones()
    con = ui.console()
    if not listings:
        con.print(_("No phone found. Plug phones in, unlock them and allow USB debugging."))
        return
    from traomay.provision.config import SessionConfig

    config = SessionConfig(criteria={})  # listing phones needs no criteria or app list
    with open_inventory() as inv:  # every phone seen is recorded, with station and time
        seen = open_all(adb, inv, listings, config)
    rows = []
    for phone in seen:
        ident, session = phone.identity, phone.session
        todo = phone.problem or instruction_for_state(phone.listing.state)
        rows.append([
            ui.cell(f"t:{phone.listing.transport_id}"),
            ui.cell(f"id:{session.device_id}" if session else "-"),
            ui.cell(phone.listing.serial),
            ui.cell(phone.listing.state, "green" if phone.listing.ready else "yellow"),
            ui.cell(ui.phone_name(ident) if ident else phone.listing.model),
            ui.cell(ident.android_version if ident else ""),
            ui.msg_cell(todo, "" if phone.listing.ready and not phone.problem else "yellow"),
        ])
    con.print(ui.table(_("Phones on this computer"),
                       [_("ID"), _("Inventory"), _("Serial"), _("State"), _("Phone"),
                        _("Android"), _("What to do")], rows, narrow_drop=(2, 3)))


@app.command(help=N_("Identify one phone and record it in the inventory."))
def identify(
    phone: Annotated[str, typer.Argument(help=PHONE_HELP)],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    from traomay.interface import render as ui

    with phone_session(phone) as session:
        ident = session.identity
        if as_json:
            ui.print_json({"device": device_json(session)})
            return
        rows = [
            [_("Brand"), ident.brand], [_("Manufacturer"), ident.manufacturer],
            [_("Model"), ident.model], [_("Marketing name"), ident.marketing_name],
            [_("Android"), f"{ident.android_version} (SDK {ident.sdk})"],
            [_("ABIs"), ", ".join(ident.abis)], [_("Serial"), ident.serial],
            [_("Inventory id"), f"id:{session.device_id}"],
        ]
        ui.console().print(ui.table(_("Phone t:{tid}").format(tid=session.listing.transport_id),
                                    [_("Field"), _("Value")], rows))
