"""Search through the CLI and the local engine's own parts: ranking, nearness, snippets, index upkeep.

What every engine must answer alike (phrases against a scan, boolean logic,
facets against SQL, paging, folding, marks) is in ``tests/contract``."""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.store import Store
from archive.text import fold
from index.api import QueryError, open_backend
from index.nearness import nearness
from index.query import parse
from index.scoring import intersect
from index.search import Searcher
from tests.bench.phrases import random_substrings
from tests.conftest import run
from tests.support.reports import MINI, write_reports


@pytest.fixture
def mini(mini_archive) -> Path:
    """The three small reports, imported once for the session (tests only read it)."""
    return mini_archive


def search_json(data, *args) -> dict:
    result = run("search", "--json", "--limit", "100", *args, data=data)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def texts(out) -> list[str]:
    return [h["text"] for h in out["hits"]]


def folded_passages(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    return [(pid, fold(text)) for pid, text in conn.execute("SELECT id, text FROM passages")]


def truth_ids(conn: sqlite3.Connection, phrase: str, folded=None) -> set[int]:
    """The substring truth: a full scan of every passage."""
    needle = fold(phrase)
    return {pid for pid, text in (folded or folded_passages(conn)) if needle in text}


def random_cjk_substrings(conn, n: int, seed: int = 7) -> list[str]:
    """The benchmark's sampler: random CJK substrings of 2-10 characters of the passages."""
    return random_substrings(conn.execute("SELECT id, text FROM passages ORDER BY id").fetchall(), n, seed)


def assert_phrases_exact(data: Path, n: int) -> None:
    with open_backend(Store(data, readonly=True)) as backend:
        conn = backend.store.conn
        phrases = random_cjk_substrings(conn, n)
        lengths = {len(p) for p in phrases}
        assert {2, 3, 4} <= lengths
        folded = folded_passages(conn)
        wrong = [p for p in phrases if set(backend.ids(f'"{p}"')) != truth_ids(conn, p, folded)]
        assert wrong == [], f"{len(wrong)} of {n} phrases differ from a full scan, e.g. {wrong[:5]}"


def test_phrase_exactness_on_shared_seeds_and_corpus(corpus_archive):
    assert_phrases_exact(corpus_archive[0], 600)


def test_search_mode_finds_the_parts_of_a_compound(mini):
    assert any("招商引资" in t for t in texts(search_json(mini, "招商")))


def test_nearer_words_rank_higher(mini):
    # 资金 follows 招商 by 8 characters in the first, by 5 in the second (its second 招商), by 17 in the last.
    order = ["全县ＧＤＰ", "招商队伍建设", "招商工作成效"]
    for query in ("招商 资金", "招商资金", '"招商" 资金'):
        hits = texts(search_json(mini, query))
        assert [next(o for o in order if h.startswith(o)) for h in hits] == order, query


def test_filters_narrow_by_section_year_and_kind(mini):
    assert {h["section_type"] for h in search_json(mini, "招商", "--section", "problems")["hits"]} == {"problems"}
    assert {h["year"] for h in search_json(mini, "招商", "--year", "2023")["hits"]} == {2023}
    assert {h["kind"] for h in search_json(mini, "招商", "--kind", "工作总结")["hits"]} == {"工作总结"}
    assert search_json(mini, "招商", "--section", "problems", "--section", "plans")["total"] == 3


def test_snippets_escape_text_and_mark_hits(mini):
    hit = search_json(mini, '"八项规定"')["hits"][0]
    assert "<mark>八项规定</mark>" in hit["snippet_html"]
    assert re.sub(r"</?mark>", "", hit["snippet_html"]) in hit["text"] or "…" in hit["snippet_html"]


def test_snippet_html_is_escaped(tmp_path):
    data = tmp_path / "data"
    inbox = write_reports(tmp_path / "in", {"x.txt": "2020年信息中心工作总结\n一、安全防护\n拦截攻击串<script>alert(1)</script>"
                                                       "和\"><img src=x onerror=alert(1)>等恶意请求三千余次。"})
    run("import", str(inbox), data=data)
    hit = search_json(data, '"攻击串"')["hits"][0]
    assert "<script>" not in hit["snippet_html"] and "&lt;script&gt;" in hit["snippet_html"]
    assert "<img" not in hit["snippet_html"]


def test_json_object_has_the_design_shape(mini):
    out = search_json(mini, "招商")
    assert {"query", "total", "offset", "hits", "facets"} <= set(out)
    assert {"section_type", "year", "kind"} <= set(out["facets"])
    assert {"report_id", "title", "year", "kind", "section_type", "section_heading", "passage_no", "text",
            "snippet_html", "url"} <= set(out["hits"][0])
    assert re.fullmatch(r"http://127\.0\.0\.1:5000/r/[0-9a-f]{16}#p\d+", out["hits"][0]["url"])


def test_pagination_offsets_through_all_hits(mini):
    full = texts(search_json(mini, "招商"))
    pages = [texts(json.loads(run("search", "--json", "--limit", "2", "--offset", str(o), "招商",
                                  data=mini).output)) for o in range(0, len(full), 2)]
    assert sum(pages, []) == full


@pytest.mark.parametrize(
    "query, message",
    [
        ("两" * 10_000, "too long"),
        (" OR ".join(f"词{i}" for i in range(1000)), "too long"),
        (" OR ".join(f"词{i}" for i in range(40)), "too many terms"),
        ('"两个维护', "not closed"),
        ("(招商", "parenthesis"),
        ("招商)", "parenthesis"),
        ("-招商", "only exclude"),
        ("招商 OR", "both sides"),
        ("   ", "enter a word"),
    ],
)
def test_bad_queries_get_a_clear_message_and_exit_2(mini, query, message):
    with pytest.raises(QueryError, match=message):
        parse(query)
    result = run("search", "--", query, data=mini)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_unknown_filter_value_is_a_usage_error(mini):
    assert run("search", "招商", "--section", "nonsense", data=mini).exit_code == 2
    assert run("search", "招商", "--year", "20x3", data=mini).exit_code == 2


def test_cli_prints_a_readable_list(mini):
    result = run("search", "八项规定", data=mini)
    assert result.exit_code == 0
    assert "1 passages in 1 reports" in result.output and "廉洁自律与作风建设" in result.output and "/r/" in result.output


def test_check_finds_passages_missing_from_the_index_and_search_repairs(tmp_path):
    data = tmp_path / "data"
    run("import", str(write_reports(tmp_path / "in", {"a.txt": MINI["a.txt"]})), data=data)
    assert run("check", data=data).exit_code == 0
    # An import killed after its SQLite commit and before indexing leaves exactly this state.
    from archive.importer import Importer
    from archive.model import ImportSummary

    store = Store(data)
    importer = Importer(store)
    importer.run([str(write_reports(tmp_path / "in2", {"c.txt": MINI["c.txt"]}))])
    store.close()
    check = run("check", data=data)
    assert check.exit_code == 1 and "missing from" in check.output
    repaired = run("search", "招商", data=data)
    assert repaired.exit_code == 0 and "behind the archive" in repaired.output
    assert run("check", data=data).exit_code == 0
    assert ImportSummary  # the same objects the CLI uses


def test_check_reports_stale_entries(tmp_path):
    data = tmp_path / "data"
    run("import", str(write_reports(tmp_path / "in", MINI)), data=data)
    db = sqlite3.connect(data / "archive.db")
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("DELETE FROM passages WHERE report_id = (SELECT report_id FROM reports ORDER BY id DESC LIMIT 1)")
    db.commit()
    check = run("check", data=data)
    assert check.exit_code == 1 and "stale" in check.output


def test_reindex_rebuilds_the_same_results(tmp_path):
    data = tmp_path / "data"
    run("import", str(write_reports(tmp_path / "in", MINI)), data=data)
    before = search_json(data, "招商 OR 廉洁")
    result = run("reindex", data=data)
    assert result.exit_code == 0 and "indexed" in result.output
    after = search_json(data, "招商 OR 廉洁")
    assert [h["text"] for h in after["hits"]] == [h["text"] for h in before["hits"]]
    assert run("check", data=data).exit_code == 0


def test_export_jsonl_and_csv(mini):
    lines = run("export", '"招商"', data=mini).output.strip().split("\n")
    assert len(lines) == search_json(mini, '"招商"')["total"]
    assert all("招商" in json.loads(line)["text"] for line in lines)
    csv_out = run("export", '"招商"', "--format", "csv", data=mini).output
    assert csv_out.startswith("\ufeffreport_id,title,year,kind,section_type")
    assert run("export", '"没有这个短语"', "--format", "csv", data=mini).stdout_bytes == \
        "\ufeffreport_id,title,year,kind,section_type,section_heading,passage_no,text,url,copy_id\r\n".encode()


def test_a_long_lived_searcher_counts_and_scores_words_anew_after_an_import(tmp_path):
    data = tmp_path / "data"
    assert run("import", str(write_reports(tmp_path / "first", {"a.txt": MINI["a.txt"]})), data=data).exit_code == 0
    searcher = Searcher(Store(data, readonly=True))
    before = searcher.search("招商 资金")  # its words are now scored and kept
    rest = {name: text for name, text in MINI.items() if name != "a.txt"}
    assert run("import", str(write_reports(tmp_path / "rest", rest)), data=data).exit_code == 0
    after = searcher.search("招商 资金")
    fresh = Searcher(Store(data, readonly=True)).search("招商 资金")
    assert before.total == 1 and after.total == fresh.total == 3
    assert [(h.report_id, h.passage_no, h.score) for h in after.hits] == \
           [(h.report_id, h.passage_no, h.score) for h in fresh.hits]


def _ids(rng, count: int, top: int) -> np.ndarray:
    return np.sort(rng.choice(top, size=min(count, top), replace=False)).astype(np.int64)


@pytest.mark.parametrize("sizes", [
    (0, 0, 10), (0, 50, 100), (1, 1, 2),     # empty and tiny
    (40, 5000, 6000),                        # one much shorter: binary search
    (3000, 4000, 9000),                      # dense ids: lookup table
    (300, 400, 10_000_000),                  # sparse ids: binary search, no 10M table
    (5000, 5000, 5000),                      # the same ids
])
def test_and_of_two_result_sets_is_exactly_the_ids_in_both(sizes):
    rng = np.random.default_rng(sum(sizes))
    a, b = _ids(rng, sizes[0], sizes[2]), _ids(rng, sizes[1], sizes[2])
    beyond = np.append(a, sizes[2] + 1)  # an id past every id of the other side
    for x, y in ((a, b), (b, a), (beyond, b), (b, beyond)):
        common, in_x, in_y = intersect(x, y)
        assert common.tolist() == sorted(set(x.tolist()) & set(y.tolist()))
        assert (x[in_x] == common).all() and (y[in_y] == common).all()


@pytest.mark.parametrize("words", [["招商"], ["招商", "资金"], ["两个", "维护"], ["乡村", "振兴"]])
def test_vectorised_bm25_equals_whooshs_own_scores(mini, words):
    from whoosh import query as wq

    store = Store(mini, readonly=True)
    searcher = Searcher(store)
    searcher._refresh()
    pids, scores = searcher.scorer.all_words(words)
    terms = [wq.Term("body", w) for w in words]
    results = searcher._searcher.search(wq.And(terms) if len(terms) > 1 else terms[0], limit=None)
    col = searcher._searcher.reader().column_reader("pid")
    expected = {col[d]: s for s, d in results.top_n}
    assert dict(zip(pids.tolist(), scores.tolist())) == pytest.approx(expected)
    assert expected


# -- nearness -------------------------------------------------------------------------------------


def _nearness_by_definition(text: str, terms: list[str]) -> float:
    """Every way of picking one sighting per term: the window runs from the first start to the end of
    the sighting that starts last."""
    sightings = [[i for i in range(len(text)) if text.startswith(t, i)] for t in terms]
    if not all(sightings):
        return 0.0
    best = min(max((s, j) for j, s in enumerate(pick))[0] + len(terms[max((s, j) for j, s in enumerate(pick))[1]])
               - min(pick) for pick in itertools.product(*sightings))
    return min(1.0, sum(map(len, terms)) / best)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text("aAb学學习習政治", max_size=14), min_size=1, max_size=5),
       st.lists(st.text("ab学习政治", min_size=1, max_size=3), min_size=1, max_size=3, unique=True))
