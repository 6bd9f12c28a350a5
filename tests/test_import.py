"""`archive import`: dedupe, idempotence, bad input, and the JSON the CLI prints."""

from __future__ import annotations

import json
import os
import re
import sqlite3

import pytest

from tests.conftest import run

TEMPLATE_OPENING = "主任、副主任、各位委员：\n根据组织安排，现将本人一年来的履职情况报告如下，请予评议。"
TEMPLATE_CLOSING = "以上报告，不妥之处，敬请批评指正。"


def report(title: str, topic: str, n: int = 6) -> str:
    """A report of our own, different per topic, sharing the template opening and closing."""
    body = [f"一、{topic}方面的主要工作"]
    for i in range(n):
        body.append(f"（{'一二三四五六七八九十'[i]}）围绕{topic}第{i + 1}项重点任务，我们建立台账、明确责任，"
                    f"共完成{topic}相关事项{i * 7 + 3}件，群众满意度达到{90 + i}%，形成了{topic}长效机制。")
    body += ["二、存在的问题", f"{topic}工作的系统性还不够强，基层调研还不够深入。",
             "三、下一步打算", f"继续深化{topic}，力争明年取得新突破。"]
    return "\n".join([title, TEMPLATE_OPENING, *body, TEMPLATE_CLOSING])


def write(path, text: str, encoding: str = "utf-8") -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return str(path)


def import_json(data, *paths):
    result = run("import", "--json", *map(str, paths), data=data)
    return result.exit_code, json.loads(result.output)


@pytest.fixture
def inbox(tmp_path):
    d = tmp_path / "inbox"
    write(d / "a.txt", report("2021年度县科技局局长述职报告", "科技创新"))
    write(d / "b.txt", report("2022年度县商务局局长述职报告", "招商引资"))
    return d


def test_import_json_lists_every_added_report(tmp_path, inbox):
    code, out = import_json(tmp_path / "data", inbox)
    assert code == 0
    assert sorted(a["title"] for a in out["added"]) == ["2021年度县科技局局长述职报告", "2022年度县商务局局长述职报告"]
    assert all(set(a) >= {"path", "report_id", "title"} for a in out["added"])
    assert out["duplicates"] == [] and out["failed"] == []


def test_import_shared_template_paragraphs_stay_two_reports(tmp_path, inbox):
    code, out = import_json(tmp_path / "data", inbox)
    assert len(out["added"]) == 2 and not out["duplicates"]


def test_import_exact_duplicate_in_another_encoding_becomes_a_copy(tmp_path, inbox):
    text = report("2021年度县科技局局长述职报告", "科技创新")
    write(inbox / "a_gbk.txt", text, "gbk")
    write(inbox / "a_crlf.txt", "\ufeff" + text.replace("\n", "\r\n\r\n\u3000\u3000"), "utf-8")
    code, out = import_json(tmp_path / "data", inbox)
    assert code == 0 and len(out["added"]) == 2
    original = next(a["report_id"] for a in out["added"] if a["path"].endswith("a.txt"))
    dups = {os.path.basename(d["path"]): d for d in out["duplicates"]}
    assert set(dups) == {"a_gbk.txt", "a_crlf.txt"}
    assert all(d["of"] == original and d["kind"] == "exact" for d in dups.values())


def test_import_near_duplicate_repost_becomes_a_linked_copy(tmp_path, inbox):
    text = report("2021年度县科技局局长述职报告", "科技创新")
    lines = text.split("\n")
    repost = "\n".join(["下载", "打印", "【字号：大 中 小】", *lines[:5], "##paidbegin##", *lines[5:], "##paidend##"])
    repost = repost.replace("完成科技创新相关事项10件", "完成科技创新相关事项11件").replace("长效机制", "长效制度", 1)
    write(inbox / "repost.txt", repost)
    code, out = import_json(tmp_path / "data", inbox)
    (dup,) = out["duplicates"]
    assert dup["kind"] == "near" and 0.7 <= dup["similarity"] < 1.0
    assert dup["of"] == next(a["report_id"] for a in out["added"] if a["path"].endswith("a.txt"))
    db = sqlite3.connect(tmp_path / "data" / "archive.db")
    assert db.execute("SELECT count(*) FROM passages WHERE text LIKE '%paid%'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM copies WHERE relation = 'near'").fetchone()[0] == 1


