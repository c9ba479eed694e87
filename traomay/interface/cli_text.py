"""The command line in the volunteer's language: the language chosen before click parses,
help pages and usage errors translated through the one catalog (traomay.core.i18n).

typer (0.25 and later) carries its own copy of click whose words are English f-strings,
not gettext calls, so nothing can be translated by installing a catalog. Instead:

- the language is read from ``--lang`` / ``$TRAOMAY_LANG`` before click sees the command
  line (:func:`language_from`); Vietnamese unless English is asked for, whatever the
  operating system's language; an unknown language is a usage error (exit 2);
- every help string in the commands is an English msgid (``help=N_("...")``) and is
  translated in the click command tree once the language is known (:func:`localize`); the
  words click and typer add around them ("Usage:", "Options:", "[required]" …) are
  replaced in the formatted help by their translation (:func:`translate_help`);
- a usage error is rendered here from the exception's kind and parameter
  (:func:`usage_error_lines`), never shown by click in English.

tests/e2e/test_cli_language.py runs commands under an English OS locale and fails on any
English sentence left.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from traomay.core.errors import UsageError
from traomay.core.i18n import LANGUAGES, _, render
from traomay.core.msg import N_, Msg

LANG_ENV = "TRAOMAY_LANG"
PROG = "traomay"


# --- the language, before click parses ------------------------------------------------------

def language_from(argv: Sequence[str], env: Mapping[str, str]) -> str:
    """``--lang X`` / ``--lang=X`` among the global options, else ``$TRAOMAY_LANG``, else
    Vietnamese. The operating system's language is never used: volunteers' laptops are
    often set to English while the volunteers read Vietnamese. UsageError (exit 2) for a
    language traomay does not speak."""
    chosen: str | None = None
    source = "--lang"
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            chosen = argv[i + 1]
            break
        if arg.startswith("--lang="):
            chosen = arg.split("=", 1)[1]
            break
    if chosen is None:
        chosen, source = env.get(LANG_ENV, "").strip() or None, LANG_ENV
    if chosen is None:
        return "vi"
    lang = chosen.strip().lower()
    if lang not in LANGUAGES:
        raise UsageError(Msg("Unknown language {lang} ({source}). traomay speaks: vi "
                             "(Tiếng Việt, the default) and en (English).",
                             {"lang": chosen, "source": source}))
    return lang


# --- help pages -------------------------------------------------------------------------------

# Metavars typer derives from the Python types, shown in help and usage lines.
METAVARS: dict[str, str] = {
    "<str>": N_("<text>"), "<int>": N_("<number>"), "<float>": N_("<number>"),
    "<int range>": N_("<number>"), "<float range>": N_("<number>"), "<path>": N_("<file>"),
}
# Arguments by parameter name: what the volunteer types there.
ARGUMENT_NAMES: dict[str, str] = {
    "phone": N_("PHONE"), "apks": N_("APK"), "check": N_("CHECK"),
    "decision": N_("DECISION"), "action": N_("ACTION"), "household": N_("HOUSEHOLD"),
    "file": N_("FILE"), "folder": N_("FOLDER"), "other": N_("OTHER_INVENTORY"),
    "code": N_("CODE"),
}


def localize(command: Any) -> None:
    """Translate the help of ``command`` (a click command from typer) and of everything
    under it, and make its help pages and usage lines come out translated."""
    for attr in ("help", "short_help", "epilog"):
        value = getattr(command, attr, None)
        if isinstance(value, str) and value:
            setattr(command, attr, _(value))
    for attr, english in (("options_metavar", "[OPTIONS]"),
                          ("subcommand_metavar", "COMMAND [ARGS]...")):
        if getattr(command, attr, None) == english:
            setattr(command, attr, _(english))
    for param in getattr(command, "params", []):
        value = getattr(param, "help", None)
        if isinstance(value, str) and value:
            param.help = _(value)
        if type(param).__name__.endswith("Argument") and param.name in ARGUMENT_NAMES:
            param.metavar = _(ARGUMENT_NAMES[param.name])
            if hasattr(param, "display_type_rich"):  # the name says it; the help has choices
                param.display_type_rich = lambda *a, **k: ""
        for method in ("display_type", "make_metavar"):  # typer >= 0.25 | older typer
            _wrap_metavar(param, method)
    _wrap(command, "get_help")
    _wrap(command, "get_usage")
    for sub in getattr(command, "commands", {}).values():
        localize(sub)


def _wrap(command: Any, method: str) -> None:
    original: Callable[[Any], str] = getattr(command, method)
    if getattr(original, "_traomay_translated", False):
        return

    def translated(ctx: Any) -> str:
        return translate_help(original(ctx))

    translated._traomay_translated = True  # type: ignore[attr-defined]
    setattr(command, method, translated)


def _wrap_metavar(param: Any, method: str) -> None:
    original = getattr(param, method, None)
    if original is None or getattr(original, "_traomay_translated", False):
        return

    def translated(*args: Any, **kwargs: Any) -> Any:
        value = original(*args, **kwargs)
        return _(METAVARS[value]) if isinstance(value, str) and value in METAVARS else value

    translated._traomay_translated = True  # type: ignore[attr-defined]
    setattr(param, method, translated)


_HEADINGS = {"Usage:": N_("Usage:"), "Arguments:": N_("Arguments:"),
             "Options:": N_("Options:"), "Commands:": N_("Commands:")}
_PHRASES = (
    ("[OPTIONS]", N_("[OPTIONS]")),
    ("COMMAND [ARGS]...", N_("COMMAND [ARGS]...")),
    ("Show this message and exit.", N_("Show this message and exit.")),
    ("Show the version and exit.", N_("Show the version and exit.")),
)


def translate_help(text: str) -> str:
    """The words click and typer put around our (already translated) help strings."""
    lines = []
    for line in text.split("\n"):
        stripped = line.strip()
        for english, msgid in _HEADINGS.items():
            if stripped == english:
                line = line.replace(english, _(msgid))
            elif english == "Usage:" and line.startswith("Usage: "):
                line = _(msgid) + line[len("Usage:"):]
        lines.append(line)
    text = "\n".join(lines)
    for english, msgid in _PHRASES:
        text = text.replace(english, _(msgid))
    for english, msgid in METAVARS.items():
        text = text.replace(english, _(msgid))
    text = re.sub(r"<list\[Path\]>", "", text)
    text = text.replace("[required]", "[" + _("required") + "]")
    return re.sub(r"\[default:\s*([^\]]*)\]",
                  lambda m: "[" + _("default: {default}").format(default=m.group(1)) + "]",
                  text)


# --- usage errors -----------------------------------------------------------------------------

def _param_name(exc: Any) -> str:
    hint = getattr(exc, "param_hint", None)
    if isinstance(hint, str) and hint:
        return hint.strip("'\"")
    if isinstance(hint, (list, tuple)) and hint:
        return " / ".join(str(h) for h in hint)
    param = getattr(exc, "param", None)
    if param is None:
        return ""
    opts = [o for o in getattr(param, "opts", []) if o.startswith("-")]
    if opts:
        return max(opts, key=len)
    name = getattr(param, "name", "") or ""
    return _(ARGUMENT_NAMES[name]) if name in ARGUMENT_NAMES else name.upper()


def _given_value(argv: Sequence[str], option: str) -> str | None:
    """What the volunteer typed after ``option`` (the bad value, for the message)."""
    for i, arg in enumerate(argv):
        if arg == option and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
    return None


def _choices(text: str) -> list[str]:
    """Choices click lists in a message: "Choose from:\\n\\tok,\\n\\tcracked" or
    "'x' is not one of 'ok', 'cracked'."."""
    if "Choose from:" in text:
        tail = text.split("Choose from:", 1)[1]
        return [c.strip(" \t,.'") for c in re.split(r"[,\n]", tail) if c.strip(" \t,.'")]
    match = re.search(r"is not one of (.*?)\.?$", text, re.S)
    if match:
        return [c.strip(" '\"") for c in match.group(1).split(",") if c.strip(" '\"")]
    return []


def _bad_value(exc: Any, argv: Sequence[str]) -> Msg:
    name = _param_name(exc)
    detail = str(getattr(exc, "message", "") or "")
    value = _given_value(argv, name) if name.startswith("-") else None
    quoted = re.search(r"'([^']*)' is not one of", detail)
    shown = value if value is not None else quoted.group(1) if quoted else "?"
    choices = _choices(detail)
    if choices:
        return Msg("Invalid value for {name}: {value}. Choose one of: {choices}.",
                   {"name": name, "value": shown, "choices": ", ".join(choices)})
    at_least = re.search(r"(?:greater than or equal to|>=)\s*([-\d.]+)", detail)
    at_most = re.search(r"(?:less than or equal to|<=)\s*([-\d.]+)", detail)
    if at_least:
        return Msg("Invalid value for {name}: {value}. It must be at least {bound}.",
                   {"name": name, "value": shown, "bound": at_least.group(1)})
    if at_most:
        return Msg("Invalid value for {name}: {value}. It must be at most {bound}.",
                   {"name": name, "value": shown, "bound": at_most.group(1)})
    if re.search(r"valid (number|integer|float)|is not a valid (integer|float)", detail):
        return Msg("Invalid value for {name}: {value} is not a number.",
                   {"name": name, "value": shown})
    return Msg("Invalid value for {name}: {value} ({detail}).",
               {"name": name, "value": shown, "detail": detail})


def usage_error_message(exc: Any, argv: Sequence[str]) -> Msg:
    """One translatable sentence for click's usage error ``exc``."""
    kind = type(exc).__name__
    text = str(getattr(exc, "message", "") or "")
    if kind == "MissingParameter":
        name = _param_name(exc)
        is_argument = type(getattr(exc, "param", None)).__name__.endswith("Argument")
        choices = _choices(exc.format_message())
        if is_argument:
            return Msg("Missing {name}: give it after the command.", {"name": name})
        if choices:
            return Msg("Missing option {name}. Choose one of: {choices}.",
                       {"name": name, "choices": ", ".join(choices)})
        return Msg("Missing option {name}.", {"name": name})
    if kind == "NoSuchOption":
        option = str(getattr(exc, "option_name", "") or "")
        near = list(getattr(exc, "possibilities", None) or [])
        if near:
            return Msg("No such option: {option}. Did you mean {near}?",
                       {"option": option, "near": " / ".join(sorted(near))})
        return Msg("No such option: {option}.", {"option": option})
    if kind == "BadParameter":
        return _bad_value(exc, argv)
    if kind == "BadOptionUsage" and "requires an argument" in text:
        return Msg("Option {option} needs a value after it.",
                   {"option": str(getattr(exc, "option_name", ""))})
    if kind == "BadOptionUsage" and "does not take a value" in text:
        return Msg("Option {option} takes no value.",
                   {"option": str(getattr(exc, "option_name", ""))})
    match = re.match(r"No such command '([^']*)'", text)
    if match:
        names = list(getattr(getattr(exc, "ctx", None), "command", None).commands) \
            if getattr(getattr(exc, "ctx", None), "command", None) is not None and \
            hasattr(exc.ctx.command, "commands") else []
        near = difflib.get_close_matches(match.group(1), names, n=1)
        if near:
            return Msg("No such command: {name}. Did you mean {near}?",
                       {"name": match.group(1), "near": near[0]})
        return Msg("No such command: {name}.", {"name": match.group(1)})
    match = re.match(r"Got unexpected extra arguments? ?(?:\(s\))? \((.*)\)$", text)
    if match:
        return Msg("Too many arguments: {args}.", {"args": match.group(1)})
    if text.startswith("Missing command"):
        return Msg("Give a command (see the list above).")
    return Msg("Wrong use of the command: {detail}", {"detail": text})


