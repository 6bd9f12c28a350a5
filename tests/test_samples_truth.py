"""The samples in import/ against their truth: the acceptance figures for real-world input."""

from __future__ import annotations

import json

import pytest

from tests.score import CHROME_LEFT_MAX, TARGETS, TRUTH, score


def test_samples_meet_the_targets(samples, tmp_path):
    from archive.formats.ocr import _tesseract

    truth = json.loads(TRUTH.read_text(encoding="utf-8"))
    if _tesseract() is None:  # the scanned sample cannot be read here: score the rest
        truth = {name: t for name, t in truth.items() if "scanned" not in name}
    result, summary = score(samples, tmp_path / "data", truth)
    assert not [f for f in summary["failed"] if "install" not in f["error"]]
    for key, target in TARGETS.items():
        assert result.ratio(key) >= target, (key, result.misses)
    assert result.ratio("chrome_left") <= CHROME_LEFT_MAX, result.misses


def test_truth_covers_every_new_sample_format(samples):
    truth = json.loads(TRUTH.read_text(encoding="utf-8"))
    suffixes = [name.rsplit(".", 1)[1] for name in truth]
    assert suffixes.count("docx") >= 3 and suffixes.count("pdf") >= 3
    assert suffixes.count("html") + suffixes.count("htm") >= 2 and suffixes.count("txt") >= 8
    assert all((samples / name).is_file() for name in truth)


def test_a_page_of_several_reports_becomes_one_report_per_part(sample_archive):
    import sqlite3

    db = sqlite3.connect(sample_archive / "archive.db")
    parts = db.execute("SELECT path FROM copies WHERE path LIKE '%fanwen_wupian_zongjie.txt#%'").fetchall()
    assert len(parts) == 5
    assert db.execute("SELECT count(DISTINCT report_id) FROM copies WHERE path LIKE '%fanwen_wupian_zongjie.txt#%'"
                      ).fetchone()[0] == 5


@pytest.mark.parametrize("marker", ["篇1", "篇2", "下面是小编", "此处隐藏", "(zhèn)", "25.50 KB", "浏览量"])
def test_no_site_text_survives_in_the_sample_archive(sample_archive, marker):
    import sqlite3

    db = sqlite3.connect(sample_archive / "archive.db")
    rows = db.execute("SELECT r.title, p.text FROM passages p JOIN reports r USING (report_id) "
                      "WHERE p.text LIKE ? OR r.title LIKE ?", (f"%{marker}%", f"%{marker}%")).fetchall()
    assert rows == []


def test_reimporting_the_samples_adds_nothing_and_a_renamed_page_links_every_part(samples, tmp_path):
    import shutil

    from tests.conftest import run

    data = tmp_path / "data"
    first = json.loads(run("import", "--json", str(samples), data=data).output)
    truncated = [a["path"].rsplit("/", 1)[1] for a in first["added"] + first["duplicates"] if a.get("truncated")]
    assert truncated == ["fanwen_paywall_pinyin.txt"]
    again = json.loads(run("import", "--json", str(samples), data=data).output)
    assert again["added"] == [] and again["duplicates"] == [] and again["failed"] == []
    shutil.copy(samples / "fanwen_wupian_zongjie.txt", tmp_path / "renamed.txt")
    moved = json.loads(run("import", "--json", str(tmp_path / "renamed.txt"), data=data).output)
    assert [d["path"].rsplit("/", 1)[1] for d in moved["duplicates"]] == [f"renamed.txt#{n}" for n in range(1, 6)]
