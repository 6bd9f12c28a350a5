"""Search: the narrow interface the CLI, the JSON API and the web UI share.

A query tree is evaluated leaf by leaf into sets of passage ids: words
through Whoosh (BM25F, with a bonus when the words stand close together),
exact phrases through the FTS5 tables. Sets combine by AND/OR/NOT, facets
filter and count the whole set, and only the page of hits is read back from
SQLite for snippets.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field

import numpy as np
from whoosh import query as wq

from archive.errors import ArchiveError
from archive.model import KINDS, SECTION_TYPES
from archive.store import Store
from archive.text import fold

from . import phrase
from .analysis import query_words
from .facets import UNKNOWN_YEAR, FacetTable
from .highlight import snippet
from .indexer import index_dir
from .query import And, Node, Not, Or, Phrase, QueryError, Words, leaves, parse
from .schema import exists as whoosh_exists
from .schema import open_or_create

MAX_LIMIT = 100
MAX_OFFSET = 10_000
PHRASE_SCORE = 1.0
PROXIMITY_TOP = 200


def proximity(text: str, words: list[str]) -> float:
    """1.0 when the words stand side by side, falling towards 0 as the shortest window holding all grows."""
    positions = []
    for i, w in enumerate(words):
        start = text.find(w)
        while start != -1 and len(positions) < 2000:
            positions.append((start, i, len(w)))
            start = text.find(w, start + 1)
    positions.sort()
    need, have, left, best = len(words), {}, 0, None
    for right, (pos, i, _) in enumerate(positions):
        have[i] = have.get(i, 0) + 1
        while len(have) == need:
            lpos, li, _ = positions[left]
            span = pos + len(words[i]) - lpos
            best = span if best is None else min(best, span)
            have[li] -= 1
            if not have[li]:
                del have[li]
            left += 1
    if best is None:
        return 0.0
    tight = sum(len(w) for w in words)
    return min(1.0, tight / best)


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


class Searcher:
    """Long-lived (one per process): Whoosh searcher and facet data stay warm between queries."""

    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._ix = None
        self._searcher = None
        self.facets = FacetTable()

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
            self._searcher = self._searcher.refresh()
        self.facets.refresh(self.store.conn)

    # -- evaluation ----------------------------------------------------------

    def _words(self, text: str) -> dict[int, float]:
        words = query_words(text)
        if not words:  # only punctuation or symbols: look for them literally
            return dict.fromkeys(phrase.find(self.store.conn, text), PHRASE_SCORE)
        unique = list(dict.fromkeys(words))
        terms = [wq.Term("body", w) for w in unique]
        q = terms[0] if len(terms) == 1 else wq.And(terms)
        results = self._searcher.search(q, limit=None)
        col = self._searcher.reader().column_reader("pid")
        scores = {col[docnum]: score for score, docnum in results.top_n}
        if len(unique) > 1 and scores:
            self._reward_proximity(scores, unique)
        return scores

    def _reward_proximity(self, scores: dict[int, float], words: list[str]) -> None:
        """Nearer words rank higher: among the best BM25 hits, scale by how tightly the words cluster."""
        top = sorted(scores, key=scores.__getitem__, reverse=True)[:PROXIMITY_TOP]
        marks = ",".join("?" * len(top))
        for pid, text in self.store.conn.execute(f"SELECT id, text FROM passages WHERE id IN ({marks})", top):
            scores[pid] *= 1.0 + proximity(fold(text), words)

    def _eval(self, node: Node) -> dict[int, float]:
        if isinstance(node, Words):
            return self._words(node.text)
        if isinstance(node, Phrase):
            return dict.fromkeys(phrase.find(self.store.conn, node.text), PHRASE_SCORE)
        if isinstance(node, Or):
            out: dict[int, float] = {}
            for child in node.children:
                for pid, score in self._eval(child).items():
                    out[pid] = out.get(pid, 0.0) + score
            return out
        if isinstance(node, And):
            positive = [c for c in node.children if not isinstance(c, Not)]
            negative = [c.child for c in node.children if isinstance(c, Not)]
            sets = sorted((self._eval(c) for c in positive), key=len)
            out = dict(sets[0])
            for other in sets[1:]:
                out = {pid: s + other[pid] for pid, s in out.items() if pid in other}
                if not out:
                    return out
            for child in negative:
                excluded = self._eval(child)
                out = {pid: s for pid, s in out.items() if pid not in excluded}
            return out
        raise QueryError("a query cannot only exclude: add a word or phrase to search for")

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
            scores = self._eval(tree)
            ids = self.facets.filter(np.fromiter(scores.keys(), dtype=np.int64, count=len(scores)),
                                     sections, years, kinds)
            facets = self.facets.counts(ids)
            year = self.facets.year
            order = sorted(ids.tolist(), key=lambda pid: (-scores[pid], -int(year[pid]), pid))
            needles = highlight_terms(tree)
            hits = self._hits(order[offset : offset + limit], scores, needles, snippet_width)
        return SearchResult(text, len(order), offset, hits, facets,
                            (time.perf_counter() - started) * 1000, list(dict.fromkeys(needles)))

    def all_ids(self, text: str, *, sections=(), years=(), kinds=()) -> list[int]:
        """Every matching passage id, best first (for export)."""
        validate_filters(sections, years, kinds)
        tree = parse(text)
        with self._lock:
            self._refresh()
            scores = self._eval(tree)
            ids = self.facets.filter(np.fromiter(scores.keys(), dtype=np.int64, count=len(scores)),
                                     sections, years, kinds)
            year = self.facets.year
            return sorted(ids.tolist(), key=lambda pid: (-scores[pid], -int(year[pid]), pid))

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
