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

if TYPE_CHECKING:
    from traomay.device.adb import AdbHub
    from traomay.inventory.store import Inventory
    from traomay.provision.config import SessionConfig
    from traomay.provision.session import PhoneSession

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="traomay: kiểm tra và chuẩn bị điện thoại quyên góp / "
    "check and prepare donated Android phones.",
)

PHONE_HELP = "t:N, id:N, or the phone's serial (see 'traomay devices')"


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


def hub(start: bool = True) -> AdbHub:
    """The adb server the phones are on (started on its usual port if none answers)."""
    from traomay.device.adb import AdbHub

    adb = AdbHub(port=OPTIONS.adb_port)
    if start:
        adb.ensure_server()
    return adb


def open_inventory(path: Path | None = None, *, read_only: bool = False) -> Inventory:
    """The station's inventory; ``read_only`` for commands that only look (they work on
    read-only media and never upgrade or change the file)."""
    from traomay.inventory.store import Inventory, default_db_path

    return Inventory(path or OPTIONS.db or default_db_path(), station=OPTIONS.station,
                     read_only=read_only)


def session_config(criteria: Path | None = None, manifest: Path | None = None) -> SessionConfig:
    from traomay.provision.config import load_config

    return load_config(criteria, manifest)


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


COMMAND_MODULES = ("station", "phones", "checks", "operator", "changes", "manifest", "sim",
                   "outputs", "allocation")


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

    try:
        _register_commands()
        app()
    except TraomayError as exc:
        from traomay.interface import render

        render.print_error(exc.message, int(exc.exit_code), exc.detail)
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
