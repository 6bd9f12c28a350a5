"""What every search engine must answer exactly: phrases against a scan, boolean logic, facets against
SQL, paging, folding, highlight offsets, and an index caught up after an interrupted import."""

from __future__ import annotations

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
