"""The opensearch engine's own duties beyond the contract: the command line, a mapping of another version,
a sync that finds holes below its mark, a rebuild that moves the alias, stats — against a real node."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager

import pytest

from archive.store import Store
from archive.urls import Urls
from index.api import EngineConfig, open_backend, open_maintenance, result_json
from index.opensearch import translate
from index.opensearch.cluster import MAPPING_VERSION, Target, all_ids, current_index
from tests.conftest import run
from tests.contract.conftest import engine_index, opensearch_url  # noqa: F401  (the session's node)
from tests.support.refusing_proxy import RefusingProxy
from tests.support.reports import MINI, write_reports

OPENSEARCH = EngineConfig("opensearch")


@pytest.fixture
def archive(tmp_path, opensearch_url, monkeypatch):  # noqa: F811
    """The mini reports imported with ``--engine opensearch``: the import fed the cluster."""
    monkeypatch.setenv("ARCHIVE_OPENSEARCH_URL", opensearch_url)
    data = tmp_path / "data"
    result = run("--engine", "opensearch", "import", str(write_reports(tmp_path / "in", MINI)), data=data)
    assert result.exit_code == 0, result.output
    engine_index(data)
    return data


def test_the_command_line_chooses_the_engine_and_leaves_the_environment_as_it_was(archive, monkeypatch):
    monkeypatch.delenv("ARCHIVE_ENGINE", raising=False)
    found = run("--engine", "opensearch", "search", '"两个维护"', "--json", data=archive)
    assert found.exit_code == 0, found.output
    assert json.loads(found.output)["total"] == 2  # 两个维护 and 兩個維護
    stats = run("--engine", "opensearch", "stats", "--json", data=archive)
    numbers = json.loads(stats.output)
    assert numbers["engine"] == "opensearch" and numbers["index_docs"] == numbers["passages"] > 0
    assert numbers["mapping_version"] == MAPPING_VERSION and numbers["index_pending"] == 0
    assert run("--engine", "opensearch", "check", data=archive).exit_code == 0


    assert "ARCHIVE_ENGINE" not in os.environ
    local = run("stats", "--json", data=archive)  # the local engine was never fed: nothing of it on disk
    assert json.loads(local.output)["index_bytes"] == 0


def test_an_unknown_engine_is_a_usage_error(archive):
    result = run("--engine", "solr", "search", "招商", data=archive)
    assert result.exit_code == 2 and "solr" in result.output


def test_a_sync_finds_passages_missing_below_its_mark(archive):
    with Store(archive) as store:
        index = open_maintenance(store, OPENSEARCH)
        es, alias = index.es, index.target.alias
        ids = all_ids(es, alias)
        gone = ids[1:4]  # a bulk request cut off half-way: lower ids missing, the top one present
        rows = store.hit_rows(gone)
        for pid in gone:
            es.delete(index=current_index(es, alias), id=str(pid), routing=rows[pid][1], refresh=True)
        assert index.check() and index.pending() == 0  # the mark alone cannot see the hole
        report = index.sync()
        assert report.added == len(gone) and index.check() == []


def test_a_mapping_of_another_version_is_rebuilt_never_searched_as_is(archive):
    with open_backend(Store(archive, readonly=True), OPENSEARCH) as backend:
        before = backend.ids("招商")
    with Store(archive) as store:
        index = open_maintenance(store, OPENSEARCH)
        es, alias = index.es, index.target.alias
        old = current_index(es, alias)
        es.indices.put_mapping(index=old, body={"_meta": {"mapping_version": MAPPING_VERSION - 1}})
        problems = index.check()
        assert problems and "mapping version" in problems[0] and "reindex" in problems[0]
        stale = open_backend(Store(archive, readonly=True), OPENSEARCH)
        with pytest.raises(Exception) as caught:
            stale.search("招商")
        assert "archive reindex" in str(caught.value)
        stale.close()
        done = index.catch_up()
        assert done.behind == store.passage_count() and not done.error
        new = current_index(es, alias)
        assert new != old and not es.indices.exists(index=old) and index.check() == []
    with open_backend(Store(archive, readonly=True), OPENSEARCH) as backend:
        assert backend.ids("招商") == before and len(before) > 2


def test_reindex_builds_a_new_index_and_moves_the_alias(archive):
    with Store(archive, readonly=True) as store:
        target = Target.of(store)
    before = run("--engine", "opensearch", "export", '"招商"', data=archive).output
    with Store(archive) as store:
        index = open_maintenance(store, OPENSEARCH)
        old = current_index(index.es, target.alias)
        orphan = target.new_index_name()  # what a rebuild killed half-way leaves
        index.es.indices.create(index=orphan)
    result = run("--engine", "opensearch", "reindex", data=archive)
    assert result.exit_code == 0, result.output
    with Store(archive) as store:
        index = open_maintenance(store, OPENSEARCH)
        new = current_index(index.es, target.alias)
        assert new not in (old, orphan)
        assert not index.es.indices.exists(index=old) and not index.es.indices.exists(index=orphan)
        assert index.check() == []
    assert run("--engine", "opensearch", "export", '"招商"', data=archive).output == before


def test_an_unreachable_cluster_is_a_clear_error(archive):
    result = run("--engine", "opensearch", "--opensearch", "http://127.0.0.1:9", "search", "招商", data=archive)
    assert result.exit_code == 1 and "cannot reach OpenSearch at http://127.0.0.1:9" in result.output


def _same(result) -> dict:
    """A result as the API prints it, less what may differ between engines (time; scores are not printed)."""
    out = result_json(result, Urls("http://x"))
    out.pop("took_ms")
    return out


@contextmanager
def _both_engines(data, url, monkeypatch):
    """The sample archive caught up in the cluster, and a backend of each engine over it."""
    monkeypatch.setenv("ARCHIVE_OPENSEARCH_URL", url)
    engine_index(data)
    with Store(data) as store:
        assert not open_maintenance(store, OPENSEARCH).catch_up().error
    with open_backend(Store(data, readonly=True), EngineConfig("local")) as local, \
            open_backend(Store(data, readonly=True), OPENSEARCH) as cluster:
        yield local, cluster


@pytest.mark.parametrize("query", ['"发展"', '"工作" -"问题"', '("八项规定" OR "两个维护") "精神"', '"，"', '"10%"'])
@pytest.mark.parametrize("kwargs", [{}, {"sort": "-year", "limit": 20}, {"group": "report", "limit": 5},
                                    {"sections": ["performance"], "kinds": ["述职报告"], "offset": 3},
                                    {"levels": ["县", "市"], "roles": ["局长", "县长", "市长"], "limit": 20},
                                    {"group": "report", "levels": ["县"], "hide_common": 2, "limit": 5},
                                    {"hide_common": 3, "sort": "year", "limit": 30}])
def test_phrase_answers_are_identical_in_both_engines(sample_archive, opensearch_url, monkeypatch,  # noqa: F811
                                                      query, kwargs):
    """Phrases score alike in both engines, so everything the API prints must be equal: hits in order, marks,
    snippets, totals, facets (who wrote it too), report facets, the next cursor; hiding boilerplate included."""
    with _both_engines(sample_archive, opensearch_url, monkeypatch) as (local, cluster):
        assert _same(cluster.search(query, **kwargs)) == _same(local.search(query, **kwargs))
        narrowing = {k: v for k, v in kwargs.items() if k in ("levels", "roles", "sections", "kinds", "hide_common")}
        assert cluster.ids(query, **narrowing) == local.ids(query, **narrowing)


def test_word_answers_match_the_local_engine_as_sets(sample_archive, opensearch_url, monkeypatch):  # noqa: F811
    """Words rank by each engine's own BM25, so orders may differ; what matches, and every count, may not."""
    with _both_engines(sample_archive, opensearch_url, monkeypatch) as (local, cluster):
        for query in ["招商引资", "党风廉政 建设", "经济 OR 民生 -疫情", "GDP", "两个维护"]:
            a, b = local.search(query, limit=0), cluster.search(query, limit=0)
            assert (b.total, b.total_reports, b.facets) == (a.total, a.total_reports, a.facets), query
            assert sorted(cluster.ids(query)) == sorted(local.ids(query)) and a.total, query
        assert cluster.report_facets() == local.report_facets()
        assert cluster.report_facets(levels=["县"], regions=["浙江"]) == local.report_facets(levels=["县"], regions=["浙江"])
        assert cluster.trend(["招商引资", '"工作"']) == local.trend(["招商引资", '"工作"'])
        assert cluster.trend(["招商引资"], levels=["县"]) == local.trend(["招商引资"], levels=["县"])


