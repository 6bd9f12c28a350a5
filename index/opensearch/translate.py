"""The query tree (``index.query``), the filters and the sort orders, in OpenSearch's query language.

Words: every jieba word of the leaf (``Words.words``, precise mode, as the
local engine takes them) must be a term of ``words``, scored by BM25; a
leaf of only punctuation has no words and is looked for literally, as the
local engine does. Phrases: ``match_phrase`` on the one-token-per-character
field, at a constant score of 1 (as the local engine scores phrases), so a
phrase query orders its hits the same way in both engines. AND is ``must``
(+ ``must_not`` for its NOT children), OR is ``should`` with one required.
Hiding boilerplate (``visible``) is a filter on each passage's stored reuse
count, so it narrows the hits, the totals and every facet as the local
engine's does.

Sort orders are the local engine's keys (``Searcher._keys``): relevance is
score, then newer year, then archive order; by year, unknown years last,
then score, then archive order. Cursors carry the keys exactly as the local
engine's do, so ``index.cursor`` checks them the same way.
"""

from __future__ import annotations

from archive.authorship import LEVELS, REGIONS, ROLES
from archive.model import KINDS, SECTION_TYPES

from ..api import FACET_NAMES, UNKNOWN_YEAR
from ..query import And, Node, Not, Or, Phrase, QueryError, Words

#: The facets, as the result's keys and as document fields.
FACETS = {name: name for name in FACET_NAMES}
#: The order facets list their values in, as the local engine lists them (values outside it after, by name).
ORDERS = {"kind": list(KINDS), "role": list(ROLES), "level": list(LEVELS), "region": list(REGIONS)}


def phrase(folded: str) -> dict:
    return {"constant_score": {"filter": {"match_phrase": {"chars": {"query": folded}}}, "boost": 1.0}}


def words(node: Words) -> dict:
    terms = list(dict.fromkeys(node.words))
    if not terms:  # only punctuation or symbols: look for them literally
        return phrase(node.folded)
    if len(terms) == 1:
        return {"term": {"words": terms[0]}}
    return {"bool": {"must": [{"term": {"words": t}} for t in terms]}}


def query(node: Node) -> dict:
    """The whole tree as one query."""
    if isinstance(node, Words):
        return words(node)
    if isinstance(node, Phrase):
        return phrase(node.folded)
    if isinstance(node, Or):
        return {"bool": {"should": [query(c) for c in node.children], "minimum_should_match": 1}}
    if isinstance(node, And):
        must = [query(c) for c in node.children if not isinstance(c, Not)]
        must_not = [query(c.child) for c in node.children if isinstance(c, Not)]
        out: dict = {"must": must}
        if must_not:
            out["must_not"] = must_not
        return {"bool": out}
    raise QueryError("only_exclusion")


def visible(query: dict, hide_common: int) -> dict:
    """``query`` less the passages found in ``hide_common`` reports or more (itself and ``reused`` others),
    as the local engine hides boilerplate; a filter, so scores stay the query's."""
    if not hide_common:
        return query
    return {"bool": {"must": [query], "filter": [{"range": {"reused": {"lt": hide_common - 1}}}]}}


def wanted(chosen: dict[str, tuple]) -> dict[str, list]:
    """The filters (``api.filter_map``: facet → values) by facet, as the values the documents hold (year 0:
    not known)."""
    return {facet: ([0 if y == UNKNOWN_YEAR else int(y) for y in chosen.get(facet, ())] if facet == "year"
                    else list(chosen.get(facet, ()))) for facet in FACETS}


def filters(chosen: dict[str, list], but: str | None = None) -> list[dict]:
    """``terms`` filters for every facet with values (OR within a facet, AND across), except ``but``."""
    return [{"terms": {FACETS[f]: values}} for f, values in chosen.items() if values and f != but]


def bool_filter(clauses: list[dict]) -> dict:
    return {"bool": {"filter": clauses}} if clauses else {"match_all": {}}


def sort(order: str) -> list[dict]:
    if order == "relevance":
        return [{"_score": "desc"}, {"year": "desc"}, {"pid": "asc"}]
    return [{"unknown_year": "asc"}, {"year": "asc" if order == "year" else "desc"}, {"_score": "desc"},
            {"pid": "asc"}]


def keys(values: list, order: str) -> list:
    """A hit's sort values → the local engine's keys (smaller first, most significant first)."""
    if order == "relevance":
        score, year, pid = values[:3]
        return [-float(score), -int(year), int(pid)]
    unknown, year, score, pid = values[:4]
    return [int(unknown), int(year) if order == "year" else -int(year), -float(score), int(pid)]


