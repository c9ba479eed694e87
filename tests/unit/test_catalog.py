"""The Vietnamese message catalog: complete, faithful to its msgids, and compiled.

Msgids are extracted from the source with babel, using the same keywords as the
``catalog`` target of the Makefile, so a msgid added in code without a translation
fails here with the list of what is missing (fix: ``make catalog``, then translate the
empty ``msgstr`` entries in ``traomay/locale/vi/LC_MESSAGES/traomay.po``).
"""

from __future__ import annotations

import ast
import io
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import PYTHON_FORMAT, Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from traomay.core import i18n
from traomay.core.msg import Msg

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("traomay",)
NOT_TRANSLATED = ("simulator",)  # the simulator speaks as a phone, in English
PO_NAME = "traomay/locale/vi/LC_MESSAGES/traomay.po"
PO_FILE = ROOT / PO_NAME
MO_FILE = PO_FILE.with_suffix(".mo")

# Msgids that babel mistakes for an old-style %-format ("{percent}% of" reads as "% o",
# "{end}% in" as "% i"), which makes `pybabel compile` (so `make catalog`) report an
# error although the .mo is written. Reword them in the source (for example "{percent}
# percent of") and remove them from here.
LOOKS_LIKE_PERCENT_FORMAT: frozenset[str] = frozenset()


def _makefile_keywords() -> dict[str, object]:
    """The ``-k`` options of ``make catalog``, so this test extracts what the Makefile does."""
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8")
    extract_line = next(line for line in recipe.splitlines() if "pybabel -q extract" in line)
    keywords = dict(DEFAULT_KEYWORDS)
    keywords.update(parse_keywords(re.findall(r"-k\s+(\S+)", extract_line)))
    return keywords


def _translated_dir(dirpath: str) -> bool:
    name = Path(dirpath).name
    return name not in NOT_TRANSLATED and not name.startswith((".", "_"))


def _source_msgids() -> dict[str, str]:
    """msgid -> first place it appears, over the three packages."""
    found: dict[str, str] = {}
    keywords = _makefile_keywords()
    for package in PACKAGES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / package, keywords=keywords, directory_filter=_translated_dir
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault(msgid, f"{package}/{filename}:{lineno}")
    return found


def _msg_helpers() -> dict[str, tuple[int, str]]:
    """Functions that pass one of their own parameters to Msg: name -> (position, where).

    Their callers hold the msgid literals, so babel only finds them with ``-k name:position``.
    """
    helpers: dict[str, tuple[int, str]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if any(part in NOT_TRANSLATED for part in path.parts):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for func in ast.walk(tree):
                if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                params = [a.arg for a in func.args.posonlyargs + func.args.args]
                for call in ast.walk(func):
                    if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                            and call.func.id in ("Msg", "_") and call.args
                            and isinstance(call.args[0], ast.Name)
                            and call.args[0].id in params):
                        where = f"{path.relative_to(ROOT)}:{call.lineno}"
                        helpers[func.name] = (params.index(call.args[0].id) + 1, where)
    return helpers


def _po() -> Catalog:
    with PO_FILE.open("rb") as handle:
        return read_po(handle, locale="vi")


def _fields(text: str) -> set[tuple[str, str, str]]:
    """``{name!conv:spec}`` fields of a str.format template; raises ValueError if malformed."""
    return {
        (name, conversion or "", spec or "")
        for _literal, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    }


def _translated(catalog: Catalog) -> Iterator[tuple[str, str]]:
    for message in catalog:
        if message.id and message.string and not message.fuzzy:
            yield str(message.id), str(message.string)


@pytest.fixture
def restore_language() -> Iterator[None]:
    before = i18n.current_language()
    yield
    i18n.set_language(before)


def test_source_has_msgids() -> None:
    msgids = _source_msgids()
    assert len(msgids) > 100, "extraction found almost nothing: are the Makefile keywords read?"
    assert "PASS" in msgids  # _("PASS") in provision/ui.py
    # the checks' summaries reach Msg through _result(status, msgid, ...)
    assert "No Google account on the phone" in msgids


# checks.base.ResultMaker.__call__ is called as ``_result(status, msgid, ...)`` in every
# check module (``_result = ResultMaker(NAME)``): its msgid is ``_result``'s 2nd argument.
CALLED_AS = {"__call__": ("_result", -1)}


def test_every_msg_helper_is_a_makefile_keyword() -> None:
    keywords = _makefile_keywords()
    unread = []
    for name, (position, where) in sorted(_msg_helpers().items()):
        alias, shift = CALLED_AS.get(name, (name, 0))
        if name != "_" and keywords.get(alias) != (position + shift,):
            unread.append(f"  -k {alias}:{position + shift}  (Msg built at {where})")
    assert not unread, (
        "msgids passed through these helpers are not extracted; add to `make catalog`:\n"
        + "\n".join(unread)
    )


