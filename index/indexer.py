"""Keep the derived search structures in step with the archive.

Passages are append-only and immutable (a report's id is the hash of its
text), so each structure only needs a high-water mark: the largest passage
id it holds. ``sync`` adds everything above the lowest mark and is safe to
repeat after a crash at any point: FTS rows are written in SQLite
transactions in id order, and the Whoosh segments a sync builds become
visible in one atomic TOC commit (a killed sync leaves files that Whoosh's
next commit deletes). ``rebuild`` starts from nothing; ``check`` compares
id sets.

Indexing is CPU-bound (jieba is most of it), so a large sync runs in one
worker process per core: each folds and segments chunks of passages and
builds whole Whoosh segments (``segments``), while this process writes
the phrase tables. Small segments left by many small imports are folded
into the next sync's segment by indexing their passages again, which
keeps the segment count, and so query cost, bounded.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import shutil
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archive.errors import ArchiveError
from archive.proc import die_with_parent
from archive.store import Store
from archive.text import fold

from . import phrase
from .analysis import index_words
from .schema import exists as whoosh_exists
from .schema import live_pids, open_or_create
from .segments import SegmentBuilder, supported

#: Passages per message to an index worker.
CHUNK = 2000
#: Below this many passages to index, one process does it all (starting workers costs more).
PARALLEL_FROM = 3000
#: A worker closes its segment at this many passages: bounds its memory, whatever the archive's size.
SEGMENT_PASSAGES = 50_000
#: Segments below this size are small; when this many have gathered, a sync folds them into one.
SMALL_SEGMENT = 20_000
MERGE_SMALL_AT = 8


class IndexingFailed(ArchiveError):
    """An index worker died or failed; nothing of its work is visible, the next sync redoes it."""


def index_dir(store: Store) -> Path:
    return store.root / "index"


def whoosh_ids(ix) -> np.ndarray:
    """Passage ids of every live Whoosh document."""
    with ix.reader() as reader:
        parts = [live_pids(sub) for sub, _ in reader.leaf_readers() if sub.doc_count_all()]
    return np.concatenate(parts) if parts else np.empty(0, np.int64)


def whoosh_mark(ix) -> int:
    ids = whoosh_ids(ix)
    return int(ids.max()) if len(ids) else 0


@dataclass
class SyncReport:
    added_phrase: int = 0
    added_words: int = 0
    seconds: float = 0.0
    #: Why the parallel sync failed when ``repair`` finished the work in one process instead.
    workers_failed: str = ""

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
    last = after
    while True:
        rows = store.conn.execute(PASSAGE_ROWS + "WHERE p.id > ? ORDER BY p.id LIMIT ?", (last, CHUNK)).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


PASSAGE_ROWS = ("SELECT p.id, p.text, p.report_id, p.section_type, r.year, r.kind FROM passages p "
                "JOIN reports r ON r.report_id = p.report_id ")


def _rows_by_id(store: Store, pids: list[int]):
    for i in range(0, len(pids), CHUNK):
        some = pids[i:i + CHUNK]
        yield store.conn.execute(PASSAGE_ROWS + f"WHERE p.id IN ({','.join('?' * len(some))}) ORDER BY p.id",
                                 some).fetchall()


def analyse(rows, phrase_above: int, words_above: int):
    """The pure, CPU-bound part of indexing a chunk: fold once, phrase rows and segmented words.

    Returns (phrase rows for passages above ``phrase_above``, documents for
    passages above ``words_above``).
    """
    phrase_rows, docs = [], []
    for pid, text, report_id, section_type, year, kind in rows:
        folded = fold(text)
        if pid > phrase_above:
            phrase_rows.append(phrase.row(pid, folded))
        if pid > words_above:
            docs.append((index_words(folded), {"pid": pid, "report_id": report_id, "section_type": section_type,
                                               "year": str(year) if year else None, "kind": kind}))
    return phrase_rows, docs


class _Builds:
    """Segments built from analysed chunks, closed every ``SEGMENT_PASSAGES``."""

    def __init__(self, ix) -> None:
        self.ix = ix
        self.builder: SegmentBuilder | None = None
        self.done: list = []

    def take(self, job):
        rows, phrase_above, words_above = job
        phrase_rows, docs = analyse(rows, phrase_above, words_above)
        if docs:
            if self.builder is None:
                self.builder = SegmentBuilder(self.ix.storage, self.ix.indexname, self.ix.schema)
            self.builder.add(docs)
            if len(self.builder) >= SEGMENT_PASSAGES:
                self.done.append(self.builder.finish())
                self.builder = None
        return phrase_rows

    def finish(self) -> list:
        if self.builder is not None:
            self.done.append(self.builder.finish())
            self.builder = None
        return self.done


class _Here:
    """Analysis and segment building in this process, for small syncs."""

    def __init__(self, ix) -> None:
        self.builds = _Builds(ix)
        self.results: deque = deque()

    def send(self, job) -> None:
        self.results.append(self.builds.take(job))

    def recv(self):
        return self.results.popleft()

    def finish(self) -> list:
        return self.builds.finish()

    def stop(self) -> None:
        pass


def _worker_main(conn, path: str) -> None:
    die_with_parent()
    jobs: queue.SimpleQueue = queue.SimpleQueue()

    def receive() -> None:
        # Jobs are read as they come, so the parent's send never waits on our reply and deadlocks.
        try:
            while True:
                job = conn.recv()
                jobs.put(job)
                if job is None:
                    return
        except (EOFError, OSError):
            jobs.put(None)

    threading.Thread(target=receive, daemon=True).start()
    try:
        builds = _Builds(open_or_create(Path(path)))
        while (job := jobs.get()) is not None:
            conn.send(("ok", builds.take(job)))
        conn.send(("ok", builds.finish()))
    except BaseException as exc:  # reported to the parent, which raises it
        conn.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


class _Worker:
    """A forked process that analyses chunks and builds segments; answers in the order it is asked."""

    def __init__(self, path: Path) -> None:
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, str(path)), daemon=True)
        self.proc.start()
        child.close()

    def send(self, job) -> None:
        self.conn.send(job)

    def recv(self):
        try:
            status, value = self.conn.recv()
        except EOFError:
            self.proc.join(1)
            raise IndexingFailed(f"indexing stopped: an index worker ended (exit code {self.proc.exitcode}); "
                                 "the archive is intact, run the command again to finish the index") from None
        if status != "ok":
            raise IndexingFailed(f"indexing failed in an index worker: {value}")
        return value

    def finish(self) -> list:
        self.conn.send(None)
        return self.recv()

    def stop(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        self.conn.close()


def _small_segments(ix) -> tuple[list, list[int]]:
    """Small segments to fold into this sync's new ones, and the passages they hold."""
    small = {s.segment_id() for s in ix._read_toc().segments if s.doc_count_all() < SMALL_SEGMENT}
    if len(small) < MERGE_SMALL_AT:
        return [], []
    segments, pids = [], []
    with ix.reader() as reader:
        for sub, _ in reader.leaf_readers():
            if sub.segment().segment_id() in small:
                segments.append(sub.segment())
                pids.extend(live_pids(sub).tolist())
    return segments, sorted(pids)


