"""Registered households: the commune's list of poor and near-poor households (imported from a
spreadsheet's CSV file by :mod:`traomay.inventory.household_csv`), kept in the ``households``
table.

A household code already in the inventory is updated by a new import; households not in the
file stay as they are (set the category to ``không`` to take a household off the list: what
it was handed over stays recorded).

Personal data (the head of household's name, the contact number, the ID number) stays in the
``households`` table: it leaves the inventory only when a command is asked to show it
(:func:`without_personal_data` is what everything else sees).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from traomay.core.errors import BadInputError, UsageError
from traomay.core.msg import Msg
from traomay.core.safe_text import for_terminal
from traomay.inventory.store import Inventory, utc_now
from traomay.inventory.uids import random_uids

POVERTY = ("poor", "near_poor", "none")


@dataclass(frozen=True)
class Household:
    """One household of the commune's list."""

    code: str  # the commune's own household code (mã hộ); unique
    head_name: str  # personal data
    unit: str  # neighbourhood / hamlet (khu phố, ấp, thôn)
    poverty: str  # poor | near_poor | none
    merit: bool  # family of people with merit to the revolution
    social_policy: bool  # social-policy family
    prior_device: bool  # already received a device from a public programme
    adults: int  # adults (18+) without a smartphone
    contact_phone: str = ""  # personal data
    national_id: str = ""  # CCCD, 12 digits; personal data
    id: int | None = field(default=None, compare=False)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Household:
        return cls(code=row["code"], head_name=row["head_name"] or "", unit=row["unit"] or "",
                   poverty=row["poverty"], merit=bool(row["merit"]),
                   social_policy=bool(row["social_policy"]),
                   prior_device=bool(row["prior_device"]), adults=int(row["adults"] or 0),
                   contact_phone=row["contact_phone"] or "",
                   national_id=row["national_id"] or "", id=int(row["id"]))


@dataclass(frozen=True)
class Problem:
    """One problem of a households file."""

    row: int  # the row as a spreadsheet numbers it (header: 1); 0: the file itself
    column: str  # "C (Khu phố)", or "" for the whole row or file
    reason: Msg

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason.to_json()}


class HouseholdFileError(BadInputError):
    """The households file has problems; nothing was imported (all of them are listed)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(Msg("The households file has {count} problem(s); nothing was "
                             "imported. Correct them and import the file again.",
                             {"count": len(problems)}))
        self.problems = tuple(problems)


class HouseholdNotFound(UsageError):
    """No registered household has that code."""


@dataclass(frozen=True)
class ImportReport:
    added: int
    updated: int
    unchanged: int
    ignored_columns: tuple[str, ...] = ()


def code_key(code: str) -> str:
    """A household code as compared: NFC, case folded (LU-01 and lu-01 are one household)."""
    return unicodedata.normalize("NFC", code.strip()).casefold()


def fold(text: str) -> str:
    """Text compared the way a person reads it: no tone marks, đ as d, lower case, any run of
    punctuation or spaces as one space ("Mã hộ" and "MA_HO" fold alike)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", " ", plain.casefold()).strip()


_DIGITS = re.compile(r"\d+")


def _padded(match: re.Match[str]) -> str:
    digits = match.group(0).lstrip("0") or "0"
    return f"{len(digits):03d}{digits}"


def natural_key(code: str) -> str:
    """Household codes in the order a person expects: LU-2 before LU-10 (each run of digits
    compared as a number), case ignored."""
    return _DIGITS.sub(_padded, code.casefold())


_FIELDS = ("code", "head_name", "unit", "poverty", "merit", "social_policy", "prior_device",
           "adults", "contact_phone", "national_id")


def _values(h: Household) -> tuple[Any, ...]:
    """The household as stored, in the order of _FIELDS (booleans as 0/1)."""
    return (h.code, h.head_name, h.unit, h.poverty, int(h.merit), int(h.social_policy),
            int(h.prior_device), h.adults, h.contact_phone, h.national_id)


