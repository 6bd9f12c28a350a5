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
import queue
import shutil
import threading
import time
import traceback
from collections import deque
from pathlib import Path

import numpy as np

from archive.errors import ArchiveError, Busy
from archive.proc import default_workers, die_with_parent
from archive.store import Store
from archive.text import fold

from . import phrase
from .api import CatchUp, SyncReport, id_differences
from .analysis import index_words
from .schema import exists as whoosh_exists
from .schema import live_pids, open_or_create
from .segments import SegmentBuilder, supported
from .whoosh_internals import toc_segments

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


def pending(store: Store) -> int:
    """Passages the archive holds that the index does not yet (0 when in step)."""
    if not phrase.exists(store.conn) or not whoosh_exists(index_dir(store)):
        return store.passage_count()
    low = min(phrase.high_water(store.conn), whoosh_mark(open_or_create(index_dir(store))))
    return store.passage_count(after=low, upto=store.max_passage_id())


def _rows(store: Store, after: int):
    """Passages above a mark, with their report's metadata, in id order, a chunk at a time."""
    last = after
    while rows := store.passages_after(last, CHUNK):
        yield rows
        last = rows[-1][0]


def _rows_by_id(store: Store, pids: list[int]):
    for i in range(0, len(pids), CHUNK):
        yield store.passages_by_id(pids[i:i + CHUNK])


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
    small = {s.segment_id() for s in toc_segments(ix) if s.doc_count_all() < SMALL_SEGMENT}
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
    count = workers if workers is not None else default_workers()
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
    todo = store.passage_count(after=min(fts_mark, w_mark))
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
    truth = store.passage_ids()
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
        problems += id_differences(name, truth, set(ids))
    return problems


def catch_up(store: Store) -> CatchUp:
    """Repair an index an interrupted import left behind, if no import holds the archive now.

    A search or a server start runs this before answering; it never waits for
    the writer lock: a running import keeps the index in step itself.
    """
    try:
        with store.writer_lock(wait=0.0):
            behind, report = repair(store)
            return CatchUp(behind, report)
    except Busy:
        return CatchUp(busy=True)
    except ArchiveError as exc:
        return CatchUp(error=str(exc))


def stats(store: Store) -> dict:
    path = index_dir(store)
    size = sum(p.stat().st_size for p in path.glob("*") if p.is_file()) if path.exists() else 0
    return {"index_bytes": size, "index_pending": pending(store)}


class LocalIndex:
    """The ``local`` engine's ``IndexMaintenance``: Whoosh segments and FTS5 tables beside the archive."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def sync(self) -> SyncReport:
        return sync(self.store)

    def catch_up(self) -> CatchUp:
        return catch_up(self.store)

    def rebuild(self) -> SyncReport:
        return rebuild(self.store)

    def check(self) -> list[str]:
        return check(self.store)

    def pending(self) -> int:
        return pending(self.store)

    def stats(self) -> dict:
        return stats(self.store)

    def files(self) -> Path:
        """Where the index lives on disk (a backup copies it)."""
        return index_dir(self.store)