def test_a_backup_names_the_same_index_wherever_it_is_put(archive, tmp_path):
    """A web host reads a copy of the record (``archive backup``) and searches the import host's index."""
    copy = tmp_path / "elsewhere" / "copy"
    result = run("--engine", "opensearch", "backup", str(copy), data=archive)
    assert result.exit_code == 0, result.output
    with Store(archive, readonly=True) as one, Store(copy, readonly=True) as other:
        assert Target.of(other).alias == Target.of(one).alias
    assert run("--engine", "opensearch", "export", '"招商"', data=copy).output == \
        run("--engine", "opensearch", "export", '"招商"', data=archive).output


def test_bulk_requests_refused_for_load_are_sent_again(tmp_path, opensearch_url, monkeypatch):  # noqa: F811
    """429 and 503 from the cluster are waited out and retried; the import finishes with every passage."""
    data = tmp_path / "data"
    with RefusingProxy(opensearch_url, [429, 429, 503]) as proxy:
        monkeypatch.setenv("ARCHIVE_OPENSEARCH_URL", proxy.url)
        result = run("--engine", "opensearch", "import", str(write_reports(tmp_path / "in", MINI)), data=data)
        assert result.exit_code == 0, result.output
        engine_index(data)
        assert proxy.refused == 3 and proxy.bulks == 4
        with Store(data) as store:
            assert open_maintenance(store, OPENSEARCH).check() == []


