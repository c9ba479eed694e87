"""Hand-over (mẫu số 2) and returns: an allocation goes allocated → handed over → returned,
each step in the ``allocation_log`` with who, when and why.

- :func:`record_handover`: the phone allocated to a household is given to an adult of it
  (the recipient signs the commitment form), with the SIM and data bundle given with it.
  Refused when the phone is not allocated to that household, or no longer passes or is no
  longer finalized.
- :func:`undo_handover`: a hand-over recorded by mistake goes back to allocated (the reason
  is required; what was recorded stays in the log).
- :func:`return_phone`: a phone brought back. The allocation is closed and the household is
  in line again. The phone carries the recipient's accounts and data now: its stage goes
  back to ``inspected`` (with a ``returned`` event), so it is not given again before it is
  erased, provisioned and finalized once more.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from traomay.core.errors import TraomayError, UsageError
from traomay.core.msg import Msg
from traomay.core.safe_text import for_terminal
from traomay.inventory.household_csv import Invalid, clean_national_id, clean_phone_number
from traomay.inventory.households import Household, household_by_code
from traomay.inventory.store import Inventory, utc_now

# Vietnam's mobile operators (2025): the three big networks and the virtual operators.
OPERATORS = ("Viettel", "VinaPhone", "MobiFone", "Vietnamobile", "Gmobile", "Itel", "Reddi",
             "Wintel", "Local")


class AllocationRefused(TraomayError):
    """The step does not fit the phone's allocation (not allocated, another household, not
    handed over, ...): nothing was recorded."""


@dataclass(frozen=True)
class Sim:
    operator: str
    number: str


@dataclass(frozen=True)
class Handover:
    """A hand-over as recorded (what the commitment form prints)."""

    allocation_id: int
    device_id: int
    household: Household
    tier: int
    rule: dict[str, Any]
    at: str
    by: str
    recipient: str
    recipient_id: str
    sim: Sim | None
    data_plan: str


def clean_person(value: str, what: str, *, required: bool = True, max_len: int = 100) -> str:
    """A name typed by a person: one line, no control characters."""
    text = " ".join(for_terminal(value or "", max_len=10_000).split())
    if required and not text:
        raise UsageError(Msg("{what} is missing.", {"what": what}))
    if len(text) > max_len:
        raise UsageError(Msg("{what} is too long (at most {max} characters).",
                             {"what": what, "max": max_len}))
    return text


def parse_sim(text: str) -> Sim:
    """``OPERATOR:NUMBER`` (``Viettel:0981234567``). The operator is not checked against the
    number's prefix: numbers keep their prefix when moved to another network."""
    operator, sep, number = (text or "").partition(":")
    found = next((o for o in OPERATORS if o.casefold() == operator.strip().casefold()), None)
    try:
        clean = clean_phone_number(number)
    except Invalid:
        clean = ""
    if not sep or found is None or not clean or clean.startswith("02"):
        raise UsageError(Msg("'{value}' is not a SIM: write OPERATOR:NUMBER, for example "
                             "Viettel:0981234567. Operators: {operators}.",
                             {"value": for_terminal(text, 60),
                              "operators": ", ".join(OPERATORS)}))
    return Sim(found, clean)


def _current(inventory: Inventory, device_id: int) -> dict[str, Any] | None:
    cur = inventory.db.execute(
        "SELECT a.*, h.code AS household_code FROM allocations a JOIN households h "
        "ON h.id = a.household_id WHERE a.device_id = ? AND a.state IN ('allocated', "
        "'handed_over')", [device_id])
    cols = [c[0] for c in cur.description]
    row = cur.fetchone()
    return None if row is None else dict(zip(cols, row, strict=True))


def _log(inventory: Inventory, allocation: dict[str, Any], action: str, by: str, at: str,
         reason: str = "", data: dict[str, Any] | None = None) -> None:
    inventory.db.execute(
        "INSERT INTO allocation_log (uid, allocation_id, device_id, household_id, at, station, "
        "action, by, reason, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [str(uuid.uuid4()), allocation["id"], allocation["device_id"],
         allocation["household_id"], at, inventory.station, action, by, reason,
         json.dumps(data or {}, ensure_ascii=False)])


