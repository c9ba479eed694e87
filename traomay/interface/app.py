"""The ``traomay`` command. Thin: each command reads options, makes one library call
(mostly a :class:`~traomay.provision.session.PhoneSession` method), and renders.

Heavy modules (adbutils, sqlite-utils, the simulator) are imported inside the commands so
``traomay --help`` stays fast. Library errors carry their exit code; :func:`main` maps
them to a message that says what to do.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from traomay.core.i18n import _, set_language
from traomay.core.msg import N_

if TYPE_CHECKING:
    from traomay.core.campaign import CampaignFolder
    from traomay.device.adb import AdbHub
    from traomay.inventory.store import Inventory
    from traomay.provision.config import SessionConfig
    from traomay.provision.session import PhoneSession

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help=N_("traomay: check and prepare donated Android phones for households in need "
            "(--lang en: English)."),
)

# Help strings are English msgids (N_), translated once the language is known
# (interface/cli_text.py).
PHONE_HELP = N_("t:N, id:N, or the phone's serial (see 'traomay devices')")
JSON_HELP = N_("Machine-readable output (JSON).")
CRITERIA_HELP = N_("Criteria file (criteria.yaml); default: the campaign folder's.")
MANIFEST_HELP = N_("App list (apk_manifest.yaml); default: the campaign folder's.")


@dataclass
class Options:
    lang: str = "vi"
    db: Path | None = None
    adb_port: int | None = None
    station: str | None = None
    campaign: Path | None = None


OPTIONS = Options()


def _show_version(value: bool) -> None:
    if value:
        from traomay import __version__

        print(f"traomay {__version__}")
        raise typer.Exit(0)


@app.callback()
def _global(
    lang: Annotated[str | None, typer.Option(
        "--lang", help=N_("Language: vi (Tiếng Việt, the default) or en (English)."))] = None,
    db: Annotated[Path | None, typer.Option("--db", help=N_("Inventory file (SQLite)."))] = None,
    adb_port: Annotated[int | None, typer.Option("--adb-port", help=N_("adb server port."))] = None,
    station: Annotated[str | None, typer.Option("--station", help=N_("Station name."))] = None,
    campaign_dir: Annotated[Path | None, typer.Option(
        "--campaign", help=N_("Campaign folder (see 'traomay where')."))] = None,
    version: Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                          help=N_("Show the version and exit."))] = False,
) -> None:
    OPTIONS.lang = set_language(lang)
    OPTIONS.db = db
    OPTIONS.adb_port = adb_port
    OPTIONS.station = station
    OPTIONS.campaign = campaign_dir


def hub(start: bool = True) -> AdbHub:
    """The adb server the phones are on (started on its usual port if none answers)."""
    from traomay.device.adb import AdbHub

    adb = AdbHub(port=OPTIONS.adb_port)
    if start:
        adb.ensure_server()
    return adb


def campaign(*, needed: bool = True) -> CampaignFolder:
    """The campaign folder (``--campaign``, ``$TRAOMAY_CAMPAIGN``, the current folder, the
    per-user folder); ``needed``: set up the per-user folder on first use, refuse a named
    folder that is not one (:func:`traomay.interface.folder.campaign_folder`)."""
    from traomay.interface.folder import campaign_folder

    return campaign_folder(OPTIONS.campaign, needed=needed, station=OPTIONS.station)


def inventory_file(*, needed: bool = True) -> Path:
    """``--db``, else the campaign folder's inventory (``$TRAOMAY_DB`` unless --campaign)."""
    from traomay.interface.folder import inventory_path

    return OPTIONS.db or inventory_path(campaign(needed=needed))


def open_inventory(path: Path | None = None, *, read_only: bool = False) -> Inventory:
    """The station's inventory; ``read_only`` for commands that only look (they work on
    read-only media and never upgrade or change the file)."""
    from traomay.interface.folder import station_name
    from traomay.inventory.store import Inventory

    # The station matters to reads too: t:N is looked up among this station's records.
    target = path or inventory_file(needed=not read_only)
    station = station_name(campaign(needed=False), OPTIONS.station)
    return Inventory(target, station=station, read_only=read_only)


def session_config(criteria: Path | None = None, manifest: Path | None = None) -> SessionConfig:
    from traomay.provision.config import load_config

    return load_config(criteria, manifest, campaign())


@contextmanager
def phone_session(name: str, *, criteria: Path | None = None,
                  manifest: Path | None = None) -> Iterator[PhoneSession]:
    """The phone ``name`` refers to, identified and recorded, with the inventory open for
    the command's steps. Says so when the name was followed to a new transport."""
    from traomay.interface import render
    from traomay.provision.names import parse_name
    from traomay.provision.session import PhoneSession

    parsed = parse_name(name)
    config = session_config(criteria, manifest)
    adb = hub()
    with open_inventory() as inventory:
        session = PhoneSession.find(adb, inventory, parsed, config)
        for note in session.notes:
            render.say(note, "cyan")
        yield session


COMMAND_MODULES = ("campaign", "station", "phones", "checks", "operator", "changes", "manifest",
                   "sim", "outputs", "allocation")


def _register_commands() -> None:
    """Command groups live in their own modules; importing one adds its commands to ``app``
    (in this order in ``--help``: the volunteer's flow)."""
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(f"traomay.interface.commands.{name}")


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

    set_language("vi")  # until the command line says otherwise (a bad --lang is told so)
    try:
        import os

        from traomay.interface.cli_text import language_from, run

        OPTIONS.lang = set_language(language_from(sys.argv[1:], os.environ))
        _register_commands()
        code = run(app, sys.argv[1:])
        if code == ExitCode.INTERRUPTED:  # typer turned Ctrl-C into exit 130
            from traomay.interface import render

            if not render.stop_was_said():
                print(_("Stopped (Ctrl-C)."), file=sys.stderr)
    except TraomayError as exc:
        from traomay.interface import render

        render.print_error(exc.message, int(exc.exit_code), exc.detail)
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        print(_("Stopped (Ctrl-C)."), file=sys.stderr)
        sys.exit(int(ExitCode.INTERRUPTED))
    except Exception as exc:  # a bug: say where the details are
        import traceback

        # Next to the user's inventory, not in a shared temp folder; frames and the error
        # type only (an exception's message can carry text from a phone).
        try:
            log = inventory_file(needed=False).parent / "traomay-error.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text("".join(traceback.format_tb(exc.__traceback__))
                           + type(exc).__name__ + "\n", encoding="utf-8")
        except Exception:  # a broken campaign.yaml or folder must not hide the bug
            log = Path("(not written)")
        set_language(OPTIONS.lang)
        print(_("Unexpected error ({kind}). Details were written to {path}; please send that "
                "file to the team.").format(kind=type(exc).__name__, path=log), file=sys.stderr)
        sys.exit(int(ExitCode.INTERNAL))
    sys.exit(code)
