"""The ``traomay`` command. Thin: read options, call one library function, render.

Heavy modules (adbutils, sqlite-utils, the simulator) are imported inside the commands so
``traomay --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from traomay.core.i18n import _, set_language
from traomay.core.msg import Msg

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="traomay: kiểm tra và chuẩn bị điện thoại quyên góp / "
    "check and prepare donated Android phones.",
)


@dataclass
class Options:
    lang: str = "vi"
    db: Path | None = None
    adb_port: int | None = None
    station: str | None = None


OPTIONS = Options()


@app.callback()
def _global(
    lang: Annotated[str | None, typer.Option("--lang", help="vi | en")] = None,
    db: Annotated[Path | None, typer.Option("--db", help="Inventory file (SQLite).")] = None,
    adb_port: Annotated[int | None, typer.Option("--adb-port", help="adb server port.")] = None,
    station: Annotated[str | None, typer.Option("--station", help="Station name.")] = None,
) -> None:
    OPTIONS.lang = set_language(lang)
    OPTIONS.db = db
    OPTIONS.adb_port = adb_port
    OPTIONS.station = station


def _hub():
    from traomay.device.adb import AdbHub

    hub = AdbHub(port=OPTIONS.adb_port)
    hub.ensure_server()
    return hub


def open_inventory(path: Path | None = None):
    from traomay.inventory.store import Inventory, default_db_path

    return Inventory(path or OPTIONS.db or default_db_path(), station=OPTIONS.station)


@dataclass
class ConnectedPhone:
    """A phone chosen on the command line, identified, ready for a command."""

    hub: Any
    listing: Any
    link: Any
    identity: Any
    device_id: int | None = None

    def record(self, inventory: Any) -> int:
        from traomay.provision.pipeline import PhoneReport, record_identity

        report = PhoneReport(self.listing, self.identity)
        # Another phone on the hub with the same serial: the serial cannot tell them apart.
        shared = sum(p.serial == self.listing.serial for p in self.hub.list_phones()) > 1
        record_identity(inventory, report, serial_shared=shared)
        if report.problem is not None or report.device_id is None:
            from traomay.core.errors import InventoryError

            raise InventoryError(report.problem or Msg("Could not record the phone."))
        self.device_id = report.device_id
        return report.device_id

    def device_json(self) -> dict[str, Any]:
        data = {**self.identity.to_json(), "device_id": self.device_id,
                "transport_id": self.listing.transport_id}
        data.pop("imeis", None)
        data.pop("android_id", None)
        return data


def connected_phone(serial: str) -> ConnectedPhone:
    """Find the phone by serial or t:N, make sure it is ready, identify it."""
    from traomay.core.errors import DeviceNotReady
    from traomay.provision.pipeline import identify_listing

    hub = _hub()
    listing = hub.find(serial)
    link, report = identify_listing(hub, listing)
    if report.problem is not None or link is None:
        raise DeviceNotReady(report.problem or Msg("The phone is not ready."))
    return ConnectedPhone(hub, listing, link, report.identity)


@app.command()
def devices() -> None:
    """List attached phones, record them in the inventory, and say what to do for each one
    that is not ready."""
    from traomay.device.adb import instruction_for_state
    from traomay.interface import render as ui
    from traomay.provision.pipeline import process_phones

    hub = _hub()
    listings = hub.list_phones()
    con = ui.console()
    if not listings:
        con.print(_("No phone found. Plug phones in, unlock them and allow USB debugging."))
        return
    with open_inventory() as inv:  # every phone seen is recorded, with station and time
        reports = process_phones(hub, inv, listings)
    rows = []
    for rep in reports:
        ident = rep.identity
        todo = rep.problem or instruction_for_state(rep.listing.state)
        rows.append([
            ui.cell(f"t:{rep.listing.transport_id}"),
            ui.cell(rep.listing.serial),
            ui.cell(rep.listing.state, "green" if rep.listing.ready else "yellow"),
            ui.cell(ui.phone_name(ident) if ident else rep.listing.model),
            ui.cell(ident.android_version if ident else ""),
            ui.msg_cell(todo, "" if rep.listing.ready else "yellow"),
        ])
    con.print(ui.table(_("Phones on this computer"),
                       [_("ID"), _("Serial"), _("State"), _("Phone"), _("Android"),
                        _("What to do")], rows))


@app.command()
def identify(
    serial: Annotated[str, typer.Argument(help="adb serial, or t:N (transport id)")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Identify one phone and record it in the inventory."""
    from traomay.interface import render as ui

    phone = connected_phone(serial)
    with open_inventory() as inv:
        phone.record(inv)
    ident, listing = phone.identity, phone.listing
    if as_json:
        typer.echo(json.dumps({"device": phone.device_json()}, ensure_ascii=False, indent=2))
        return
    rows = [
        [_("Brand"), ident.brand], [_("Manufacturer"), ident.manufacturer],
        [_("Model"), ident.model], [_("Marketing name"), ident.marketing_name],
        [_("Android"), f"{ident.android_version} (SDK {ident.sdk})"],
        [_("ABIs"), ", ".join(ident.abis)], [_("Serial"), ident.serial],
        [_("Inventory id"), str(phone.device_id)],
    ]
    ui.console().print(ui.table(_("Phone t:{tid}").format(tid=listing.transport_id),
                                [_("Field"), _("Value")], rows))


