"""Translatable messages: the one way library code says something to a person.

User-facing text is a ``Msg``: an English message id plus arguments. It is translated when
shown (traomay.core.i18n), so results stored in the inventory can be shown in either
language later. Arguments that come from a phone are untrusted text: renderers escape them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Msg:
    """A translatable message: English msgid with ``{name}`` placeholders, and its args."""

    msgid: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"msgid": self.msgid, "args": dict(self.args)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Msg:
        return cls(str(data.get("msgid", "")), dict(data.get("args") or {}))

    def plain(self) -> str:
        """The English text with its arguments (logs and exception strings)."""
        try:
            return self.msgid.format(**self.args) if self.args else self.msgid
        except (KeyError, IndexError, ValueError):
            return self.msgid


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a msgid kept in a table for the catalog; it is translated when rendered."""
    return msgid
