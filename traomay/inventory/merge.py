"""Bring another station's inventory into this one (the district merges its communes').

- **One phone, one record.** A phone of the other inventory is the same phone here when it
  has the same uid (merged before) or shares a device key (both stations keyed it under
  the same campaign key). An inventory of another campaign (another key) is refused.
- **Idempotent.** Phones, events, runs, intakes and certificates carry ids unique across
  stations (uids); what is here already is skipped, so merging twice is merging once.
- **Nothing rewritten.** Every event, run and result keeps its station and time of origin.
  Runs get new local ids (events that point at a run are pointed at its new id). A phone's
  verdict is computed again from the newest result of each criterion, by time.
- **Conflicts reported.** A phone that passed at one station and failed at the other; a
  phone with an intake at both stations (the one here is kept).

Everything happens in one transaction, set-based in SQL (the other file is ATTACHed): a
district merge of 50 000 phones with their results takes about a second.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from traomay.core.errors import InventoryError, UsageError
from traomay.core.msg import Msg
from traomay.inventory.store import Inventory, utc_now
from traomay.inventory.verdict import compute_verdict

_STAGE_RANK = ("CASE {col} WHEN 'identified' THEN 0 WHEN 'inspected' THEN 1 WHEN 'reset' "
               "THEN 2 WHEN 'installed' THEN 3 WHEN 'finalized' THEN 4 ELSE -1 END")


@dataclass(frozen=True)
class VerdictConflict:
    device_id: int  # here
    here: str  # pass | fail, before the merge
    there: str  # pass | fail, at the other station
    there_station: str
    now: str  # after the merge (newest result of each criterion)


@dataclass(frozen=True)
class MergeReport:
    source: Path
    phones_new: int = 0
    phones_matched: int = 0
    events: int = 0
    runs: int = 0
    results: int = 0
    intakes: int = 0
    certificates: int = 0
    conflicts: tuple[VerdictConflict, ...] = ()
    intake_conflicts: tuple[int, ...] = ()  # phones (ids here) received at both stations
    stations: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return any((self.phones_new, self.events, self.runs, self.results, self.intakes,
                    self.certificates))


def _columns(inventory: Inventory, table: str) -> list[str]:
    """Columns both inventories' ``table`` have, but the local id."""
    db = inventory.db
    here = [r[1] for r in db.execute(f"PRAGMA main.table_info({table})").fetchall()]
    there = {r[1] for r in db.execute(f"PRAGMA other.table_info({table})").fetchall()}
    return [c for c in here if c in there and c != "id"]


def _open_source(inventory: Inventory, path: Path) -> None:
    """Refuse what cannot be merged: no such file, this inventory itself, an inventory of
    another traomay version or of another campaign (another key)."""
    if not path.is_file():
        raise UsageError(Msg("There is no inventory at {path}: check the path.",
                             {"path": str(path)}))
    try:
        same = os.path.samefile(path, inventory.path)
    except OSError:
        same = False
    if same:
        raise UsageError(Msg("{path} is this station's own inventory: give another station's "
                             "copy.", {"path": str(path)}))
    # The read-only open checks its schema against this code and its key check against
    # this campaign's key (InventoryError, exit 7, naming what to do).
    with Inventory(path, station=inventory.station, read_only=True,
                   key=inventory._key) as src:  # noqa: SLF001
        stored = src.db.execute("SELECT value FROM meta WHERE key = 'key_check'").fetchone()
    if stored is None:
        raise InventoryError(Msg(
            "The inventory {path} has never been opened with a campaign key: open it once "
            "with traomay at its station, then merge it.", {"path": str(path)}))


