"""One message catalog (gettext). English msgids in code, Vietnamese in
``provision/locale/vi/LC_MESSAGES/traomay.po`` (compiled to .mo with ``make catalog``).

Vietnamese is the default; English with ``--lang en`` or when the locale is English.
"""

from __future__ import annotations

import gettext
import locale
import os
from pathlib import Path

from traomay.core.msg import Msg

DOMAIN = "traomay"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = ("vi", "en")

_current: gettext.NullTranslations = gettext.NullTranslations()
_lang = "en"


def detect_language() -> str:
    """``TRAOMAY_LANG``, else English when the user's locale is English, else Vietnamese."""
    explicit = os.environ.get("TRAOMAY_LANG", "").strip().lower()
    if explicit in LANGUAGES:
        return explicit
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "en" if value.lower().startswith("en") else "vi"
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    return "en" if loc.lower().startswith("en") else "vi"


def set_language(lang: str | None) -> str:
    global _current, _lang
    lang = (lang or detect_language()).lower()
    if lang not in LANGUAGES:
        lang = "vi"
    _lang = lang
    if lang == "en":
        _current = gettext.NullTranslations()
    else:
        _current = gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)
    return lang


def current_language() -> str:
    return _lang


def _(msgid: str) -> str:
    return _current.gettext(msgid)


def render(msg: Msg) -> str:
    """Translate, then fill in the arguments. A broken translation falls back to English."""
    template = _current.gettext(msg.msgid)
    try:
        return template.format(**msg.args)
    except (KeyError, IndexError, ValueError):
        try:
            return msg.msgid.format(**msg.args)
        except (KeyError, IndexError, ValueError):
            return msg.msgid


def render_in(msg: Msg, lang: str) -> str:
    """``msg`` in ``lang`` whatever the command's language: what the inventory keeps for
    people to read (always Vietnamese) and the district's forms."""
    catalog = _CATALOGS.get(lang)
    if catalog is None:  # loaded once: a migration renders every stored summary
        catalog = _CATALOGS[lang] = (
            gettext.NullTranslations() if lang == "en"
            else gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True))
    try:
        return catalog.gettext(msg.msgid).format(**msg.args)
    except (KeyError, IndexError, ValueError):
        return msg.plain()


_CATALOGS: dict[str, gettext.NullTranslations] = {}
