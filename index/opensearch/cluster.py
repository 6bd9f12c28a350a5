"""The connection to the cluster, the index's name and its versioned mapping.

An archive's passages live in a concrete index named
``<alias>-m<MAPPING_VERSION>-<time>`` behind the alias readers use. The
mapping's ``_meta`` records ``MAPPING_VERSION``: a node or a reader that
meets another version does not search it as if nothing changed: maintenance
rebuilds into a new index and switches the alias in one atomic step, and a
reader says to run ``archive reindex``.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass

from archive.errors import ArchiveError
from archive.store import Store

from ..api import MAX_LIMIT, MAX_OFFSET

#: Raise it whenever ``mapping()`` or what ``feed.document`` writes changes: indexes of another version are rebuilt.
#: 2: who wrote the report (role, level, region) and the passage's reuse count (``reused``); ``copy_id`` (0:
#: the report's own text, else the near copy that alone holds the paragraph).
MAPPING_VERSION = 2
DEFAULT_URL = "http://127.0.0.1:9200"
#: Requests wait this long for the cluster (a bulk of 1,000 passages takes about 0.3 s on one local node).
TIMEOUT = 60


class ClusterError(ArchiveError):
    """The cluster cannot be reached or refused a request; the message names its address."""


@dataclass(frozen=True)
class Target:
    """Where an archive's passages live: the cluster's address and the alias of its index."""

    url: str
    alias: str

    @classmethod
    def of(cls, store: Store, url: str | None = None, index: str | None = None) -> Target:
        """``url`` / ``index`` (flags), else ``$ARCHIVE_OPENSEARCH_URL`` / ``$ARCHIVE_OPENSEARCH_INDEX``, else
        the local node and the alias the data directory remembers (``remember``), else a name made from
        the archive's folder."""
        url = url or os.environ.get("ARCHIVE_OPENSEARCH_URL") or DEFAULT_URL
        index = index or os.environ.get("ARCHIVE_OPENSEARCH_INDEX")
        remembered = alias_file(store)
        if not index and remembered.exists():
            index = remembered.read_text().strip()
        if not index:
            index = "shuzhi-" + hashlib.sha1(str(store.root.resolve()).encode()).hexdigest()[:12]
        return cls(url.rstrip("/"), index.lower())

    def remember(self, store: Store) -> None:
        """Write the alias into the data directory, so a copy of it (``archive backup``) names the same index
        wherever it is put."""
        path = alias_file(store)
        if not path.exists() or path.read_text().strip() != self.alias:
            path.parent.mkdir(exist_ok=True)
            path.write_text(self.alias + "\n")

    def new_index_name(self) -> str:
        return f"{self.alias}-m{MAPPING_VERSION}-{time.time_ns()}"


def alias_file(store: Store):
    """Where a data directory remembers the alias of its index (``ClusterIndex.files`` is its folder)."""
    return store.root / "opensearch" / "alias"


def client(url: str):
    """A thread-safe client (a pool of HTTP connections) for one cluster. ``url`` may list several nodes,
    comma-separated: a request a dead node cannot answer is sent to the next (the node is left out for a
    while), so a search survives the loss of a node."""
    from opensearchpy import OpenSearch

    hosts = [u.strip() for u in url.split(",") if u.strip()]
    return OpenSearch(hosts=hosts, timeout=TIMEOUT, max_retries=len(hosts) + 1, retry_on_timeout=True)


def answered(answer: dict, target: Target) -> dict:
    """A search answer, unless some shards failed: a partial result is an error here, never fewer hits."""
    shards = answer.get("_shards") or {}
    if shards.get("failed"):
        reasons = {f.get("reason", {}).get("type", "?") for f in shards.get("failures", [])}
        raise ClusterError(f"OpenSearch at {target.url} answered from {shards.get('successful')} of "
                           f"{shards.get('total')} shards ({', '.join(sorted(reasons))}); try again")
    return answer


def shard_settings() -> tuple[int, int]:
    """(shards, replicas) for new indexes: ``$ARCHIVE_OPENSEARCH_SHARDS`` / ``$ARCHIVE_OPENSEARCH_REPLICAS``,
    else 1 and 0 (one node). A cluster of three wants 3 and 1."""
    return (int(os.environ.get("ARCHIVE_OPENSEARCH_SHARDS") or 1),
            int(os.environ.get("ARCHIVE_OPENSEARCH_REPLICAS") or 0))