def _verdicts(inventory: Inventory, device_ids: list[int]) -> dict[int, str]:
    """The verdict of each phone from its newest result of each criterion, by time."""
    latest: dict[int, dict[str, dict[str, str]]] = {i: {} for i in device_ids}
    db = inventory.db
    db.execute("DROP TABLE IF EXISTS temp.m_touched")
    db.execute("CREATE TEMP TABLE m_touched(id INTEGER PRIMARY KEY)")
    db.conn.executemany("INSERT INTO m_touched(id) VALUES (?)", [(i,) for i in device_ids])
    for device_id, check, status, _at in db.execute(
            "SELECT device_id, check_name, status, MAX(at) FROM main.check_results "
            "WHERE device_id IN (SELECT id FROM m_touched) GROUP BY device_id, check_name"):
        latest[int(device_id)][str(check)] = {"status": str(status)}  # the MAX(at) row
    db.execute("DROP TABLE temp.m_touched")
    return {i: compute_verdict(rows).verdict for i, rows in latest.items()}


def merge(inventory: Inventory, path: Path | str) -> MergeReport:
    """Merge the inventory at ``path`` into ``inventory`` (see the module docstring)."""
    source = Path(path)
    _open_source(inventory, source)
    with inventory._lock:  # noqa: SLF001 - one writer thread on this connection
        db = inventory.db
        cache = db.execute("PRAGMA cache_size").fetchone()[0]
        # A large page cache while tens of thousands of rows go into the indexes.
        db.execute("PRAGMA cache_size = -262144")
        db.execute("ATTACH DATABASE ? AS other", [str(source)])
        try:
            return inventory._write(lambda: _merge(inventory, source))  # noqa: SLF001
        finally:
            db.execute("DETACH DATABASE other")
            db.execute(f"PRAGMA cache_size = {int(cache)}")