def search_after(cut: list, order: str) -> list:
    """The local engine's keys of a cursor → ``search_after`` values."""
    if order == "relevance":
        return [-cut[0], -cut[1], cut[2]]
    return [cut[0], cut[1] if order == "year" else -cut[1], -cut[2], cut[3]]


def facet_counts(aggs: dict, prefix: str = "") -> dict[str, dict[str, int]]:
    """Terms buckets → the result's facets, in the local engine's order: section types as listed, years
    newest first with unknown last, the others as their vocabularies list them (values outside one after).
    ``aggs`` holds one terms aggregation per facet (named ``prefix`` + the facet); a bucket's count is its
    distinct reports when it counts them (``distinct_aggs``), else its docs."""
    def count(bucket: dict) -> int:
        return distinct(bucket) if "reports" in bucket else bucket["doc_count"]

    def buckets(name: str) -> dict:
        # An empty list is left out of a filtered answer (``FILTER_PATH``): no buckets, no key.
        return {b["key"]: count(b) for b in aggs.get(prefix + name, {}).get("buckets", []) if count(b)}

    sections, years = buckets("section_type"), buckets("year")
    out = {"section_type": {k: sections[k] for k in SECTION_TYPES if k in sections},
           "year": {(str(y) if y else UNKNOWN_YEAR): years[y] for y in sorted(years, key=lambda y: (y == 0, -y))}}
    for facet, vocabulary in ORDERS.items():
        found, order = buckets(facet), {v: i for i, v in enumerate(vocabulary)}
        out[facet] = {k: found[k] for k in sorted(found, key=lambda k: (order.get(k, len(order)), k))}
    return {facet: out[facet] for facet in FACETS}


#: Distinct reports are counted exactly while the report buckets a request needs stay under this number
#: (the cluster refuses more than 65,535 buckets in one answer): a ``terms`` aggregation on the report
#: number has one bucket per report (each shard returns all of its own, since ``shard_size`` ≥ ``size`` ≥
#: the archive's reports), and a ``stats_bucket`` pipeline counts the buckets, which are left out of the
#: answer (``FILTER_PATH``; at 1,000 reports that halved the JSON of a common phrase's page, 51 → 23 KB).
#: ``total_reports`` and trends need one bucket per report (exact up to 60,000 reports); report facets up to
#: 15 (each section type a report has, its year, kind, role, level and region: exact up to 4,000 reports).
#: Past that the count is
#: ``cardinality`` (HyperLogLog++, ``precision_threshold`` 40,000: near-exact below it, not promised exact).
MAX_EXACT_BUCKETS = 60_000
#: Report buckets per report when facets count reports (``facet_aggs``).
FACET_BUCKETS_PER_REPORT = len(SECTION_TYPES) + len(FACETS) - 1
#: What every search leaves out of its answer: the per-report buckets that only exist to be counted.
FILTER_PATH = "-**.report_terms"


def distinct_aggs(reports_in_archive: int, buckets_per_report: int = 1) -> dict:
    """Aggregations whose ``reports`` counts the distinct reports among the documents (``distinct``)."""
    if reports_in_archive * buckets_per_report <= MAX_EXACT_BUCKETS:
        return {"report_terms": {"terms": {"field": "report", "size": max(1, reports_in_archive)}},
                "reports": {"stats_bucket": {"buckets_path": "report_terms>_count"}}}
    return {"reports": {"cardinality": {"field": "report", "precision_threshold": 40000}}}


def distinct(container: dict) -> int:
    """The distinct reports ``distinct_aggs`` counted in an aggregation (or bucket) of the answer."""
    found = container.get("reports") or {}
    return int(found.get("count") or found.get("value") or 0)


def facet_aggs(reports_in_archive: int | None = None, buckets_per_report: int = FACET_BUCKETS_PER_REPORT,
               prefix: str = "") -> dict:
    """Terms aggregations of the facets, named ``prefix`` + the facet (with distinct reports under each when
    ``reports_in_archive`` is given: report facets; ``buckets_per_report``: what the whole request needs, see
    ``MAX_EXACT_BUCKETS``). Sizes leave room for values outside a vocabulary (an older archive's)."""
    sizes = {"section_type": len(SECTION_TYPES) + 5, "year": 500} | {f: len(v) + 50 for f, v in ORDERS.items()}
    out = {}
    for name in FACETS:
        agg: dict = {"terms": {"field": FACETS[name], "size": sizes[name]}}
        if reports_in_archive is not None:
            agg["aggs"] = distinct_aggs(reports_in_archive, buckets_per_report)
        out[prefix + name] = agg
    return out
