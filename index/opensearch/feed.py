"""Keeping an archive's OpenSearch index in step with the record: the ``opensearch`` engine's
``IndexMaintenance``.

Passages are append-only, so the index's largest passage id is its
high-water mark, as it is for the local engine. ``sync`` sends the
passages above it in bulk requests of ``CHUNK``, in id order, each one
finished (every item acknowledged, the ones refused for load retried with
backoff) before the next is sent. A sync killed mid-way therefore leaves
at most one partial chunk above a complete prefix; the next sync finds
the hole (documents at or below the mark fewer than the archive's
passages there), indexes what is missing, and goes on from the mark.
Documents are keyed by passage id, so sending one twice replaces it.
What a document copies from the archive that changes in place (reuse
found later, corrected reports) is sent again after the new passages
(``follow``).

``rebuild`` builds a new index beside the one readers use (no replicas and
no refresh while it fills), then moves the alias to it in one atomic
request and deletes the old one; a rebuild killed half-way leaves an
orphan that the next rebuild deletes. Measured on one local node (2
cores): about 2,000 passages a second, most of it jieba in this process.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from pathlib import Path

from archive import reused
from archive.errors import ArchiveError, Busy
from archive.proc import default_workers, die_with_parent
from archive.store import Store
from archive.text import fold

from ..analysis import index_words
from ..api import CatchUp, SyncReport, id_differences
from . import follow
from .cluster import (
    MAPPING_VERSION,
    ClusterError,
    Target,
    alias_file,
    all_ids,
    client,
    current_index,
    index_version,
    mapping,
    record_state,
    shard_settings,
    unreachable,
)

#: Passages per bulk request (about 1 MB of JSON at the archive's mean passage of 190 characters).
CHUNK = 1000
#: Below this many passages to index, this process analyses them itself (starting workers costs more).
PARALLEL_FROM = 3000
#: Attempts of one bulk request while the cluster answers 429 (too busy) or 5xx, waiting 0.5, 1, 2 … s.
ATTEMPTS = 8
BACKOFF = 0.5
MAX_WAIT = 30.0


def document(hit_row: tuple, facet_row: tuple, reused_by: int = 0) -> dict:
    """One passage as the index holds it (``hit_row`` from ``Store.hit_rows``, ``facet_row`` from
    ``Store.facet_rows``, ``reused_by`` other reports holding it, from ``reused.counts``)."""
    pid, report_id, title, year, kind, section_type, heading, passage_no, text = hit_row[:9]
    role, level, region = facet_row[6:9]
    folded = fold(text)
    return {"pid": pid, "report": facet_row[4], "report_id": report_id, "title": title, "year": year or 0,
            "unknown_year": 0 if year else 1, "kind": kind, "section_type": section_type, "heading": heading,
            "passage_no": passage_no, "length": facet_row[5], "role": role, "level": level, "region": region,
            "reused": min(reused_by, follow.REUSE_CAP), "copy_id": hit_row[12], "text": text, "chars": folded,
            "words": " ".join(index_words(folded))}


def rows_of(store: Store, ids: list[int]) -> list[tuple[tuple, tuple, int]]:
    """(hit row, facet row, reuse count) of passages ``ids`` (ascending, however far apart), read through
    the store's read API."""
    hits = store.hit_rows(ids)
    facets = {row[0]: row for row in store.facet_rows_of(ids)}
    counts = reused.counts_of(store, ids)
    return [(hits[pid], facets[pid], counts.get(pid, 0)) for pid in ids if pid in hits and pid in facets]


def analyse(rows: list[tuple[tuple, tuple, int]]) -> list[dict]:
    """The CPU-bound part (folding, jieba): pure, so worker processes run it."""
    return [document(*row) for row in rows]


def documents(store: Store, ids: list[int]) -> list[dict]:
    return analyse(rows_of(store, ids))


def _worker_init() -> None:
    die_with_parent()


def _retryable(status) -> bool:
    return status == 429 or (isinstance(status, int) and status >= 500)


def bulk(es, index: str, docs: list[dict], target: Target) -> None:
    """Index ``docs`` completely or raise: the items refused with 429/5xx (and whole requests failing so) are
    sent again after a growing wait; any other refusal is an error naming the passage."""
    from opensearchpy.exceptions import ConnectionError as NoConnection
    from opensearchpy.exceptions import TransportError

    todo = docs
    for attempt in range(ATTEMPTS):
        body = []
        for doc in todo:
            body.append({"index": {"_index": index, "_id": str(doc["pid"]), "routing": doc["report_id"]}})
            body.append(doc)
        try:
            answer = es.bulk(body=body)
        except NoConnection as exc:
            if attempt == ATTEMPTS - 1:
                raise unreachable(target, exc) from exc
            answer = None
        except TransportError as exc:
            if not _retryable(exc.status_code):
                raise ClusterError(f"OpenSearch at {target.url} refused a bulk request: {exc}") from exc
            answer = None
        if answer is not None:
            if not answer.get("errors"):
                return
            again = []
            for doc, item in zip(todo, answer["items"]):
                result = item["index"]
                if result.get("status", 200) < 300:
                    continue
                if not _retryable(result.get("status")):
                    raise ClusterError(f"OpenSearch refused passage {doc['pid']}: {result.get('error')}")
                again.append(doc)
            todo = again
            if not todo:
                return
        if attempt < ATTEMPTS - 1:
            time.sleep(min(MAX_WAIT, BACKOFF * 2 ** attempt))
    raise ClusterError(f"OpenSearch at {target.url} stayed too busy to take {len(todo)} passages "
                       f"after {ATTEMPTS} attempts; run the command again to finish")