# A phone in a household's hands by the events: an allocation (its uid in the events'
# data) handed over more often than undone, and not returned. Counted per allocation, not
# by the events' order: one allocation's events come from one station, but two stations'
# events interleave in any order in a district that merged both. A damaged event (no
# allocation uid) counts with the others of its kind: it keeps the phone taken.
_IN_HANDS = """SELECT device_id, alloc FROM (
  SELECT device_id, CASE WHEN typeof(data) = 'text' AND json_valid(data)
      THEN json_extract(data, '$.allocation_uid') END AS alloc,
    SUM(kind = 'handover') AS given, SUM(kind = 'handover_undone') AS undone,
    SUM(kind = 'returned') AS back
  FROM events WHERE kind IN ('handover', 'handover_undone', 'returned')
    AND device_id IS NOT NULL {where}
  GROUP BY device_id, alloc)
WHERE back = 0 AND given > undone"""


def merged_hands(inventory: Inventory, device_id: int | None = None) -> dict[int, set[str]]:
    """In an inventory that merged another (a district): phone id -> the allocation uids it
    is in a household's hands for, by the events. A district has its stations' hand-over
    events, never their allocations. Empty for a station that never merged: its own
    allocations say it all."""
    db = inventory.db
    if not db.execute("SELECT 1 FROM events WHERE device_id IS NULL AND kind = 'merge' "
                      "LIMIT 1").fetchone():
        return {}
    where, args = ("AND device_id = ?", [device_id]) if device_id is not None else ("", [])
    hands: dict[int, set[str]] = {}
    for dev, alloc in db.execute(_IN_HANDS.format(where=where), args).fetchall():
        hands.setdefault(int(dev), set()).add(str(alloc))
    return hands


def record_handover(inventory: Inventory, device_id: int, household_code: str, *,
                    recipient: str, recipient_id: str = "", sim: Sim | None = None,
                    data_plan: str = "", by: str = "") -> Handover:
    """Record that phone ``device_id`` was given to household ``household_code``."""
    household = household_by_code(inventory, household_code)
    recipient = clean_person(recipient, "--recipient")
    try:
        recipient_id = clean_national_id(recipient_id)
    except Invalid as bad:
        raise UsageError(bad.reason) from None
    data_plan = clean_person(data_plan, "--data-plan", required=False, max_len=120)
    by = clean_person(by, "--by", required=False) or inventory.station
    inventory.device(device_id)  # DeviceNotInInventory (exit 3)

    def write() -> Handover:
        current = _current(inventory, device_id)
        if current is None:
            raise AllocationRefused(Msg(
                "Phone id:{id} is not allocated to any household: run 'traomay allocate' "
                "first.", {"id": device_id}))
        if current["household_id"] != household.id:
            raise AllocationRefused(Msg(
                "Phone id:{id} is allocated to household {other}, not {code}; nothing was "
                "recorded.", {"id": device_id, "other": current["household_code"],
                              "code": household.code}))
        if current["state"] == "handed_over":
            raise AllocationRefused(Msg(
                "Phone id:{id} was already handed over to household {code} ({at}).",
                {"id": device_id, "code": household.code,
                 "at": str(current["handed_over_at"])[:16].replace("T", " ")}))
        elsewhere = merged_hands(inventory, device_id).get(device_id, set()) - {current["uid"]}
        if elsewhere:
            raise AllocationRefused(Msg(
                "Phone id:{id} is already in another household's hands (handed over at "
                "another station); it cannot be handed over again.", {"id": device_id}))
        device = inventory.db.execute("SELECT stage, verdict FROM devices WHERE id = ?",
                                      [device_id]).fetchone()
        if device is None or device[0] != "finalized" or device[1] != "pass":
            raise AllocationRefused(Msg(
                "Phone id:{id} no longer passes or is not finalized (verdict {verdict}, stage "
                "{stage}); it cannot be handed over. See 'traomay explain id:{id}'.",
                {"id": device_id, "verdict": device[1] if device else "-",
                 "stage": device[0] if device else "-"}))
        now = utc_now()
        inventory.db.execute(
            "UPDATE allocations SET state = 'handed_over', handed_over_at = ?, "
            "handed_over_by = ?, recipient = ?, recipient_id = ?, sim_operator = ?, "
            "sim_number = ?, data_plan = ? WHERE id = ?",
            [now, by, recipient, recipient_id, sim.operator if sim else "",
             sim.number if sim else "", data_plan, current["id"]])
        _log(inventory, current, "handed_over", by, now,
             data={"sim_operator": sim.operator if sim else "", "data_plan": data_plan})
        inventory._event(device_id, "handover", {  # noqa: SLF001 - no personal data here
            "allocation_uid": current["uid"], "household_code": household.code}, now)
        return Handover(int(current["id"]), device_id, household, int(current["tier"] or 0),
                        json.loads(current["rule"] or "{}"), now, by, recipient,
                        recipient_id, sim, data_plan)

    return inventory._write(write)  # noqa: SLF001


