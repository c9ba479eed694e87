"""One message catalog (gettext). English msgids in code, Vietnamese in
``provision/locale/vi/LC_MESSAGES/traomay.po`` (compiled to .mo with ``make catalog``).

Vietnamese is the default whatever the operating system's language (volunteers' laptops
are often set to English); English only with ``--lang en`` or ``TRAOMAY_LANG=en``.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

from traomay.core.errors import UsageError
from traomay.core.msg import Msg

DOMAIN = "traomay"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = ("vi", "en")

_current: gettext.NullTranslations = gettext.NullTranslations()
_lang = "en"


def detect_language() -> str:
    """``TRAOMAY_LANG`` when it names a language traomay speaks, else Vietnamese. The
    operating system's locale is deliberately not consulted."""
    explicit = os.environ.get("TRAOMAY_LANG", "").strip().lower()
    return explicit if explicit in LANGUAGES else "vi"


def set_language(lang: str | None) -> str:
    """Use ``lang`` (``vi`` or ``en``; None: :func:`detect_language`) for every message
    from now on. An unknown language is a UsageError (exit 2) naming the two."""
    global _current, _lang
    chosen = (lang or detect_language()).strip().lower()
    if chosen not in LANGUAGES:
        raise UsageError(Msg("Unknown language {lang} ({source}). traomay speaks: vi "
                             "(Tiếng Việt, the default) and en (English).",
                             {"lang": lang, "source": "--lang"}))
    _lang = chosen
    if chosen == "en":
        _current = gettext.NullTranslations()
    else:
        _current = gettext.translation(DOMAIN, LOCALE_DIR, languages=[chosen], fallback=True)
    return chosen


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
