"""Reading the households file: the CSV a spreadsheet saves (``traomay households import``).

The columns (:data:`COLUMNS`: English or Vietnamese headers, in any order; other columns such
as ``STT`` or ``Ghi chú`` are ignored and named in the report). What Excel saves is accepted
as it is: a byte-order mark; ``,``, ``;`` or tab between cells (a Vietnamese Windows uses
``;`` as its list separator; Excel's ``sep=;`` first line too); UTF-8, UTF-16 ("Unicode
Text") or the Windows Vietnamese code page 1258 of Excel's plain "CSV" (which stores tone
marks as combining characters); text in NFC or NFD (every cell is made NFC). Yes/no cells
take có/không, x (a ticked cell) or empty; numbers Excel stored as numbers get their
leading 0 back (phone numbers, ID numbers).

Reading is all or nothing: every problem of the file is collected (the row as the
spreadsheet numbers it, the header row being 1; the column letter and header; the reason),
and any problem means nothing is imported (:class:`HouseholdFileError`, exit 5).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from traomay.core.errors import BadInputError
from traomay.core.msg import Msg
from traomay.core.safe_text import for_terminal
from traomay.inventory.households import (
    Household,
    HouseholdFileError,
    Problem,
    code_key,
    fold,
)

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 500_000


@dataclass(frozen=True)
class Column:
    """A column of the households file: its field, English header, Vietnamese header, the
    other headers accepted (compared without tone marks, case or punctuation)."""

    key: str
    english: str
    vietnamese: str
    aliases: tuple[str, ...] = ()
    required: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("code", "household_code", "Mã hộ", ("code", "ma so ho", "ma ho gia dinh")),
    Column("head_name", "head_of_household", "Chủ hộ",
           ("head", "ho ten chu ho", "ten chu ho", "ho va ten chu ho")),
    Column("unit", "unit", "Khu phố",
           ("neighbourhood", "neighborhood", "ap", "thon", "to dan pho", "khu pho ap",
            "khu pho ap thon", "don vi")),
    Column("poverty", "poverty", "Diện hộ",
           ("poverty_status", "phan loai", "phan loai ho", "ho ngheo can ngheo", "loai ho")),
    Column("merit", "merit_family", "Gia đình có công",
           ("merit", "co cong", "nguoi co cong", "gia dinh nguoi co cong",
            "gia dinh nguoi co cong voi cach mang", "co cong voi cach mang")),
    Column("social_policy", "social_policy_family", "Gia đình chính sách",
           ("social_policy", "chinh sach", "gia dinh chinh sach xa hoi")),
    Column("prior_device", "prior_device", "Đã nhận máy từ chương trình khác",
           ("already_received_device", "received_device", "da nhan may", "da nhan thiet bi",
            "da nhan thiet bi tu chuong trinh khac", "da nhan may tu chuong trinh")),
    Column("adults", "adults_without_smartphone", "Số người lớn chưa có điện thoại thông minh",
           ("adults", "nguoi lon chua co dien thoai thong minh", "so nguoi chua co dtdd",
            "so nguoi lon chua co smartphone", "nguoi lon chua co smartphone")),
    Column("contact_phone", "contact_phone", "Số điện thoại",
           ("phone", "dien thoai", "sdt", "so dt", "so dien thoai lien he"), required=False),
    Column("national_id", "national_id", "Số CCCD",
           ("cccd", "so can cuoc", "can cuoc cong dan", "so dinh danh ca nhan",
            "so dinh danh", "cccd chu ho", "so cccd chu ho"), required=False),
)


@dataclass(frozen=True)
class ParsedFile:
    households: tuple[Household, ...]
    ignored_columns: tuple[str, ...]
    encoding: str
    delimiter: str


# -- text -------------------------------------------------------------------------------------
def _cell(value: str, max_len: int) -> str:
    # NFC: the same letters whether Excel, a Mac (NFD) or code page 1258 wrote them.
    text = unicodedata.normalize("NFC", value).replace("\ufeff", "").replace("\u200b", "")
    return " ".join(for_terminal(text, max_len=max_len + 1).split())


# -- values -----------------------------------------------------------------------------------
class Invalid(Exception):
    """A cell (or a typed value) that is not what its column needs; ``reason`` says why."""

    def __init__(self, reason: Msg) -> None:
        super().__init__(reason.plain())
        self.reason = reason


_YES = {"yes", "y", "true", "1", "x", "co", "c", "dung"}
_NO = {"no", "n", "false", "0", "khong", "k", ""}
_POVERTY_WORDS = {
    "poor": "poor", "ngheo": "poor", "ho ngheo": "poor", "hn": "poor",
    "near poor": "near_poor", "can ngheo": "near_poor", "ho can ngheo": "near_poor",
    "hcn": "near_poor",
    "none": "none", "no": "none", "khong": "none", "khac": "none", "thoat ngheo": "none",
    "ho thoat ngheo": "none",
}


def parse_yes_no(text: str) -> bool:
    """có / không, yes / no, x / empty."""
    word = fold(text)
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise Invalid(Msg("'{value}' is not yes or no: write có or không (an empty cell is không).",
                   {"value": text}))


def parse_poverty(text: str) -> str:
    """hộ nghèo / hộ cận nghèo / không (poor / near-poor / none)."""
    found = _POVERTY_WORDS.get(fold(text))
    if found is None:
        raise Invalid(Msg("'{value}' is not a household category: write hộ nghèo, hộ cận nghèo or "
                       "không.", {"value": text}))
    return found


def parse_adults(text: str) -> int:
    word = text.strip()
    if not word.isdigit() or not 0 <= int(word) <= 30:
        raise Invalid(Msg("'{value}' is not a number of people: write a whole number from 0 "
                       "to 30.", {"value": text}))
    return int(word)


# Mobile numbers before the 2018 renumbering (11 digits) and their new 10-digit prefixes
# (vi-glossary.md §3): a commune's list may be years old.
_OLD_PREFIXES = {
    **{f"016{d}": f"03{d}" for d in "23456789"},
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0186": "056", "0188": "058", "0199": "059",
}


def clean_phone_number(text: str) -> str:
    """A Vietnamese phone number as 10 digits (mobile, 0 then 3/5/7/8/9) or 11 (landline,
    02...). +84 becomes 0; a 9-digit mobile whose 0 Excel dropped gets it back; an old
    11-digit mobile number gets its 2018 prefix. Empty stays empty."""
    digits = re.sub(r"[\s.\-()/]", "", text)
    if not digits:
        return ""
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if digits.isdigit() and len(digits) == 9 and digits[0] in "35789":
        digits = "0" + digits  # Excel stored the number as a number: its 0 is gone
    if digits.isdigit() and len(digits) == 11 and digits[:4] in _OLD_PREFIXES:
        digits = _OLD_PREFIXES[digits[:4]] + digits[4:]
    if digits.isdigit() and ((len(digits) == 10 and digits[:2] in ("03", "05", "07", "08",
                                                                  "09"))
                             or (len(digits) == 11 and digits.startswith("02"))):
        return digits
    raise Invalid(Msg("'{value}' is not a Vietnamese phone number: write 10 digits starting with "
                   "0 (for example 0912345678).", {"value": text}))


def clean_national_id(text: str) -> str:
    """A citizen ID (CCCD, số định danh cá nhân): 12 digits, PPP G YY NNNNNN, where PPP is a
    province code 001–096. Every such number starts with 0, so a number Excel stored as a
    number (its leading zeros gone) is padded back to 12 digits. The old 9-digit CMND is no
    longer valid (Luật Căn cước 2023) and is refused; so is a number Excel turned into
    scientific notation (its last digits are lost)."""
    raw = text.strip()
    if not raw:
        return ""
    if re.fullmatch(r"\d+([.,]\d+)?[eE]\+?\d+", raw):
        raise Invalid(Msg("'{value}': Excel turned the ID number into a rounded number. Format "
                       "the column as Text and type the 12 digits again.", {"value": text}))
    digits = re.sub(r"[\s.\-]", "", raw)
    if not digits.isdigit():
        raise Invalid(Msg("'{value}' is not an ID number: write the 12 digits of the citizen ID "
                       "card (CCCD).", {"value": text}))
    if 10 <= len(digits) < 12:
        digits = digits.zfill(12)  # Excel dropped the leading 0s of the province code
    if len(digits) == 9:
        raise Invalid(Msg("'{value}' is an old 9-digit ID (CMND): write the 12-digit citizen ID "
                       "(CCCD).", {"value": text}))
    if len(digits) != 12 or not 1 <= int(digits[:3]) <= 96:
        raise Invalid(Msg("'{value}' is not an ID number: a citizen ID (CCCD) has 12 digits and "
                       "starts with a province code from 001 to 096.", {"value": text}))
    return digits


def _text(max_len: int):  # type: ignore[no-untyped-def]
    def parse(text: str) -> str:
        if not text:
            raise Invalid(Msg("This cell is empty."))
        if len(text) > max_len:
            raise Invalid(Msg("This cell is too long (at most {max} characters).",
                           {"max": max_len}))
        return text

    return parse


_PARSERS = {
    "code": _text(40),
    "head_name": _text(100),
    "unit": _text(100),
    "poverty": parse_poverty,
    "merit": parse_yes_no,
    "social_policy": parse_yes_no,
    "prior_device": parse_yes_no,
    "adults": parse_adults,
    "contact_phone": clean_phone_number,
    "national_id": clean_national_id,
}


# -- the file ---------------------------------------------------------------------------------
def decode(data: bytes) -> tuple[str, str]:
    """The text of a spreadsheet's CSV file and the encoding it was in (Invalid if not text)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    elif data.startswith(b"\xef\xbb\xbf"):
        encodings = ("utf-8-sig",)
    else:
        # Excel's plain "CSV" on a Vietnamese Windows is code page 1258 (tone marks stored as
        # combining characters; _cell makes them NFC).
        encodings = ("utf-8", "cp1258")
    for encoding in encodings:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise Invalid(Msg("The file is not text: save it from the spreadsheet as \"CSV UTF-8\"."))


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _header_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for col in COLUMNS:
        for name in (col.key, col.english, col.vietnamese, *col.aliases):
            index[fold(name)] = col.key
    return index


