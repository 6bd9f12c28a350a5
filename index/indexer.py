"""Keep the derived search structures in step with the archive.

Passages are append-only and immutable (a report's id is the hash of its
text), so each structure only needs a high-water mark: the largest passage
id it holds. ``sync`` adds everything above the lowest mark and is safe to
repeat after a crash at any point: FTS rows are written in SQLite
transactions, Whoosh documents are keyed by ``pid`` and a Whoosh commit is
atomic. ``rebuild`` starts from nothing; ``check`` compares id sets.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from archive.store import Store

from . import phrase
from .schema import exists as whoosh_exists
from .schema import open_or_create

CHUNK = 5000
#: Above this many passages, Whoosh indexes in two processes (jieba and postings in parallel).
PARALLEL_FROM = 3000


def index_dir(store: Store) -> Path:
    return store.root / "index"


def whoosh_ids(ix) -> list[int]:
    """Passage ids of every live Whoosh document."""
    with ix.searcher() as s:
        reader = s.reader()
        if reader.doc_count() == 0:
            return []
        col = reader.column_reader("pid")
        return [col[d] for d in reader.all_doc_ids()]


def whoosh_mark(ix) -> int:
    ids = whoosh_ids(ix)
    return max(ids) if ids else 0


@dataclass
class SyncReport:
    added_phrase: int = 0
    added_words: int = 0
    seconds: float = 0.0

    @property
    def added(self) -> int:
        return max(self.added_phrase, self.added_words)


def pending(store: Store) -> int:
    """Passages the archive holds that the index does not yet (0 when in step)."""
    conn = store.conn
    top = conn.execute("SELECT coalesce(max(id), 0) FROM passages").fetchone()[0]
    if not phrase.exists(conn) or not whoosh_exists(index_dir(store)):
        return conn.execute("SELECT count(*) FROM passages").fetchone()[0]
    low = min(phrase.high_water(conn), whoosh_mark(open_or_create(index_dir(store))))
    return conn.execute("SELECT count(*) FROM passages WHERE id > ? AND id <= ?", (low, top)).fetchone()[0]


def _rows(store: Store, after: int):
    """Passages above a mark, with their report's metadata, in id order, a chunk at a time."""
    conn = store.conn
    last = after
    while True:
        rows = conn.execute(
            "SELECT p.id, p.text, p.report_id, p.section_type, r.year, r.kind FROM passages p "
            "JOIN reports r ON r.report_id = p.report_id WHERE p.id > ? ORDER BY p.id LIMIT ?",
            (last, CHUNK)).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def sync(store: Store) -> SyncReport:
    """Index every passage above the marks. The caller holds the archive's writer lock."""
    started = time.monotonic()
    report = SyncReport()
    conn = store.conn
    phrase.create(conn)
    fts_mark = phrase.high_water(conn)
    ix = open_or_create(index_dir(store))
    w_mark = whoosh_mark(ix)
    todo = conn.execute("SELECT count(*) FROM passages WHERE id > ?", (w_mark,)).fetchone()[0]
    procs = 2 if todo >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 else 1
    writer = None
    try:
        for rows in _rows(store, min(fts_mark, w_mark)):
            fresh = [r for r in rows if r[0] > fts_mark]
            if fresh:
                with store.transaction():
                    report.added_phrase += phrase.add(conn, ((r[0], r[1]) for r in fresh))
            for pid, text, report_id, section_type, year, kind in rows:
                if pid <= w_mark:
                    continue
                if writer is None:
                    writer = ix.writer(limitmb=128, procs=procs, multisegment=True) if procs > 1 \
                        else ix.writer(limitmb=256)
                writer.add_document(pid=pid, body=text, report_id=report_id, section_type=section_type,
                                    year=str(year) if year else None, kind=kind)
                report.added_words += 1
        if writer is not None:
            writer.commit()
            writer = None
    finally:
        if writer is not None:
            writer.cancel()
    report.seconds = time.monotonic() - started
    return report


def rebuild(store: Store) -> SyncReport:
    """Drop every derived structure and index the archive again from SQLite."""
    with store.transaction():
        phrase.drop(store.conn)
    path = index_dir(store)
    if path.exists():
        shutil.rmtree(path)
    return sync(store)


def check(store: Store) -> list[str]:
    """Passages missing from, or stale in, each index structure."""
    conn = store.conn
    truth = {r[0] for r in conn.execute("SELECT id FROM passages")}
    problems: list[str] = []
    sets: dict[str, set[int] | list[int]] = {}
    if phrase.exists(conn):
        for table in phrase.TABLES:
            sets[table] = phrase.indexed_ids(conn, table)
    elif truth:
        problems.append("index: the phrase tables are missing (run 'archive reindex')")
    if whoosh_exists(index_dir(store)):
        ids = whoosh_ids(open_or_create(index_dir(store)))
        if len(ids) != len(set(ids)):
            problems.append(f"index: {len(ids) - len(set(ids))} passages indexed twice in the word index")
        sets["word index"] = set(ids)
    elif truth:
        problems.append("index: the word index is missing (run 'archive reindex')")
    for name, ids in sets.items():
        missing = truth - ids
        stale = ids - truth
        if missing:
            problems.append(f"index: {len(missing)} passages missing from the {name} "
                            f"(ids {', '.join(map(str, sorted(missing)[:5]))}…)")
        if stale:
            problems.append(f"index: {len(stale)} stale entries in the {name} that the archive does not hold "
                            f"(ids {', '.join(map(str, sorted(stale)[:5]))}…)")
    return problems
