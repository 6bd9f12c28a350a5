"""The opensearch engine's own duties beyond the contract: the command line, a mapping of another version,
a sync that finds holes below its mark, a rebuild that moves the alias, stats — against a real node."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager

import pytest

from archive import reused
from archive.store import Store
from archive.urls import Urls
from index.api import EngineConfig, open_backend, open_maintenance, result_json
from index.opensearch import translate
from index.opensearch.cluster import MAPPING_VERSION, Target, all_ids, current_index, stream
from index.opensearch.follow import REUSE_CAP
from tests.conftest import run
from tests.contract.conftest import engine_index, opensearch_url  # noqa: F401  (the session's node)
from tests.support.refusing_proxy import RefusingProxy
from tests.support.reports import AUTHORED, COMMON, MINI, write_reports

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


# -- what documents copy from the archive, kept in step --------------------------------------------------------


def _indexed_reuse(es, alias: str) -> dict[int, int]:
    """Every document's reuse count that is not 0."""
    body = {"query": {"range": {"reused": {"gt": 0}}}, "sort": [{"pid": "asc"}], "_source": False,
            "docvalue_fields": ["reused"]}
    return {int(h["_id"]): h["fields"]["reused"][0] for h in stream(es, alias, body)}


def _kept_reuse(store: Store) -> dict[int, int]:
    """The archive's reuse counts as documents hold them (capped where every ``hide_common`` hides them)."""
    return {pid: min(n, REUSE_CAP) for pid, n in reused.counts(store, 0, store.max_passage_id())}


def _import(data, folder, reports: dict, *more: str):
    return run("--engine", "opensearch", *more, "import", str(write_reports(folder, reports)), data=data)


@pytest.fixture
def authored_cluster(tmp_path, opensearch_url, monkeypatch):  # noqa: F811
    monkeypatch.setenv("ARCHIVE_OPENSEARCH_URL", opensearch_url)
    return tmp_path / "data"


def test_documents_hold_the_archives_reuse_counts_import_after_import(authored_cluster, tmp_path):
    data, said = authored_cluster, {}
    for n, name in enumerate(AUTHORED):  # one import each: earlier passages gain reuse as later ones arrive
        result = _import(data, tmp_path / str(n), {name: AUTHORED[name]})
        assert result.exit_code == 0, result.output
        said[name] = result.output
        engine_index(data)
        with Store(data) as store:
            index = open_maintenance(store, OPENSEARCH)
            assert _indexed_reuse(index.es, index.target.alias) == _kept_reuse(store), name
            assert index.check() == []
    assert "indexed 3 earlier passages again" in said["town.txt"]  # the fourth copy of COMMON["theory"]
    assert "again" not in said["village.txt"] and "again" not in said["anji.txt"]


def test_a_sync_cut_off_while_sending_reused_passages_again_is_finished_by_the_next(authored_cluster, tmp_path):
    """The new report's passages go in, the bulk request re-sending the earlier passages it reuses is refused:
    the index's state is not moved on, so ``check`` sees it behind and the next catch-up finishes the work."""
    data = authored_cluster
    assert _import(data, tmp_path / "a", {"anji.txt": AUTHORED["anji.txt"]}).exit_code == 0
    engine_index(data)
    with RefusingProxy(os.environ["ARCHIVE_OPENSEARCH_URL"], [None, 400]) as proxy:  # type: ignore[list-item]
        cut = _import(data, tmp_path / "b", {"city.txt": AUTHORED["city.txt"]}, "--opensearch", proxy.url)
        assert cut.exit_code == 1 and "refused a bulk request" in cut.output and proxy.refused == 1
    phrase = f'"{COMMON["theory"][:20]}"'
    with open_backend(Store(data, readonly=True), OPENSEARCH) as backend:
        assert backend.count(phrase) == 2 and backend.count(phrase, hide_common=2) == 1  # the earlier one: stale
        with Store(data) as store:
            index = open_maintenance(store, OPENSEARCH)
            assert any("does not yet reflect the reuse" in p for p in index.check())
            done = index.catch_up()
            assert not done.error and done.behind == 0 and done.report.refreshed == 2
            assert index.check() == [] and _indexed_reuse(index.es, index.target.alias) == _kept_reuse(store)
        assert backend.count(phrase, hide_common=2) == 0


