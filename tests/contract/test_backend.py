"""What every search engine must answer exactly: phrases against a scan, boolean logic, facets against
SQL, paging, folding, highlight offsets, and an index caught up after an interrupted import."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from archive.importer import Importer
from archive.store import Store
from archive.text import fold
from index.api import MAX_LIMIT, QueryError, open_maintenance
from tests.bench.phrases import random_substrings
from tests.conftest import run
from tests.support.reports import MINI, write_reports


def scan(data, phrase: str) -> set[int]:
    """The substring truth: every passage whose folded text holds the folded phrase."""
    with Store(data, readonly=True) as store:
        needle = fold(phrase)
        return {pid for pid, text in store.conn.execute("SELECT id, text FROM passages") if needle in fold(text)}


def texts(result) -> list[str]:
    return [h.text for h in result.hits]


def test_random_phrases_of_the_samples_equal_a_full_scan(backend_for, sample_archive):
    backend = backend_for(sample_archive)
    with Store(sample_archive, readonly=True) as store:
        rows = store.conn.execute("SELECT id, text FROM passages ORDER BY id").fetchall()
    folded = [(pid, fold(text)) for pid, text in rows]
    phrases = random_substrings(rows, 300, 11)
    assert {1, 2, 3, 4} & {len(p) for p in phrases} >= {2, 3, 4}
    wrong = [p for p in phrases if set(backend.ids(f'"{p}"')) != {pid for pid, t in folded if fold(p) in t}]
    assert wrong == [], f"{len(wrong)} of {len(phrases)} phrases differ from a scan, e.g. {wrong[:5]}"


@pytest.mark.parametrize("phrase", ["，", "”，", "6.5", "％", "GDP", "“两个维护”", "，不收受", "资", "12", "a"])
def test_phrases_with_punctuation_digits_and_latin_equal_a_scan(backend_for, mini_archive, phrase):
    got = set(backend_for(mini_archive).ids(f'"{phrase}"'))
    assert got == scan(mini_archive, phrase)


def test_folding_traditional_and_full_width(backend_for, mini_archive):
    backend = backend_for(mini_archive)
    assert texts(backend.search("兩個維護")) == texts(backend.search("两个维护"))
    assert backend.count('"兩個維護"') == 2
    assert backend.count("ＧＤＰ") == backend.count("GDP") == backend.count('"ｇｄｐ"') == 2


def test_words_are_all_required(backend_for, mini_archive):
    result = backend_for(mini_archive).search("招商 资金", limit=MAX_LIMIT)
    assert result.total >= 2
    assert all("招商" in fold(t) and "资金" in fold(t) for t in texts(result))


def test_or_not_and_groups_are_set_operations(backend_for, mini_archive):
    b = backend_for(mini_archive)
    ids = lambda q: set(b.ids(q))  # noqa: E731
    assert ids('"八项规定" OR "乡村振兴"') == ids('"八项规定"') | ids('"乡村振兴"') and len(ids('"八项规定" OR "乡村振兴"')) == 2
    assert ids('招商 -"营商环境"') == ids("招商") - ids('"营商环境"')
    assert ids("招商 NOT 资金") == ids("招商") - ids("资金")
    assert ids('("八项规定" OR "乡村振兴") 精神') == (ids('"八项规定"') | ids('"乡村振兴"')) & ids("精神")


def test_facets_and_filters_equal_sql(backend_for, sample_archive):
    backend = backend_for(sample_archive)
    db = sqlite3.connect(sample_archive / "archive.db")
    db.create_function("fold", 1, fold)
    for phrase, filters, where in [
        ("工作", {}, ""),
        ("廉洁", {"kinds": ["述职报告"]}, "AND r.kind = '述职报告'"),
        ("发展", {"years": ["2023", "2021"]}, "AND r.year IN (2021, 2023)"),
        ("问题", {"sections": ["problems", "plans"]}, "AND p.section_type IN ('problems', 'plans')"),
    ]:
        result = backend.search(f'"{phrase}"', limit=0, **filters)
        base = (f"FROM passages p JOIN reports r ON r.report_id = p.report_id "
                f"WHERE instr(fold(p.text), '{phrase}') {where}")
        assert result.total == db.execute(f"SELECT count(*) {base}").fetchone()[0] > 0
        assert result.facets["section_type"] == dict(db.execute(f"SELECT p.section_type, count(*) {base} GROUP BY 1"))
        assert result.facets["kind"] == dict(db.execute(f"SELECT r.kind, count(*) {base} GROUP BY 1"))
        years = dict(db.execute(f"SELECT coalesce(r.year, 'unknown'), count(*) {base} GROUP BY 1"))
        assert result.facets["year"] == {str(k): v for k, v in years.items()}
        assert backend.facets(f'"{phrase}"', **filters) == result.facets


def test_pages_walk_through_every_hit_once_in_order(backend_for, sample_archive):
    backend = backend_for(sample_archive)
    everything = backend.search('"发展"', limit=MAX_LIMIT)
    assert 10 < everything.total <= MAX_LIMIT
    pages = [backend.search('"发展"', offset=o, limit=7) for o in range(0, everything.total, 7)]
    assert [(h.report_id, h.passage_no) for p in pages for h in p.hits] == \
           [(h.report_id, h.passage_no) for h in everything.hits]
    assert all(p.total == everything.total for p in pages)
    assert len(backend.ids('"发展"')) == everything.total


def test_marks_point_at_the_matches_in_the_text(backend_for, mini_archive):
    backend = backend_for(mini_archive)
    for query, needles in [('"八项规定"', {"八项规定"}), ("两个维护", {"两个", "维护"}), ("GDP", {"gdp"}),
                           ('"兩個維護"', {"两个维护"})]:
        result = backend.search(query)
        assert result.hits, query
        for hit in result.hits:
            assert hit.marks, (query, hit.text)
            runs = re.compile("(?:" + "|".join(re.escape(fold(n)) for n in needles) + ")+")  # touching marks merge
            assert all(runs.fullmatch(fold(hit.text[s:e])) for s, e in hit.marks), (query, hit.marks)
            start, end = hit.snippet
            assert 0 <= start < end <= len(hit.text) and any(start <= s < end for s, _ in hit.marks)


def test_query_terms_for_highlighting_skip_exclusions(backend_for, mini_archive):
    backend = backend_for(mini_archive)
    assert backend.query_terms('"八项规定" 两个维护 -招商') == ["八项规定", "两个", "维护"]
    assert backend.query_terms('"not closed') == [] and backend.query_terms("") == []


@pytest.mark.parametrize("query, code", [('"两个维护', "unclosed_quote"), ("-招商", "only_exclusion"),
                                         ("两" * 600, "too_long"), ("招商 OR", "or_needs_terms")])
def test_bad_queries_raise_coded_errors(backend_for, mini_archive, query, code):
    with pytest.raises(QueryError) as caught:
        backend_for(mini_archive).search(query)
    assert caught.value.code == code and caught.value.message("zh") != caught.value.message("en")


def test_bad_filters_and_pages_raise_coded_errors(backend_for, mini_archive):
    backend = backend_for(mini_archive)
    for kwargs, code in [({"sections": ["nonsense"]}, "unknown_section"), ({"years": ["20x3"]}, "bad_year"),
                         ({"kinds": ["小说"]}, "unknown_kind"), ({"limit": MAX_LIMIT + 1}, "bad_limit")]:
        with pytest.raises(QueryError) as caught:
            backend.search("招商", **kwargs)
        assert caught.value.code == code


def test_an_open_backend_sees_an_interrupted_import_once_it_is_caught_up(backend_for, tmp_path):
    data = tmp_path / "data"
    assert run("import", str(write_reports(tmp_path / "a", {"a.txt": MINI["a.txt"]})), data=data).exit_code == 0
    backend = backend_for(data)
    assert backend.count("招商") == 1
    with Store(data) as store:  # an import cut off after its SQLite commit, before indexing
        Importer(store).run([str(write_reports(tmp_path / "c", {"c.txt": MINI["c.txt"]}))])
        index = open_maintenance(store)
        assert index.pending() > 0 and index.check()
        done = index.catch_up()
        assert done.behind > 0 and not done.busy and not done.error
        assert index.pending() == 0 and index.check() == []
    fresh = backend_for(data)
    assert backend.ids("招商") == fresh.ids("招商") and backend.count("招商") > 1


def _walk(backend, query: str, **kwargs) -> list:
    """Every page by cursor, from the first, as (report_id, passage_no) or report ids."""
    seen, after = [], None
    for _ in range(1000):
        page = backend.search(query, limit=7, after=after, **kwargs)
        if kwargs.get("group") == "report":
            seen += [r.report_id for r in page.reports]
        else:
            seen += [(h.report_id, h.passage_no) for h in page.hits]
        if page.next is None:
            return seen
        after = page.next
    raise AssertionError("the cursor never ended")


@pytest.mark.parametrize("sort", ["relevance", "year", "-year"])
def test_cursor_pages_walk_every_hit_once_in_order(backend_for, sample_archive, sort):
    backend = backend_for(sample_archive)
    everything = backend.search('"发展"', limit=MAX_LIMIT, sort=sort)
    walked = _walk(backend, '"发展"', sort=sort)
    assert walked == [(h.report_id, h.passage_no) for h in everything.hits]
    assert walked == ordered(backend, sample_archive, '"发展"', sort=sort) and len(walked) > 20


def test_sort_by_year_puts_unknown_years_last(backend_for, sample_archive):
    backend = backend_for(sample_archive)
    for sort, direction in (("year", 1), ("-year", -1)):
        years = [h.year for h in backend.search('"工作"', limit=MAX_LIMIT, sort=sort).hits]
        known = [y for y in years if y is not None]
        assert known == sorted(known, key=lambda y: direction * y) and known
        assert years[len(known):] == [None] * (len(years) - len(known))


def test_total_reports_and_report_facets_equal_sql(backend_for, sample_archive, db):
    backend = backend_for(sample_archive)
    result = backend.search('"工作"', limit=5, group="report")
    base = "FROM passages p JOIN reports r ON r.report_id = p.report_id WHERE instr(fold(p.text), '工作')"
    assert result.total_reports == db.execute(f"SELECT count(DISTINCT p.report_id) {base}").fetchone()[0] > 5
    assert backend.search('"工作"', limit=0).total_reports == result.total_reports
    assert result.report_facets["kind"] == dict(db.execute(f"SELECT r.kind, count(DISTINCT r.id) {base} GROUP BY 1"))
    assert result.report_facets["section_type"] == dict(
        db.execute(f"SELECT p.section_type, count(DISTINCT r.id) {base} GROUP BY 1"))
    years = dict(db.execute(f"SELECT coalesce(r.year, 'unknown'), count(DISTINCT r.id) {base} GROUP BY 1"))
    assert result.report_facets["year"] == {str(k): v for k, v in years.items()}


def ordered(backend, data, query: str, **kwargs) -> list[tuple[str, int]]:
    """Every hit as (report_id, passage_no), in the order the engine ranks them."""
    ids = backend.ids(query, **kwargs)
    with Store(data, readonly=True) as store:
        rows = store.hit_rows(ids)
    return [(rows[i][1], rows[i][7]) for i in ids]


def test_grouped_by_report_in_the_order_of_their_best_passage(backend_for, sample_archive):
    backend = backend_for(sample_archive)
    passages = ordered(backend, sample_archive, '"工作"')
    grouped = backend.search('"工作"', limit=MAX_LIMIT, group="report")
    assert [r.report_id for r in grouped.reports] == list(dict.fromkeys(rid for rid, _ in passages))
    assert sum(r.hits_in_report for r in grouped.reports) == grouped.total == len(passages)
    for report in grouped.reports:
        mine = [hit for hit in passages if hit[0] == report.report_id]
        assert report.hits_in_report == len(mine)
        assert [(h.report_id, h.passage_no) for h in report.hits] == mine[:3]
    assert _walk(backend, '"工作"', group="report") == [r.report_id for r in grouped.reports]


def test_cursors_are_checked(backend_for, sample_archive):
    backend = backend_for(sample_archive)
    cursor = backend.search('"工作"', limit=3).next
    assert cursor
    for bad, kwargs in [("not-a-cursor", {}), (cursor, {"sort": "year"}), (cursor, {"group": "report"}),
                        (cursor + "x" * 500, {}), (cursor, {"offset": 3})]:
        with pytest.raises(QueryError) as caught:
            backend.search('"工作"', after=bad, **kwargs)
        assert caught.value.code in ("bad_cursor", "cursor_and_offset")


def test_facet_options_count_each_facet_without_its_own_filter(backend_for, sample_archive):
    backend = backend_for(sample_archive)
    plain = backend.search('"工作"', limit=0)
    one = backend.search('"工作"', limit=0, sections=["problems"], kinds=["述职报告"])
    assert set(one.facets["section_type"]) == {"problems"}
    only_kind = backend.search('"工作"', limit=0, kinds=["述职报告"])
    assert one.facet_options["section_type"] == only_kind.facets["section_type"]  # all types, for OR
    only_section = backend.search('"工作"', limit=0, sections=["problems"])
    assert one.facet_options["kind"] == only_section.facets["kind"]
    assert one.facet_options["year"] == one.facets["year"]  # no year filter: as the result counts
    assert plain.facet_options == plain.facets
    either = backend.search('"工作"', limit=0, sections=["problems", "plans"], kinds=["述职报告"])
    opts = one.facet_options["section_type"]
    assert either.total == opts["problems"] + opts["plans"]


def test_report_facets_of_the_whole_archive_equal_sql(backend_for, sample_archive, db):
    backend = backend_for(sample_archive)
    facets = backend.report_facets()
    assert facets["kind"] == dict(db.execute("SELECT kind, count(*) FROM reports GROUP BY 1"))
    years = dict(db.execute("SELECT coalesce(year, 'unknown'), count(*) FROM reports GROUP BY 1"))
    assert facets["year"] == {str(k): v for k, v in years.items()}
    assert facets["section_type"] == dict(db.execute(
        "SELECT section_type, count(DISTINCT report_id) FROM passages GROUP BY 1"))
    narrowed = backend.report_facets(kinds=["述职报告"], sections=["problems"])
    assert narrowed["kind"] == dict(db.execute(
        "SELECT kind, count(*) FROM reports WHERE report_id IN "
        "(SELECT report_id FROM passages WHERE section_type = 'problems') GROUP BY 1"))
    assert narrowed["year"] == {str(k): v for k, v in db.execute(
        "SELECT coalesce(year, 'unknown'), count(*) FROM reports WHERE kind = '述职报告' AND report_id IN "
        "(SELECT report_id FROM passages WHERE section_type = 'problems') GROUP BY 1")}


@pytest.mark.parametrize("filters, where", [({}, ""), ({"kinds": ["述职报告"]}, "AND r.kind = '述职报告'"),
                                            ({"sections": ["performance"], "years": ["2021", "2022", "2023"]},
                                             "AND p.section_type = 'performance' AND r.year IN (2021, 2022, 2023)")])
def test_trend_numbers_equal_direct_counts(backend_for, sample_archive, db, filters, where):
    backend = backend_for(sample_archive)
    queries = ['"工作"', "招商引资", '"党风廉政" OR 廉洁']
    trend = backend.trend(queries, **filters)
    # A trend counts the archive's text once: paragraphs found only in a near copy are searched, not counted.
    base = f"FROM passages p JOIN reports r ON r.report_id = p.report_id WHERE r.year IS NOT NULL AND p.copy_id = 0 {where}"
    chars = dict(db.execute(f"SELECT r.year, sum(length(p.text)) {base} GROUP BY 1"))
    assert trend.years == list(range(min(chars), max(chars) + 1))
    assert trend.corpus_chars == [chars.get(y, 0) for y in trend.years]
    for query, series in zip(queries, trend.series):
        ids = backend.ids(query, **filters)  # the query's own hits, counted by year in SQL
        hits = f"{base} AND p.id IN (SELECT value FROM json_each(?))"
        per_year = dict(db.execute(f"SELECT r.year, count(*) {hits} GROUP BY 1", (json.dumps(ids),)))
        reports = dict(db.execute(f"SELECT r.year, count(DISTINCT r.id) {hits} GROUP BY 1", (json.dumps(ids),)))
        assert series.passages == [per_year.get(y, 0) for y in trend.years] and sum(series.passages) > 0
        assert series.reports == [reports.get(y, 0) for y in trend.years]
        assert series.per_10k_chars == [round(per_year.get(y, 0) * 10_000 / chars[y], 4) if chars.get(y) else 0
                                        for y in trend.years]
    phrase = trend.series[0]
    direct = dict(db.execute(f"SELECT r.year, count(*) {base} AND instr(fold(p.text), '工作') GROUP BY 1"))
    assert phrase.passages == [direct.get(y, 0) for y in trend.years]


def test_trend_takes_one_to_five_queries(backend_for, mini_archive):
    backend = backend_for(mini_archive)
    for queries in ([], ["招商"] * 6):
        with pytest.raises(QueryError) as caught:
            backend.trend(queries)
        assert caught.value.code == "trend_queries"