def test_nearness_of_many_passages_at_once_is_each_passages_own(texts, terms):
    """Passages as stored (traditional forms, capitals), terms folded as a query's are."""
    expected = [_nearness_by_definition(fold(t), terms) for t in texts]
    assert nearness(texts, terms).tolist() == pytest.approx(expected)


def test_every_query_error_is_said_in_english_and_chinese():
    from index.messages import MESSAGES

    assert set(MESSAGES["en"]) == set(MESSAGES["zh"])
    for code in MESSAGES["en"]:
        en, zh = MESSAGES["en"][code], MESSAGES["zh"][code]
        assert en.isascii() and not zh.isascii(), code
        params = {"text": "x", "max": 8, "chars": 600, "value": "v", "choices": "a, b", "unknown": "unknown",
                  "feature": "f"}
        assert QueryError(code, **params).message("zh") == zh.format(**params)
    with pytest.raises(ValueError):
        QueryError("no_such_code")


def test_cli_trend_prints_a_table_and_json(mini):
    out = run("trend", "招商", '"两个维护"', "--json", data=mini)
    data = json.loads(out.output)
    assert data["years"] == [2021, 2022, 2023] and [s["q"] for s in data["series"]] == ["招商", '"两个维护"']
    assert data["series"][1]["passages"] == [1, 1, 0]
    table = run("trend", "招商", data=mini).output
    assert table.startswith("year") and "2022" in table
