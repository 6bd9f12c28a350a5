"""The search interface: the one module the CLI and the web UI import from the index.

It holds what every engine shares: the result types (hits carry data, text
and mark offsets, never HTML or URLs), the limits, the query errors, filter
validation, and two protocols: ``SearchBackend`` (answering queries) and
``IndexMaintenance`` (keeping an engine in step with the archive). Callers
get an engine from ``open_backend`` / ``open_maintenance``; ``local``
(Whoosh + jieba for words, SQLite FTS5 for phrases, in the data directory)
is the default; ``opensearch`` keeps the passages in an OpenSearch cluster
(``index.opensearch``).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Protocol

from archive.authorship import LEVELS, REGIONS, ROLES
from archive.model import KINDS, SECTION_TYPES
from archive.store import Store
from archive.urls import Urls

from .highlight import snippet_html
from .messages import MESSAGES, QueryError
from .query import MAX_CHARS as MAX_QUERY_CHARS
from .query import highlight_terms, parse

__all__ = [
    "MAX_LIMIT", "MAX_OFFSET", "MAX_QUERY_CHARS", "UNKNOWN_YEAR", "MESSAGES", "QueryError", "Hit", "SearchResult",
    "CatchUp", "SyncReport", "SearchBackend", "IndexMaintenance", "EngineConfig", "validate_filters",
    "result_json", "hit_json", "open_backend", "open_maintenance",
]

#: Hits on one page at most.
MAX_LIMIT = 100
#: The deepest offset a page may start at.
MAX_OFFSET = 10_000
#: The year facet's value for reports whose year is not known.
UNKNOWN_YEAR = "unknown"
#: The facets, as results name them, in display order.
FACET_NAMES = ("section_type", "year", "kind", "role", "level", "region")
#: The keyword arguments that filter on them (several values each: OR within a facet, AND across).
FILTER_ARGS = {"sections": "section_type", "years": "year", "kinds": "kind", "roles": "role", "levels": "level",
               "regions": "region"}
#: How hits may be ordered: by relevance, by year ascending or descending (unknown years last either way).
SORTS = ("relevance", "year", "-year")
#: Hits as passages, or as reports holding them (each with its best few passages).
GROUPS = ("passage", "report")
#: Passages shown under each report when hits are grouped by report.
HITS_PER_REPORT = 3

ENGINES = ("local", "opensearch")


@dataclass
class Hit:
    """One passage that matched: its report, its place, its text and where the query's terms are in it."""

    report_id: str
    title: str
    year: int | None
    kind: str
    section_type: str
    section_heading: str
    passage_no: int
    text: str
    #: (start, end) of every match in ``text``, merged and ascending.
    marks: list[tuple[int, int]] = field(default_factory=list)
    #: (start, end) of the part of ``text`` worth showing: a window around the densest matches.
    snippet: tuple[int, int] = (0, 0)
    score: float = 0.0
    #: Who wrote the report, where its text says (职务, 层级, 地区).
    role: str | None = None
    level: str | None = None
    region: str | None = None
    #: 0: the report's own text. Otherwise the near copy (its id) that alone holds this paragraph; its
    #: ``passage_no`` is then the paragraph's number in that copy.
    copy_id: int = 0


@dataclass
class ReportHit:
    """A report among the hits: how many of its passages matched, and the best few of them."""

    report_id: str
    title: str
    year: int | None
    kind: str
    hits_in_report: int
    hits: list[Hit]
    role: str | None = None
    level: str | None = None
    region: str | None = None


@dataclass
class SearchResult:
    query: str
    total: int
    offset: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    took_ms: float = 0.0
    #: What was looked for, as a reader would mark it: phrases whole, words as segmented.
    terms: list[str] = field(default_factory=list)
    #: Distinct reports among all hits.
    total_reports: int = 0
    #: An opaque cursor for the page after this one (``after=``), or None on the last page.
    next: str | None = None
    sort: str = "relevance"
    group: str = "passage"
    #: With ``group="report"``: the page of reports (``hits`` then holds their passages, in order).
    reports: list[ReportHit] | None = None
    #: Facet counts of reports rather than passages (with ``group="report"``).
    report_facets: dict[str, dict[str, int]] | None = None
    #: Each facet counted with every filter but its own (passages, or reports when grouped): how many
    #: more hits choosing one more value of a facet would give, for multi-select (OR within a facet).
    facet_options: dict[str, dict[str, int]] | None = None


#: Queries one trend compares at most.
MAX_TREND_QUERIES = 5


