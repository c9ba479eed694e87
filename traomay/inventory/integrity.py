"""``traomay inventory check``: is the inventory whole, and does it keep its own rules?

SQLite's checks (``PRAGMA integrity_check``, ``foreign_key_check``) and the toolkit's
invariants: every phone, event and run has a uid; a phone is filed under its own device
key; a result belongs to the phone of its run; stages, verdicts and statuses are known
words; each phone's stored verdict is the one its newest results give; every certificate
carries this campaign's signature; at most one valid certificate per phone.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from traomay.core.msg import Msg
from traomay.inventory.certificates import signature, signing_key
from traomay.inventory.readable import ENTRY_LABELS, STAGE_LABELS, STATUS_LABELS, VERDICT_LABELS
from traomay.inventory.store import Inventory
from traomay.inventory.verdict import compute_verdict

_MAX_EXAMPLES = 5


@dataclass(frozen=True)
class IntegrityReport:
    problems: tuple[Msg, ...]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _ids(rows: list[tuple]) -> str:
    shown = ", ".join(f"id:{r[0]}" for r in rows[:_MAX_EXAMPLES])
    return shown + (" …" if len(rows) > _MAX_EXAMPLES else "")


def check(inventory: Inventory) -> IntegrityReport:
    """Every problem found (none: the inventory is sound). Reads only."""
    return inventory._read(lambda: _check(inventory))  # noqa: SLF001 - one snapshot


def _check(inventory: Inventory) -> IntegrityReport:
    db = inventory.db
    x = db.execute
    problems: list[Msg] = []
    result = [r[0] for r in x("PRAGMA integrity_check").fetchall()]
    if result != ["ok"]:
        problems.append(Msg("SQLite reports damage: {detail}",
                            {"detail": "; ".join(str(r) for r in result[:_MAX_EXAMPLES])}))
    orphans = x("PRAGMA foreign_key_check").fetchall()
    if orphans:
        tables = sorted({str(r[0]) for r in orphans})
        problems.append(Msg("{count} rows point at records that do not exist (tables: "
                            "{tables}).", {"count": len(orphans), "tables": ", ".join(tables)}))
    for table in ("devices", "events", "runs", "intakes"):
        missing = x(f"SELECT count(*) FROM {table} WHERE uid IS NULL OR uid = ''").fetchone()[0]
        if missing:
            problems.append(Msg("{count} rows of {table} have no uid (needed to merge "
                                "stations).", {"count": missing, "table": table}))
    rows = x("SELECT d.id FROM devices d WHERE NOT EXISTS (SELECT 1 FROM device_keys k "
             "WHERE k.key = d.device_key AND k.device_id = d.id)").fetchall()
    if rows:
        problems.append(Msg("{count} phones are not filed under their own device key: {ids}.",
                            {"count": len(rows), "ids": _ids(rows)}))
    rows = x("SELECT c.id FROM check_results c JOIN runs r ON r.id = c.run_id "
             "WHERE c.device_id <> r.device_id").fetchall()
    if rows:
        problems.append(Msg("{count} check results belong to another phone than their run: "
                            "{ids}.", {"count": len(rows), "ids": _ids(rows)}))
    for column, known in (("stage", STAGE_LABELS), ("verdict", VERDICT_LABELS),
                          ("entry", ENTRY_LABELS)):
        marks = ", ".join("?" * len(known))
        rows = x(f"SELECT id FROM devices WHERE {column} IS NULL OR {column} NOT IN ({marks})",
                 list(known)).fetchall()
        if rows:
            problems.append(Msg("{count} phones have an unknown {column}: {ids}.",
                                {"count": len(rows), "column": column, "ids": _ids(rows)}))
    marks = ", ".join("?" * len(STATUS_LABELS))
    bad = x(f"SELECT count(*) FROM check_results WHERE status NOT IN ({marks})",
            list(STATUS_LABELS)).fetchone()[0]
    if bad:
        problems.append(Msg("{count} check results have an unknown status.", {"count": bad}))
    problems += _verdicts(inventory)
    problems += _certificates(inventory)
    counts = {t: int(x(f"SELECT count(*) FROM {t}").fetchone()[0])
              for t in ("devices", "events", "runs", "check_results", "intakes",
                        "certificates")}
    return IntegrityReport(tuple(problems), counts)


def _verdicts(inventory: Inventory) -> list[Msg]:
    """Each phone's stored verdict against its newest result of each criterion."""
    latest: dict[int, dict[str, dict[str, str]]] = {}
    for device_id, check, status, _at in inventory.db.execute(
            "SELECT device_id, check_name, status, MAX(at) FROM check_results "
            "GROUP BY device_id, check_name").fetchall():  # bare columns: the MAX(at) row
        latest.setdefault(int(device_id), {})[str(check)] = {"status": str(status)}
    wrong = []
    for device_id, stored in inventory.db.execute("SELECT id, verdict FROM devices").fetchall():
        expected = compute_verdict(latest.get(int(device_id), {})).verdict
        if stored != expected:
            wrong.append((device_id, stored, expected))
    if not wrong:
        return []
    return [Msg("{count} phones have a stored verdict their newest results do not give: {ids} "
                "(run 'traomay explain' on them).", {"count": len(wrong), "ids": _ids(wrong)})]


def _certificates(inventory: Inventory) -> list[Msg]:
    rows = inventory.db.execute("SELECT id, payload FROM certificates").fetchall()
    if not rows:
        return []
    key = signing_key(inventory)
    forged = []
    for cert_id, payload in rows:
        parts = str(payload).split(":")
        good = (len(parts) == 3 and parts[1] == cert_id
                and hmac.compare_digest(signature(key, cert_id), parts[2]))
        if not good:
            forged.append((cert_id,))
    problems = []
    if forged:
        problems.append(Msg("{count} certificates do not carry this campaign's signature: "
                            "{ids}.", {"count": len(forged), "ids": _ids(forged)}))
    doubles = inventory.db.execute(
        "SELECT device_id FROM certificates WHERE revoked_at IS NULL GROUP BY device_id "
        "HAVING count(*) > 1").fetchall()
    if doubles:
        problems.append(Msg("{count} phones have more than one valid certificate: {ids}.",
                            {"count": len(doubles), "ids": _ids(doubles)}))
    return problems