def test_import_again_adds_nothing_and_skips_by_byte_hash(tmp_path, inbox):
    data = tmp_path / "data"
    import_json(data, inbox)
    db = sqlite3.connect(data / "archive.db")
    before = db.execute("SELECT count(*), (SELECT count(*) FROM passages), (SELECT count(*) FROM copies) "
                        "FROM reports").fetchone()
    code, out = import_json(data, inbox)
    assert code == 0 and out["added"] == [] and out["duplicates"] == []
    assert out["skipped"] == []
    assert [s["reason"] for s in out["unchanged"]] == ["unchanged since the last import"] * 2
    after = db.execute("SELECT count(*), (SELECT count(*) FROM passages), (SELECT count(*) FROM copies) "
                       "FROM reports").fetchone()
    assert before == after


def test_import_same_bytes_under_a_new_name_is_an_exact_copy(tmp_path, inbox):
    data = tmp_path / "data"
    import_json(data, inbox)
    (inbox / "a.txt").rename(inbox / "moved.txt")
    code, out = import_json(data, inbox)
    assert [os.path.basename(d["path"]) for d in out["duplicates"]] == ["moved.txt"]


def test_import_report_id_is_stable_across_archives(tmp_path, inbox):
    _, one = import_json(tmp_path / "one", inbox / "a.txt")
    _, two = import_json(tmp_path / "two", inbox)
    assert one["added"][0]["report_id"] in {a["report_id"] for a in two["added"]}


