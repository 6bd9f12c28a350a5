"""Search: the narrow interface the CLI, the JSON API and the web UI share.

A query tree is evaluated leaf by leaf into arrays of passage ids and
scores: words through the Whoosh index (BM25F over its postings, see
``scoring``), exact phrases through the FTS5 tables. Arrays combine by
AND/OR/NOT, facets filter and count the whole result set, the best few
hundred gain a bonus when the query's terms stand close together, and only
the page of hits is read back from SQLite for snippets.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from archive.errors import ArchiveError
from archive.store import Store

from . import cursor, phrase
from .api import (
    HITS_PER_REPORT,
    MAX_TREND_QUERIES,
    Answers,
    Hit,
    ReportHit,
    SearchResult,
    Series,
    Trend,
    filter_map,
    validate_hide,
    validate_page,
)
from .facets import FacetTable
from .highlight import spans, window
from .indexer import index_dir
from .nearness import nearness
from .query import And, Node, Not, Or, Phrase, QueryError, Words, highlight_terms, parse
from .schema import exists as whoosh_exists
from .schema import open_or_create
from .scoring import Scored, Scorer, intersect, intersect_scored

PHRASE_SCORE = 1.0
PROXIMITY_TOP = 200
SNIPPET_WIDTH = 160


def required_terms(tree: Node) -> list[str]:
    """The folded words and phrases every hit holds (a lone term, or the terms of the top-level AND): what
    proximity is judged on. Terms inside an OR or under a NOT need not be there, so they do not count."""
    nodes = tree.children if isinstance(tree, And) else (tree,)
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Words):
            out.extend(node.words or [node.folded])
        elif isinstance(node, Phrase):
            out.append(node.folded)
    return [t for t in dict.fromkeys(out) if t]


_EMPTY: Scored = (np.empty(0, np.int64), np.empty(0, np.float64))


def _union(parts: list[Scored]) -> Scored:
    pids = np.concatenate([p for p, _ in parts])
    scores = np.concatenate([s for _, s in parts])
    unique, inverse = np.unique(pids, return_inverse=True)
    return unique, np.bincount(inverse, weights=scores, minlength=len(unique))


def _without(a: Scored, b: Scored) -> Scored:
    keep = np.ones(len(a[0]), dtype=bool)
    keep[intersect(a[0], b[0])[1]] = False
    return a[0][keep], a[1][keep]


class Searcher(Answers):
    """The ``local`` engine's ``SearchBackend``: long-lived (one per process); the Whoosh searcher,
    postings and facet data stay warm between queries. It owns its store and closes it."""

    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._ix = None
        self._searcher = None
        self.facet_table = FacetTable()
        self.scorer = Scorer()
        self._browse: dict[tuple, dict] = {}  # report facets of browsing, per filters, for one archive state
        self._browse_top: tuple = ()

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        self.store.close()

    def _refresh(self) -> None:
        """Pick up new commits (an import running beside the server) without a restart."""
        path = index_dir(self.store)
        if self._ix is None:
            if not whoosh_exists(path):
                raise ArchiveError("the archive has no search index yet: run 'archive reindex'")
            self._ix = open_or_create(path)
            self._searcher = self._ix.searcher()
        elif not self._searcher.up_to_date():
            if self._searcher.reader().segments() is None:  # the reader of an empty index cannot be reused
                self._searcher.close()
                self._searcher = self._ix.searcher()
            else:
                self._searcher = self._searcher.refresh()
        self.scorer.bind(self._searcher)
        self.facet_table.refresh(self.store)

    # -- evaluation ----------------------------------------------------------

    def _phrase(self, folded: str) -> Scored:
        pids = phrase.find(self.store.conn, folded)
        return pids, np.full(len(pids), PHRASE_SCORE)

    def _words(self, node: Words) -> Scored:
        words = list(dict.fromkeys(node.words))
        if not words:  # only punctuation or symbols: look for them literally
            return self._phrase(node.folded)
        return self.scorer.all_words(words)

    def _reward_proximity(self, pids: np.ndarray, scores: np.ndarray, terms: list[str]) -> np.ndarray:
        """Nearer terms rank higher: among the best hits, scale by how tightly all the terms cluster.

        Judged once on the final result, after AND and the filters, so the
        passages read back are ones that can reach the page.
        """
        if len(terms) < 2 or not len(pids):
            return scores
        k = min(PROXIMITY_TOP, len(pids))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(pids) else np.arange(len(pids))
        wanted = pids[top].tolist()
        rows = self.store.passage_texts(wanted)
        scores = scores.copy()  # the scorer's arrays are shared between queries
        scores[top] *= 1.0 + nearness([rows.get(pid, "") for pid in wanted], terms)
        return scores

    def _eval(self, node: Node) -> Scored:
        if isinstance(node, Words):
            return self._words(node)
        if isinstance(node, Phrase):
            return self._phrase(node.folded)
        if isinstance(node, Or):
            return _union([self._eval(child) for child in node.children])
        if isinstance(node, And):
            positive = [c for c in node.children if not isinstance(c, Not)]
            negative = [c.child for c in node.children if isinstance(c, Not)]
            result = None
            for child in positive:
                scored = self._eval(child)
                result = scored if result is None else intersect_scored(result, scored)
                if not len(result[0]):
                    return _EMPTY
            for child in negative:
                result = _without(result, self._eval(child))
            return result
        raise QueryError("only_exclusion")

    def _matches(self, tree: Node, wanted: dict, unfiltered: list | None = None, hide_common: int = 0
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Every matching passage id, filtered, and its score (``unfiltered`` receives the ids before
        the facet filters, for the facet options). ``hide_common``: leave out passages found in that many
        reports or more (boilerplate)."""
        pids, scores = self._eval(tree)
        if hide_common:
            table = self.facet_table
            keep = table.reused[np.where(pids <= table.top, pids, 0)] + 1 < hide_common
            pids, scores = pids[keep], scores[keep]
        if unfiltered is not None:
            unfiltered.append(pids)
        keep = self.facet_table.mask(pids, wanted)
        if not keep.all():
            pids, scores = pids[keep], scores[keep]
        return pids, self._reward_proximity(pids, scores, required_terms(tree))

    def _facet_options(self, everything: np.ndarray, counts: dict, count, wanted: dict) -> dict:
        """Each facet counted with every filter but its own: what choosing one more value of it (OR) would
        add. Facets without a filter of their own are the result's counts as they are."""
        options = dict(counts)
        for facet, values in wanted.items():
            if values:
                others = {k: (v if k != facet else ()) for k, v in wanted.items()}
                options[facet] = count(everything[self.facet_table.mask(everything, others)])[facet]
        return options

    def _keys(self, pids: np.ndarray, scores: np.ndarray, sort: str) -> list[np.ndarray]:
        """The order of hits as keys, most significant first, smaller first: relevance is score, then
        newer year, then archive order; by year, unknown years come last and score breaks ties."""
        years = self.facet_table.year[pids].astype(np.int64)
        if sort == "relevance":
            return [-scores, -years, pids]
        unknown = (years == 0).astype(np.int64)
        return [unknown, years if sort == "year" else -years, -scores, pids]

    def _best(self, keys: list[np.ndarray], k: int) -> np.ndarray:
        """Positions of the best k by ``keys``, in order. Only candidates that can reach the top k by
        the first key are sorted in full (an exact k-th value keeps every tie at the edge)."""
        n = len(keys[0])
        if k <= 0 or not n:
            return np.empty(0, np.int64)
        chosen = np.arange(n)
        if k < n:
            kth = np.partition(keys[0], k - 1)[k - 1]
            chosen = np.flatnonzero(keys[0] <= kth)
        order = np.lexsort([key[chosen] for key in reversed(keys)])
        return chosen[order][:k]

    def search(self, text: str, *, offset: int = 0, limit: int = 10, sort: str = "relevance",
               group: str = "passage", after: str | None = None, hide_common: int = 0, **filters) -> SearchResult:
        started = time.perf_counter()
        validate_page(offset, limit, sort, group, after)
        validate_hide(hide_common)
        wanted = filter_map(filters)
        tree = parse(text)
        cut = cursor.decode(after, sort, group) if after else None
        with self._lock:
            self._refresh()
            unfiltered: list = []
            pids, scores = self._matches(tree, wanted, unfiltered, hide_common)
            table = self.facet_table
            per_report = table.per_report(pids)
            result = SearchResult(text, len(pids), offset, [], table.counts(pids, per_report),
                                  terms=highlight_terms(tree), total_reports=table.report_count(pids, per_report),
                                  sort=sort, group=group)
            keys = self._keys(pids, scores, sort)
            if group == "report":
                self._report_page(result, pids, scores, keys, offset, limit, cut)
            else:
                self._passage_page(result, pids, scores, keys, offset, limit, cut)
            count = table.report_counts if group == "report" else table.counts
            result.facet_options = self._facet_options(
                unfiltered[0], result.report_facets if group == "report" else result.facets, count, wanted)
        result.took_ms = (time.perf_counter() - started) * 1000
        return result

    def _passage_page(self, result: SearchResult, pids, scores, keys, offset: int, limit: int, cut) -> None:
        if cut is not None:
            later = np.flatnonzero(cursor.after(keys, cut))
            keys = [key[later] for key in keys]
            pids, scores = pids[later], scores[later]
        best = self._best(keys, offset + limit + 1)  # one more: is there a next page?
        page = best[offset:offset + limit]
        result.hits = self._hits(pids[page].tolist(), dict(zip(pids[page].tolist(), scores[page].tolist())),
                                 result.terms)
        if len(best) > offset + limit and len(page):
            result.next = cursor.encode([key[page[-1]] for key in keys], result.sort, result.group)

    def _report_page(self, result: SearchResult, pids, scores, keys, offset: int, limit: int, cut) -> None:
        """Reports in the order of their best passage; each with its match count and best passages.

        No sort of all the hits: within one report the year is one, so its best passage is its highest
        score (the lowest id among equals), and a report's passages are a run of ids, so the hits (in id
        order) fall into runs per report that ``reduceat`` scans. Only the reports are sorted. (Measured
        at 10k reports, a common word's 240k hits: the full sort was most of a grouped query.)
        """
        table = self.facet_table
        result.report_facets = table.report_counts(pids)
        result.reports = []
        if not len(pids):
            return
        reports = table.report[pids]
        if len(reports) > 1 and not (reports[1:] >= reports[:-1]).all():  # runs not in id order: make them so
            perm = np.argsort(reports, kind="stable")
            pids, scores, reports = pids[perm], scores[perm], reports[perm]
            keys = [key[perm] for key in keys]
        n = len(pids)
        starts = np.flatnonzero(np.concatenate(([True], reports[1:] != reports[:-1])))
        counts = np.diff(np.append(starts, n))
        best = np.maximum.reduceat(scores, starts)
        heads = np.minimum.reduceat(np.where(scores == np.repeat(best, counts), np.arange(n), n), starts)
        order = np.lexsort([key[heads] for key in reversed(keys)])  # reports by their best passage
        if cut is not None:
            order = order[cursor.after([key[heads[order]] for key in keys], cut)]
        chosen = order[offset:offset + limit]
        shown: list[list[int]] = []
        for run in chosen.tolist():
            at = np.arange(starts[run], starts[run] + counts[run])
            shown.append(at[np.argsort(-scores[at], kind="stable")[:HITS_PER_REPORT]].tolist())
        page_pids = [int(pids[i]) for its in shown for i in its]
        page_scores = {int(pids[i]): float(scores[i]) for its in shown for i in its}
        by_pid = dict(zip(page_pids, self._hits(page_pids, page_scores, result.terms)))
        for run, its in zip(chosen.tolist(), shown):
            hits = [by_pid[int(pids[i])] for i in its]
            first = hits[0]
            result.reports.append(ReportHit(first.report_id, first.title, first.year, first.kind, int(counts[run]),
                                            hits, first.role, first.level, first.region))
            result.hits.extend(hits)
        if len(order) > offset + limit and len(chosen):
            last = heads[chosen[-1]]
            result.next = cursor.encode([key[last] for key in keys], result.sort, result.group)

    def ids(self, text: str, *, sort: str = "relevance", hide_common: int = 0, **filters) -> list[int]:
        """Every matching passage id, in ``sort`` order (for export)."""
        validate_page(0, 0, sort)
        validate_hide(hide_common)
        wanted = filter_map(filters)
        tree = parse(text)
        with self._lock:
            self._refresh()
            pids, scores = self._matches(tree, wanted, hide_common=hide_common)
            keys = self._keys(pids, scores, sort)
            return pids[np.lexsort(list(reversed(keys)))].tolist() if len(pids) else []


    def trend(self, texts: list[str], **filters) -> Trend:
        texts = [t for t in texts if t and t.strip()]
        if not 1 <= len(texts) <= MAX_TREND_QUERIES:
            raise QueryError("trend_queries", max=MAX_TREND_QUERIES)
        wanted = filter_map(filters)
        trees = [parse(t) for t in texts]
        with self._lock:
            self._refresh()
            table = self.facet_table
            chars = self._cached(("chars", wanted), lambda: table.chars_by_year(self._everything(wanted)))
            axis = list(range(min(chars), max(chars) + 1)) if chars else []
            corpus = np.array([chars.get(y, 0) for y in axis], dtype=np.float64)
            series = []
            for text, tree in zip(texts, trees):
                pids, _ = self._eval(tree)
                pids = pids[table.mask(pids, wanted)]  # (drops ids committed since the refresh, which have no facets)
                pids = pids[~table.copied[pids]]  # the archive's text, not a copy's again
                found, passages, reports = table.by_year(pids)
                at = {int(y): i for i, y in enumerate(found.tolist())}
                p = np.array([passages[at[y]] if y in at else 0 for y in axis], dtype=np.int64)
                r = [int(reports[at[y]]) if y in at else 0 for y in axis]
                per = np.divide(p * 10_000, corpus, out=np.zeros(len(axis)), where=corpus > 0)
                series.append(Series(text, p.tolist(), r, [round(float(v), 4) for v in per]))
        return Trend(axis, [int(c) for c in corpus], series)

    def _everything(self, wanted: dict | None = None) -> np.ndarray:
        """Every passage id the archive holds, narrowed by the filters."""
        table = self.facet_table
        ids = np.flatnonzero(table.report[: table.top + 1])
        return ids[table.mask(ids, wanted)] if wanted else ids

    def _cached(self, key: tuple, compute):
        """A value that depends only on the archive's passages (not on a query), kept until they change."""
        key = tuple(tuple(sorted((f, tuple(sorted(v))) for f, v in k.items())) if isinstance(k, dict) else k
                    for k in key)
        state = (self.facet_table.top, self.facet_table.generation)
        if self._browse_top != state:
            self._browse.clear()
            self._browse_top = state
        if key not in self._browse:
            if len(self._browse) > 256:
                self._browse.clear()
            self._browse[key] = compute()
        return self._browse[key]

    def report_facets(self, **filters) -> dict[str, dict[str, int]]:
        """Reports (not passages) per section type, year and kind over the whole archive, each facet counted
        with the other facets' filters but not its own (what browsing offers). Kept per archive state."""
        wanted = filter_map(filters)
        with self._lock:
            self._refresh()
            table = self.facet_table

            def compute():
                everything = self._everything()
                counts = table.report_counts(everything[table.mask(everything, wanted)])
                return self._facet_options(everything, counts, table.report_counts, wanted)

            return self._cached(("browse", wanted), compute)

    def _hits(self, page: list[int], scores: dict[int, float], needles: list[str]) -> list[Hit]:
        rows = self.store.hit_rows(page)
        hits = []
        for pid in page:
            _, rid, title, year, kind, stype, heading, no, text, role, level, region, copy_id = rows[pid]
            found = spans(text, needles)
            hits.append(Hit(rid, title, year, kind, stype, heading, no, text, found,
                            window(text, found, SNIPPET_WIDTH), round(scores[pid], 4), role, level, region, copy_id))
        return hits
