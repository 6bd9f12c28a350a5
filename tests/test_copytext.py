"""Text found only in a near copy: searchable, leading to the report, and never counted as its text again."""

from __future__ import annotations

import json
import sqlite3

from archive.copytext import only_in_copy
from tests.conftest import run
from tests.support.reports import MINI
from tests.test_import import report, write

KEPT = [{"passage_no": n, "section_no": s, "section_type": t, "heading": h, "is_heading": 0, "text": text}
        for n, s, t, h, text in [
            (1, None, "other", "", "各位领导、同志们："),
            (2, 1, "performance", "一、主要工作", "全年新开工亿元以上项目63个，完成投资120亿元。"),
            (3, 1, "performance", "一、主要工作", "坚持以人民为中心的发展思想，扎实推进乡村振兴。"),
            (4, 2, "plans", "二、下一步打算", "以上报告，请予评议。")]]


def test_a_changed_paragraph_and_an_added_one_are_kept_in_the_section_they_stand_in():
    copy = ["各位领导、同志们：", "全年新开工亿元以上项目68个，完成投资120亿元。",
            "坚持以人民为中心的发展思想，扎实推进乡村振兴。", "同时完成老旧小区改造41个，惠及居民1.2万户。",
            "以上报告，请予评议。"]
    found = only_in_copy(KEPT, copy)
    assert [(p["passage_no"], p["section_type"], p["heading"], p["text"]) for p in found] == [
        (2, "performance", "一、主要工作", "全年新开工亿元以上项目68个，完成投资120亿元。"),
        (4, "performance", "一、主要工作", "同时完成老旧小区改造41个，惠及居民1.2万户。")]


def test_a_copy_with_nothing_new_adds_nothing_and_a_moved_paragraph_is_not_new():
    same = [p["text"] for p in KEPT]
    assert only_in_copy(KEPT, same) == []
    moved = [same[1], same[0], same[2], same[3]]
    assert only_in_copy(KEPT, moved) == []
    # A repost's formatting is not new wording: a stop after the greeting, two paragraphs joined, spaces.
    reformatted = ["各位领导、同志们：.", same[1] + same[2], "以上 报告，请予评议。"]
    assert only_in_copy(KEPT, reformatted) == []
    # Nor is what the reposting site wrote mid-page.
    chrome = [same[0], "打印本页 关闭窗口", same[1], "责任编辑：王某", same[2], "扫一扫在手机打开当前页", same[3]]
    assert only_in_copy(KEPT, chrome) == []


def _repost_inbox(tmp_path):
    """A report of our own and a repost of it that changes one figure and adds one paragraph."""
    inbox = tmp_path / "inbox"
    text = report("2021年度县科技局局长述职报告", "科技创新")
    write(inbox / "a.txt", text)
    write(inbox / "b.txt", report("2022年度县商务局局长述职报告", "招商引资"))
    repost = text.replace("完成科技创新相关事项10件", "完成科技创新相关事项11件").replace(
        "二、存在的问题", "此外，全年新增省级科技特派员工作站五个。\n二、存在的问题")
    write(inbox / "repost.txt", repost)
    return inbox


def test_text_only_in_a_repost_is_found_and_leads_to_the_report(tmp_path):
    data = tmp_path / "data"
    out = json.loads(run("import", "--json", str(_repost_inbox(tmp_path)), data=data).output)
    (dup,) = out["duplicates"]
    rid = dup["of"]
    assert dup["paragraphs_only_here"] == 2
    # Stored with the copy from the paragraphs the import read, so the sync after it has nothing left to read.
    db = sqlite3.connect(data / "archive.db")
    (copy_id,) = db.execute("SELECT id FROM copies WHERE relation = 'near'").fetchone()
    assert db.execute("SELECT value FROM meta WHERE key = 'copy_text_mark'").fetchone() == (str(copy_id),)
    found = json.loads(run("search", "--json", '"相关事项11件"', data=data).output)
    (hit,) = found["hits"]
    assert hit["report_id"] == rid and hit["copy_id"] and "/copies/" in hit["url"]
    assert hit["url"].endswith(f"/r/{rid}/copies/{hit['copy_id']}/diff#c{hit['passage_no']}")
    added = json.loads(run("search", "--json", '"省级科技特派员工作站"', data=data).output)
    assert [h["copy_id"] for h in added["hits"]] == [hit["copy_id"]]
    kept = json.loads(run("search", "--json", '"科技创新相关事项10件"', data=data).output)
    assert [(h["report_id"], h["copy_id"]) for h in kept["hits"]] == [(rid, None)]
    shown = run("search", '"相关事项11件"', data=data).output
    assert f"仅见于副本 {hit['copy_id']}" in shown
    # The report is its own text: the copy's paragraphs are not in it, and the copy says how many it holds.
    obj = json.loads(run("show", "--json", rid, data=data).output)
    assert not any("11件" in p["text"] or "特派员" in p["text"] for p in obj["passages"])
    assert {c["relation"]: c["passages_only_here"] for c in obj["copies"]} == {"original": 0, "near": 2}
    assert json.loads(run("stats", "--json", data=data).output)["copy_passages"] == 2
    # Re-importing and reindexing add nothing twice.
    run("import", str(tmp_path / "inbox"), data=data)
    assert run("reindex", data=data).exit_code == 0
    again = json.loads(run("search", "--json", '"相关事项11件"', data=data).output)
    assert again["total"] == 1 and run("check", data=data).exit_code == 0


