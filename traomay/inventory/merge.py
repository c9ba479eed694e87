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

Everything happens in one transaction (all or nothing; another program's write waits for
it), set-based in SQL with the other file ATTACHed: phones and runs new here get their ids
in SQL (after the highest here), rows are copied with INSERT ... SELECT joined with those
id maps, raw outputs are copied as they are (never decompressed), and a merge that brings
nothing writes nothing. ``benchmarks/inventory.py`` times a district's merge.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from traomay.core.errors import InventoryError, UsageError
from traomay.core.msg import Msg
from traomay.inventory.store import Inventory, utc_now
from traomay.inventory.verdict import verdict_of

_STAGE_RANK = ("CASE {col} WHEN 'identified' THEN 0 WHEN 'inspected' THEN 1 WHEN 'reset' "
               "THEN 2 WHEN 'installed' THEN 3 WHEN 'finalized' THEN 4 ELSE -1 END")
_STAGE_NAME = ("CASE {col} WHEN 0 THEN 'identified' WHEN 1 THEN 'inspected' WHEN 2 THEN 'reset' "
               "WHEN 3 THEN 'installed' WHEN 4 THEN 'finalized' END")  # a rank's stage
# The merge's id maps (dropped at its end; on a rollback they go with the transaction).
_TEMP_TABLES = ("m_dev", "m_old", "m_run", "m_touched", "m_back", "m_ev", "m_cap")
_LATER = 1 << 50  # the order of an event new from there: after every one here
_STAMP = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*"  # what a time stamp looks like
# A finalize event that finished (every setting restored, out of Test Harness Mode: the
# session's own rule for the stage "finalized").
_FINALIZED = """CASE WHEN typeof(f.data) = 'text' AND json_valid(f.data)
    AND json_type(f.data, '$.not_restored') = 'array'
  THEN json_array_length(f.data, '$.not_restored') = 0
    AND json_extract(f.data, '$.still_test_harness') IS 0 ELSE 0 END"""


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


def _verdicts(inventory: Inventory) -> dict[int, str]:
    """The verdict of each phone of ``temp.m_touched`` from its newest result of each
    criterion, by time."""
    db = inventory.db
    latest: dict[int, dict[str, str]] = {
        int(r[0]): {} for r in db.execute("SELECT id FROM m_touched").fetchall()}
    for device_id, check, status, _at in db.execute(
            "SELECT device_id, check_name, status, MAX(at) FROM main.check_results "
            "WHERE device_id IN (SELECT id FROM m_touched) GROUP BY device_id, check_name"):
        latest[int(device_id)][str(check)] = str(status)  # the MAX(at) row
    return {i: verdict_of(statuses) for i, statuses in latest.items()}