@dataclass
class Series:
    """One query's hits per year of a trend: passages, reports, and passages per 10,000 characters of text."""

    query: str
    passages: list[int]
    reports: list[int]
    per_10k_chars: list[float]


@dataclass
class Trend:
    """Queries counted by year on one axis; ``corpus_chars`` is how much text each year holds (the filters
    applied), so a year with more reports does not look like a rise."""

    years: list[int]
    corpus_chars: list[int]
    series: list[Series]


def trend_json(trend: Trend) -> dict:
    return {"years": trend.years, "corpus_chars": trend.corpus_chars,
            "series": [{"q": s.query, "passages": s.passages, "reports": s.reports, "per_10k_chars": s.per_10k_chars}
                       for s in trend.series]}


@dataclass
class SyncReport:
    added_phrase: int = 0
    added_words: int = 0
    seconds: float = 0.0
    #: Why the parallel sync failed when ``catch_up`` finished the work in one process instead.
    workers_failed: str = ""
    #: Passages sent again because what they copy from the archive changed in place (engines that copy it).
    refreshed: int = 0

    @property
    def added(self) -> int:
        return max(self.added_phrase, self.added_words)


@dataclass
class CatchUp:
    """What bringing an index in step before reading it did (a search or a server start runs it)."""

    behind: int = 0  # passages the index lacked
    report: SyncReport | None = None
    busy: bool = False  # an import holds the archive and keeps the index in step itself
    error: str = ""  # the index is behind and could not be repaired

    def notes(self) -> list[str]:
        """What a reader of the index should be told about it (the CLI prints these on stderr)."""
        notes = []
        if self.busy:
            notes.append("note: an import is running; passages it has not indexed yet are not searched")
        if self.error:
            notes.append(f"warning: the index is behind the archive and could not be repaired ({self.error}); "
                         "results may miss passages")
        if self.behind and self.report:
            notes.append(f"indexed {self.report.added} passages the index was missing: it was behind the archive "
                         f"(an import was interrupted) ({self.report.seconds:.1f} s)")
        if self.report and self.report.workers_failed:
            notes.append(f"note: {self.report.workers_failed} (indexed in one process instead)")
        return notes


def id_differences(where: str, truth: set[int], held: set[int]) -> list[str]:
    """What ``check`` says of one index structure: passages it lacks, and entries the archive does not hold."""
    problems = []
    missing, stale = truth - held, held - truth
    if missing:
        problems.append(f"index: {len(missing)} passages missing from the {where} "
                        f"(ids {', '.join(map(str, sorted(missing)[:5]))}…)")
    if stale:
        problems.append(f"index: {len(stale)} stale entries in the {where} that the archive does not hold "
                        f"(ids {', '.join(map(str, sorted(stale)[:5]))}…)")
    return problems


def hit_json(hit: Hit, urls: Urls) -> dict:
    """A hit as ``search --json`` and ``/api/search`` print it."""
    start, end = hit.snippet
    return {"report_id": hit.report_id, "title": hit.title, "year": hit.year, "kind": hit.kind,
            "section_type": hit.section_type, "section_heading": hit.section_heading, "passage_no": hit.passage_no,
            "text": hit.text, "snippet_html": snippet_html(hit.text, hit.marks, start, end),
            "url": urls.passage(hit.report_id, hit.passage_no, hit.copy_id), "role": hit.role, "level": hit.level,
            "region": hit.region, "copy_id": hit.copy_id or None}


def result_json(result: SearchResult, urls: Urls) -> dict:
    """The search object of the CLI / JSON contract: ``hits``, or with ``group=report`` ``reports``."""
    out = {"query": result.query, "total": result.total, "total_reports": result.total_reports,
           "offset": result.offset, "sort": result.sort, "group": result.group, "next": result.next}
    if result.reports is None:
        out["hits"] = [hit_json(h, urls) for h in result.hits]
    else:
        out["reports"] = [{"report_id": r.report_id, "title": r.title, "year": r.year, "kind": r.kind,
                           "role": r.role, "level": r.level, "region": r.region,
                           "url": urls.report(r.report_id), "hits_in_report": r.hits_in_report,
                           "hits": [hit_json(h, urls) for h in r.hits]} for r in result.reports]
    out["facets"] = result.facets
    if result.report_facets is not None:
        out["report_facets"] = result.report_facets
    if result.facet_options is not None:
        out["facet_options"] = result.facet_options
    out["took_ms"] = round(result.took_ms, 2)
    out["terms"] = result.terms
    return out


