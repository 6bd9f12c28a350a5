"""Reuse kept in the archive: found on import, incrementally, shown per passage, and rebuilt the same."""

from __future__ import annotations

import json
import sqlite3

from archive import reused
from archive.store import Store
from index.search import Searcher
from tests.bench.reuse_corpus import build
from tests.conftest import run
from tests.support.reports import write_reports

SHARED = ("我们始终坚持以人民为中心的发展思想，扎实推进乡村振兴战略，全年新建高标准农田12000亩，"
          "改造农村公路86公里，新增就业岗位2300个，群众获得感幸福感安全感持续增强。")
REPORTS = {
    "a.txt": f"2019年度县农业农村局局长述职报告\n一、履职尽责\n{SHARED}\n二、存在问题\n调查研究还不够深入，工作方法有待改进。",
    "b.txt": f"2021年度某某镇党委书记述职报告\n一、工作成效\n{SHARED.replace('12000', '9800').replace('86', '41')}\n"
             "二、廉洁自律\n严格落实中央八项规定精神，自觉接受组织和群众监督，廉洁从政，干净干事。",
    "c.txt": "2022年度县文旅局局长述职报告\n一、工作成效\n全年接待游客三百万人次，旅游综合收入增长一成五，"
             "文旅融合发展格局基本形成，成功创建省级全域旅游示范区。\n二、下一步打算\n继续推进文旅融合发展。",
}


def test_import_finds_reuse_across_reports_and_the_report_says_so(tmp_path):
    data = tmp_path / "data"
    first = run("import", str(write_reports(tmp_path / "a", {"a.txt": REPORTS["a.txt"]})), data=data)
    assert first.exit_code == 0 and "shared between reports" not in first.output
    second = run("import", str(write_reports(tmp_path / "bc", {k: REPORTS[k] for k in ("b.txt", "c.txt")})), data=data)
    assert "found 1 passages shared between reports" in second.output  # the changed figures still count
    with Store(data, readonly=True) as store:
        ids = {r["title"][:4]: r["report_id"] for r in store.reports(limit=10)["reports"]}
        a, b, c = (store.report(ids[y]) for y in ("2019", "2021", "2022"))
    shared_a = [p for p in a["passages"] if p["reuse"]]
    assert [p["text"] for p in shared_a] == [SHARED] and shared_a[0]["reuse"] == {"reports": 1, "earliest_year": 2021}
    assert [p["reuse"] for p in b["passages"] if p["reuse"]] == [{"reports": 1, "earliest_year": 2019}]
    assert not any(p["reuse"] for p in c["passages"]) and c["reuse_ratio"] == 0
    assert 0 < a["reuse_ratio"] < 1
    detail = json.loads(run("reuse", "--json", ids["2021"], data=data).output)
    assert detail["shared"][0]["also_in"][0]["report_id"] == ids["2019"]
    assert detail["reuse_ratio"] == b["reuse_ratio"]


def test_reindex_finds_the_same_reuse_again(tmp_path):
    data = tmp_path / "data"
    run("import", str(write_reports(tmp_path / "in", REPORTS)), data=data)
    db = sqlite3.connect(data / "archive.db")
    before = sorted(db.execute("SELECT * FROM passage_reuse").fetchall())
    assert before
    assert run("reindex", data=data).exit_code == 0
    assert sorted(db.execute("SELECT * FROM passage_reuse").fetchall()) == before


def test_an_interrupted_reuse_sync_carries_on(tmp_path):
    data = tmp_path / "data"
    run("import", str(write_reports(tmp_path / "in", REPORTS)), data=data)
    with Store(data) as store:
        complete = sorted(store.conn.execute("SELECT * FROM passage_reuse").fetchall())
        with store.transaction():  # as if killed after the first report
            first = store.conn.execute("SELECT max(id) FROM passages WHERE report_id = "
                                       "(SELECT report_id FROM passages ORDER BY id LIMIT 1)").fetchone()[0]
            store.conn.execute("DELETE FROM passage_reuse")
            store.conn.execute("DELETE FROM reuse_signatures WHERE passage_id > ?", (first,))
            store.conn.execute("UPDATE meta SET value = ? WHERE key = 'reuse_mark'", (str(first),))
        assert reused.pending(store) > 0
        with store.writer_lock():
            reused.sync(store)
        assert reused.pending(store) == 0
        assert sorted(store.conn.execute("SELECT * FROM passage_reuse").fetchall()) == complete