class ClusterIndex:
    """The ``opensearch`` engine's ``IndexMaintenance`` for one archive."""

    def __init__(self, store: Store, url: str | None = None, index: str | None = None) -> None:
        self.store = store
        self.target = Target.of(store, url, index)
        self.es = client(self.target.url)

    def _call(self, fn, *args, **kwargs):
        from opensearchpy.exceptions import ConnectionError as NoConnection

        try:
            return fn(*args, **kwargs)
        except NoConnection as exc:
            raise unreachable(self.target, exc) from exc

    # -- the index and its mark ----------------------------------------------

    def _current(self) -> str | None:
        return self._call(current_index, self.es, self.target.alias)

    def _create(self, *, building: bool) -> str:
        """A new, empty index (while ``building``: no replicas, no refresh, the alias not moved yet), whose
        documents will be read from the archive as it is now (the caller holds the writer lock)."""
        shards, replicas = shard_settings()
        body = mapping(shards, 0 if building else replicas, follow.archive_state(self.store))
        if building:
            body["settings"]["index"]["refresh_interval"] = "-1"
        name = self.target.new_index_name()
        self._call(self.es.indices.create, index=name, body=body)
        return name

    def _mark(self, index: str) -> int:
        answer = self.es.search(index=index, body={"size": 0, "aggs": {"top": {"max": {"field": "pid"}}}})
        return int(answer["aggregations"]["top"]["value"] or 0)

    def _count_upto(self, index: str, mark: int) -> int:
        return self.es.count(index=index, body={"query": {"range": {"pid": {"lte": mark}}}})["count"]

    def _send(self, index: str, chunks, todo: int) -> int:
        """Analyse and bulk-index chunks of passage ids, in order; how many were sent. With ``PARALLEL_FROM``
        passages or more to do, worker processes (one per core) fold and segment while this process reads
        the archive and sends bulk requests (SQLite stays in this thread); a few chunks are in flight, so
        memory stays flat."""
        sent = 0
        workers = default_workers() if todo >= PARALLEL_FROM else 1
        if workers <= 1:
            for ids in chunks:
                bulk(self.es, index, documents(self.store, ids), self.target)
                sent += len(ids)
            return sent
        with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_init) as pool:
            in_flight: deque = deque()

            def finish_one() -> int:
                ids, pending = in_flight.popleft()
                bulk(self.es, index, pending.get(), self.target)
                return len(ids)

            for ids in chunks:
                in_flight.append((ids, pool.apply_async(analyse, (rows_of(self.store, ids),))))
                while len(in_flight) > 2 * workers:
                    sent += finish_one()
            while in_flight:
                sent += finish_one()
        return sent

    def _send_ids(self, index: str, ids: list[int]) -> int:
        return self._send(index, (ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)), len(ids))

    def _above(self, mark: int):
        """Chunks of the ids of passages above ``mark``, ascending."""
        last = mark
        while rows := self.store.passages_after(last, CHUNK):
            ids = [row[0] for row in rows]
            yield ids
            last = ids[-1]

    def _feed(self, index: str, above: int, report: SyncReport) -> None:
        report.added_words += self._send(index, self._above(above), self.store.passage_count(after=above))
        report.added_phrase = report.added_words

    def _fill_holes(self, index: str, mark: int, report: SyncReport) -> None:
        """Passages at or below the mark that a killed sync did not finish: index the missing ones."""
        self.es.indices.refresh(index=index)
        if self._count_upto(index, mark) == self.store.passage_count(upto=mark):
            return
        held = set(all_ids(self.es, index, self.target))
        missing = sorted(pid for pid in self.store.passage_ids() if pid <= mark and pid not in held)
        report.added_words += self._send_ids(index, missing)
        report.added_phrase = report.added_words

    def _follow(self, index: str, report: SyncReport) -> None:
        """Send again the documents whose values moved in the archive after they were sent (reuse counts,
        reports edited in place), then record in the index the state they now reflect."""
        held, state, again = self._call(follow.plan, self.es, index, self.store, self.target)
        if state != held:
            report.refreshed += self._send_ids(index, again)
            self._call(record_state, self.es, index, state)

    def sync(self) -> SyncReport:
        """Index every passage above the mark (creating the index, or rebuilding one of another mapping
        version, first). The caller holds the archive's writer lock."""
        started = time.monotonic()
        index = self._current()
        if index is not None and self._call(index_version, self.es, index) != MAPPING_VERSION:
            return self.rebuild()
        if index is None:
            index = self._create(building=False)
            self._call(self.es.indices.put_alias, index=index, name=self.target.alias)
        self.target.remember(self.store)
        report = SyncReport()
        self.es.indices.refresh(index=index)
        mark = self._mark(index)
        self._fill_holes(index, mark, report)
        self._feed(index, mark, report)
        self.es.indices.refresh(index=index)
        self._follow(index, report)
        if report.refreshed:
            self.es.indices.refresh(index=index)
        report.seconds = time.monotonic() - started
        return report

    def rebuild(self) -> SyncReport:
        """Index the whole archive into a new index, then point the alias at it atomically."""
        started = time.monotonic()
        old = self._current()
        for name in self._call(self.es.indices.get, index=f"{self.target.alias}-m*"):
            if name != old:  # left by a rebuild that was killed
                self.es.indices.delete(index=name)
        index = self._create(building=True)
        report = SyncReport()
        self._feed(index, 0, report)
        _, replicas = shard_settings()
        self.es.indices.put_settings(index=index, body={"index": {"refresh_interval": None,
                                                                  "number_of_replicas": replicas}})
        self.es.indices.refresh(index=index)
        actions = [{"add": {"index": index, "alias": self.target.alias}}]
        if old:
            actions.insert(0, {"remove": {"index": old, "alias": self.target.alias}})
        self.es.indices.update_aliases(body={"actions": actions})
        self.target.remember(self.store)
        if old:
            self.es.indices.delete(index=old)
        report.seconds = time.monotonic() - started
        return report

    # -- reading the state -----------------------------------------------------

    def _state(self) -> tuple[str | None, str]:
        """(the index behind the alias, or None; a problem with it, or "")."""
        index = self._current()
        if index is None:
            return None, f"the OpenSearch index {self.target.alias} is missing (run 'archive reindex')"
        version = self._call(index_version, self.es, index)
        if version != MAPPING_VERSION:
            return index, (f"the OpenSearch index {self.target.alias} was built with mapping version {version}, "
                           f"this archive uses {MAPPING_VERSION} (run 'archive reindex')")
        return index, ""

    def pending(self) -> int:
        index, problem = self._state()
        if problem:
            return self.store.passage_count()
        self.es.indices.refresh(index=index)
        return self.store.passage_count(after=self._mark(index))

    def catch_up(self) -> CatchUp:
        """Repair an index an interrupted import left behind (or of another mapping version, or whose documents
        do not yet reflect changes in place), unless an import holds the archive now (it keeps the index in
        step itself)."""
        try:
            with self.store.writer_lock(wait=0.0):
                index, problem = self._state()
                behind = self.store.passage_count() if problem else self.pending()
                if not behind and not problem and not self._call(follow.stale, self.es, index, self.store):
                    return CatchUp()
                return CatchUp(behind, self.sync())
        except Busy:
            return CatchUp(busy=True)
        except ArchiveError as exc:
            return CatchUp(error=str(exc))

    def check(self) -> list[str]:
        """Passages missing from, or stale in, the index; a missing index or another mapping version; documents
        that do not yet reflect reuse found or reports edited after they were sent."""
        truth = self.store.passage_ids()
        index, problem = self._state()
        if problem:
            return [f"index: {problem}"] if truth or index else []
        self.es.indices.refresh(index=index)
        problems = id_differences("OpenSearch index", truth, set(self._call(all_ids, self.es, index, self.target)))
        if self._call(follow.stale, self.es, index, self.store):
            problems.append(f"index: the OpenSearch index {self.target.alias} does not yet reflect the reuse found or "
                            "the reports edited since it was fed (the next import or search brings it up to date)")
        return problems

    def stats(self) -> dict:
        """Cluster health, the index's documents and size (primaries and replicas), passages pending."""
        health = self._call(self.es.cluster.health)
        out = {"engine": "opensearch", "opensearch_url": self.target.url, "opensearch_alias": self.target.alias,
               "cluster_status": health["status"], "cluster_nodes": health["number_of_nodes"]}
        index, problem = self._state()
        if index:
            numbers = self.es.indices.stats(index=index, metric="docs,store")["indices"][index]
            out.update(opensearch_index=index, mapping_version=self._call(index_version, self.es, index),
                       index_docs=numbers["primaries"]["docs"]["count"],
                       index_bytes=numbers["total"]["store"]["size_in_bytes"],
                       index_primary_bytes=numbers["primaries"]["store"]["size_in_bytes"])
        else:
            out.update(index_docs=0, index_bytes=0)
        out["index_pending"] = self.pending()
        if problem:
            out["index_problem"] = problem
        return out

    def files(self) -> Path:
        """What a backup copies: the index lives in the cluster; the folder only names its alias."""
        return alias_file(self.store).parent

    def close(self) -> None:
        self.es.close()
