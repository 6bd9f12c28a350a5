"""Who wrote a report (role, level, region) and hiding boilerplate (``hide_common``), answered alike by every
engine: filters, facet counts and hit fields against SQL, hidden passages against the archive's reuse counts,
and both kept fresh when a later import reuses earlier passages, an import is cut off, or a report is corrected."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from archive import reused
from archive.importer import Importer
from archive.store import Store
from archive.text import fold
from index.api import MAX_LIMIT, QueryError, open_maintenance
from tests.conftest import run
from tests.support.reports import AUTHORED, COMMON, write_reports

#: A phrase in every passage of ``AUTHORED`` but the headings and titles.
EVERY = "，"
BASE = ("FROM passages p JOIN reports r ON r.report_id = p.report_id LEFT JOIN reuse_counts c ON c.passage_id = p.id "
        "WHERE instr(fold(p.text), ?)")


@pytest.fixture(scope="module")
def authored(tmp_path_factory) -> Path:
    """``AUTHORED`` imported once (reuse found: ``COMMON``'s passages in 4, 3 and 2 reports); tests only read it."""
    root = tmp_path_factory.mktemp("authored")
    data = root / "data"
    assert run("--engine", "local", "import", str(write_reports(root / "in", AUTHORED)), data=data).exit_code == 0
    return data


def sql(data: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{data / 'archive.db'}?mode=ro", uri=True)
    conn.create_function("fold", 1, fold, deterministic=True)
    return conn


def grouped(db, select: str, where: str, args: tuple) -> dict:
    """``{value: count}`` of one facet column, values that are not known left out (as facets leave them)."""
    return {k: n for k, n in db.execute(f"SELECT {select} {BASE} {where} GROUP BY 1", args) if k is not None}


@pytest.mark.parametrize("filters, where, args", [
    ({}, "", ()),
    ({"regions": ["浙江"]}, "AND r.region = ?", ("浙江",)),
    ({"levels": ["县", "市"], "roles": ["局长", "市长"]}, "AND r.level IN ('县', '市') AND r.role IN ('局长', '市长')", ()),
    ({"regions": ["浙江", "湖南"], "kinds": ["述职报告"], "sections": ["political", "plans"]},
     "AND r.region IN ('浙江', '湖南') AND r.kind = '述职报告' AND p.section_type IN ('political', 'plans')", ()),
])
def test_author_filters_facets_and_hit_fields_equal_sql(backend_for, authored, filters, where, args):
    backend, db = backend_for(authored), sql(authored)
    args = (fold(EVERY), *args)
    result = backend.search(f'"{EVERY}"', limit=MAX_LIMIT, **filters)
    by_report = backend.search(f'"{EVERY}"', limit=0, group="report", **filters)
    assert result.total == db.execute(f"SELECT count(*) {BASE} {where}", args).fetchone()[0] > 0
    for facet in ("role", "level", "region", "kind", "section_type"):
        column = "p.section_type" if facet == "section_type" else f"r.{facet}"
        assert result.facets[facet] == grouped(db, f"{column}, count(*)", where, args), facet
        assert by_report.facets[facet] == result.facets[facet], facet
        assert by_report.report_facets[facet] == grouped(db, f"{column}, count(DISTINCT r.id)", where, args), facet
    who = {rid: (role, level, region) for rid, role, level, region in
           db.execute("SELECT report_id, role, level, region FROM reports")}
    assert all((h.role, h.level, h.region) == who[h.report_id] for h in result.hits)
    reports = backend.search(f'"{EVERY}"', limit=MAX_LIMIT, group="report", **filters).reports
    assert reports and all((r.role, r.level, r.region) == who[r.report_id] for r in reports)
    assert len(backend.ids(f'"{EVERY}"', **filters)) == result.total


def test_facet_options_count_each_author_facet_without_its_own_filter(backend_for, authored):
    backend = backend_for(authored)
    both = backend.search(f'"{EVERY}"', limit=0, regions=["浙江"], levels=["县"])
    assert both.facet_options["region"] == backend.search(f'"{EVERY}"', limit=0, levels=["县"]).facets["region"]
    assert both.facet_options["level"] == backend.search(f'"{EVERY}"', limit=0, regions=["浙江"]).facets["level"]
    assert both.facet_options["role"] == both.facets["role"]
    either = backend.search(f'"{EVERY}"', limit=0, regions=["浙江", "江苏"], levels=["县"])
    assert either.total == both.facet_options["region"]["浙江"] + both.facet_options["region"].get("江苏", 0)
    browse = backend.report_facets(regions=["浙江"])
    assert browse["region"] == {"浙江": 2, "江苏": 1, "湖南": 1} and browse["level"] == {"县": 2}
    assert browse["role"] == {"县长": 1, "局长": 1}


def test_unknown_author_values_are_coded_errors(backend_for, authored):
    backend = backend_for(authored)
    for kwargs, code in [({"roles": ["皇帝"]}, "unknown_role"), ({"levels": ["天上"]}, "unknown_level"),
                         ({"regions": ["火星"]}, "unknown_region"), ({"hide_common": 1}, "bad_hide")]:
        with pytest.raises(QueryError) as caught:
            backend.search("工作", **kwargs)
        assert caught.value.code == code


def hidden_truth(data: Path, phrase: str, hide: int, where: str = "", args: tuple = ()) -> set[int]:
    """Passages holding ``phrase`` that are not found in ``hide`` reports or more (itself and the others)."""
    with sql(data) as db:
        return {pid for (pid,) in db.execute(f"SELECT p.id {BASE} AND coalesce(c.reports, 0) + 1 < ? {where}",
                                             (fold(phrase), hide, *args))}


@pytest.mark.parametrize("hide", [2, 3, 4, 5])
def test_hide_common_leaves_out_passages_found_in_that_many_reports(backend_for, authored, hide):
    backend = backend_for(authored)
    truth = hidden_truth(authored, EVERY, hide)
    assert set(backend.ids(f'"{EVERY}"', hide_common=hide)) == truth
    everything = set(backend.ids(f'"{EVERY}"'))
    assert (truth < everything) == (hide <= 4)  # COMMON's passages are in 4, 3 and 2 reports
    result = backend.search(f'"{EVERY}"', hide_common=hide, limit=MAX_LIMIT)
    assert result.total == len(truth) and sum(result.facets["section_type"].values()) == len(truth)
    with Store(authored, readonly=True) as store:
        reports = {row[1] for row in store.hit_rows(sorted(truth)).values()}
    by_report = backend.search(f'"{EVERY}"', hide_common=hide, group="report", limit=MAX_LIMIT)
    assert by_report.total_reports == len(reports) == len(by_report.reports)
    zhejiang = hidden_truth(authored, EVERY, hide, "AND r.region = ?", ("浙江",))
    assert set(backend.ids(f'"{EVERY}"', hide_common=hide, regions=["浙江"])) == zhejiang
    assert backend.count(f'"{EVERY}"', hide_common=hide, regions=["浙江"]) == len(zhejiang)


def test_hide_common_sees_the_reuse_later_imports_find(backend_for, tmp_path):
    """A passage fed before any other report held it is hidden once later imports bring copies of it, in the
    backend that was open all along."""
    data = tmp_path / "data"
    phrase = f'"{COMMON["theory"][:20]}"'
    assert run("import", str(write_reports(tmp_path / "a", {"anji.txt": AUTHORED["anji.txt"]})), data=data).exit_code == 0
    backend = backend_for(data)
    assert backend.count(phrase) == 1 and backend.count(phrase, hide_common=2) == 1
    assert run("import", str(write_reports(tmp_path / "b", {"city.txt": AUTHORED["city.txt"]})), data=data).exit_code == 0
    assert backend.count(phrase) == 2 and backend.count(phrase, hide_common=2) == 0
    assert backend.count(phrase, hide_common=3) == 2
    more = {k: AUTHORED[k] for k in ("farm.txt", "town.txt")}
    assert run("import", str(write_reports(tmp_path / "c", more)), data=data).exit_code == 0
    assert backend.count(phrase) == 4 and backend.count(phrase, hide_common=4) == 0
    assert backend.count(phrase, hide_common=5) == 4
    assert set(backend.ids(f'"{EVERY}"', hide_common=3)) == hidden_truth(data, EVERY, 3)


def test_hide_common_after_an_import_cut_off_before_indexing(backend_for, tmp_path):
    """The record holds the new report and its reuse, the index not yet: catching up brings both."""
    data = tmp_path / "data"
    phrase = f'"{COMMON["discipline"][:20]}"'
    assert run("import", str(write_reports(tmp_path / "a", {"anji.txt": AUTHORED["anji.txt"]})), data=data).exit_code == 0
    backend = backend_for(data)
    assert backend.count(phrase, hide_common=2) == 1
    with Store(data) as store:
        with store.writer_lock():
            Importer(store).run([str(write_reports(tmp_path / "b", {"school.txt": AUTHORED["school.txt"]}))])
            assert reused.sync(store).matches == 1
        index = open_maintenance(store)
        assert index.check()
        done = index.catch_up()
        assert not done.error and index.check() == []
    assert backend.count(phrase) == 2 and backend.count(phrase, hide_common=2) == 0
    assert set(backend_for(data).ids(f'"{EVERY}"', hide_common=2)) == hidden_truth(data, EVERY, 2)


def test_a_correction_of_who_wrote_it_is_searched_at_once(backend_for, tmp_path):
    data = tmp_path / "data"
    assert run("import", str(write_reports(tmp_path / "in", AUTHORED)), data=data).exit_code == 0
    backend = backend_for(data)
    with sql(data) as db:
        rid, passages = db.execute(f"SELECT r.report_id, count(*) {BASE} AND r.title LIKE '%教育局%' GROUP BY 1",
                                   (fold(EVERY),)).fetchone()
    assert backend.count(f'"{EVERY}"', regions=["江西"]) == 0
    assert run("set", rid, "--region", "江西", "--role", "县委书记", data=data).exit_code == 0
    result = backend.search(f'"{EVERY}"', regions=["江西"], limit=MAX_LIMIT)
    assert {h.report_id for h in result.hits} == {rid} and result.total == passages > 0
    assert {(h.role, h.region) for h in result.hits} == {("县委书记", "江西")}
    assert result.facets["role"] == {"县委书记": result.total}
    assert backend.report_facets()["region"]["江西"] == 1