@app.command()
def sim(
    phones: Annotated[int, typer.Option("--phones", min=1, max=64, help="How many phones.")] = 8,
    profiles: Annotated[str | None, typer.Option(
        "--profiles", help="Comma-separated profile names (see --list).")] = None,
    list_profiles: Annotated[bool, typer.Option("--list", help="List phone profiles.")] = False,
) -> None:
    """Run a simulated USB hub for training, until Ctrl-C."""
    from traomay.demo.demo import run_training_hub

    run_training_hub(phones=phones, profile_names=profiles, list_only=list_profiles,
                     adb_port=OPTIONS.adb_port)


@app.command()
def demo(
    phones: Annotated[int, typer.Option("--phones", min=0, max=64,
                                        help="0 = one of each profile.")] = 0,
) -> None:
    """Show the whole job on simulated phones (no real phone needed)."""
    from traomay.demo.demo import run_demo

    code = run_demo(db_path=OPTIONS.db, phones=phones or None, station=OPTIONS.station)
    raise typer.Exit(code)


def _register_commands() -> None:
    # Command groups live in their own modules; importing them adds their commands to app.
    import traomay.interface.commands.changes  # noqa: F401
    import traomay.interface.commands.checks  # noqa: F401
    import traomay.interface.commands.manifest  # noqa: F401
    import traomay.interface.commands.operator  # noqa: F401


def main() -> None:
    """Entry point: maps errors to documented exit codes and a message that says what to do."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream.isatty():
                stream.reconfigure(errors="replace")  # type: ignore[attr-defined]
            else:  # piped to a file (e.g. on Windows, cp1252): keep Vietnamese intact
                stream.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[attr-defined]
        except (AttributeError, ValueError, OSError):
            pass
    from traomay.core.errors import ExitCode, TraomayError

    try:
        _register_commands()
        app()
    except TraomayError as exc:
        from traomay.interface import render as ui

        ui.print_error(exc.message, int(exc.exit_code), exc.detail)
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        sys.exit(int(ExitCode.INTERRUPTED))
    except Exception as exc:  # a bug: say where the details are
        import traceback

        from traomay.inventory.store import default_db_path

        # Next to the user's inventory, not in a shared temp folder; frames and the error
        # type only (an exception's message can carry text from a phone).
        log = default_db_path().parent / "traomay-error.log"
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text("".join(traceback.format_tb(exc.__traceback__))
                           + type(exc).__name__ + "\n", encoding="utf-8")
        except OSError:
            log = Path("(not written)")
        set_language(OPTIONS.lang)
        print(_("Unexpected error ({kind}). Details were written to {path}; please send that "
                "file to the team.").format(kind=type(exc).__name__, path=log), file=sys.stderr)
        sys.exit(int(ExitCode.INTERNAL))


if __name__ == "__main__":
    # Run through the importable module so command modules register on the same app.
    from traomay.interface.app import main as _main

    _main()
