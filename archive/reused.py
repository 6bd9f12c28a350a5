"""Which passages other reports hold too: kept in the archive, brought up to date after every import.

Reuse is derived from the passages (``reuse.ReuseIndex`` finds them), so it
follows the index's discipline: a high-water mark (``meta.reuse_mark``, the
largest passage id looked at) and one transaction per group of reports
holding their signatures, their matches (both directions) and the new mark.
A killed sync leaves the archive consistent and the next one carries on;
the index itself is rebuilt from the stored signatures (1.1 s for 180k
passages), or only the part of it the new passages can meet.

A passage's reuse is the set of *other reports* holding a near-identical
passage; copies of one report (exact and near duplicates) are one report,
never reuse of each other.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .reuse import SIGNATURE_BYTES, ReuseIndex, prepare
from .store import Store


@dataclass
class ReuseSync:
    reports: int = 0  # reports looked at
    matches: int = 0  # passage pairs found (each counted once)
    seconds: float = 0.0


def mark(store: Store) -> int:
    return store.meta_number("reuse_mark")


def epoch(store: Store) -> int:
    """How many times every match was forgotten and found again (``rebuild``): counts read before a move of
    it cannot be brought up to date by ``changed``."""
    return store.meta_number("reuse_epoch")


def generation(store: Store) -> int:
    """Moves whenever stored reuse changes (new reports reuse earlier passages, a rebuild): readers that keep
    the counts warm read them again, and only them."""
    return store.meta_number("reuse_generation")


def pending(store: Store) -> int:
    return store.passage_count(after=mark(store))


def _index(store: Store, wanted: np.ndarray | None = None) -> ReuseIndex:
    """Every stored signature indexed (or only its keys ``wanted`` meets: ``ReuseIndex.from_signatures``).

    A report's own passages are stored together and numbered in order (its
    copies' passages, which have no signatures, come later), so a passage's
    report and number follow from its id: the signatures are read without
    joining the passages (0.4 s instead of 0.9 s at 10k reports).
    """
    reports = store.conn.execute("SELECT report_id, min(id), min(id) - min(passage_no) FROM passages "
                                 "WHERE copy_id = 0 GROUP BY report_id ORDER BY min(id)").fetchall()
    stored = store.conn.execute("SELECT passage_id, signature FROM reuse_signatures ORDER BY passage_id").fetchall()
    if not stored:
        return ReuseIndex()
    report_ids, firsts, offsets = zip(*reports)
    pids, blobs = zip(*stored)
    del stored
    if set(map(len, blobs)) != {SIGNATURE_BYTES}:
        at = next(i for i, blob in enumerate(blobs) if len(blob) != SIGNATURE_BYTES)
        raise ValueError(f"passage {pids[at]}: a reuse signature is {SIGNATURE_BYTES} bytes, not {len(blobs[at])}")
    pids = np.asarray(pids, dtype=np.int64)
    owners = np.searchsorted(np.asarray(firsts, dtype=np.int64), pids, side="right") - 1
    nos = (pids - np.asarray(offsets, dtype=np.int64)[owners]).astype(np.int32)
    return ReuseIndex.from_arrays(report_ids, owners, nos, b"".join(blobs), wanted=wanted)


def _prepared(store: Store, report_id: str) -> tuple[dict[int, int], list[int], np.ndarray]:
    """A report's passage ids by number, and the numbers and signatures of those long enough to count."""
    rows = store.conn.execute("SELECT id, passage_no, text FROM passages WHERE report_id = ? AND copy_id = 0 "
                              "ORDER BY passage_no", (report_id,)).fetchall()
    return {no: pid for pid, no, _ in rows}, *prepare((no, text) for _, no, text in rows)


#: One transaction writes what reports found until they hold this many pairs (or this many reports): the
#: pages their pairs touch among the earlier passages are written once for all of them. 100 reports into
#: 10,000 synthetic ones (82,000 pairs) spent 2.2 s of 7 s in 97 commits, one per report; a killed sync
#: redoes at most one transaction's reports.
WRITE_PAIRS = 500_000
WRITE_REPORTS = 1000


@dataclass
class _Found:
    """What reports found, not yet written."""

    reports: int = 0
    signed: list[tuple[int, bytes]] = field(default_factory=list)  # (passage id, signature)
    pairs: list[tuple[int, int, float]] = field(default_factory=list)  # both directions
    counted: list[tuple[int, int]] = field(default_factory=list)  # their passages → other reports holding them
    more: Counter[int] = field(default_factory=Counter)  # earlier passages → how many of them hold those too