def _reason(reason: str) -> str:
    text = clean_person(reason, "--reason", max_len=300)
    if not re.search(r"\w", text):
        raise UsageError(Msg("{what} is missing.", {"what": "--reason"}))
    return text


def undo_handover(inventory: Inventory, device_id: int, *, reason: str, by: str = "") -> int:
    """A hand-over recorded by mistake: back to allocated. Returns the allocation id."""
    why = _reason(reason)
    by = clean_person(by, "--by", required=False) or inventory.station
    inventory.device(device_id)

    def write() -> int:
        current = _current(inventory, device_id)
        if current is None or current["state"] != "handed_over":
            raise AllocationRefused(Msg("Phone id:{id} has no hand-over to undo.",
                                        {"id": device_id}))
        now = utc_now()
        before = {k: current[k] for k in ("handed_over_at", "handed_over_by", "recipient",
                                          "sim_operator", "sim_number", "data_plan")}
        inventory.db.execute(
            "UPDATE allocations SET state = 'allocated', handed_over_at = NULL, "
            "handed_over_by = NULL, recipient = NULL, recipient_id = NULL, sim_operator = NULL, "
            "sim_number = NULL, data_plan = NULL WHERE id = ?", [current["id"]])
        _log(inventory, current, "handover_undone", by, now, why, {"was": before})
        inventory._event(device_id, "handover_undone", {  # noqa: SLF001
            "allocation_uid": current["uid"], "household_code": current["household_code"]},
            now)
        return int(current["id"])

    return inventory._write(write)  # noqa: SLF001


def return_phone(inventory: Inventory, device_id: int, *, reason: str, by: str = "") -> str:
    """A handed-over phone brought back: the allocation is closed, the household is in line
    again, the phone must be erased and finalized again. Returns the household code."""
    why = _reason(reason)
    by = clean_person(by, "--by", required=False) or inventory.station
    inventory.device(device_id)

    def write() -> str:
        current = _current(inventory, device_id)
        if current is None or current["state"] != "handed_over":
            raise AllocationRefused(Msg(
                "Phone id:{id} was not handed over to anyone, so it cannot be returned.",
                {"id": device_id}))
        now = utc_now()
        inventory.db.execute(
            "UPDATE allocations SET state = 'returned', closed_at = ?, closed_by = ?, "
            "closed_reason = ? WHERE id = ?", [now, by, why, current["id"]])
        _log(inventory, current, "returned", by, now, why)
        # The recipient's accounts and data are on it now: not ready for anyone else, and
        # its certificate (which states the erase) no longer describes it.
        inventory.db.execute("UPDATE devices SET stage = 'inspected' WHERE id = ?",
                             [device_id])
        inventory.db.execute(
            "UPDATE certificates SET revoked_at = ?, revoked_reason = 'returned' "
            "WHERE device_id = ? AND revoked_at IS NULL", [now, device_id])
        inventory._event(device_id, "returned", {  # noqa: SLF001
            "allocation_uid": current["uid"], "household_code": current["household_code"]},
            now)
        return str(current["household_code"])

    return inventory._write(write)  # noqa: SLF001
