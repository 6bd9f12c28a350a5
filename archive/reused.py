"""Which passages other reports hold too: kept in the archive, brought up to date after every import.

Reuse is derived from the passages (``reuse.ReuseIndex`` finds them), so it
follows the index's discipline: a high-water mark (``meta.reuse_mark``, the
largest passage id looked at) and one transaction per report holding its
signatures, its matches (both directions) and the new mark. A killed sync
leaves the archive consistent and the next one carries on; the index itself
is rebuilt from the stored signatures (1.1 s for 180k passages).

A passage's reuse is the set of *other reports* holding a near-identical
passage; copies of one report (exact and near duplicates) are one report,
never reuse of each other.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from .reuse import ReuseIndex
from .store import Store


@dataclass
class ReuseSync:
    reports: int = 0  # reports looked at
    matches: int = 0  # passage pairs found (each counted once)
    seconds: float = 0.0


def mark(store: Store) -> int:
    row = store.conn.execute("SELECT value FROM meta WHERE key = 'reuse_mark'").fetchone()
    return int(row[0]) if row else 0


def epoch(store: Store) -> int:
    """How many times every match was forgotten and found again (``rebuild``): counts read before a move of
    it cannot be brought up to date by ``changed``."""
    row = store.conn.execute("SELECT value FROM meta WHERE key = 'reuse_epoch'").fetchone()
    return int(row[0]) if row else 0


def pending(store: Store) -> int:
    return store.passage_count(after=mark(store))


def _index(store: Store) -> ReuseIndex:
    rows = store.conn.execute(
        "SELECT p.report_id, p.passage_no, s.signature FROM reuse_signatures s JOIN passages p ON p.id = s.passage_id "
        "ORDER BY s.passage_id")
    return ReuseIndex.from_signatures(rows)


def sync(store: Store) -> ReuseSync:
    """Find the reuse of every passage above the mark, report by report. The caller holds the writer lock."""
    started = time.monotonic()
    done = ReuseSync()
    low = mark(store)
    if store.max_passage_id() <= low:
        return done
    top = store.max_passage_id()
    index = _index(store)
    # A report's own text only: a copy's passages (archive/copytext.py) are the report too, never reuse of it.
    reports = store.conn.execute("SELECT report_id, max(id) FROM passages WHERE id > ? AND copy_id = 0 "
                                 "GROUP BY report_id ORDER BY min(id)", (low,)).fetchall()
    # A report's passages are numbered in order and stored together, so passage n has id offset + n: one
    # lookup per report that is matched, not one per match.
    offsets: dict[str, int] = {}

    def offset(report_id: str) -> int:
        if report_id not in offsets:
            offsets[report_id] = store.conn.execute(
                "SELECT min(id) - min(passage_no) FROM passages WHERE report_id = ? AND copy_id = 0",
                (report_id,)).fetchone()[0]
        return offsets[report_id]

    for report_id, last in reports:
        rows = store.conn.execute("SELECT id, passage_no, text FROM passages WHERE report_id = ? AND copy_id = 0 "
                                  "ORDER BY passage_no", (report_id,)).fetchall()
        ids = {no: pid for pid, no, _ in rows}
        matches = index.add(report_id, [(no, text) for _, no, text in rows])
        signatures = index.signatures_of(report_id)
        with store.transaction():
            store.conn.executemany("INSERT OR REPLACE INTO reuse_signatures VALUES (?, ?)",
                                   [(ids[no], blob) for no, blob in signatures])
            pairs = []
            mine: dict[int, set[str]] = {}  # this report's passages → the other reports holding them
            theirs: set[int] = set()  # earlier passages this report holds too
            for m in matches:
                other = offset(m.other_report_id) + m.other_passage_no
                sim = round(float(m.similarity), 4)
                pairs += [(ids[m.passage_no], other, sim), (other, ids[m.passage_no], sim)]
                mine.setdefault(ids[m.passage_no], set()).add(m.other_report_id)
                theirs.add(other)
            store.conn.executemany("INSERT OR REPLACE INTO passage_reuse VALUES (?, ?, ?)", pairs)
            # Counts move by what this report brings: its passages count the reports they match, and each
            # earlier passage it matches is held by one more report (this one is new to all of them).
            store.conn.executemany("INSERT OR REPLACE INTO reuse_counts VALUES (?, ?)",
                                   [(pid, len(reports)) for pid, reports in mine.items()])
            store.conn.executemany("INSERT INTO reuse_counts VALUES (?, 1) ON CONFLICT(passage_id) "
                                   "DO UPDATE SET reports = reports + 1", [(pid,) for pid in theirs])
            store.conn.execute("INSERT OR REPLACE INTO meta VALUES ('reuse_mark', ?)", (str(max(last, low)),))
            if pairs:
                store.bump_facets_generation()
        done.reports += 1
        done.matches += len(pairs) // 2
    if mark(store) < top:  # copies' passages above the last report's: looked at, nothing to find
        with store.transaction():
            store.conn.execute("INSERT OR REPLACE INTO meta VALUES ('reuse_mark', ?)", (str(top),))
    done.seconds = time.monotonic() - started
    return done


def rebuild(store: Store) -> ReuseSync:
    """Forget every match and signature and find them again (after the rule changes)."""
    with store.transaction():
        store.conn.execute("DELETE FROM passage_reuse")
        store.conn.execute("DELETE FROM reuse_counts")
        store.conn.execute("DELETE FROM reuse_signatures")
        store.conn.execute("DELETE FROM meta WHERE key = 'reuse_mark'")
        store.conn.execute("INSERT INTO meta VALUES ('reuse_epoch', '1') ON CONFLICT(key) "
                           "DO UPDATE SET value = CAST(value AS INTEGER) + 1")
        store.bump_facets_generation()
    return sync(store)


def counts(store: Store, after: int, upto: int) -> list[tuple[int, int]]:
    """(passage id, other reports holding it) for passages with ids in (after, upto] that have any."""
    return store.conn.execute("SELECT passage_id, reports FROM reuse_counts WHERE passage_id > ? AND passage_id <= ?",
                              (after, upto)).fetchall()


def counts_of(store: Store, ids: list[int]) -> dict[int, int]:
    """Other reports holding each of the given passages, for those that have any (ids however far apart)."""
    return dict(store.conn.execute("SELECT passage_id, reports FROM reuse_counts WHERE passage_id IN "
                                   "(SELECT value FROM json_each(?))", (json.dumps([int(i) for i in ids]),)))


def changed(store: Store, after: int, upto: int) -> list[tuple[int, int]]:
    """(passage id, other reports holding it) of every passage whose count moved while the mark went from
    ``after`` to ``upto`` (within one ``epoch``), ascending: the reused passages in between, and the earlier
    passages they match (each now held by one more report). A copy of the counts kept elsewhere (a search
    cluster's documents) is brought up to date from these alone, not from every count."""
    return store.conn.execute(
        "SELECT passage_id, reports FROM reuse_counts WHERE (passage_id > ? AND passage_id <= ?) OR passage_id IN "
        "(SELECT other_passage_id FROM passage_reuse WHERE passage_id > ? AND passage_id <= ?) ORDER BY passage_id",
        (after, upto, after, upto)).fetchall()


def detail(store: Store, report_id: str) -> dict:
    """A 查重 report: the share of the text found elsewhere, and each shared passage beside its sources,
    earliest first (unknown years last)."""
    report = store.report(report_id)
    found = store.conn.execute(
        "SELECT p.passage_no, op.report_id, op.passage_no, r.similarity, orep.year, orep.title, op.text "
        "FROM passages p JOIN passage_reuse r ON r.passage_id = p.id JOIN passages op ON op.id = r.other_passage_id "
        "JOIN reports orep ON orep.report_id = op.report_id WHERE p.report_id = ? AND op.report_id != p.report_id "
        "ORDER BY p.passage_no, orep.year IS NULL, orep.year, orep.id", (report_id,)).fetchall()
    also: dict[int, list[dict]] = {}
    for no, rid, other_no, sim, year, title, text in found:
        also.setdefault(no, []).append({"report_id": rid, "passage_no": other_no, "year": year, "title": title,
                                        "similarity": sim, "text": text})
    chars = sum(len(p["text"]) for p in report["passages"]) or 1
    shared = [{"passage_no": p["passage_no"], "section_type": p["section_type"], "text": p["text"],
               "also_in": also[p["passage_no"]]} for p in report["passages"] if p["passage_no"] in also]
    return {"report_id": report_id, "title": report["title"], "year": report["year"], "kind": report["kind"],
            "reuse_ratio": round(sum(len(s["text"]) for s in shared) / chars, 4), "shared": shared}


def most_repeated(store: Store, section_type: str | None = None, limit: int = 30) -> list[dict]:
    """The passages found in the most reports (one representative passage each), optionally of one type."""
    where = "AND p.section_type = ?" if section_type else ""
    args = [section_type] if section_type else []
    rows = store.conn.execute(
        "SELECT p.id, p.report_id, p.passage_no, p.section_type, p.text, count(DISTINCT op.report_id) AS n "
        "FROM passage_reuse r JOIN passages p ON p.id = r.passage_id JOIN passages op ON op.id = r.other_passage_id "
        f"WHERE op.report_id != p.report_id {where} GROUP BY p.id ORDER BY n DESC, p.id LIMIT ?",
        [*args, limit * 8]).fetchall()
    seen: set[int] = set()
    out = []
    for pid, rid, no, stype, text, n in rows:  # a passage and its copies are one entry: the first shown stands
        if pid in seen:
            continue
        seen.update(o for (o,) in store.conn.execute(
            "SELECT other_passage_id FROM passage_reuse WHERE passage_id = ?", (pid,)))
        out.append({"report_id": rid, "passage_no": no, "section_type": stype, "text": text, "reports": n + 1})
        if len(out) >= limit:
            break
    return out