def _fail(row: int, reason: Msg) -> HouseholdFileError:
    return HouseholdFileError([Problem(row, "", reason)])


def _records(data: bytes) -> tuple[list[list[str]], str, str]:
    """The file's rows of cells, its encoding and its separator."""
    try:
        text, encoding = decode(data)
    except Invalid as bad:
        raise _fail(0, bad.reason) from None
    text = text.lstrip("\ufeff")
    first, _nl, rest = text.partition("\n")
    delimiter = ""
    if re.fullmatch(r"sep=.", first.strip()):  # Excel's "sep=;" first line
        delimiter, text = first.strip()[4], rest
        first = rest.partition("\n")[0]
    delimiter = delimiter or _delimiter(first)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                                  strict=True))
    except csv.Error as exc:
        raise _fail(0, Msg("The file is not a valid CSV file ({problem}): save it again from "
                           "the spreadsheet.", {"problem": str(exc)})) from None
    if not records or not any(c.strip() for c in records[0]):
        raise _fail(1, Msg("The first row must name the columns: {columns}.",
                           {"columns": _column_list()}))
    if len(records) > MAX_ROWS:
        raise _fail(0, Msg("The file has more than {max} rows.", {"max": MAX_ROWS}))
    return records, encoding, delimiter


def parse_households(data: bytes) -> ParsedFile:
    """Read a households file; HouseholdFileError listing every problem (nothing is kept)."""
    records, encoding, delimiter = _records(data)
    problems: list[Problem] = []
    header = [_cell(h, 120) for h in records[0]]
    where, ignored = _map_header(header, problems)
    if problems:
        raise HouseholdFileError(problems)
    households: list[Household] = []
    code_rows: dict[str, int] = {}
    id_rows: dict[str, int] = {}
    for number, record in enumerate(records[1:], start=2):
        if not any(c.strip() for c in record):
            continue  # an empty row (spreadsheets leave them at the end)
        if len(record) > len(header) and any(c.strip() for c in record[len(header):]):
            problems.append(Problem(number, "", Msg(
                "This row has {count} cells but the first row names {columns} columns (a "
                "separator inside a cell?).", {"count": len(record), "columns": len(header)})))
            continue
        values: dict[str, Any] = {"contact_phone": "", "national_id": ""}
        bad = False
        for key, position in where.items():
            raw = _cell(record[position], 400) if position < len(record) else ""
            try:
                values[key] = _PARSERS[key](raw)
            except Invalid as why:
                problems.append(Problem(number, _column_name(header, position), why.reason))
                bad = True
        if bad:
            continue
        household = Household(**values)
        key = code_key(household.code)
        if key in code_rows:
            problems.append(Problem(number, _column_name(header, where["code"]), Msg(
                "Household code {code} is also on row {other}.",
                {"code": household.code, "other": code_rows[key]})))
        code_rows.setdefault(key, number)
        if household.national_id in id_rows:
            problems.append(Problem(number, _column_name(header, where["national_id"]), Msg(
                "This ID number is also on row {other}: one person, one household.",
                {"other": id_rows[household.national_id]})))
        elif household.national_id:
            id_rows[household.national_id] = number
        households.append(household)
    if problems:
        raise HouseholdFileError(problems)
    return ParsedFile(tuple(households), tuple(ignored), encoding, delimiter)