def _stage_caps(inventory: Inventory) -> None:
    """``temp.m_cap``: for each phone known at both that was ever returned by a household
    (a ``returned`` event, here or there), the furthest stage it can have reached since
    its latest return: finalized (4) after a finished finalize, reset (2) after an erase or
    reset, else inspected (1), as ``return_phone`` leaves it. Stages between are not told
    apart by the events, so the cap errs low: a phone is never shown readier than it is.

    "After": at the station of the return, by that station's own order of events (its
    clock may have been set back or forth meanwhile; a station's events are a log that
    every copy of its inventory extends, so the ones new from there come after the ones
    here); at another station, by the time stamps, which must look like one (two stations'
    clocks are all there is to order their events by)."""
    x = inventory.db.execute
    kinds = "('returned', 'finalize', 'erased', 'reset')"
    # Returns are rare: only the events of the phones that had one are looked at, and of
    # those only the phones this merge may change: a return arrives from there, or their
    # stage there is further (a return known here before was applied when it came).
    rank = _STAGE_RANK.format
    # The phones a return arrives for from there (the certificates use it too).
    x("""CREATE TEMP TABLE m_back AS SELECT DISTINCT m.nid AS nid, m.new AS new
         FROM other.events e CROSS JOIN m_dev m ON m.oid = e.device_id
         WHERE e.kind = 'returned'""")
    x(f"""CREATE TEMP TABLE m_ev AS
         WITH back(nid) AS (SELECT nid FROM m_back WHERE new = 0),
         further(nid) AS (
           SELECT m.nid FROM m_dev m JOIN other.devices od ON od.id = m.oid
             JOIN main.devices d ON d.id = m.nid
             WHERE m.new = 0 AND CASE WHEN {rank(col='od.stage')} > {rank(col='d.stage')}
               THEN EXISTS (SELECT 1 FROM main.events r WHERE r.device_id = m.nid
                 AND r.kind = 'returned') ELSE 0 END),
         known(nid) AS (SELECT nid FROM back UNION SELECT nid FROM further)
         SELECT e.device_id AS nid, e.kind AS kind, e.at AS at, e.data AS data,
           e.station AS station, e.id AS seq
         FROM known k JOIN main.events e ON e.device_id = k.nid WHERE e.kind IN {kinds}
         UNION ALL
         SELECT m.nid, e.kind, e.at, e.data, e.station, {_LATER} + e.id
         FROM known k CROSS JOIN m_dev m ON m.nid = k.nid
         CROSS JOIN other.events e ON e.device_id = m.oid WHERE e.kind IN {kinds}
           AND NOT EXISTS (SELECT 1 FROM main.events y WHERE y.uid = e.uid)""")
    # An event whose time is damaged is no evidence of anything.
    after = """typeof({a}.at) = 'text' AND {a}.at GLOB '{stamp}' AND CASE
      WHEN {a}.station IS {b}.station THEN {a}.seq > {b}.seq
      ELSE typeof({b}.at) = 'text' AND {b}.at GLOB '{stamp}' AND {a}.at > {b}.at END"""

    def later(a: str, b: str) -> str:
        return after.format(a=a, b=b, stamp=_STAMP)

    x(f"""CREATE TEMP TABLE m_cap AS
         SELECT r.nid AS nid, MIN(CASE
           WHEN EXISTS (SELECT 1 FROM m_ev f WHERE f.nid = r.nid AND f.kind = 'finalize'
             AND {later('f', 'r')} AND {_FINALIZED}) THEN 4
           WHEN EXISTS (SELECT 1 FROM m_ev y WHERE y.nid = r.nid
             AND y.kind IN ('erased', 'reset') AND {later('y', 'r')}) THEN 2
           ELSE 1 END) AS cap
         FROM m_ev r WHERE r.kind = 'returned' AND NOT EXISTS (SELECT 1 FROM m_ev n
           WHERE n.nid = r.nid AND n.kind = 'returned' AND n.seq <> r.seq
             AND {later('n', 'r')})
         GROUP BY r.nid""")
    x("CREATE UNIQUE INDEX temp.m_cap_nid ON m_cap(nid)")


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
            # Every phone and run a copied row points at is one the merge found or wrote
            # in this same transaction (joins with m_dev, m_run): SQLite's own lookup of
            # each row's parent would only repeat them (a third of the time of the results).
            return inventory._write_bulk(lambda: _merge(inventory, source))  # noqa: SLF001
        finally:
            db.execute("DETACH DATABASE other")
            db.execute(f"PRAGMA cache_size = {int(cache)}")