def usage_error_lines(exc: Any, argv: Sequence[str]) -> list[str]:
    """What a usage error shows: the usage line, where to find help, the error."""
    lines: list[str] = []
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        try:
            lines.append(translate_help(ctx.get_usage()))
        except Exception:  # noqa: BLE001 - a usage line is a courtesy, never a crash
            pass
        path = getattr(ctx, "command_path", PROG)
        lines.append(_("Try '{command} --help' for help.").format(command=path))
        lines.append("")
    lines.append(_("Error: ") + render(usage_error_message(exc, argv)))
    return lines


def usage_error_types() -> tuple[type[BaseException], ...]:
    """click's UsageError class as typer uses it (its own copy since typer 0.25)."""
    types: list[type[BaseException]] = []
    try:
        from typer._click.exceptions import UsageError as TyperClickUsageError

        types.append(TyperClickUsageError)
    except ImportError:
        pass
    try:
        from click.exceptions import UsageError as ClickUsageError

        types.append(ClickUsageError)
    except ImportError:
        pass
    return tuple(types)


# --- running the app --------------------------------------------------------------------------

def run(app: Any, argv: Sequence[str]) -> int:
    """Build the click command from the typer ``app``, translate it, run it; usage errors
    are shown here, translated. Returns the exit code (library errors propagate)."""
    import sys

    import typer.main

    command = typer.main.get_command(app)
    localize(command)
    try:
        result = command.main(args=list(argv), prog_name=PROG, standalone_mode=False)
    except usage_error_types() as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare "traomay": its help page
            print(translate_help(exc.format_message()))
            return 0
        print("\n".join(usage_error_lines(exc, argv)), file=sys.stderr)
        return int(getattr(exc, "exit_code", 2) or 2)
    return result if isinstance(result, int) else 0