def test_a_cluster_that_keeps_refusing_is_a_clear_error_and_the_next_import_finishes(tmp_path, opensearch_url,  # noqa: F811
                                                                                      monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setattr("index.opensearch.feed.BACKOFF", 0.01)  # the waits, not the behaviour, shortened
    with RefusingProxy(opensearch_url, [429] * 20) as proxy:
        monkeypatch.setenv("ARCHIVE_OPENSEARCH_URL", proxy.url)
        result = run("--engine", "opensearch", "import", str(write_reports(tmp_path / "in", MINI)), data=data)
        assert result.exit_code == 1 and "stayed too busy" in result.output and "run the command again" in result.output
        engine_index(data)
    monkeypatch.setenv("ARCHIVE_OPENSEARCH_URL", opensearch_url)
    assert run("--engine", "opensearch", "import", str(tmp_path / "in"), data=data).exit_code == 0
    with Store(data) as store:
        assert open_maintenance(store, OPENSEARCH).check() == []


def test_report_counts_past_the_bucket_budget_use_cardinality_and_agree_here(sample_archive, opensearch_url,  # noqa: F811
                                                                             monkeypatch):
    """Past ``MAX_EXACT_BUCKETS`` report counts come from ``cardinality`` (near-exact, and exact at this size)."""
    monkeypatch.setenv("ARCHIVE_OPENSEARCH_URL", opensearch_url)
    engine_index(sample_archive)
    with Store(sample_archive) as store:
        assert not open_maintenance(store, OPENSEARCH).catch_up().error
    with open_backend(Store(sample_archive, readonly=True), OPENSEARCH) as backend:
        exact = backend.search('"工作"', group="report", sections=["plans"], limit=0)
        assert "terms" in translate.distinct_aggs(100)["report_terms"]
        monkeypatch.setattr(translate, "MAX_EXACT_BUCKETS", 1)
        assert "cardinality" in translate.distinct_aggs(100)["reports"]
        estimated = backend.search('"工作"', group="report", sections=["plans"], limit=0)
        assert (estimated.total_reports, estimated.report_facets, estimated.facet_options) == \
            (exact.total_reports, exact.report_facets, exact.facet_options)
        assert backend.trend(["招商引资"]) == backend.trend(["招商引资"])