def test_kept_counts_equal_a_count_over_the_pairs(tmp_path):
    more = dict(REPORTS)
    more["d.txt"] = f"2023年度县发改局局长述职报告\n一、工作成效\n{SHARED.replace('2300', '1900')}\n二、下一步打算\n继续努力。"
    data = tmp_path / "data"
    for name, text in more.items():  # one import each: counts grow report by report
        run("import", str(write_reports(tmp_path / name, {name: text})), data=data)
    db = sqlite3.connect(data / "archive.db")
    kept = sorted(db.execute("SELECT passage_id, reports FROM reuse_counts").fetchall())
    direct = sorted(db.execute(
        "SELECT r.passage_id, count(DISTINCT op.report_id) FROM passage_reuse r "
        "JOIN passages op ON op.id = r.other_passage_id GROUP BY r.passage_id").fetchall())
    assert kept == direct and max(n for _, n in kept) == 2


def test_reuse_found_import_by_import_equals_a_rebuild(tmp_path, monkeypatch):
    """A later, smaller import indexes only the stored keys its passages can meet and writes in several
    transactions: what it finds is what finding everything again finds."""
    corpus = build(40, seed=2)
    texts = {f"{rid}.txt": "\n".join(text for _, text in passages) for rid, passages in corpus.reports()}
    names = list(texts)
    data = tmp_path / "data"
    run("import", str(write_reports(tmp_path / "first", {n: texts[n] for n in names[:30]})), data=data)
    monkeypatch.setattr(reused, "WRITE_REPORTS", 3)
    with Store(data) as store:
        low = reused.mark(store)
    second = run("import", str(write_reports(tmp_path / "second", {n: texts[n] for n in names[30:]})), data=data)
    assert second.exit_code == 0
    tables = ("SELECT * FROM passage_reuse ORDER BY 1, 2", "SELECT * FROM reuse_counts ORDER BY 1",
              "SELECT * FROM reuse_signatures ORDER BY 1")
    with Store(data) as store:
        stepwise = [store.conn.execute(sql).fetchall() for sql in tables]
        with store.writer_lock():
            reused.rebuild(store)
        assert [store.conn.execute(sql).fetchall() for sql in tables] == stepwise
    across = [(a, b) for a, b, _ in stepwise[0] if a <= low < b]
    assert len(across) >= 5  # the second import's passages found in the first's


def test_a_warm_searcher_hides_a_passage_a_later_import_reuses_without_reloading_its_facets(tmp_path):
    data = tmp_path / "data"
    run("import", str(write_reports(tmp_path / "ac", {k: REPORTS[k] for k in ("a.txt", "c.txt")})), data=data)
    searcher = Searcher(Store(data, readonly=True))
    phrase = '"扎实推进乡村振兴战略"'
    assert searcher.search(phrase, hide_common=2).total == 1  # in one report so far: shown
    with Store(data, readonly=True) as store:
        facets, reuse = store.facets_generation(), reused.generation(store)
    run("import", str(write_reports(tmp_path / "b", {"b.txt": REPORTS["b.txt"]})), data=data)
    assert searcher.search(phrase).total == 2
    assert searcher.search(phrase, hide_common=2).total == 0  # now in two reports: both hidden, the old one too
    assert searcher.search(phrase, hide_common=3).total == 2
    with Store(data, readonly=True) as store:
        assert store.facets_generation() == facets == searcher.facet_table.generation  # nothing else reloaded
        assert reused.generation(store) > reuse
    searcher.close()