def mapping(shards: int, replicas: int, state: dict | None = None) -> dict:
    """Settings and mappings of a passage index.

    ``chars`` holds the folded text, one token per character (punctuation, digits and spaces included):
    ``match_phrase`` on it finds exactly the passages holding a string. ``words`` holds jieba's search-mode
    words joined by spaces (``index.analysis.index_words``), whitespace-analysed, BM25. Neither is kept in
    ``_source``: the readable ``text`` is, for snippets. ``report`` is the report's row number in the
    archive (an integer: cheap to aggregate and sort on); documents are routed by ``report_id``, so a
    report's passages share a shard. ``role``, ``level`` and ``region`` (who wrote the report) are absent
    when the text does not say; ``reused`` is how many other reports hold the passage (what hiding
    boilerplate filters on). ``_meta`` holds the mapping version and ``state``: how far the documents
    follow what changes in place in the archive (``feed.ClusterIndex``).
    """
    stored = {"type": "text", "index": False}
    return {
        "settings": {
            "index": {"number_of_shards": shards, "number_of_replicas": replicas,
                      "max_result_window": MAX_OFFSET + MAX_LIMIT + 1},
            "analysis": {
                "tokenizer": {"one_char": {"type": "ngram", "min_gram": 1, "max_gram": 1, "token_chars": []}},
                "analyzer": {"chars": {"type": "custom", "tokenizer": "one_char"},
                             "words": {"type": "custom", "tokenizer": "whitespace"}},
            },
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {"mapping_version": MAPPING_VERSION, **(state or {})},
            "_source": {"excludes": ["chars", "words"]},
            "properties": {
                "pid": {"type": "long"},
                "report": {"type": "integer"},
                "report_id": {"type": "keyword"},
                "title": stored,
                "year": {"type": "short"},  # 0: not known
                "unknown_year": {"type": "byte"},  # 1 when not known: sorts unknown years last
                "kind": {"type": "keyword"},
                "section_type": {"type": "keyword"},
                "heading": stored,
                "passage_no": {"type": "integer"},
                "length": {"type": "integer"},
                "role": {"type": "keyword"},
                "level": {"type": "keyword"},
                "region": {"type": "keyword"},
                "reused": {"type": "integer"},
                "copy_id": {"type": "long"},
                "text": stored,
                "chars": {"type": "text", "analyzer": "chars", "norms": False, "index_options": "positions"},
                "words": {"type": "text", "analyzer": "words", "similarity": "BM25"},
            },
        },
    }


def current_index(es, alias: str) -> str | None:
    """The concrete index behind ``alias``, or None when there is none."""
    if not es.indices.exists_alias(name=alias):
        return None
    names = list(es.indices.get_alias(name=alias))
    return names[0] if names else None


def index_meta(es, index: str) -> dict:
    """The ``_meta`` of an index's mapping: its version and the state of its documents."""
    return es.indices.get_mapping(index=index)[index]["mappings"].get("_meta") or {}


def index_version(es, index: str) -> int | None:
    """The mapping version an index was built with (None: not one of ours)."""
    return index_meta(es, index).get("mapping_version")


def record_state(es, index: str, state: dict) -> None:
    """Write how far an index's documents follow the archive into its ``_meta`` (which a mapping update
    replaces whole: the version goes with it)."""
    es.indices.put_mapping(index=index, body={"_meta": {"mapping_version": MAPPING_VERSION, **state}})


def unreachable(target: Target, exc: Exception) -> ClusterError:
    return ClusterError(f"cannot reach OpenSearch at {target.url}: {exc} "
                        "(start one with 'make opensearch', or give --opensearch URL)")


#: Hits per request when every hit is read (export ids, grouping by report, check).
STREAM_PAGE = 10_000
#: How long the cluster keeps a point in time between two pages of a stream.
KEEP_ALIVE = "2m"


def stream(es, alias: str, body: dict, target: Target | None = None):
    """Every hit of ``body`` (which sorts on a unique last key), page by page through one point in time,
    so an index refreshed meanwhile (an import) cannot shift the pages: ``search_after`` from the last
    hit's sort values, memory flat however many match."""
    pit = es.create_pit(index=alias, keep_alive=KEEP_ALIVE)["pit_id"]
    try:
        after = None
        while True:
            page = dict(body, size=STREAM_PAGE, pit={"id": pit, "keep_alive": KEEP_ALIVE}, track_total_hits=False)
            if after is not None:
                page["search_after"] = after
            answer = es.search(body=page)
            hits = (answered(answer, target) if target else answer)["hits"]["hits"]
            yield from hits
            if len(hits) < STREAM_PAGE:
                return
            after = hits[-1]["sort"]
    finally:
        es.delete_pit(body={"pit_id": [pit]})


def all_ids(es, alias: str, target: Target | None = None) -> list[int]:
    """Passage ids of every document, ascending."""
    body = {"query": {"match_all": {}}, "sort": [{"pid": "asc"}], "_source": False}
    return [hit["sort"][0] for hit in stream(es, alias, body, target)]