def test_import_bad_files_are_listed_and_the_rest_still_import(tmp_path, inbox):
    (inbox / "empty.txt").write_bytes(b"")
    (inbox / "blank.txt").write_bytes(b" \n\n\t\n")
    (inbox / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (inbox / "nul.txt").write_bytes(b"\x00" * 512)
    (inbox / "latin.txt").write_bytes(bytes(range(0x80, 0x100)) * 8 + b"\xc3" * 40)
    (inbox / "stub.txt").write_text("ok", encoding="utf-8")
    os.symlink(inbox / "nowhere.txt", inbox / "broken.txt")
    (inbox / "picture.png").write_bytes(b"\x89PNG")  # an image is read by OCR: these four bytes fail
    (inbox / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    code, out = import_json(tmp_path / "data", inbox)
    assert code == 1
    assert len(out["added"]) == 2
    failed = {os.path.basename(f["path"]): f["error"] for f in out["failed"]}
    assert set(failed) == {"empty.txt", "blank.txt", "binary.txt", "nul.txt", "latin.txt", "stub.txt", "broken.txt",
                           "picture.png"}
    assert "empty" in failed["empty.txt"] and "symlink" in failed["broken.txt"]
    assert all(len(reason) > 8 for reason in failed.values())
    assert [os.path.basename(s["path"]) for s in out["skipped"]] == ["sheet.xlsx"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_import_unreadable_file_fails_with_a_reason(tmp_path, inbox):
    (inbox / "secret.txt").write_text(report("2020年述职报告", "保密"), encoding="utf-8")
    os.chmod(inbox / "secret.txt", 0)
    code, out = import_json(tmp_path / "data", inbox)
    assert code == 1 and "permission" in out["failed"][0]["error"]


def test_import_missing_path_is_a_usage_error(tmp_path):
    result = run("import", str(tmp_path / "nope"), data=tmp_path / "data")
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_import_fifo_is_skipped_without_blocking(tmp_path, inbox):
    os.mkfifo(inbox / "pipe.txt")
    code, out = import_json(tmp_path / "data", inbox)
    assert code == 0
    assert "FIFO" in out["skipped"][0]["reason"]


def test_import_output_has_no_traceback_for_bad_input(tmp_path, inbox):
    (inbox / "binary.txt").write_bytes(os.urandom(4096))
    result = run("import", str(inbox), data=tmp_path / "data")
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "binary.txt" in result.output


def test_show_json_is_the_report_object(tmp_path, inbox):
    _, out = import_json(tmp_path / "data", inbox)
    rid = out["added"][0]["report_id"]
    obj = json.loads(run("show", rid, "--json", data=tmp_path / "data").output)
    assert {"report_id", "title", "year", "kind", "copies", "sections", "passages"} <= set(obj)
    assert {"copy_id", "path", "encoding", "sha256", "imported_at", "source_url"} <= set(obj["copies"][0])
    assert {"heading", "level", "section_type"} <= set(obj["sections"][0])
    assert {"passage_no", "section_type", "heading", "text"} <= set(obj["passages"][0])
    assert obj["year"] in (2021, 2022)


def test_show_unknown_id_is_a_clear_error(tmp_path, inbox):
    import_json(tmp_path / "data", inbox)
    result = run("show", "0000", data=tmp_path / "data")
    assert result.exit_code == 1 and "no report with id" in result.output


def test_stats_json_counts(tmp_path, inbox):
    import_json(tmp_path / "data", inbox)
    stats = json.loads(run("stats", "--json", data=tmp_path / "data").output)
    assert stats["reports"] == 2 and stats["copies"] == 2 and stats["passages"] > 20


def test_original_bytes_are_kept_content_addressed(tmp_path, inbox):
    data = tmp_path / "data"
    _, out = import_json(data, inbox)
    obj = json.loads(run("show", out["added"][0]["report_id"], "--json", data=data).output)
    sha = obj["copies"][0]["sha256"]
    kept = data / "sources" / sha[:2] / sha
    assert kept.read_bytes() == open(obj["copies"][0]["path"], "rb").read()


def test_import_off_a_terminal_says_how_far_it_has_got_and_verbose_lists_reports(tmp_path, inbox, monkeypatch):
    from archive import cli as archive_cli

    monkeypatch.setattr(archive_cli, "PROGRESS_EVERY", 0.0)  # a line for every file instead of every 10 s
    result = run("import", "--verbose", str(inbox), data=tmp_path / "data")
    progress = [line for line in result.output.splitlines() if line.startswith("importing: ")]
    files = sum(1 for p in inbox.rglob("*") if p.is_file())
    assert len(progress) >= files and "indexing" in progress[-1]
    added = [line for line in result.output.splitlines() if line.startswith("added ") and " — " in line]
    listed = json.loads(run("show", "--json", added[0].split()[1].rstrip(":"), data=tmp_path / "data").output)
    assert len(added) == int(re.search(r"added (\d+) reports", result.output).group(1)) and listed["title"]


def test_set_corrects_title_year_and_kind_and_search_sees_it(tmp_path, inbox):
    data = tmp_path / "data"
    added = json.loads(run("import", "--json", str(inbox), data=data).output)["added"]
    rid = added[0]["report_id"]
    before = json.loads(run("show", "--json", rid, data=data).output)
    out = run("set", rid, "--title", "更正后的标题", "--year", "2018", "--kind", "工作总结", "--json", data=data)
    assert out.exit_code == 0, out.output
    fixed = json.loads(run("show", "--json", rid, data=data).output)
    assert (fixed["title"], fixed["year"], fixed["kind"]) == ("更正后的标题", 2018, "工作总结")
    assert fixed["provenance"]["year"]["source"] == "corrected"
    assert fixed["provenance"]["year"]["derived"] == (str(before["year"]) if before["year"] else None)
    hits = json.loads(run("search", "--json", "--year", "2018", "--limit", "100", "的", data=data).output)["hits"]
    assert hits and {h["report_id"] for h in hits} == {rid} and hits[0]["title"] == "更正后的标题"
    assert run("set", rid, "--year", "none", data=data).exit_code == 0
    assert json.loads(run("show", "--json", rid, data=data).output)["year"] is None
    again = json.loads(run("import", "--json", str(inbox), data=data).output)  # re-import keeps the correction
    assert again["added"] == [] and json.loads(run("show", "--json", rid, data=data).output)["title"] == "更正后的标题"


@pytest.mark.parametrize("args", [["--year", "20x3"], ["--kind", "小说"], [], ["--title", " "]])
def test_set_refuses_what_it_cannot_store(tmp_path, inbox, args):
    data = tmp_path / "data"
    rid = json.loads(run("import", "--json", str(inbox), data=data).output)["added"][0]["report_id"]
    assert run("set", rid, *args, data=data).exit_code == 2
    assert run("set", "0000000000000000", "--year", "2020", data=data).exit_code == 1


def test_an_archive_from_an_earlier_version_is_brought_up_to_date_when_read(tmp_path, inbox):
    from archive.store import Store

    data = tmp_path / "data"
    run("import", str(inbox), data=data)
    db = sqlite3.connect(data / "archive.db")
    expected = db.execute("SELECT report_id, role, level, region FROM reports ORDER BY id").fetchall()
    for table in ("passage_reuse", "reuse_signatures", "report_fields"):
        db.execute(f"DROP TABLE {table}")
    for column in ("role", "level", "region"):
        db.execute(f"ALTER TABLE reports DROP COLUMN {column}")
    db.commit()
    db.close()
    with Store(data, readonly=True) as store:
        report = store.report(expected[0][0])
        assert "reuse_ratio" in report and report["provenance"] == {}
        assert store.conn.execute("SELECT report_id, role, level, region FROM reports ORDER BY id").fetchall() == expected
    assert json.loads(run("search", "--json", "的", data=data).output)["total"] > 0


def test_manifest_title_year_and_kind_win_over_the_text_and_say_so(tmp_path):
    from tests.support.reports import MINI, write_reports

    inbox = write_reports(tmp_path / "in", {"a.txt": MINI["a.txt"], "b.txt": MINI["b.txt"]})
    (inbox / "manifest.csv").write_text(
        "file,url,title,year,kind\n"
        "a.txt,https://example.org/a,县科技局2021年度述职述责述廉报告,2020,述职述责述廉报告\n"
        "b.txt,,,20x1,小说\n", encoding="utf-8")
    out = json.loads(run("import", "--json", str(inbox), data=tmp_path / "data").output)
    by_path = {os.path.basename(a["path"]): a["report_id"] for a in out["added"]}
    a = json.loads(run("show", "--json", by_path["a.txt"], data=tmp_path / "data").output)
    assert (a["title"], a["year"], a["kind"]) == ("县科技局2021年度述职述责述廉报告", 2020, "述职述责述廉报告")
    assert a["provenance"]["year"] == {"source": "manifest", "derived": "2021", "set_at": a["provenance"]["year"]["set_at"]}
    assert a["copies"][0]["source_url"] == "https://example.org/a"
    b = json.loads(run("show", "--json", by_path["b.txt"], data=tmp_path / "data").output)
    assert b["provenance"] == {} and b["year"] == 2022  # values that cannot be right are not taken


def test_reclassify_restores_types_an_older_classifier_gave_and_keeps_corrections(tmp_path, samples):
    data = tmp_path / "data"
    run("import", str(samples), data=data)
    fresh = json.loads(run("reclassify", "--dry-run", "--json", data=data).output)
    assert [c for c in fresh["changes"] if not c["skipped"]] == []  # today's import is today's rules
    db = sqlite3.connect(data / "archive.db")
    rid, year = db.execute("SELECT report_id, year FROM reports WHERE kind = '述职报告' AND year IS NOT NULL "
                           "ORDER BY id LIMIT 1").fetchone()
    before = db.execute("SELECT passage_no, section_type FROM passages WHERE report_id = ? ORDER BY passage_no",
                        (rid,)).fetchall()
    db.execute("UPDATE passages SET section_type = 'other' WHERE report_id = ?", (rid,))  # an older classifier
    db.execute("UPDATE reports SET kind = '其他' WHERE report_id = ?", (rid,))
    db.commit()
    assert run("set", rid, "--year", str(year - 1), data=data).exit_code == 0  # a correction stays
    dry = json.loads(run("reclassify", "--dry-run", "--json", data=data).output)
    mine = [c for c in dry["changes"] if c["report_id"] == rid][0]
    assert mine["fields"] == {"kind": {"before": "其他", "after": "述职报告"}} and mine["passages_changed"] > 0
    assert db.execute("SELECT count(*) FROM passages WHERE report_id = ? AND section_type != 'other'",
                      (rid,)).fetchone()[0] == 0  # a dry run changes nothing
    out = run("reclassify", data=data)
    assert out.exit_code == 0 and "changed 1 reports" in out.output
    assert db.execute("SELECT passage_no, section_type FROM passages WHERE report_id = ? ORDER BY passage_no",
                      (rid,)).fetchall() == before
    assert db.execute("SELECT kind, year FROM reports WHERE report_id = ?", (rid,)).fetchone() == ("述职报告", year - 1)
    hits = json.loads(run("search", "--json", "--kind", "述职报告", "--limit", "100", "的", data=data).output)
    assert rid in {h["report_id"] for h in hits["hits"]} or hits["total"] > 100