def import_households(inventory: Inventory, households: Sequence[Household], source: str,
                      ignored_columns: Sequence[str] = ()) -> ImportReport:
    """Add ``households`` and update those already registered (by household code), in one
    transaction. An ID number registered for a household the file does not list again is a
    problem of the file (HouseholdFileError, nothing imported): one person, one household."""

    def write() -> ImportReport:
        db = inventory.db
        existing = {str(r[0]): (int(r[1]), tuple(r[2:])) for r in db.execute(
            f"SELECT code_key, id, {', '.join(_FIELDS)} FROM households").fetchall()}
        owners = {str(r[0]): str(r[1]) for r in db.execute(
            "SELECT national_id, code FROM households WHERE national_id != ''").fetchall()}
        new_keys = {code_key(h.code) for h in households}
        problems = [Problem(0, "", Msg(
            "Household {code}: its ID number is already registered for household {other}.",
            {"code": h.code, "other": owners[h.national_id]}))
            for h in households
            if h.national_id in owners and code_key(owners[h.national_id]) not in new_keys]
        if problems:
            raise HouseholdFileError(problems)
        now = utc_now()
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        unchanged = 0
        uids = iter(random_uids(len(households)))
        for h in households:
            values = _values(h)
            found = existing.get(code_key(h.code))
            if found is None:
                inserts.append((*values, code_key(h.code), natural_key(h.code), next(uids),
                                source, inventory.station, now, now))
            elif found[1] != values:
                updates.append((*values, natural_key(h.code), source, now, found[0]))
            else:
                unchanged += 1
        names = ", ".join(_FIELDS)
        db.conn.executemany(
            f"INSERT INTO households ({names}, code_key, code_order, uid, source, station, "
            f"imported_at, updated_at) VALUES ({', '.join('?' * (len(_FIELDS) + 7))})",
            inserts)
        db.conn.executemany(
            f"UPDATE households SET {', '.join(f'{k} = ?' for k in _FIELDS)}, code_order = ?, "
            "source = ?, updated_at = ? WHERE id = ?", updates)
        added, updated = len(inserts), len(updates)
        # The event names no one: personal data stays in the households table.
        inventory._event(None, "households_import", {  # noqa: SLF001
            "source": source, "added": added, "updated": updated, "unchanged": unchanged}, now)
        return ImportReport(added, updated, unchanged, tuple(ignored_columns))

    return inventory._write(write)  # noqa: SLF001 - the inventory package's own transaction


def all_households(inventory: Inventory) -> list[Household]:
    """Every registered household, in household-code order."""
    def read() -> list[Household]:
        cur = inventory.db.execute("SELECT * FROM households")
        cols = [d[0] for d in cur.description]
        rows = [Household.from_row(dict(zip(cols, r, strict=True))) for r in cur.fetchall()]
        return sorted(rows, key=lambda h: natural_key(h.code))

    return inventory._read(read)  # noqa: SLF001


def household_by_code(inventory: Inventory, code: str) -> Household:
    """The household registered under ``code`` (case does not matter); HouseholdNotFound."""
    def read() -> Household | None:
        cur = inventory.db.execute("SELECT * FROM households WHERE code_key = ?",
                                   [code_key(code)])
        cols = [d[0] for d in cur.description]
        row = cur.fetchone()
        return None if row is None else Household.from_row(dict(zip(cols, row, strict=True)))

    found = inventory._read(read)  # noqa: SLF001
    if found is None:
        raise HouseholdNotFound(Msg("No household {code} is registered: see 'traomay households "
                                    "list'.", {"code": for_terminal(code, 60)}))
    return found


def without_personal_data(household: Household) -> Household:
    """The household as the public may see it: no name, phone number or ID number."""
    return replace(household, head_name="", contact_phone="", national_id="")