def sync(store: Store) -> ReuseSync:
    """Find the reuse of every passage above the mark, report by report. The caller holds the writer lock."""
    started = time.monotonic()
    done = ReuseSync()
    low = mark(store)
    if store.max_passage_id() <= low:
        return done
    top = store.max_passage_id()
    # A report's own text only: a copy's passages (archive/copytext.py) are the report too, never reuse of it.
    reports = store.conn.execute("SELECT report_id, max(id) FROM passages WHERE id > ? AND copy_id = 0 "
                                 "GROUP BY report_id ORDER BY min(id)", (low,)).fetchall()
    if not reports:  # only copies' passages above the mark: nothing to look for
        with store.transaction():
            store.set_meta_number("reuse_mark", top)
        return done
    ahead: dict[str, tuple] = {}
    if 2 * store.passage_count(after=low) <= store.passage_count():
        # Fewer new passages than stored ones: their signatures first, so the index keeps only the stored
        # band keys they can meet instead of sorting every key of the archive.
        ahead = {report_id: _prepared(store, report_id) for report_id, _ in reports}
        index = _index(store, np.concatenate([sigs for _, _, sigs in ahead.values()]))
    else:
        index = _index(store)
    # A report's passages are numbered in order and stored together, so passage n has id offset + n: one
    # lookup per report that is matched, not one per match.
    offsets: dict[str, int] = {}

    def offset(report_id: str) -> int:
        if report_id not in offsets:
            offsets[report_id] = store.conn.execute(
                "SELECT min(id) - min(passage_no) FROM passages WHERE report_id = ? AND copy_id = 0",
                (report_id,)).fetchone()[0]
        return offsets[report_id]

    found = _Found()
    for n, (report_id, last) in enumerate(reports, 1):
        ids, nos, sigs = ahead.pop(report_id, None) or _prepared(store, report_id)
        matches = index.add_prepared(report_id, nos, sigs)
        found.reports += 1
        found.signed += [(ids[no], blob) for no, blob in index.signatures_of(report_id)]
        mine: dict[int, set[str]] = {}  # this report's passages → the other reports holding them
        theirs: set[int] = set()  # earlier passages this report holds too
        for m in matches:
            other = offset(m.other_report_id) + m.other_passage_no
            sim = round(float(m.similarity), 4)
            found.pairs += [(ids[m.passage_no], other, sim), (other, ids[m.passage_no], sim)]
            mine.setdefault(ids[m.passage_no], set()).add(m.other_report_id)
            theirs.add(other)
        found.counted += [(pid, len(holders)) for pid, holders in mine.items()]
        found.more.update(theirs)
        if n == len(reports) or len(found.pairs) >= WRITE_PAIRS or found.reports >= WRITE_REPORTS:
            _write(store, found, max(last, low))
            done.reports += found.reports
            done.matches += len(found.pairs) // 2
            found = _Found()
    if mark(store) < top:  # copies' passages above the last report's: looked at, nothing to find
        with store.transaction():
            store.set_meta_number("reuse_mark", top)
    done.seconds = time.monotonic() - started
    return done


def _write(store: Store, found: _Found, upto: int) -> None:
    """One transaction: what the reports found, and the mark past them. Rows go in key order, so each page
    of the tables is written once."""
    with store.transaction():
        store.conn.executemany("INSERT OR REPLACE INTO reuse_signatures VALUES (?, ?)", found.signed)
        store.conn.executemany("INSERT OR REPLACE INTO passage_reuse VALUES (?, ?, ?)", sorted(found.pairs))
        # Counts move by what each report brings: its passages count the reports they match, and each earlier
        # passage it matches is held by one more report (it is new to all of them). Only a later report
        # matches a passage, so the reports' own counts are set before anything is added to them.
        store.conn.executemany("INSERT OR REPLACE INTO reuse_counts VALUES (?, ?)", found.counted)
        store.conn.executemany("INSERT INTO reuse_counts VALUES (?, ?) ON CONFLICT(passage_id) "
                               "DO UPDATE SET reports = reports + excluded.reports", sorted(found.more.items()))
        store.set_meta_number("reuse_mark", upto)
        if found.pairs:
            store.count_up("reuse_generation")


def rebuild(store: Store) -> ReuseSync:
    """Forget every match and signature and find them again (after the rule changes)."""
    with store.transaction():
        store.conn.execute("DELETE FROM passage_reuse")
        store.conn.execute("DELETE FROM reuse_counts")
        store.conn.execute("DELETE FROM reuse_signatures")
        store.conn.execute("DELETE FROM meta WHERE key = 'reuse_mark'")
        store.count_up("reuse_epoch")
        store.count_up("reuse_generation")
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
