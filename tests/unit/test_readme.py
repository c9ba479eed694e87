"""Every CLI command is documented in the README (sqlite-utils does the same), and the
README's two commands are the ones CI runs."""

from pathlib import Path

import typer.main

from traomay.interface import app as cli

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _command_names() -> list[str]:
    cli._register_commands()
    group = typer.main.get_group(cli.app)
    names = []
    for name, command in group.commands.items():
        sub = getattr(command, "commands", None)
        names.extend(f"{name} {s}" for s in sub) if sub else names.append(name)
    return names


def test_every_command_is_in_the_readme():
    missing = [n for n in _command_names() if f"traomay {n}" not in README]
    assert not missing, f"README lacks: {missing}"


def test_two_commands_and_ci():
    assert "make demo" in README and "make test" in README
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