def test_a_new_reuse_epoch_brings_every_count_back_in_step(authored_cluster, tmp_path):
    """Every match found again (``reused.rebuild``), here as if by another rule: one passage no longer reused,
    one held by more reports than ``hide_common`` can name. The next sync compares every count."""
    data = authored_cluster
    assert _import(data, tmp_path / "in", AUTHORED).exit_code == 0
    engine_index(data)
    with Store(data) as store:
        with store.writer_lock():
            reused.rebuild(store)
            gone, many = [pid for pid, _ in reused.counts(store, 0, store.max_passage_id())][:2]
            with store.transaction():
                store.conn.execute("DELETE FROM reuse_counts WHERE passage_id = ?", (gone,))
                store.conn.execute("UPDATE reuse_counts SET reports = 5000 WHERE passage_id = ?", (many,))
            index = open_maintenance(store, OPENSEARCH)
            assert index.check()
            assert index.sync().refreshed == 2
            open_maintenance(store, EngineConfig("local")).sync()  # to compare with
        indexed = _indexed_reuse(index.es, index.target.alias)
        assert indexed == _kept_reuse(store) and gone not in indexed and indexed[many] == REUSE_CAP
        assert index.check() == []
    with open_backend(Store(data, readonly=True), OPENSEARCH) as cluster, \
            open_backend(Store(data, readonly=True), EngineConfig("local")) as local:
        for hide in (2, 3, 999, 1000):
            assert cluster.ids('"，"', hide_common=hide) == local.ids('"，"', hide_common=hide), hide
        assert many not in cluster.ids('"，"', hide_common=1000)


def test_an_older_copy_of_the_record_never_sends_older_values(authored_cluster, tmp_path):
    """A web host reads a backup made before the last import: catching up from it leaves the index as the
    import host left it."""
    data, copy = authored_cluster, tmp_path / "copy"
    assert _import(data, tmp_path / "a", {"anji.txt": AUTHORED["anji.txt"]}).exit_code == 0
    engine_index(data)
    assert run("--engine", "opensearch", "backup", str(copy), data=data).exit_code == 0
    assert _import(data, tmp_path / "b", {"city.txt": AUTHORED["city.txt"]}).exit_code == 0
    assert run("--engine", "opensearch", "search", "工作", data=copy).exit_code == 0  # catches up from the copy
    with Store(data) as store:
        index = open_maintenance(store, OPENSEARCH)
        assert _indexed_reuse(index.es, index.target.alias) == _kept_reuse(store) != {}
        assert index.check() == []


def test_the_web_ui_offers_who_wrote_it_and_hiding_boilerplate(authored_cluster, tmp_path, monkeypatch):
    from webui import create_app

    data = authored_cluster
    assert _import(data, tmp_path / "in", AUTHORED).exit_code == 0
    engine_index(data)
    monkeypatch.setenv("ARCHIVE_ENGINE", "opensearch")
    client = create_app({"TESTING": True, "DATA_DIR": str(data)}).test_client()
    page = client.get("/", query_string={"q": '"，"'}).get_data(as_text=True)
    assert all(f'class="facet facet-{name}"' in page for name in ("role", "level", "region"))
    assert "隐藏套话" in page
    hidden = client.get("/", query_string={"q": '"，"', "hide": 2, "region": "浙江"})
    assert hidden.status_code == 200 and "已隐藏在 ≥2 份报告中出现的段落" in hidden.get_data(as_text=True)
    api = client.get("/api/search", query_string={"q": '"，"', "hide": 2, "region": "浙江", "limit": 100}).get_json()
    assert api["total"] > 0 and all(h["region"] == "浙江" for h in api["hits"])
    assert not {h["text"] for h in api["hits"]} & set(COMMON.values())
    export = client.get("/api/export", query_string={"q": '"，"', "hide": 2, "region": "浙江", "format": "jsonl"})
    assert len(export.get_data(as_text=True).splitlines()) == api["total"]