def _map_header(header: list[str], problems: list[Problem]) -> tuple[dict[str, int], list[str]]:
    index = _header_index()
    where: dict[str, int] = {}
    ignored: list[str] = []
    for position, name in enumerate(header):
        key = index.get(fold(name))
        if key is None:
            if name:
                ignored.append(name)
            continue
        if key in where:
            problems.append(Problem(1, _column_name(header, position), Msg(
                "Column {column} is the same as column {other}.",
                {"column": _column_name(header, position),
                 "other": _column_name(header, where[key])})))
            continue
        where[key] = position
    for col in COLUMNS:
        if col.required and col.key not in where:
            problems.append(Problem(1, "", Msg(
                "The column {vietnamese} ({english}) is missing.",
                {"vietnamese": col.vietnamese, "english": col.english})))
    return where, ignored


def _column_name(header: list[str], position: int) -> str:
    return f"{_letter(position)} ({header[position]})" if position < len(header) else \
        _letter(position)


def _column_list() -> str:
    return ", ".join(c.vietnamese for c in COLUMNS)


def read_households_file(path: Path) -> ParsedFile:
    """:func:`parse_households` on a file (HouseholdFileError when it cannot be read)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _fail(0, Msg("The file is larger than {max} MB.",
                               {"max": MAX_FILE_BYTES // 2**20}))
        data = path.read_bytes()
    except OSError as exc:
        raise BadInputError(Msg("Cannot read {file}.", {"file": str(path)}),
                            detail=str(exc)) from None
    return parse_households(data)


