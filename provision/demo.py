"""``traomay demo`` and ``traomay sim``: simulated phones behind the real adb server.

The demo starts the bundled adb on a private port with a private HOME (never the user's
server on 5037), attaches simulated phones, runs the pipeline on all of them at once,
prints a table per phone, writes the inventory to a file it names, and shuts down.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from checks.base import Msg
from inventory.store import Inventory
from provision import ui
from provision.device import AdbHub, free_port, instruction_for_state, private_adb_server
from provision.errors import BadInputError
from provision.i18n import _, render
from provision.pipeline import PhoneReport, process_phones

DEMO_DB = Path("traomay-demo") / "demo-inventory.sqlite"


def _load_phones(profile_names: str | None, count: int | None, unauthorized_first: bool):
    from simulator.phone import Phone
    from simulator.profile import default_hub_profiles, list_profiles

    names = [n.strip() for n in profile_names.split(",") if n.strip()] if profile_names \
        else list(default_hub_profiles())
    known = set(list_profiles())
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BadInputError(Msg("Unknown phone profile {name}. Known profiles: {known}.",
                                {"name": unknown[0], "known": ", ".join(sorted(known))}))
    if count:
        names = [names[i % len(names)] for i in range(count)]
    return [Phone.from_profile(name, authorized=not (unauthorized_first and i == 0))
            for i, name in enumerate(names)], names


def _wait_listed(hub: AdbHub, expected: int, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        listings = hub.list_phones()
        if len(listings) >= expected and all(p.state in ("device", "unauthorized")
                                              for p in listings):
            return listings
        if time.monotonic() > deadline:
            return listings
        time.sleep(0.1)


def run_demo(db_path: Path | None = None, phones: int | None = None,
             station: str | None = None) -> int:
    con = ui.console()
    db_path = Path(db_path) if db_path else DEMO_DB
    if db_path.exists() and db_path == DEMO_DB:
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
    sim_phones, names = _load_phones(None, phones, unauthorized_first=True)
    from simulator.hub import SimulatedHub

    home = Path(tempfile.mkdtemp(prefix="traomay-demo-"))
    try:
        port = free_port(15037)
        con.print(ui.cell(_("Starting a private adb server on port {port} and {n} simulated "
                            "phones…").format(port=port, n=len(sim_phones)), "bold"))
        with private_adb_server(home, port) as server, \
                SimulatedHub(sim_phones, adb_port=port) as sim_hub, \
                Inventory(db_path, station=station or "demo-station") as inventory:
            hub = server.hub()
            listings = _wait_listed(hub, len(sim_phones))
            waiting = [p for p in listings if p.state == "unauthorized"]
            for listing in waiting:
                con.print(ui.cell(_("Phone {serial}: {todo}").format(
                    serial=listing.serial, todo=render(instruction_for_state(listing.state))),
                    "yellow"))
            if waiting:
                con.print(ui.cell(_("(demo) The volunteer taps \"Allow\" on that phone."), "dim"))
                sim_hub.allow(0)
                hub.wait_for(lambda p: p.serial == waiting[0].serial and p.ready, timeout=15)
            listings = hub.list_phones()
            started = time.monotonic()
            reports = process_phones(hub, inventory, listings)
            elapsed = time.monotonic() - started
            _print_reports(con, reports)
            con.print(ui.cell(_("{n} phones processed at once in {s:.1f} s.").format(
                n=len(reports), s=elapsed)))
        con.print(ui.cell(_("Inventory written to {path}").format(path=db_path.resolve()),
                          "bold green"))
        return 0 if all(r.ok for r in reports) and len(reports) == len(names) else 1
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _print_reports(con, reports: list[PhoneReport]) -> None:
    rows = []
    for rep in reports:
        ident = rep.identity
        rows.append([
            ui.cell(f"t:{rep.listing.transport_id}"),
            ui.cell(f"{ui.phone_name(ident)} ({ident.model})" if ident else rep.listing.model),
            ui.cell(ident.android_version if ident else ""),
            ui.cell(ident.serial if ident else ""),
            ui.cell(str(rep.device_id or "")),
            ui.msg_cell(rep.problem, "yellow") if rep.problem else ui.cell(
                _("new") if rep.created else _("known"), "green"),
        ])
    con.print(ui.table(_("Phones on the simulated hub"),
                       [_("ID"), _("Phone (model)"), _("Android"), _("Serial"),
                        _("Inventory id"), _("Result")], rows))


def run_training_hub(phones: int, profile_names: str | None, list_only: bool,
                     adb_port: int | None) -> None:
    """``traomay sim``: attach simulated phones to the adb server the other commands use."""
    from simulator.hub import SimulatedHub
    from simulator.profile import list_profiles, load_profile

    con = ui.console()
    if list_only:
        rows = []
        for name in list_profiles():
            prof = load_profile(name)
            rows.append([name, getattr(prof, "description", "")])
        con.print(ui.table(_("Phone profiles"), [_("Name"), _("Description")], rows))
        return
    sim_phones, _names = _load_phones(profile_names, phones, unauthorized_first=False)
    hub = AdbHub(port=adb_port)
    hub.ensure_server()
    with SimulatedHub(sim_phones, adb_port=hub.port) as sim_hub:
        con.print(ui.cell(_("{n} simulated phones attached to the adb server on port {port}. "
                            "Use 'traomay devices' in another terminal. Ctrl-C to stop.").format(
            n=len(sim_phones), port=hub.port), "bold"))
        sim_hub.run_forever_until_interrupted()