#: The columns of an export, in order (CSV header and JSON-lines keys).
#: The contract's columns, then ``copy_id``: empty for the report's text, else the near copy that alone holds the
#: paragraph (its ``passage_no`` numbers it in that copy).
EXPORT_FIELDS = ("report_id", "title", "year", "kind", "section_type", "section_heading", "passage_no", "text", "url",
                 "copy_id")
EXPORT_FORMATS = ("csv", "jsonl")
#: Passages read back from the archive at a time while exporting: memory stays flat however many match.
EXPORT_CHUNK = 5000


def export_rows(store: Store, ids: list[int], urls: Urls) -> Iterator[tuple]:
    """One row of ``EXPORT_FIELDS`` per passage id, in the order given (best first)."""
    for i in range(0, len(ids), EXPORT_CHUNK):
        chunk = ids[i:i + EXPORT_CHUNK]
        rows = store.hit_rows(chunk)
        for pid in chunk:
            _, rid, title, year, kind, stype, heading, no, text, _, _, _, copy_id = rows[pid]
            yield rid, title, year, kind, stype, heading, no, text, urls.passage(rid, no, copy_id), copy_id or None


def export_text(rows: Iterable[tuple], fmt: str, fields: tuple[str, ...] = EXPORT_FIELDS) -> Iterator[str]:
    """The export file, piece by piece. CSV is UTF-8 with a byte-order mark (so Excel reads it as UTF-8)
    and a header row even when nothing matched; JSON lines are one object a line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if fmt == "csv":
        writer.writerow(fields)
        yield "\ufeff" + out.getvalue()
    rows = iter(rows)
    while chunk := list(itertools.islice(rows, EXPORT_CHUNK)):  # a piece per chunk: a yield per row cost a third
        out.seek(0)
        out.truncate()
        if fmt == "csv":
            writer.writerows(chunk)
        else:
            out.write("".join(json.dumps(dict(zip(fields, row)), ensure_ascii=False) + "\n" for row in chunk))
        yield out.getvalue()


def filter_map(filters: dict) -> dict[str, tuple]:
    """Filter keyword arguments (``sections=``, ``years=`` … ``regions=``) validated, as facet name → values."""
    unknown = set(filters) - set(FILTER_ARGS)
    if unknown:
        raise TypeError(f"unknown filter {sorted(unknown)[0]!r}; filters are {', '.join(FILTER_ARGS)}")
    validate_filters(**filters)
    return {FILTER_ARGS[k]: tuple(v) for k, v in filters.items() if v}


def validate_filters(sections=(), years=(), kinds=(), roles=(), levels=(), regions=()) -> None:
    """Unknown facet values are the user's typo, not an empty result: say so."""
    for s in sections:
        if s not in SECTION_TYPES:
            raise QueryError("unknown_section", value=str(s)[:20], choices=", ".join(SECTION_TYPES))
    for y in years:
        if y != UNKNOWN_YEAR and not (str(y).isdigit() and 1900 <= int(y) <= 2100):
            raise QueryError("bad_year", value=str(y)[:20], unknown=UNKNOWN_YEAR)
    for k in kinds:
        if k not in KINDS:
            raise QueryError("unknown_kind", value=str(k)[:20], choices=", ".join(KINDS))
    for values, vocabulary, code in ((roles, ROLES, "unknown_role"), (levels, LEVELS, "unknown_level"),
                                     (regions, REGIONS, "unknown_region")):
        for v in values:
            if v not in vocabulary:
                raise QueryError(code, value=str(v)[:20], choices="、".join(vocabulary))


#: Hiding boilerplate: leave out passages found in at least this many reports (2 or more; 0 is off).
MAX_HIDE_COMMON = 1000


def validate_hide(hide_common: int) -> None:
    if hide_common and not (2 <= hide_common <= MAX_HIDE_COMMON):
        raise QueryError("bad_hide", max=MAX_HIDE_COMMON)


def validate_page(offset: int, limit: int, sort: str = "relevance", group: str = "passage",
                  after: str | None = None) -> None:
    if not (0 <= offset <= MAX_OFFSET):
        raise QueryError("bad_offset", max=MAX_OFFSET)
    if not (0 <= limit <= MAX_LIMIT):
        raise QueryError("bad_limit", max=MAX_LIMIT)
    if sort not in SORTS:
        raise QueryError("bad_sort", value=str(sort)[:20], choices=", ".join(SORTS))
    if group not in GROUPS:
        raise QueryError("bad_group", value=str(group)[:20], choices=", ".join(GROUPS))
    if after and offset:
        raise QueryError("cursor_and_offset")