def _merge(inventory: Inventory, source: Path) -> MergeReport:
    db = inventory.db
    x = db.execute
    for temp in _TEMP_TABLES:
        x(f"DROP TABLE IF EXISTS temp.{temp}")
    # 1. Phones: the same uid, else a shared device key, else a new phone here. A new phone
    #    gets its id here at once (after the highest: nobody else writes during this
    #    transaction), so nothing is looked up again after the insert.
    base = x("SELECT COALESCE(MAX(id), 0) FROM main.devices").fetchone()[0]
    x("CREATE TEMP TABLE m_dev(oid INTEGER PRIMARY KEY, nid INTEGER NOT NULL, "
      "new INTEGER NOT NULL)")
    x("""INSERT INTO m_dev(oid, nid, new) SELECT od.id, d.id, 0 FROM other.devices od
         JOIN main.devices d ON d.uid = od.uid""")
    x("""INSERT INTO m_dev(oid, nid, new) SELECT ok.device_id, MIN(k.device_id), 0
         FROM other.device_keys ok JOIN main.device_keys k ON k.key = ok.key
         WHERE ok.device_id NOT IN (SELECT oid FROM m_dev) GROUP BY ok.device_id""")
    x("""INSERT INTO m_dev(oid, nid, new) SELECT od.id, d.id, 0 FROM other.devices od
         JOIN main.devices d ON d.device_key = od.device_key
         WHERE od.id NOT IN (SELECT oid FROM m_dev)""")
    x("""INSERT INTO m_dev(oid, nid, new) SELECT od.id, ? + row_number() OVER (ORDER BY od.id), 1
         FROM other.devices od WHERE od.id NOT IN (SELECT oid FROM m_dev)""", [base])
    x("CREATE INDEX temp.m_dev_nid ON m_dev(nid) WHERE new = 0")
    _stage_caps(inventory)
    x("CREATE TEMP TABLE m_old(nid INTEGER NOT NULL, k INTEGER NOT NULL, uid TEXT, "
      "first_seen TEXT, last_seen TEXT, rank INTEGER)")
    conflicts = [r for r in x(
        """SELECT m.nid, d.verdict, od.verdict, od.station FROM m_dev m
           JOIN main.devices d ON d.id = m.nid JOIN other.devices od ON od.id = m.oid
           WHERE m.new = 0 AND d.verdict IN ('pass', 'fail')
             AND od.verdict IN ('pass', 'fail') AND d.verdict <> od.verdict
           ORDER BY m.oid""").fetchall()]
    matched = x("SELECT count(*) FROM m_dev WHERE new = 0").fetchone()[0]
    cols = _columns(inventory, "devices")
    new_phones = x(f"""INSERT INTO main.devices(id, {', '.join(cols)})
         SELECT m.nid, {', '.join('od.' + c for c in cols)} FROM m_dev m
         JOIN other.devices od ON od.id = m.oid WHERE m.new = 1 ORDER BY m.oid""").rowcount
    # Phones known here: the uid of the record seen first (so every station that merges
    # the same inventories names the phone alike), the earliest first sighting, the latest
    # last one, the furthest stage (the verdict is computed again below from the results).
    # Only the phones where one of these changes are written (merging again writes none):
    # the records there seen before, or last seen after, or gone further than the phone here.
    # A phone returned by its household goes back to "inspected" at its station, to be
    # erased and finalized again: the furthest stage counts only up to its cap (m_cap).
    rank = _STAGE_RANK.format
    there = f"MIN({rank(col='od.stage')}, COALESCE(c.cap, 4))"
    x(f"""INSERT INTO m_old(nid, k, uid, first_seen, last_seen, rank)
         SELECT m.nid, row_number() OVER (PARTITION BY m.nid ORDER BY od.first_seen, od.uid),
           od.uid, od.first_seen, od.last_seen, {there}
         FROM m_dev m JOIN other.devices od ON od.id = m.oid JOIN main.devices d ON d.id = m.nid
         LEFT JOIN m_cap c ON c.nid = m.nid
         WHERE m.new = 0 AND ((od.first_seen, od.uid) < (d.first_seen, d.uid)
           OR od.last_seen > d.last_seen OR {there} > {rank(col='d.stage')})""")
    x(f"""UPDATE main.devices SET
           uid = CASE WHEN (o.first_seen, o.uid) < (devices.first_seen, devices.uid)
             THEN o.uid ELSE devices.uid END,
           first_seen = MIN(devices.first_seen, o.first_seen),
           last_seen = MAX(devices.last_seen, o.last_seen),
           stage = CASE WHEN o.rank > {rank(col='devices.stage')}
             THEN {_STAGE_NAME.format(col='o.rank')} ELSE devices.stage END
         FROM (SELECT nid, MAX(CASE WHEN k = 1 THEN uid END) AS uid,
                 MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen, MAX(rank) AS rank
               FROM m_old GROUP BY nid) AS o
         WHERE devices.id = o.nid""")
    x(f"""UPDATE main.devices SET stage = {_STAGE_NAME.format(col='c.cap')} FROM m_cap c
         WHERE devices.id = c.nid AND {rank(col='devices.stage')} > c.cap""")
    x("""INSERT OR IGNORE INTO main.device_keys(key, device_id, added_at, reason)
         SELECT ok.key, m.nid, ok.added_at, ok.reason FROM other.device_keys ok
         JOIN m_dev m ON m.oid = ok.device_id""")
    # 2. Runs not here yet (ids given here at once, like phones; dev: the run's phone
    #    here), then their results. A result belongs to the phone of its run (`inventory
    #    check` holds every inventory to that), so its phone is taken from the run.
    base = x("SELECT COALESCE(MAX(id), 0) FROM main.runs").fetchone()[0]
    x("CREATE TEMP TABLE m_run(oid INTEGER PRIMARY KEY, nid INTEGER NOT NULL, "
      "dev INTEGER NOT NULL)")
    x("CREATE TEMP TABLE m_touched(id INTEGER PRIMARY KEY)")
    x("""INSERT INTO m_run(oid, nid, dev)
         SELECT r.id, ? + row_number() OVER (ORDER BY r.id), m.nid
         FROM other.runs r CROSS JOIN m_dev m ON m.oid = r.device_id
         WHERE NOT EXISTS (SELECT 1 FROM main.runs y WHERE y.uid = r.uid)""", [base])
    cols = _columns(inventory, "runs")
    picked = ", ".join("mr.dev" if c == "device_id" else "r." + c for c in cols)
    runs = x(f"""INSERT INTO main.runs(id, {', '.join(cols)}) SELECT mr.nid, {picked}
         FROM m_run mr JOIN other.runs r ON r.id = mr.oid ORDER BY mr.oid""").rowcount
    cols = _columns(inventory, "check_results")
    picked = ", ".join({"run_id": "mr.nid", "device_id": "mr.dev"}.get(c, "c." + c)
                       for c in cols)
    results = x(f"""INSERT INTO main.check_results({', '.join(cols)}) SELECT {picked}
         FROM other.check_results c JOIN m_run mr ON mr.oid = c.run_id
         ORDER BY c.id""").rowcount if runs else 0
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
    # The events of a phone new here are new here (a phone is never deleted, and its events
    # came with it): only the others are looked up first (so the JSON of those here already
    # is not rewritten for nothing); the unique uid ignores any that is here all the same.
    events = x(f"""INSERT OR IGNORE INTO main.events({', '.join(cols)}) SELECT {picked}
         FROM other.events e LEFT JOIN m_dev md ON md.oid = e.device_id
         WHERE md.new = 1 OR NOT EXISTS (SELECT 1 FROM main.events y WHERE y.uid = e.uid)
         ORDER BY e.id""").rowcount
    # 4. Intakes (one per phone: the one here is kept) and certificates.
    intake_conflicts = [int(r[0]) for r in x(
        """SELECT m.nid FROM other.intakes oi JOIN m_dev m ON m.oid = oi.device_id
           JOIN main.intakes i ON i.device_id = m.nid WHERE m.new = 0 AND i.uid <> oi.uid
           ORDER BY oi.id""").fetchall()]
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
    # A certificate issued before its phone's latest return states an erase the phone no
    # longer has: revoked as the station of the return revoked its own (handover.py),
    # whichever of the two arrived here first.
    x(f"""UPDATE main.certificates SET revoked_at = ?, revoked_reason = 'returned'
         WHERE revoked_at IS NULL AND device_id IN (SELECT nid FROM m_back
           UNION SELECT m.nid FROM other.certificates oc CROSS JOIN m_dev m
             ON m.oid = oc.device_id)
         AND EXISTS (SELECT 1 FROM main.events r WHERE r.device_id = certificates.device_id
           AND r.kind = 'returned' AND typeof(r.at) = 'text' AND r.at GLOB '{_STAMP}'
           AND r.at > certificates.issued_at)""", [now])
    # 5. Verdicts of phones known here that gained runs, from the newest result by time
    #    (a phone new here keeps the verdict its own results gave there).
    x("""INSERT INTO m_touched(id) SELECT DISTINCT dev FROM m_run
         WHERE dev IN (SELECT nid FROM m_dev WHERE new = 0)""")
    verdicts = _verdicts(inventory)
    db.conn.executemany("UPDATE main.devices SET verdict = ?1 WHERE id = ?2 AND verdict IS NOT ?1",
                        [(v, k) for k, v in verdicts.items()])
    stations = tuple(r[0] for r in x(
        "SELECT DISTINCT station FROM other.events ORDER BY station").fetchall())
    for temp in _TEMP_TABLES:
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
