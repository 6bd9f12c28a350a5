"""Real input from ../shared (skipped when absent): the seeds with altered copies, and the corpus."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import run

pytestmark = pytest.mark.shared


def altered_seed_copies(shared: Path, target: Path) -> dict[str, str]:
    """Each seed, re-encoded GB18030, with BOM + CRLF, and as a repost with markers and edits.

    Returns copy file name → the seed it comes from.
    """
    target.mkdir(parents=True)
    origin = {}
    for seed in sorted((shared / "seeds").glob("*.txt")):
        text = seed.read_text(encoding="utf-8")
        stem = seed.stem
        lines = text.split("\n")
        half = len(lines) // 2
        repost = "\n".join(["下载", "打印", "【字号：大 中 小】", "来源：某某网", *lines[:half], "##paidbegin##",
                            *lines[half:], "##paidend##", "相关报道：", "某某单位述职报告范文"])
        repost = repost.replace("的", "地", 2).replace("工作", "事业", 1)
        copies = {
            f"{stem}_gb18030.txt": text.encode("gb18030"),
            f"{stem}_bom_crlf.txt": b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"),
            f"{stem}_repost.txt": repost.encode("utf-8"),
        }
        for name, data in copies.items():
            (target / name).write_bytes(data)
            origin[name] = seed.name
    return origin


def test_seeds_with_altered_copies_make_exactly_five_reports(shared, tmp_path):
    origin = altered_seed_copies(shared, tmp_path / "altered")
    data = tmp_path / "data"
    result = run("import", "--json", str(shared / "seeds"), str(tmp_path / "altered"), data=data)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert len(out["added"]) == 5 and not out["failed"]
    seed_report = {os.path.basename(a["path"]): a["report_id"] for a in out["added"]}
    assert len(out["duplicates"]) == len(origin)
    for dup in out["duplicates"]:
        name = os.path.basename(dup["path"])
        assert dup["of"] == seed_report[origin[name]], name
        assert dup["kind"] == ("near" if "repost" in name else "exact")
    db = sqlite3.connect(data / "archive.db")
    assert db.execute("SELECT count(*) FROM passages WHERE text LIKE '%paid%' OR text LIKE '%字号%'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM copies").fetchone()[0] == 20
    # What the reposts changed ("的" → "地", "工作" → "事业") is kept, searchable, as text only that copy holds;
    # nothing else of them is (their chrome is cleaned away, the rest is the kept text).
    only = db.execute("SELECT c.path, p.text FROM passages p JOIN copies c ON c.id = p.copy_id").fetchall()
    assert {os.path.basename(path) for path, _ in only} == {n for n in origin if "repost" in n}
    assert len(only) <= 2 * 5 and all("地" in text or "事业" in text for _, text in only)


def test_corpus_imports_end_to_end(shared, corpus_archive):
    data, out, exit_code = corpus_archive
    folders = [shared / "seeds", *sorted((shared / "corpus").glob("*/txt"))]
    files = sum(len(list(Path(f).glob("*.txt"))) for f in folders)
    assert len(out["added"]) + len(out["duplicates"]) + len(out["failed"]) + len(out["skipped"]) == files
    assert exit_code == (1 if out["failed"] else 0)
    # The three Wikisource stubs of yunyishen-gwr hold no report text; nothing else may fail.
    assert sorted(os.path.basename(f["path"]) for f in out["failed"]) == ["line_12.txt", "line_15.txt", "line_24.txt"]
    # 44 reposts of wikisource-gwr reports are linked to them, not added again.
    assert len(out["duplicates"]) == 44
    db = sqlite3.connect(data / "archive.db")
    for dup in out["duplicates"]:
        (original,) = db.execute("SELECT path FROM copies WHERE report_id = ? AND relation = 'original'",
                                 (dup["of"],)).fetchone()
        assert "wikisource-gwr" in original and "yunyishen-gwr" in dup["path"]
    assert len(out["added"]) == 5 + 122
    leftovers = "text LIKE '%Public domain%' OR text LIKE '%维基文库%' OR text LIKE '%【字号%' OR text = '下载'"
    assert db.execute(f"SELECT count(*) FROM passages WHERE {leftovers}").fetchone()[0] == 0
    # The reposts differ from the kept text in formatting only (stops after headings, paragraphs joined):
    # none of their paragraphs is new wording, so none is searchable a second time.
    assert db.execute("SELECT count(*) FROM passages WHERE copy_id != 0").fetchone()[0] == 0
    check = run("check", data=data)
    assert check.exit_code == 0, check.output


def test_a_phrase_broken_around_an_invisible_line_is_found_in_its_report(shared, corpus_archive):
    data, _, _ = corpus_archive
    out = json.loads(run("search", "--json", '"党风廉政建设"', "--year", "2017", data=data).output)
    assert any("2017" in h["title"] and h["kind"] == "政府工作报告" for h in out["hits"]), out["hits"][:3]