class SearchBackend(Protocol):
    """Answers queries over one archive. Long-lived and thread-safe: one per process, kept warm."""

    def search(self, text: str, *, sections=(), years=(), kinds=(), offset: int = 0, limit: int = 10,
               sort: str = "relevance", group: str = "passage", after: str | None = None,
               hide_common: int = 0) -> SearchResult:
        """One page of hits (or of reports) in ``sort`` order, from ``offset`` or past the cursor
        ``after`` (no depth limit), with the totals and the facet counts of all hits; ``hide_common``
        leaves out passages found in that many reports or more."""

    def ids(self, text: str, *, sections=(), years=(), kinds=(), sort: str = "relevance",
            hide_common: int = 0) -> list[int]:
        """Every matching passage id, in ``sort`` order (export)."""

    def count(self, text: str, *, sections=(), years=(), kinds=()) -> int: ...

    def facets(self, text: str, *, sections=(), years=(), kinds=()) -> dict[str, dict[str, int]]: ...

    def report_facets(self, *, sections=(), years=(), kinds=()) -> dict[str, dict[str, int]]:
        """Reports per facet value over the whole archive, each facet counted without its own filter
        (browsing without a query)."""

    def trend(self, texts: list[str], *, sections=(), years=(), kinds=()) -> Trend:
        """Up to ``MAX_TREND_QUERIES`` queries counted per year (the years the filtered archive spans)."""

    def query_terms(self, text: str) -> list[str]:
        """What to mark for a query in a passage a reader opens; [] when the query cannot be parsed."""

    def warm_up(self) -> None:
        """Load what the first query would wait for (dictionaries, postings, facet data)."""

    def close(self) -> None: ...


class Answers:
    """What every engine answers the same way on top of its own ``search`` and ``report_facets``."""

    def count(self, text: str, **filters) -> int:
        return self.search(text, limit=0, **filters).total  # type: ignore[attr-defined]

    def facets(self, text: str, **filters) -> dict[str, dict[str, int]]:
        return self.search(text, limit=0, **filters).facets  # type: ignore[attr-defined]

    def query_terms(self, text: str) -> list[str]:
        if not text or not text.strip():
            return []
        try:
            return highlight_terms(parse(text))
        except QueryError:
            return []

    def warm_up(self) -> None:
        self.search("报告", limit=1)  # type: ignore[attr-defined]
        self.report_facets()  # type: ignore[attr-defined]


class IndexMaintenance(Protocol):
    """Keeps one engine's index in step with the archive. Writers hold the archive's writer lock."""

    def sync(self) -> SyncReport:
        """Index every passage the index lacks."""

    def catch_up(self) -> CatchUp:
        """Take the writer lock if free and repair an index an interrupted import left behind."""

    def rebuild(self) -> SyncReport:
        """Drop the index and build it again from the archive."""

    def check(self) -> list[str]:
        """Differences between the index and the archive; empty when in step."""

    def pending(self) -> int:
        """Passages the archive holds that the index does not yet."""

    def stats(self) -> dict: ...


@dataclass(frozen=True)
class EngineConfig:
    engine: str = "local"
    #: The cluster of the ``opensearch`` engine (None: ``$ARCHIVE_OPENSEARCH_URL``, else the local node).
    opensearch_url: str | None = None
    #: The alias of the archive's index there (None: ``$ARCHIVE_OPENSEARCH_INDEX``, else one per data folder).
    opensearch_index: str | None = None

    @classmethod
    def from_env(cls, engine: str | None = None) -> EngineConfig:
        """``engine`` (a command-line flag), else ``$ARCHIVE_ENGINE``, else ``local``."""
        return cls(engine or os.environ.get("ARCHIVE_ENGINE") or "local")


def _known(config: EngineConfig | None) -> EngineConfig:
    config = config or EngineConfig.from_env()
    if config.engine not in ENGINES:
        raise QueryError("unknown_engine", value=config.engine[:20], choices=", ".join(ENGINES))
    return config


def open_backend(store: Store, config: EngineConfig | None = None) -> SearchBackend:
    """The search engine over ``store`` (which the backend reads and closes with itself)."""
    config = _known(config)
    if config.engine == "opensearch":
        from .opensearch.searcher import ClusterSearcher

        return ClusterSearcher(store, config.opensearch_url, config.opensearch_index)
    from .search import Searcher

    return Searcher(store)


def open_maintenance(store: Store, config: EngineConfig | None = None) -> IndexMaintenance:
    config = _known(config)
    if config.engine == "opensearch":
        from .opensearch.feed import ClusterIndex

        return ClusterIndex(store, config.opensearch_url, config.opensearch_index)
    from .indexer import LocalIndex

    return LocalIndex(store)
