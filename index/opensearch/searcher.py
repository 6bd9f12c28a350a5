"""Answering queries from the cluster: the ``opensearch`` engine's ``SearchBackend``.

One search request answers a page: the query (``translate``) with the
filters as a ``post_filter``, so aggregations see every hit before the
filters and count each facet both with all filters (``facets``) and with
all but its own (``facet_options``) in the same round trip; exact totals
(``track_total_hits``); ``from`` for offsets, ``search_after`` for cursors.
Hits bring their readable text, and ``index.highlight`` marks it as the
local engine does, so snippets are identical whichever engine answers.

Grouping by report, and every id for an export, read all hits' sort values
(no text) through a point in time, ten thousand a request: an export is
streamed without a cap, and reports are ordered by their best passage
exactly as the local engine orders them. That costs one request per
10,000 hits, which at this archive's scale is a few ms per thousand hits.
"""

from __future__ import annotations

import threading
import time

from archive.errors import ArchiveError
from archive.store import Store

from .. import cursor
from ..api import (
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
from ..highlight import spans, window
from ..query import QueryError, highlight_terms, parse
from ..search import SNIPPET_WIDTH
from . import translate as tr
from .cluster import (
    MAPPING_VERSION,
    ClusterError,
    Target,
    answered,
    client,
    current_index,
    index_version,
    stream,
    unreachable,
)

#: What a hit needs from a document.
HIT_FIELDS = ["report_id", "title", "year", "kind", "section_type", "heading", "passage_no", "text", "role", "level",
              "region", "copy_id"]
#: Scores and so the order of equal keys stay the same between the pages of one search when every request
#: goes to the same copies of the shards.
PREFERENCE = "shuzhi"
#: Searches answered by only some shards are asked again this many times in all, waiting 0.25 s, 0.5 s ….
ATTEMPTS = 4
RETRY_WAIT = 0.25
#: The prefix of the aggregations that count passages beside reports (``group="report"``).
PASSAGES = "passages_"


class ClusterSearcher(Answers):
    """Long-lived and thread-safe (the client pools its connections). Owns its store and closes it."""

    def __init__(self, store: Store, url: str | None = None, index: str | None = None) -> None:
        self.store = store
        self.target = Target.of(store, url, index)
        self.es = client(self.target.url)
        self._checked = False
        self._lock = threading.Lock()

    def __enter__(self) -> ClusterSearcher:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        self.es.close()
        self.store.close()

    # -- requests ------------------------------------------------------------

    def _ready(self) -> str:
        """The alias, once its index is known to exist with this mapping version."""
        if not self._checked:
            with self._lock:
                index = self._request(current_index, self.es, self.target.alias)
                if index is None:
                    raise ArchiveError(f"the archive has no search index in OpenSearch yet "
                                       f"({self.target.alias} at {self.target.url}): run 'archive reindex'")
                version = self._request(index_version, self.es, index)
                if version != MAPPING_VERSION:
                    raise ArchiveError(f"the OpenSearch index {self.target.alias} was built with mapping version "
                                       f"{version}, this archive uses {MAPPING_VERSION}: run 'archive reindex'")
                self._checked = True
        return self.target.alias

    def _request(self, fn, *args, **kwargs):
        from opensearchpy.exceptions import ConnectionError as NoConnection
        from opensearchpy.exceptions import TransportError

        try:
            return fn(*args, **kwargs)
        except NoConnection as exc:
            raise unreachable(self.target, exc) from exc
        except TransportError as exc:
            if isinstance(exc.status_code, int) and exc.status_code >= 500:
                raise ClusterError(f"OpenSearch at {self.target.url} could not answer ({exc.status_code}: "
                                   f"{exc.error}); try again") from exc
            raise

    def _search(self, body: dict) -> dict:
        """One search; when some shards fail (a node just died and its copies are being replaced) or the
        cluster answers 5xx, asked again after a short wait, at most ``ATTEMPTS`` times: the 3-node soak saw
        such answers only within 0.4 s of a SIGKILL. Never a partial answer."""
        for attempt in range(ATTEMPTS):
            try:
                answer = self._request(self.es.search, index=self._ready(), body=body, preference=PREFERENCE,
                                       filter_path=tr.FILTER_PATH)
                return answered(answer, self.target)
            except ClusterError:
                if attempt == ATTEMPTS - 1:
                    raise
                time.sleep(RETRY_WAIT * (attempt + 1))
        raise AssertionError("unreachable")

    def _stream(self, body: dict):
        """Every hit of ``body``, a page at a time (never all of them in memory as documents)."""
        from opensearchpy.exceptions import ConnectionError as NoConnection

        alias = self._ready()
        try:
            yield from stream(self.es, alias, body, self.target)
        except NoConnection as exc:
            raise unreachable(self.target, exc) from exc

    def _reports(self) -> int:
        return self.store.report_count()

    # -- pages -----------------------------------------------------------------

    def search(self, text: str, *, offset: int = 0, limit: int = 10, sort: str = "relevance",
               group: str = "passage", after: str | None = None, hide_common: int = 0, **filters) -> SearchResult:
        started = time.perf_counter()
        validate_page(offset, limit, sort, group, after)
        validate_hide(hide_common)
        chosen = tr.wanted(filter_map(filters))
        tree = parse(text)
        cut = cursor.decode(after, sort, group) if after else None
        query = tr.visible(tr.query(tree), hide_common)
        every = tr.filters(chosen)
        by_report = group == "report"
        body: dict = {"query": query, "track_total_hits": True, "track_scores": True, "sort": tr.sort(sort),
                      "_source": HIT_FIELDS, "aggs": self._aggregations(chosen, by_report), "size": 0}
        if every:
            body["post_filter"] = tr.bool_filter(every)
        if not by_report and limit:
            body["size"] = limit + 1  # one more: is there a next page?
            if cut is not None:
                body["search_after"] = tr.search_after(cut, sort)
            elif offset:
                body["from"] = offset
        answer = self._search(body)
        found = answer["aggregations"]["all"]
        result = SearchResult(text, answer["hits"]["total"]["value"], offset, [], {}, terms=highlight_terms(tree),
                              total_reports=tr.distinct(found), sort=sort, group=group)
        if by_report:
            result.facets = tr.facet_counts(found, PASSAGES)
            result.report_facets = tr.facet_counts(found)
            self._report_page(result, query, every, sort, offset, limit, cut)
        else:
            result.facets = tr.facet_counts(found)
            hits = answer["hits"].get("hits", [])
            page = hits[:limit]
            result.hits = [self._hit(h, result.terms) for h in page]
            if len(hits) > limit and page:
                result.next = cursor.encode(tr.keys(page[-1]["sort"], sort), sort, group)
        result.facet_options = dict(result.report_facets if by_report else result.facets)
        for facet, values in chosen.items():
            if values:  # counted with every filter but its own (OR within a facet)
                result.facet_options[facet] = tr.facet_counts(answer["aggregations"][f"without_{facet}"])[facet]
        result.took_ms = (time.perf_counter() - started) * 1000
        return result

    def _aggregations(self, chosen: dict[str, list], by_report: bool) -> dict:
        """Facets of every hit with all filters (``all``: passages, or reports when grouped, and the distinct
        reports), and each filtered facet again with the other filters only (``without_<facet>``)."""
        reports = self._reports()
        per = reports if by_report else None
        filtered = sum(1 for values in chosen.values() if values)
        # Report buckets this request needs per report: the total, and 12 per set of report facets.
        budget = 1 + (tr.FACET_BUCKETS_PER_REPORT * (1 + filtered) if by_report else 0)
        inner = {**tr.facet_aggs(per, budget), **tr.distinct_aggs(reports, budget)}
        if by_report:  # passages are counted beside reports
            inner.update(tr.facet_aggs(prefix=PASSAGES))
        aggs = {"all": {"filter": tr.bool_filter(tr.filters(chosen)), "aggs": inner}}
        for facet, values in chosen.items():
            if values:
                aggs[f"without_{facet}"] = {"filter": tr.bool_filter(tr.filters(chosen, but=facet)),
                                            "aggs": {facet: tr.facet_aggs(per, budget)[facet]}}
        return aggs

    def _hit(self, hit: dict, terms: list[str]) -> Hit:
        doc = hit["_source"]
        text = doc["text"]
        found = spans(text, terms)
        return Hit(doc["report_id"], doc["title"], doc["year"] or None, doc["kind"], doc["section_type"],
                   doc["heading"] or "", doc["passage_no"], text, found, window(text, found, SNIPPET_WIDTH),
                   round(float(hit.get("_score") or 0.0), 4), doc.get("role"), doc.get("level"), doc.get("region"),
                   doc.get("copy_id") or 0)

    def _ordered(self, query: dict, every: list[dict], sort: str, fields: list[str] | None = None):
        """Every hit in ``sort`` order: sort values (and ``fields`` as doc values), no text."""
        body: dict = {"query": {"bool": {"must": [query], "filter": every}} if every else query,
                      "sort": tr.sort(sort), "_source": False, "track_scores": True}
        if fields:
            body["docvalue_fields"] = fields
        return self._stream(body)

    def _report_page(self, result: SearchResult, query: dict, every: list[dict], sort: str, offset: int, limit: int,
                     cut) -> None:
        """Reports in the order of their best passage, each with its match count and best passages."""
        order: list[int] = []  # report numbers, in the order of their best passage
        best: dict[int, list] = {}
        shown: dict[int, list[dict]] = {}
        counts: dict[int, int] = {}
        for hit in self._ordered(query, every, sort, ["report"]):
            rid = hit["fields"]["report"][0]
            if rid not in counts:
                order.append(rid)
                best[rid] = tr.keys(hit["sort"], sort)
                counts[rid] = 0
                shown[rid] = []
            counts[rid] += 1
            if len(shown[rid]) < HITS_PER_REPORT:
                shown[rid].append(hit)
        if cut is not None:
            order = [rid for rid in order if best[rid] > cut]
        chosen = order[offset:offset + limit]
        pids = [int(h["_id"]) for rid in chosen for h in shown[rid]]
        docs = self._by_id(pids, result.terms, {int(h["_id"]): h.get("_score") for rid in chosen for h in shown[rid]})
        result.reports = []
        for rid in chosen:
            its = [docs[int(h["_id"])] for h in shown[rid]]
            first = its[0]
            result.reports.append(ReportHit(first.report_id, first.title, first.year, first.kind, counts[rid], its,
                                            first.role, first.level, first.region))
            result.hits.extend(its)
        if len(order) > offset + limit and chosen:
            result.next = cursor.encode(best[chosen[-1]], result.sort, result.group)

    def _by_id(self, pids: list[int], terms: list[str], scores: dict) -> dict[int, Hit]:
        if not pids:
            return {}
        answer = self._search({"query": {"ids": {"values": [str(p) for p in pids]}}, "size": len(pids),
                               "_source": HIT_FIELDS})
        out = {}
        for hit in answer["hits"].get("hits", []):
            hit["_score"] = scores.get(int(hit["_id"])) or 0.0
            out[int(hit["_id"])] = self._hit(hit, terms)
        return out

    def ids(self, text: str, *, sort: str = "relevance", hide_common: int = 0, **filters) -> list[int]:
        """Every matching passage id, in ``sort`` order, read through a point in time without a cap."""
        validate_page(0, 0, sort)
        validate_hide(hide_common)
        chosen = tr.wanted(filter_map(filters))
        query = tr.visible(tr.query(parse(text)), hide_common)
        return [int(hit["_id"]) for hit in self._ordered(query, tr.filters(chosen), sort)]

    # -- browsing and trends -----------------------------------------------------

    def report_facets(self, **filters) -> dict[str, dict[str, int]]:
        """Reports per facet value over the whole archive, each facet counted with the other facets' filters."""
        chosen = tr.wanted(filter_map(filters))
        reports = self._reports()
        aggs = {facet: {"filter": tr.bool_filter(tr.filters(chosen, but=facet)),
                        "aggs": {facet: tr.facet_aggs(reports)[facet]}} for facet in tr.FACETS}
        answer = self._search({"size": 0, "query": {"match_all": {}}, "aggs": aggs})["aggregations"]
        return tr.facet_counts({facet: answer[facet][facet] for facet in tr.FACETS})

    def trend(self, texts: list[str], **filters) -> Trend:
        texts = [t for t in texts if t and t.strip()]
        if not 1 <= len(texts) <= MAX_TREND_QUERIES:
            raise QueryError("trend_queries", max=MAX_TREND_QUERIES)
        chosen = tr.wanted(filter_map(filters))
        trees = [parse(t) for t in texts]
        # The archive's text once: paragraphs found only in a near copy are searched, not counted again.
        every = tr.filters(chosen) + [{"range": {"year": {"gt": 0}}}, {"term": {"copy_id": 0}}]
        reports = self._reports()
        by_year = {"terms": {"field": "year", "size": 500}}
        corpus = self._search({"size": 0, "query": tr.bool_filter(every),
                               "aggs": {"years": {**by_year, "aggs": {"chars": {"sum": {"field": "length"}}}}}})
        chars = {b["key"]: int(b["chars"]["value"]) for b in corpus["aggregations"]["years"].get("buckets", [])}
        axis = list(range(min(chars), max(chars) + 1)) if chars else []
        series = []
        for text, tree in zip(texts, trees):
            answer = self._search({"size": 0, "query": {"bool": {"must": [tr.query(tree)], "filter": every}},
                                   "aggs": {"years": {**by_year, "aggs": tr.distinct_aggs(reports)}}})
            found = {b["key"]: (b["doc_count"], tr.distinct(b))
                     for b in answer["aggregations"]["years"].get("buckets", [])}
            passages = [found.get(y, (0, 0))[0] for y in axis]
            per = [round(p * 10_000 / chars[y], 4) if chars.get(y) else 0.0 for p, y in zip(passages, axis)]
            series.append(Series(text, passages, [found.get(y, (0, 0))[1] for y in axis], per))
        return Trend(axis, [chars.get(y, 0) for y in axis], series)