def _merge(inventory: Inventory, source: Path) -> MergeReport:
    db = inventory.db
    x = db.execute
    for temp in ("m_dev", "m_run", "new_runs"):
        x(f"DROP TABLE IF EXISTS temp.{temp}")
    # 1. Phones: the same uid, else a shared device key, else a new phone here.
    x("CREATE TEMP TABLE m_dev(oid INTEGER PRIMARY KEY, nid INTEGER, new INTEGER NOT NULL)")
    x("CREATE INDEX temp.m_dev_nid ON m_dev(nid, new)")
    x("""INSERT INTO m_dev(oid, nid, new)
         SELECT od.id, COALESCE(
           (SELECT d.id FROM main.devices d WHERE d.uid = od.uid),
           (SELECT MIN(k.device_id) FROM other.device_keys ok
              JOIN main.device_keys k ON k.key = ok.key WHERE ok.device_id = od.id),
           (SELECT d.id FROM main.devices d WHERE d.device_key = od.device_key)), 0
         FROM other.devices od""")
    conflicts = [r for r in x(
        """SELECT m.nid, d.verdict, od.verdict, od.station FROM m_dev m
           JOIN main.devices d ON d.id = m.nid JOIN other.devices od ON od.id = m.oid
           WHERE d.verdict IN ('pass', 'fail') AND od.verdict IN ('pass', 'fail')
             AND d.verdict <> od.verdict""").fetchall()]
    matched = x("SELECT count(*) FROM m_dev WHERE nid IS NOT NULL").fetchone()[0]
    cols = _columns(inventory, "devices")
    names = ", ".join(cols)
    new_phones = x(f"""INSERT INTO main.devices({names})
         SELECT {', '.join('od.' + c for c in cols)} FROM other.devices od
         JOIN m_dev m ON m.oid = od.id WHERE m.nid IS NULL ORDER BY od.id""").rowcount
    x("""UPDATE m_dev SET new = 1, nid = (SELECT d.id FROM main.devices d
           WHERE d.uid = (SELECT od.uid FROM other.devices od WHERE od.id = m_dev.oid))
         WHERE nid IS NULL""")
    # Phones known here: the uid of the record seen first (so every station that merges
    # the same inventories names the phone alike), the earliest first sighting, the latest
    # last one, the furthest stage (the verdict is computed again below from the results).
    x(f"""UPDATE main.devices SET
           uid = (SELECT CASE WHEN od.first_seen < devices.first_seen OR (od.first_seen =
             devices.first_seen AND od.uid < devices.uid) THEN od.uid ELSE devices.uid END
             FROM m_dev m JOIN other.devices od ON od.id = m.oid
             WHERE m.nid = devices.id AND m.new = 0 ORDER BY od.first_seen, od.uid LIMIT 1),
           first_seen = MIN(first_seen, (SELECT od.first_seen FROM m_dev m
             JOIN other.devices od ON od.id = m.oid WHERE m.nid = devices.id AND m.new = 0
             ORDER BY od.first_seen LIMIT 1)),
           last_seen = MAX(last_seen, (SELECT od.last_seen FROM m_dev m
             JOIN other.devices od ON od.id = m.oid WHERE m.nid = devices.id AND m.new = 0
             ORDER BY od.last_seen DESC LIMIT 1)),
           stage = COALESCE((SELECT od.stage FROM m_dev m JOIN other.devices od
             ON od.id = m.oid WHERE m.nid = devices.id AND m.new = 0
             AND {_STAGE_RANK.format(col='od.stage')} > {_STAGE_RANK.format(col='devices.stage')}
             ORDER BY {_STAGE_RANK.format(col='od.stage')} DESC LIMIT 1), stage)
         WHERE id IN (SELECT nid FROM m_dev WHERE new = 0)""")
    x("""INSERT OR IGNORE INTO main.device_keys(key, device_id, added_at, reason)
         SELECT ok.key, m.nid, ok.added_at, ok.reason FROM other.device_keys ok
         JOIN m_dev m ON m.oid = ok.device_id""")
    # 2. Runs not here yet, then their results.
    x("CREATE TEMP TABLE new_runs(oid INTEGER PRIMARY KEY)")
    x("""INSERT INTO new_runs(oid) SELECT r.id FROM other.runs r
         WHERE NOT EXISTS (SELECT 1 FROM main.runs y WHERE y.uid = r.uid)""")
    cols = _columns(inventory, "runs")
    picked = ", ".join("m.nid" if c == "device_id" else "r." + c for c in cols)
    runs = x(f"""INSERT INTO main.runs({', '.join(cols)}) SELECT {picked} FROM other.runs r
         JOIN new_runs n ON n.oid = r.id JOIN m_dev m ON m.oid = r.device_id
         ORDER BY r.id""").rowcount
    x("CREATE TEMP TABLE m_run(oid INTEGER PRIMARY KEY, nid INTEGER NOT NULL)")
    x("""INSERT INTO m_run(oid, nid) SELECT r.id, y.id FROM other.runs r
         JOIN new_runs n ON n.oid = r.id JOIN main.runs y ON y.uid = r.uid""")
    cols = _columns(inventory, "check_results")
    picked = ", ".join({"run_id": "mr.nid", "device_id": "md.nid"}.get(c, "c." + c)
                       for c in cols)
    results = x(f"""INSERT INTO main.check_results({', '.join(cols)}) SELECT {picked}
         FROM other.check_results c JOIN m_run mr ON mr.oid = c.run_id
         JOIN m_dev md ON md.oid = c.device_id ORDER BY c.id""").rowcount
    # 3. Events not here yet, with their station; run_id pointed at the run's id here.
    cols = _columns(inventory, "events")
    picked = ", ".join({"device_id": "md.nid", "data": """CASE
           WHEN instr(e.data, '"run_id"') AND json_valid(e.data)
             AND json_type(e.data, '$.run_id') = 'integer'
           THEN json_set(e.data, '$.run_id', COALESCE(
             (SELECT mr.nid FROM m_run mr WHERE mr.oid = json_extract(e.data, '$.run_id')),
             (SELECT y.id FROM other.runs r JOIN main.runs y ON y.uid = r.uid
              WHERE r.id = json_extract(e.data, '$.run_id'))))
           ELSE e.data END"""}.get(c, "e." + c) for c in cols)
    events = x(f"""INSERT INTO main.events({', '.join(cols)}) SELECT {picked}
         FROM other.events e LEFT JOIN m_dev md ON md.oid = e.device_id
         WHERE NOT EXISTS (SELECT 1 FROM main.events y WHERE y.uid = e.uid)
         ORDER BY e.id""").rowcount
    # 4. Intakes (one per phone: the one here is kept) and certificates.
    intake_conflicts = [int(r[0]) for r in x(
        """SELECT m.nid FROM other.intakes oi JOIN m_dev m ON m.oid = oi.device_id
           JOIN main.intakes i ON i.device_id = m.nid WHERE i.uid <> oi.uid""").fetchall()]
    cols = _columns(inventory, "intakes")
    picked = ", ".join("m.nid" if c == "device_id" else "oi." + c for c in cols)
    intakes = x(f"""INSERT OR IGNORE INTO main.intakes({', '.join(cols)}) SELECT {picked}
         FROM other.intakes oi JOIN m_dev m ON m.oid = oi.device_id ORDER BY oi.id""").rowcount
    cols = ["id", *(c for c in _columns(inventory, "certificates"))]
    picked = ", ".join("m.nid" if c == "device_id" else "oc." + c for c in cols)
    certificates = x(f"""INSERT OR IGNORE INTO main.certificates({', '.join(cols)})
         SELECT {picked} FROM other.certificates oc JOIN m_dev m ON m.oid = oc.device_id"""
                     ).rowcount
    x("""UPDATE main.certificates SET revoked_at = oc.revoked_at,
           revoked_reason = oc.revoked_reason
         FROM other.certificates oc WHERE oc.id = certificates.id
           AND certificates.revoked_at IS NULL AND oc.revoked_at IS NOT NULL""")
    # A phone certified at both stations: the newest certificate stands.
    now = utc_now()
    x("""UPDATE main.certificates SET revoked_at = ?, revoked_reason = 'superseded'
         WHERE revoked_at IS NULL AND EXISTS (SELECT 1 FROM main.certificates n
           WHERE n.device_id = certificates.device_id AND n.revoked_at IS NULL
             AND (n.issued_at, n.id) > (certificates.issued_at, certificates.id))""", [now])
    # 5. Verdicts of phones that gained results here, from the newest result by time.
    touched = [int(r[0]) for r in x(
        """SELECT DISTINCT md.nid FROM m_dev md WHERE md.new = 0 AND EXISTS (
             SELECT 1 FROM other.check_results c JOIN m_run mr ON mr.oid = c.run_id
             WHERE c.device_id = md.oid)""").fetchall()]
    verdicts = _verdicts(inventory, touched)
    db.conn.executemany("UPDATE main.devices SET verdict = ? WHERE id = ?",
                        [(v, k) for k, v in verdicts.items()])
    stations = tuple(r[0] for r in x(
        "SELECT DISTINCT station FROM other.events ORDER BY station").fetchall())
    for temp in ("m_dev", "m_run", "new_runs"):
        x(f"DROP TABLE temp.{temp}")
    report = MergeReport(
        source, phones_new=new_phones, phones_matched=matched, events=events, runs=runs,
        results=results, intakes=intakes, certificates=certificates,
        conflicts=tuple(VerdictConflict(int(nid), here, there, str(station),
                                        verdicts.get(int(nid), here))
                        for nid, here, there, station in conflicts),
        intake_conflicts=tuple(intake_conflicts), stations=stations)
    if report.changed:  # merging again brings nothing, and records nothing
        inventory._event(None, "merge", {  # noqa: SLF001
            "source": source.name, "stations": list(stations), "phones_new": new_phones,
            "phones_matched": matched, "events": events, "runs": runs, "results": results,
            "intakes": intakes, "certificates": certificates,
            "verdict_conflicts": len(conflicts)}, now)
    return report