def test_an_archive_from_before_copies_had_passages_keeps_its_ids_and_gets_them_at_the_next_import(tmp_path):
    data = tmp_path / "data"
    inbox = _repost_inbox(tmp_path)
    run("import", str(inbox), data=data)
    db = sqlite3.connect(data / "archive.db")
    db.execute("DELETE FROM passages WHERE copy_id != 0")
    db.execute("DELETE FROM meta WHERE key = 'copy_text_mark'")
    own = db.execute("SELECT id, report_id, passage_no, text FROM passages ORDER BY id").fetchall()
    # The passages table as it was: no copy_id, unique per (report, number).
    db.executescript("""
        PRAGMA foreign_keys = OFF;
        CREATE TABLE old_passages (id INTEGER PRIMARY KEY AUTOINCREMENT, report_id TEXT NOT NULL REFERENCES
            reports(report_id), passage_no INTEGER NOT NULL, section_no INTEGER, section_type TEXT NOT NULL,
            heading TEXT NOT NULL, is_heading INTEGER NOT NULL, text TEXT NOT NULL, UNIQUE (report_id, passage_no));
        INSERT INTO old_passages SELECT id, report_id, passage_no, section_no, section_type, heading, is_heading, text
            FROM passages;
        DROP TABLE passages;
        ALTER TABLE old_passages RENAME TO passages;""")
    db.commit()
    db.close()
    assert run("reindex", data=data).exit_code == 0  # the old archive opens, is rebuilt, and gets them
    db = sqlite3.connect(data / "archive.db")
    assert db.execute("SELECT id, report_id, passage_no, text FROM passages WHERE copy_id = 0 ORDER BY id"
                      ).fetchall() == own
    assert db.execute("SELECT count(*) FROM passages WHERE copy_id != 0").fetchone()[0] == 2
    assert db.execute("SELECT min(id) FROM passages WHERE copy_id != 0").fetchone()[0] > own[-1][0]
    assert json.loads(run("search", "--json", '"相关事项11件"', data=data).output)["total"] == 1


def test_reuse_found_after_copies_gained_passages_points_at_the_reports_own_text(tmp_path):
    data = tmp_path / "data"
    out = json.loads(run("import", "--json", str(_repost_inbox(tmp_path)), data=data).output)
    rid = out["duplicates"][0]["of"]
    kept = json.loads(run("show", "--json", rid, data=data).output)["passages"]
    borrowed = next(p for p in kept if "完成科技创新相关事项24件" in p["text"])
    later = tmp_path / "later"
    write(later / "c.txt", MINI["c.txt"].replace("二、不足", borrowed["text"] + "\n二、不足"))
    run("import", str(later), data=data)  # its passages come after the copy's in id order
    obj = json.loads(run("show", "--json", rid, data=data).output)
    reused = {p["passage_no"]: p["reuse"] for p in obj["passages"] if p["reuse"]}
    # (Its sister paragraphs, which differ only in their figures, count as the same passage too.)
    assert reused[borrowed["passage_no"]] == {"reports": 1, "earliest_year": 2023}
    sources = [a for s in json.loads(run("reuse", "--json", rid, data=data).output)["shared"] for a in s["also_in"]]
    assert {(a["report_id"] != rid, a["text"]) for a in sources} == {(True, borrowed["text"])}  # that very passage
    db = sqlite3.connect(data / "archive.db")
    assert db.execute("SELECT count(*) FROM passage_reuse r JOIN passages p ON p.id = r.passage_id "
                      "WHERE p.copy_id != 0").fetchone()[0] == 0


def test_reclassify_leaves_the_copies_paragraphs_where_they_stand(tmp_path):
    data = tmp_path / "data"
    run("import", str(_repost_inbox(tmp_path)), data=data)
    db = sqlite3.connect(data / "archive.db")
    rows = "SELECT id, passage_no, section_no, section_type, heading, is_heading FROM passages WHERE copy_id != 0"
    before = db.execute(rows).fetchall()
    # An older classifier's type on one of the report's own passages, which reclassify puts right.
    (rid,) = db.execute("SELECT report_id FROM passages WHERE copy_id != 0 LIMIT 1").fetchone()
    db.execute("UPDATE passages SET section_type = 'integrity' WHERE report_id = ? AND copy_id = 0 AND "
               "section_type = 'performance'", (rid,))
    db.commit()
    assert run("reclassify", data=data).exit_code == 0
    assert db.execute("SELECT count(*) FROM passages WHERE report_id = ? AND copy_id = 0 AND "
                      "section_type = 'integrity'", (rid,)).fetchone()[0] == 0
    assert db.execute(rows).fetchall() == before


def test_reindex_looks_again_at_a_copy_that_could_not_be_read(tmp_path):
    data = tmp_path / "data"
    run("import", str(_repost_inbox(tmp_path)), data=data)
    db = sqlite3.connect(data / "archive.db")
    found = db.execute("SELECT id, report_id, copy_id, passage_no, text FROM passages WHERE copy_id != 0").fetchall()
    # As when its bytes could not be read at the import: nothing stored for it, the mark past it.
    db.execute("DELETE FROM passages WHERE copy_id != 0")
    db.commit()
    assert json.loads(run("search", "--json", '"相关事项11件"', data=data).output)["total"] == 0
    assert run("reindex", data=data).exit_code == 0
    again = db.execute("SELECT report_id, copy_id, passage_no, text FROM passages WHERE copy_id != 0").fetchall()
    assert again == [row[1:] for row in found]
    assert json.loads(run("search", "--json", '"相关事项11件"', data=data).output)["total"] == 1
    assert run("reindex", data=data).exit_code == 0  # and again: nothing twice
    assert db.execute("SELECT count(*) FROM passages WHERE copy_id != 0").fetchone()[0] == len(found)