def test_every_msgid_has_a_vietnamese_translation() -> None:
    catalog = _po()
    missing = []
    for msgid, where in sorted(_source_msgids().items()):
        message = catalog.get(msgid)
        if message is None or not message.string or message.fuzzy:
            state = "absent" if message is None else ("fuzzy" if message.fuzzy else "empty")
            missing.append(f"  [{state}] {msgid!r}  ({where})")
    assert not missing, (
        f"{len(missing)} msgid(s) without a Vietnamese translation; run `make catalog` and "
        f"fill them in {PO_NAME}:\n" + "\n".join(missing)
    )


def test_translations_keep_exactly_the_placeholders() -> None:
    problems = []
    for msgid, msgstr in _translated(_po()):
        try:
            want, got = _fields(msgid), _fields(msgstr)
        except ValueError as exc:
            problems.append(f"  {msgid!r}: malformed braces ({exc})")
            continue
        if want != got:
            lost = sorted(f"{{{n}}}" for n, _c, _s in want - got)
            extra = sorted(f"{{{n}}}" for n, _c, _s in got - want)
            problems.append(f"  {msgid!r}: missing {lost}, unexpected {extra}")
    assert not problems, "translations whose {placeholders} differ:\n" + "\n".join(problems)


def test_translations_keep_leading_and_trailing_spaces() -> None:
    # "Verdict: " and "Error: " are joined to the next word in code.
    bad = [
        msgid for msgid, msgstr in _translated(_po())
        if msgid.endswith(" ") != msgstr.endswith(" ")
        or msgid.startswith(" ") != msgstr.startswith(" ")
    ]
    assert not bad


def test_committed_mo_matches_the_po() -> None:
    compiled = io.BytesIO()
    write_mo(compiled, _po())
    compiled.seek(0)
    from_po = dict(_translated(read_mo(compiled)))
    with MO_FILE.open("rb") as handle:
        committed = dict(_translated(read_mo(handle)))
    stale = sorted(set(from_po.items()) ^ set(committed.items()))
    assert from_po == committed, (
        f"{MO_FILE.name} is out of date ({len(stale)} entries differ); "
        "run `make catalog` and commit the .mo"
    )


def test_po_passes_babel_checks() -> None:
    errors = [
        f"  {message.id!r}: {error}"
        for message, message_errors in _po().check()
        for error in message_errors
        if message.id not in LOOKS_LIKE_PERCENT_FORMAT
    ]
    assert not errors, "`pybabel compile` would report:\n" + "\n".join(errors)


def test_no_new_msgid_looks_like_a_percent_format() -> None:
    # Every msgid here is a str.format template; babel flags any "% x" as a %-format.
    looks = {msgid for msgid in _source_msgids() if PYTHON_FORMAT.search(msgid)}
    assert looks - LOOKS_LIKE_PERCENT_FORMAT == set(), "reword so no '%' is followed by a letter"
    assert LOOKS_LIKE_PERCENT_FORMAT - looks == set(), "reworded: remove from the list above"


def test_render_is_vietnamese_by_default_and_english_on_request(restore_language: None) -> None:
    msgid = "Wi-Fi works: {count} networks seen"
    message = _po().get(msgid)
    assert message is not None and message.string
    sample = Msg(msgid, {"count": 7})

    assert i18n.set_language("vi") == "vi"
    assert i18n.render(sample) == message.string.format(count=7)
    assert i18n.render(sample).startswith("Wi-Fi hoạt động")
    assert i18n.render(Msg("PASS")) == "ĐẠT"
    assert i18n.render(Msg("NEEDS A PERSON")) == "CẦN NGƯỜI XỬ LÝ"
    assert i18n._("FAIL") == "KHÔNG ĐẠT"

    assert i18n.set_language("en") == "en"
    assert i18n.render(sample) == "Wi-Fi works: 7 networks seen"
    assert i18n.render(Msg("PASS")) == "PASS"


def test_render_keeps_format_specs_in_vietnamese(restore_language: None) -> None:
    i18n.set_language("vi")
    text = i18n.render(Msg("Phones carried at once: {n}, in {s:.1f} s.", {"n": 3, "s": 1.25}))
    assert "3" in text and "1.2" in text and "giây" in text


def test_msgids_from_data_tables_are_translated() -> None:
    from traomay.checks.origin import SIGNAL_MESSAGES
    from traomay.inventory.verdict import VERDICT_CRITERIA

    catalog = _po()
    wanted = set(SIGNAL_MESSAGES.values()) | {label for _k, _c, label in VERDICT_CRITERIA}
    missing = sorted(m for m in wanted if not (catalog.get(m) and catalog.get(m).string))
    assert not missing, "\n".join(missing)
