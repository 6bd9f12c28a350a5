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
from dataclasses import asdict, dataclass, field

import numpy as np
from archive.errors import ArchiveError
from archive.model import KINDS, SECTION_TYPES
from archive.store import Store
from archive.text import fold

from . import phrase
from .analysis import query_words
from .facets import UNKNOWN_YEAR, FacetTable
from .highlight import snippet
from .indexer import index_dir
from .nearness import nearness
from .query import And, Node, Not, Or, Phrase, QueryError, Words, leaves, parse
from .scoring import Scored, Scorer, intersect, intersect_scored
from .schema import exists as whoosh_exists
from .schema import open_or_create

MAX_LIMIT = 100
MAX_OFFSET = 10_000
PHRASE_SCORE = 1.0
PROXIMITY_TOP = 200


@dataclass
class Hit:
    report_id: str
    title: str
    year: int | None
    kind: str
    section_type: str
    section_heading: str
    passage_no: int
    text: str
    snippet_html: str
    url: str
    score: float = 0.0


@dataclass
class SearchResult:
    query: str
    total: int
    offset: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    took_ms: float = 0.0
    terms: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"query": self.query, "total": self.total, "offset": self.offset,
                "hits": [{k: v for k, v in asdict(h).items() if k != "score"} for h in self.hits],
                "facets": self.facets, "took_ms": round(self.took_ms, 2), "terms": self.terms}


def highlight_terms(tree: Node) -> list[str]:
    """What to mark in a hit: phrases whole, words as jieba cut them; nothing under a NOT."""
    out: list[str] = []
    for leaf, negated in leaves(tree):
        if negated:
            continue
        out.extend([leaf.text] if isinstance(leaf, Phrase) else (query_words(leaf.text) or [leaf.text]))
    return list(dict.fromkeys(out))


def required_terms(tree: Node) -> list[str]:
    """The folded words and phrases every hit holds (a lone term, or the terms of the top-level AND): what
    proximity is judged on. Terms inside an OR or under a NOT need not be there, so they do not count."""
    nodes = tree.children if isinstance(tree, And) else (tree,)
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Words):
            out.extend(query_words(node.text) or [fold(node.text)])
        elif isinstance(node, Phrase):
            out.append(fold(node.text))
    return [t for t in dict.fromkeys(out) if t]


def validate_filters(sections=(), years=(), kinds=()) -> None:
    """Unknown facet values are the user's typo, not an empty result: say so."""
    for s in sections:
        if s not in SECTION_TYPES:
            raise QueryError(f"unknown section type {s!r}; choose from {', '.join(SECTION_TYPES)}")
    for y in years:
        if y != UNKNOWN_YEAR and not (str(y).isdigit() and 1900 <= int(y) <= 2100):
            raise QueryError(f"not a year: {str(y)[:20]!r} (use a year such as 2023, or {UNKNOWN_YEAR})")
    for k in kinds:
        if k not in KINDS:
            raise QueryError(f"unknown kind {k[:20]!r}; choose from {', '.join(KINDS)}")


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
    """Long-lived (one per process): Whoosh searcher, postings and facet data stay warm between queries."""

    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._ix = None
        self._searcher = None
        self.facets = FacetTable()
        self.scorer = Scorer()

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()

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
        self.facets.refresh(self.store.conn)

    # -- evaluation ----------------------------------------------------------

    def _phrase(self, text: str) -> Scored:
        pids = phrase.find(self.store.conn, text)
        return pids, np.full(len(pids), PHRASE_SCORE)

    def _words(self, text: str) -> Scored:
        words = list(dict.fromkeys(query_words(text)))
        if not words:  # only punctuation or symbols: look for them literally
            return self._phrase(text)
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
        rows = dict(self.store.conn.execute(f"SELECT id, text FROM passages WHERE id IN ({','.join('?' * k)})",
                                            wanted).fetchall())
        scores = scores.copy()  # the scorer's arrays are shared between queries
        scores[top] *= 1.0 + nearness([rows.get(pid, "") for pid in wanted], terms)
        return scores

    def _eval(self, node: Node) -> Scored:
        if isinstance(node, Words):
            return self._words(node.text)
        if isinstance(node, Phrase):
            return self._phrase(node.text)
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
        raise QueryError("a query cannot only exclude: add a word or phrase to search for")

    def _matches(self, tree: Node, sections, years, kinds) -> tuple[np.ndarray, np.ndarray]:
        """Every matching passage id, filtered, and its score."""
        pids, scores = self._eval(tree)
        keep = self.facets.mask(pids, sections, years, kinds)
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
        years = self.facets.year[pids]
        order = np.lexsort((pids, -years, -scores))
        return pids[order][:k].tolist()

    # -- the interface -------------------------------------------------------

    def search(self, text: str, *, sections=(), years=(), kinds=(), offset: int = 0, limit: int = 10,
               snippet_width: int = 160) -> SearchResult:
        started = time.perf_counter()
        if not (0 <= offset <= MAX_OFFSET):
            raise QueryError(f"offset must be between 0 and {MAX_OFFSET:,}")
        if not (0 <= limit <= MAX_LIMIT):
            raise QueryError(f"limit must be between 0 and {MAX_LIMIT}")
        validate_filters(sections, years, kinds)
        tree = parse(text)
        with self._lock:
            self._refresh()
            pids, scores = self._matches(tree, sections, years, kinds)
            facets = self.facets.counts(pids)
            page = self._ranked(pids, scores, offset + limit)[offset:]
            by_pid = dict(zip(page, scores[np.searchsorted(pids, page)].tolist())) if page else {}
            needles = highlight_terms(tree)
            hits = self._hits(page, by_pid, needles, snippet_width)
        return SearchResult(text, len(pids), offset, hits, facets,
                            (time.perf_counter() - started) * 1000, needles)

    def all_ids(self, text: str, *, sections=(), years=(), kinds=()) -> list[int]:
        """Every matching passage id, best first (for export)."""
        validate_filters(sections, years, kinds)
        tree = parse(text)
        with self._lock:
            self._refresh()
            pids, scores = self._matches(tree, sections, years, kinds)
            return self._ranked(pids, scores, len(pids))

    def _hits(self, page: list[int], scores: dict[int, float], needles: list[str], width: int) -> list[Hit]:
        if not page:
            return []
        marks = ",".join("?" * len(page))
        rows = {r[0]: r for r in self.store.conn.execute(
            "SELECT p.id, p.report_id, r.title, r.year, r.kind, p.section_type, p.heading, p.passage_no, p.text "
            f"FROM passages p JOIN reports r ON r.report_id = p.report_id WHERE p.id IN ({marks})", page)}
        hits = []
        for pid in page:
            _, rid, title, year, kind, stype, heading, no, text = rows[pid]
            hits.append(Hit(rid, title, year, kind, stype, heading, no, text, snippet(text, needles, width),
                            f"/r/{rid}#p{no}", round(scores[pid], 4)))
        return hits