def _workers(ix, todo: int, workers: int | None):
    count = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if count <= 1 or todo < PARALLEL_FROM or not supported(ix.schema):
        return [_Here(ix)]
    return [_Worker(Path(ix.storage.folder)) for _ in range(count)]


def sync(store: Store, *, workers: int | None = None) -> SyncReport:
    """Index every passage above the marks. The caller holds the archive's writer lock.

    The main process reads passages and writes the phrase tables (SQLite, in
    id order, so their high-water mark stays exact); worker processes fold,
    segment and build Whoosh segments, which one TOC commit at the end makes
    visible all at once.
    """
    started = time.monotonic()
    report = SyncReport()
    conn = store.conn
    phrase.create(conn)
    fts_mark = phrase.high_water(conn)
    ix = open_or_create(index_dir(store))
    if not supported(ix.schema):
        return _sync_with_whoosh_writer(store, ix, fts_mark, report, started)
    w_mark = whoosh_mark(ix)
    todo = conn.execute("SELECT count(*) FROM passages WHERE id > ?", (min(fts_mark, w_mark),)).fetchone()[0]
    merged, redo = _small_segments(ix) if todo else ([], [])
    pool = _workers(ix, todo + len(redo), workers)
    try:
        in_flight: deque = deque()

        def collect() -> None:
            rows = in_flight.popleft().recv()
            if rows:
                with store.transaction():
                    report.added_phrase += phrase.add(conn, rows)

        new = ((rows, fts_mark, w_mark) for rows in _rows(store, min(fts_mark, w_mark)))
        again = ((rows, float("inf"), 0) for rows in _rows_by_id(store, redo))  # words only
        for i, job in enumerate(itertools.chain(new, again)):
            worker = pool[i % len(pool)]
            worker.send(job)
            in_flight.append(worker)
            report.added_words += sum(1 for r in job[0] if r[0] > w_mark)
            while len(in_flight) > 2 * len(pool) - 1:
                collect()
        while in_flight:
            collect()
        built = [segment for worker in pool for segment in worker.finish()]
    finally:
        for worker in pool:
            worker.stop()
    if built:
        gone = {s.segment_id() for s in merged}
        writer = ix.writer()
        writer.commit(mergetype=lambda _w, segments: [s for s in segments if s.segment_id() not in gone] + built)
    report.seconds = time.monotonic() - started
    return report


def _sync_with_whoosh_writer(store: Store, ix, fts_mark: int, report: SyncReport, started: float) -> SyncReport:
    """Whoosh's own writer, for an index whose schema or codec ``segments`` does not write."""
    conn = store.conn
    w_mark = whoosh_mark(ix)
    writer = None
    try:
        for rows in _rows(store, min(fts_mark, w_mark)):
            phrase_rows, docs = analyse(rows, fts_mark, float("inf"))
            if phrase_rows:
                with store.transaction():
                    report.added_phrase += phrase.add(conn, phrase_rows)
            for pid, text, report_id, section_type, year, kind in rows:
                if pid <= w_mark:
                    continue
                if writer is None:
                    writer = ix.writer(limitmb=256)
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


def repair(store: Store) -> tuple[int, SyncReport | None]:
    """(passages the index was behind, the sync that caught up): what a search or a server start runs
    before answering. The caller holds the writer lock.

    When the parallel sync fails (a worker died), this process indexes the passages itself: a reader
    must not stay blind to part of the archive for a fault an ordinary import would report.
    """
    behind = pending(store)
    if not behind and whoosh_exists(index_dir(store)):
        return 0, None
    try:
        return behind, sync(store)
    except IndexingFailed as exc:
        report = sync(store, workers=1)
        report.workers_failed = str(exc).splitlines()[0]
        return behind, report


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
        ids = whoosh_ids(open_or_create(index_dir(store))).tolist()
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
