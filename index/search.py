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

from . import phrase
from .api import Hit, SearchResult, validate_filters, validate_page
from .facets import FacetTable
from .highlight import spans, window
from .indexer import index_dir
from .nearness import nearness
from .query import And, Node, Not, Or, Phrase, QueryError, Words, leaves, parse
from .scoring import Scored, Scorer, intersect, intersect_scored
from .schema import exists as whoosh_exists
from .schema import open_or_create

PHRASE_SCORE = 1.0
PROXIMITY_TOP = 200
SNIPPET_WIDTH = 160


def highlight_terms(tree: Node) -> list[str]:
    """What to mark in a hit: phrases whole, words as jieba cut them; nothing under a NOT."""
    out: list[str] = []
    for leaf, negated in leaves(tree):
        if negated:
            continue
        out.extend([leaf.text] if isinstance(leaf, Phrase) else (leaf.words or [leaf.text]))
    return list(dict.fromkeys(out))


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


class Searcher:
    """The ``local`` engine's ``SearchBackend``: long-lived (one per process); the Whoosh searcher,
    postings and facet data stay warm between queries. It owns its store and closes it."""

    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._ix = None
        self._searcher = None
        self.facet_table = FacetTable()
        self.scorer = Scorer()

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

    def _matches(self, tree: Node, sections, years, kinds) -> tuple[np.ndarray, np.ndarray]:
        """Every matching passage id, filtered, and its score."""
        pids, scores = self._eval(tree)
        keep = self.facet_table.mask(pids, sections, years, kinds)
        if not keep.all():
            pids, scores = pids[keep], scores[keep]
        return pids, self._reward_proximity(pids, scores, required_terms(tree))

    def _ranked(self, pids: np.ndarray, scores: np.ndarray, k: int) -> list[int]:
        """The best k: score, then newer year, then archive order."""
        if k <= 0:  # a page of no hits (limit 0): the total and the facets only
            return []
        if k < len(pids):
            cut = np.argpartition(-scores, k - 1)[:k]
            threshold = scores[cut].min()
            chosen = np.flatnonzero(scores >= threshold)  # keep every tie at the edge
            pids, scores = pids[chosen], scores[chosen]
        years = self.facet_table.year[pids]
        order = np.lexsort((pids, -years, -scores))
        return pids[order][:k].tolist()

    # -- the interface -------------------------------------------------------

    def search(self, text: str, *, sections=(), years=(), kinds=(), offset: int = 0, limit: int = 10) -> SearchResult:
        started = time.perf_counter()
        validate_page(offset, limit)
        validate_filters(sections, years, kinds)
        tree = parse(text)
        with self._lock:
            self._refresh()
            pids, scores = self._matches(tree, sections, years, kinds)
            facets = self.facet_table.counts(pids)
            page = self._ranked(pids, scores, offset + limit)[offset:]
            by_pid = dict(zip(page, scores[np.searchsorted(pids, page)].tolist())) if page else {}
            needles = highlight_terms(tree)
            hits = self._hits(page, by_pid, needles)
        return SearchResult(text, len(pids), offset, hits, facets,
                            (time.perf_counter() - started) * 1000, needles)

    def ids(self, text: str, *, sections=(), years=(), kinds=()) -> list[int]:
        """Every matching passage id, best first (for export)."""
        validate_filters(sections, years, kinds)
        tree = parse(text)
        with self._lock:
            self._refresh()
            pids, scores = self._matches(tree, sections, years, kinds)
            return self._ranked(pids, scores, len(pids))

    def count(self, text: str, *, sections=(), years=(), kinds=()) -> int:
        return self.search(text, sections=sections, years=years, kinds=kinds, limit=0).total

    def facets(self, text: str, *, sections=(), years=(), kinds=()) -> dict[str, dict[str, int]]:
        return self.search(text, sections=sections, years=years, kinds=kinds, limit=0).facets

    def query_terms(self, text: str) -> list[str]:
        if not text or not text.strip():
            return []
        try:
            return highlight_terms(parse(text))
        except QueryError:
            return []

    def warm_up(self) -> None:
        self.search("报告", limit=1)

    def _hits(self, page: list[int], scores: dict[int, float], needles: list[str]) -> list[Hit]:
        rows = self.store.hit_rows(page)
        hits = []
        for pid in page:
            _, rid, title, year, kind, stype, heading, no, text = rows[pid]
            found = spans(text, needles)
            hits.append(Hit(rid, title, year, kind, stype, heading, no, text, found,
                            window(text, found, SNIPPET_WIDTH), round(scores[pid], 4)))
        return hits
