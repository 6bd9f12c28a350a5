"""The HTML pages, citations, sources, errors and headers, with Flask's test client on the imported samples."""

from __future__ import annotations

import codecs
import html
import os
import re
import shutil
import signal
import subprocess
import sys
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.request import urlopen

import pytest

import webui.cli  # noqa: F401  (registers serve on the archive group)
from archive.model import SECTION_TYPES
from tests.conftest import run
from webui import SECURITY_HEADERS, cite, create_app


class Page(HTMLParser):
    """Every start tag with its attributes, and the text inside <script> and <style> elements."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.inline_code: list[str] = []
        self._raw = None
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._raw = tag

    def handle_endtag(self, tag):
        if tag == self._raw:
            self._raw = None

    def handle_data(self, data):
        if self._raw and data.strip():
            self.inline_code.append(data)

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


@pytest.fixture(scope="module")
def xss_report(db) -> str:
    row = db.execute("SELECT report_id FROM passages WHERE text LIKE '%<script>alert(1)</script>%'").fetchone()
    assert row, "the samples should hold a report whose text contains <script>alert(1)</script>"
    return row[0]


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def assert_no_markup_injected(markup: str) -> None:
    page = Page(markup)
    assert "<script>alert" not in markup and "onerror=alert(1)>" not in markup
    assert page.inline_code == []  # CSP forbids inline code; none is ever sent
    for tag, attrs in page.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "style" not in attrs, (tag, attrs)
        if tag == "script":
            assert attrs.get("src") == "/static/app.js"
        if tag == "img":
            assert attrs.get("src") == "/static/favicon.svg"


# -- search page -------------------------------------------------------------


def test_home_shows_box_examples_and_counts(client, db):
    markup = get(client, "/")
    page = Page(markup)
    assert page.find("input", name="q")
    assert "试试这些查询" in markup and 'href="/?q=' in markup
    (reports,) = db.execute("SELECT count(*) FROM reports").fetchone()
    assert f"{reports:,} 份" in markup
    assert f"档案现收录报告 {reports:,} 份" in markup  # the footer


def test_search_page_shows_marked_hits_linking_to_passages(client):
    markup = get(client, "/?q=%22两个维护%22")
    page = Page(markup)
    assert page.find("input", name="q", value='"两个维护"')  # the box keeps the query
    assert "<mark>两个维护</mark>" in markup or "<mark>兩個維護</mark>" in markup
    assert re.search(r"找到 <strong class=\"total\">\d+</strong> 段 · <strong class=\"total-reports\">\d+</strong> 份报告", markup)
    assert "毫秒" in markup and "处匹配" in markup  # grouped by report by default
    links = [a["href"] for a in page.find("a") if re.match(r"/r/\w+\?q=", a.get("href", ""))]
    assert links and all(re.fullmatch(r"/r/\w+\?q=%22%E4%B8%A4%E4%B8%AA%E7%BB%B4%E6%8A%A4%22(#p\d+|#m1)?", u)
                         for u in links)
    assert any(u.endswith("#p" + u.rsplit("#p", 1)[-1]) for u in links if "#p" in u)
    assert "政治建设与理论学习" in markup  # section types by their Chinese labels


def test_search_page_syntax_line_near_box(client):
    markup = get(client, "/?q=工作")
    assert "精确短语" in markup and "A OR B" in markup and "-排除" in markup and "括号" in markup


def total_of(markup: str) -> int:
    return int(re.search(r'class="total">([\d,]+)<', markup).group(1).replace(",", ""))


def test_search_page_facet_link_narrows_and_can_be_removed(client):
    facets = client.get("/api/search?q=%22工作%22").get_json()
    value = next(k for k, n in facets["facets"]["section_type"].items() if n < facets["total"])
    wide = get(client, "/?q=%22工作%22")
    link = Page(wide).find("a", **{"data-facet": "section", "data-value": value})[0]
    narrow = get(client, link["href"])
    assert total_of(narrow) < total_of(wide)
    page = Page(narrow)
    assert page.find("input", type="hidden", name="section", value=link["data-value"])  # kept on a new query
    removals = [a["href"] for a in page.find("a") if a.get("class") == "remove"]
    assert removals
    assert total_of(get(client, removals[0])) == total_of(wide)


def test_search_page_bad_query_400_in_chinese(client):
    response = client.get("/?q=%22两个维护")
    assert response.status_code == 400
    markup = response.get_data(as_text=True)
    assert "这个查询无法执行" in markup and "引号没有闭合" in markup
    assert "Traceback" not in markup
    assert Page(markup).find("input", name="q", value='"两个维护')


@pytest.mark.parametrize("query, message", [
    ("(两个维护", "括号没有闭合"), ("-维护", "不能只有排除项"), ("维护 OR", "两边"), ("维" * 501, "查询太长"),
])
def test_search_page_bad_query_messages(client, query, message):
    response = client.get("/", query_string={"q": query})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_search_page_no_results_message(client):
    markup = get(client, "/?q=%22这句话不会出现在任何报告里%22")
    assert "没有找到匹配的段落" in markup


@pytest.mark.parametrize("view, listing", [("passages", "hits"), ("reports", "report-hits")])
def test_search_page_paginates(client, view, listing):
    first = get(client, f"/?q=%22工作%22&view={view}")
    assert 'rel="next"' in first
    second = get(client, f"/?q=%22工作%22&view={view}&page=2")
    assert 'aria-current="page">2<' in second and 'rel="prev"' in second
    assert Page(second).find("ol", **{"class": listing, "start": "11"})


@pytest.mark.parametrize("page", ["0", "-1", "abc", "101", "99999999999999", "1.5"])
def test_search_page_absurd_page_400(client, page):
    response = client.get("/", query_string={"q": "工作", "page": page})
    assert response.status_code == 400
    assert "页码" in response.get_data(as_text=True)


def test_search_page_unknown_filter_400(client):
    response = client.get("/?q=工作&section=nope")
    assert response.status_code == 400
    assert "没有这种栏目类型" in response.get_data(as_text=True)


def test_query_string_too_long_400(client):
    response = client.get("/?q=" + "a" * 9000)
    assert response.status_code == 400
    assert "过长" in response.get_data(as_text=True)


# -- report page ---------------------------------------------------------------


@pytest.fixture(scope="module")
def report_with_headings(db) -> str:
    return db.execute("SELECT report_id FROM sections GROUP BY report_id ORDER BY count(*) DESC LIMIT 1").fetchone()[0]


def test_report_page_anchors_every_passage(client, db, report_with_headings):
    rid = report_with_headings
    markup = get(client, f"/r/{rid}")
    page = Page(markup)
    passages = db.execute("SELECT passage_no, is_heading FROM passages WHERE report_id = ? ORDER BY passage_no",
                          (rid,)).fetchall()
    ids = [a["id"] for t, a in page.tags if t == "section" and "passage" in a.get("class", "")]
    assert ids == [f"p{n}" for n, _ in passages]
    for n, is_heading in passages:
        block = markup.split(f'id="p{n}"', 1)[1].split('class="pfoot"', 1)[0]
        assert f'href="#p{n}"' in block  # visibly numbered, linking to itself
        assert bool(re.search(r"<h[234] ", block)) == bool(is_heading)


def test_report_page_outline_links_into_text(client, db, report_with_headings):
    rid = report_with_headings
    page = Page(get(client, f"/r/{rid}"))
    outline = {a["href"] for a in page.find("a") if a.get("href", "").startswith("#p")}
    for (passage_no,) in db.execute("SELECT passage_no FROM sections WHERE report_id = ?", (rid,)):
        assert f"#p{passage_no}" in outline


def test_report_page_metadata_and_citation_meta_tags(client, db, report_with_headings):
    rid = report_with_headings
    title, year, kind, chars = db.execute("SELECT title, year, kind, chars FROM reports WHERE report_id = ?",
                                          (rid,)).fetchone()
    (copies,) = db.execute("SELECT count(*) FROM copies WHERE report_id = ?", (rid,)).fetchone()
    markup = get(client, f"/r/{rid}")
    page = Page(markup)
    assert page.find("meta", name="citation_title", content=title)
    assert page.find("meta", name="citation_public_url", content=f"http://localhost/r/{rid}")
    if year:
        assert page.find("meta", name="citation_publication_date", content=str(year))
    assert html.escape(title) in markup and kind in markup and f"{chars:,}" in markup
    assert f"{copies} 份" in markup


def test_report_page_marks_query_terms(client, db):
    rid, n = db.execute("SELECT report_id, passage_no FROM passages WHERE text LIKE '%两个维护%' "
                        "AND is_heading = 0").fetchone()
    markup = get(client, f"/r/{rid}?q=两个维护")
    block = markup.split(f'id="p{n}"', 1)[1].split('class="pfoot"', 1)[0]
    assert re.search(r'<mark id="m\d+">两个维护</mark>', block)
    assert "<mark" not in get(client, f"/r/{rid}").split("</header>", 2)[-1]


def test_report_page_steps_through_its_matches_without_script(client, db):
    rid = db.execute("SELECT report_id FROM passages WHERE text LIKE '%工作%' GROUP BY report_id "
                     "ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    markup = get(client, f"/r/{rid}?q=%22工作%22")
    ids = re.findall(r'<mark id="m(\d+)">', markup)
    assert ids == [str(i) for i in range(1, len(ids) + 1)] and len(ids) > 3
    assert f"共 {len(ids)} 处" in markup
    page = Page(markup)
    down = page.find("a", **{"class": "down"})[0]["href"]
    assert down.endswith("m=1#m1")
    second = get(client, f"/r/{rid}?q=%22工作%22&m=2")
    assert f"第 <span class=\"at\">2</span>/{len(ids)} 处" in second
    nav = Page(second)
    assert nav.find("a", **{"class": "up"})[0]["href"].endswith("m=1#m1")
    assert nav.find("a", **{"class": "down"})[0]["href"].endswith("m=3#m3")
    last = Page(get(client, f"/r/{rid}?q=%22工作%22&m={len(ids)}"))
    assert not last.find("a", **{"class": "down"})
    assert client.get(f"/r/{rid}?q=%22工作%22&m={len(ids) + 5}").status_code == 400


def test_report_page_find_box_and_outline_types(client, report_with_headings, db):
    markup = get(client, f"/r/{report_with_headings}")
    page = Page(markup)
    assert page.find("form", **{"class": "find", "action": f"/r/{report_with_headings}"})
    types = db.execute("SELECT section_type FROM sections WHERE report_id = ? ORDER BY section_no",
                       (report_with_headings,)).fetchall()
    outline = markup.split('class="outline"', 1)[1].split("</nav>", 1)[0]
    assert outline.count('class="otype stype"') == len(types)
    assert "← 全部报告" in markup and "← 结果" in get(client, f"/r/{report_with_headings}?q=工作")


def test_report_page_bad_query_marks_nothing(client, report_with_headings):
    markup = get(client, f"/r/{report_with_headings}?q=%22unclosed")
    assert "<mark>" not in markup.split('class="report-text"', 1)[1]


def test_report_page_cite_control_per_passage(client, db, report_with_headings):
    rid = report_with_headings
    markup = get(client, f"/r/{rid}")
    title = db.execute("SELECT title FROM reports WHERE report_id = ?", (rid,)).fetchone()[0]
    today = date.today().isoformat()
    (count,) = db.execute("SELECT count(*) FROM passages WHERE report_id = ?", (rid,)).fetchone()
    assert markup.count('<details class="cite">') == count
    (year,) = db.execute("SELECT year FROM reports WHERE report_id = ?", (rid,)).fetchone()
    expected = f"佚名. {title}[EB/OL]. 述职报告档案{f', {year}' if year else ''}: 第1段. [{today}]. http://localhost/r/{rid}#p1."
    assert html.escape(expected, quote=True) in markup or html.escape(expected, quote=False) in markup
    assert '<button type="button" class="copy" data-copy="cite-p1" hidden>' in markup  # JS shows it


def test_report_page_lists_copies_with_sources(client, db):
    rid = db.execute("SELECT report_id FROM copies GROUP BY report_id HAVING count(*) > 1 LIMIT 1").fetchone()
    assert rid, "the samples should hold duplicates"
    rid = rid[0]
    markup = get(client, f"/r/{rid}")
    copies = db.execute("SELECT id, relation, encoding, path, source_url FROM copies WHERE report_id = ?",
                        (rid,)).fetchall()
    section = markup.split('id="copies"', 1)[1]
    for copy_id, relation, encoding, path, source_url in copies:
        assert f'href="/r/{rid}/source/{copy_id}"' in section
        assert f'href="/r/{rid}/source/{copy_id}?download=1"' in section
        assert html.escape(re.split(r"[\\/]", path)[-1]) in section and encoding in section
        assert {"original": "首次导入", "exact": "完全相同", "near": "近似重复"}[relation] in section
        if source_url and source_url.startswith(("http://", "https://")):
            assert f'href="{html.escape(source_url)}"' in section


def test_report_page_unknown_id_404(client):
    response = client.get("/r/0000000000000000")
    assert response.status_code == 404
    markup = response.get_data(as_text=True)
    assert "找不到这个页面" in markup and "0000000000000000" in markup and "Traceback" not in markup


# -- citations -------------------------------------------------------------------


@pytest.mark.parametrize("fmt, content_type", [
    ("gbt7714", "text/plain; charset=utf-8"),
    ("bibtex", "application/x-bibtex; charset=utf-8"),
    ("ris", "application/x-research-info-systems; charset=utf-8"),
    ("csl-json", "application/vnd.citationstyles.csl+json"),
])
def test_cite_format_content_type(client, db, fmt, content_type):
    rid, _title = db.execute("SELECT report_id, title FROM reports ORDER BY id LIMIT 1").fetchone()
    response = client.get(f"/r/{rid}/cite/2?format={fmt}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    text = response.get_data(as_text=True)
    assert f"http://localhost/r/{rid}#p2" in text and "佚名" in text


def test_cite_gbt7714_form(client, db):
    rid, title, year = db.execute("SELECT report_id, title, year FROM reports WHERE year IS NOT NULL "
                                  "ORDER BY id LIMIT 1").fetchone()
    text = client.get(f"/r/{rid}/cite/3").get_data(as_text=True)
    assert text == f"佚名. {title}[EB/OL]. 述职报告档案, {year}: 第3段. [{date.today().isoformat()}]. http://localhost/r/{rid}#p3."


def test_cite_without_a_year_leaves_it_out(client, db):
    rid, title = db.execute("SELECT report_id, title FROM reports WHERE year IS NULL LIMIT 1").fetchone()
    text = client.get(f"/r/{rid}/cite/2").get_data(as_text=True)
    assert text.startswith(f"佚名. {title}[EB/OL]. 述职报告档案: 第2段. [")


def test_citation_downloads_are_named_for_the_passage(client, db):
    rid = db.execute("SELECT report_id FROM reports ORDER BY id LIMIT 1").fetchone()[0]
    response = client.get(f"/r/{rid}/cite/2?format=bibtex")
    assert response.headers["Content-Disposition"] == f'attachment; filename="shuzhi-{rid}-p2.bib"'


def test_public_url_is_used_for_permalinks_and_citations(sample_archive, db):
    from webui import create_app

    client = create_app({"TESTING": True, "DATA_DIR": str(sample_archive),
                         "PUBLIC_URL": "https://archive.example.org/shuzhi/"}).test_client()
    rid = db.execute("SELECT report_id FROM reports ORDER BY id LIMIT 1").fetchone()[0]
    assert client.get(f"/r/{rid}/cite/2").get_data(as_text=True).endswith(
        f" https://archive.example.org/shuzhi/r/{rid}#p2.")
    hit = client.get("/api/search?q=%E5%B7%A5%E4%BD%9C").get_json()["hits"][0]
    assert hit["url"].startswith("https://archive.example.org/shuzhi/r/")
    assert f"https://archive.example.org/shuzhi/r/{rid}#p1" in client.get(f"/r/{rid}").get_data(as_text=True)


def test_cite_csl_json_is_json(client, db):
    rid, title = db.execute("SELECT report_id, title FROM reports ORDER BY id LIMIT 1").fetchone()
    import json

    items = json.loads(client.get(f"/r/{rid}/cite/1?format=csl-json").get_data(as_text=True))
    assert items[0]["title"] == title and items[0]["URL"] == f"http://localhost/r/{rid}#p1"


def test_cite_unknown_format_400_and_passage_404(client, db):
    (rid,) = db.execute("SELECT report_id FROM reports LIMIT 1").fetchone()
    assert client.get(f"/r/{rid}/cite/1?format=mla").status_code == 400
    assert client.get(f"/r/{rid}/cite/99999").status_code == 404
    assert client.get("/r/0000000000000000/cite/1").status_code == 404


def citation(**changes) -> cite.Cited:
    fields = {"report_id": "abc123", "title": "标题", "year": 2023, "kind": "述职报告", "passage_no": 4,
              "url": "http://h/r/abc123#p4", "accessed": date(2026, 1, 2)}
    return cite.Cited(**{**fields, **changes})


def test_cite_bibtex_escapes_special_characters():
    out = cite.bibtex(citation(title="A {B} 100% & C_D #1 \\x"))
    assert r"title        = {A \{B\} 100\% \& C\_D \#1 \textbackslash{}x}" in out
    assert out.startswith("@misc{shuzhi-abc123-p4,\n") and "urldate      = {2026-01-02}" in out


def test_cite_ris_keeps_every_value_on_one_line():
    out = cite.ris(citation(title="第一行\n第二行\r\nER  - 伪造"))
    lines = out.split("\r\n")
    assert lines[0] == "TY  - ELEC" and lines[-2] == "ER  - " and lines[-1] == ""
    assert "TI  - 第一行 第二行 ER - 伪造" in lines
    assert "Y2  - 2026/01/02" in lines


def test_cite_without_year_leaves_it_out():
    assert "year" not in cite.bibtex(citation(year=None))
    assert "PY  -" not in cite.ris(citation(year=None))
    assert "issued" not in cite.csl_json(citation(year=None))


# -- sources -----------------------------------------------------------------------


def test_source_page_decodes_legacy_encodings(client, db, sample_archive):
    copies = db.execute("SELECT report_id, id, encoding, sha256 FROM copies "
                        "WHERE encoding NOT LIKE 'utf-8%' AND encoding NOT LIKE 'utf-16%'").fetchall()
    assert {"big5", "gb18030"} & {c[2] for c in copies}, "the samples should hold a GBK and a Big5 file"
    for rid, copy_id, encoding, sha in copies:
        try:
            codecs.lookup(encoding)
        except LookupError:  # a Word, PDF or scanned original: how it was read, not a text encoding
            continue
        raw = (sample_archive / "sources" / sha[:2] / sha).read_bytes()
        markup = get(client, f"/r/{rid}/source/{copy_id}")
        shown = html.unescape(re.search(r'<pre class="source-text">(.*?)</pre>', markup, re.DOTALL).group(1))
        assert shown == raw.decode(encoding)
        assert "\ufffd" not in shown and re.search(r"[\u4e00-\u9fff]{4}", shown)


def test_source_page_first_copy_and_download(client, db, sample_archive):
    rid, copy_id, sha = db.execute("SELECT report_id, id, sha256 FROM copies ORDER BY id LIMIT 1").fetchone()
    markup = get(client, f"/r/{rid}/source")
    assert f'/r/{rid}/source/{copy_id}?download=1' in markup
    response = client.get(f"/r/{rid}/source/{copy_id}?download=1")
    assert response.status_code == 200
    path, encoding = db.execute("SELECT path, encoding FROM copies WHERE id = ?", (copy_id,)).fetchone()
    assert response.headers["Content-Type"] == f"text/plain; charset={encoding}"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.isascii()
    from urllib.parse import unquote

    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == Path(path).name  # the original name
    assert response.data == (sample_archive / "sources" / sha[:2] / sha).read_bytes()


def test_source_page_escapes_text(client, xss_report):
    markup = get(client, f"/r/{xss_report}/source")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert_no_markup_injected(markup)


@pytest.mark.parametrize("url", ["/r/0000000000000000/source", "/r/{rid}/source/99999",
                                 "/r/{rid}/source/..%2F..%2Farchive.db", "/r/{rid}/source/-1"])
def test_source_unknown_copy_404(client, xss_report, url):
    response = client.get(url.format(rid=xss_report))
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)


# -- safety --------------------------------------------------------------------------


def test_xss_sample_escaped_on_every_page(client, xss_report):
    pages = {
        "report": get(client, f"/r/{xss_report}"),
        "report marked": get(client, f"/r/{xss_report}?q=alert"),
        "search": get(client, "/?q=%22alert(1)%22"),
        "search words": get(client, "/?q=alert onerror"),
        "query echoed": get(client, "/?q=%3Cscript%3Ealert(1)%3C/script%3E"),
        "bad query echoed": get(client, "/?q=%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E", status=400),
        "id echoed": get(client, "/r/%3Cscript%3Ealert(1)%3C%2Fscript%3E", status=404),
    }
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["report"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages["report"]
    assert "alert" in pages["search"] and "<mark>" in pages["search"]
    for markup in pages.values():
        assert_no_markup_injected(markup)


def test_source_url_only_linked_when_http(client):
    from webui.views import web_url

    assert web_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    for bad in ("javascript:alert(1)", "data:text/html,x", "http://x\" onmouseover=\"y", None, ""):
        assert web_url(bad) is None


@pytest.mark.parametrize("url, status", [
    ("/", 200), ("/?q=工作", 200), ("/r/0000000000000000", 404), ("/?q=%22", 400), ("/api/search?q=工作", 200),
    ("/api/search?q=%22", 400), ("/api/reports/nope", 404), ("/static/style.css", 200), ("/static/app.js", 200),
])
def test_security_headers_on_every_response(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "script-src 'self';" in response.headers["Content-Security-Policy"]


def test_security_headers_on_405(client):
    response = client.post("/")
    assert response.status_code == 405
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "不支持" in response.get_data(as_text=True)


def test_unexpected_error_is_500_page_without_traceback(sample_archive):
    app = create_app({"DATA_DIR": str(sample_archive)})

    @app.get("/boom")
    @app.get("/api/boom")
    def boom():
        raise RuntimeError("internal detail that must not leak")

    client = app.test_client()
    page = client.get("/boom")
    assert page.status_code == 500 and "服务器出错了" in page.get_data(as_text=True)
    api = client.get("/api/boom")
    assert api.status_code == 500 and set(api.get_json()) == {"error"}
    for response in (page, api):
        body = response.get_data(as_text=True)
        assert "Traceback" not in body and "internal detail" not in body
        assert response.headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]


def test_missing_archive_503_with_instructions(tmp_path):
    client = create_app({"DATA_DIR": str(tmp_path / "none")}).test_client()
    page = client.get("/")
    assert page.status_code == 503 and "archive import" in page.get_data(as_text=True)
    assert client.get("/api/search?q=x").status_code == 503
    assert client.get("/api/search?q=x").is_json


def test_favicon(client):
    assert client.get("/static/favicon.svg").status_code == 200
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data


# -- archive serve -----------------------------------------------------------------------


def test_serve_command_catches_up_the_index_and_serves(sample_copy):
    shutil.rmtree(sample_copy / "index")  # as if an import had been killed before indexing
    exe = Path(sys.executable).with_name("archive")
    proc = subprocess.Popen([str(exe), "--data", str(sample_copy), "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        lines = [proc.stdout.readline() for _ in range(2)]
        assert lines[0].startswith("indexed ")
        url = re.search(r"http://127\.0\.0\.1:\d+/", lines[1])
        assert url, lines
        with urlopen(url.group(0) + "?q=%E5%B7%A5%E4%BD%9C", timeout=20) as response:
            body = response.read().decode()
            assert response.status == 200
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "份报告" in body
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # take the whole group down, then say so
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise AssertionError("archive serve did not stop within 10 s of SIGTERM")


def test_serve_command_without_archive_says_what_to_do(tmp_path):
    result = run("serve", data=tmp_path / "none")
    assert result.exit_code == 1
    assert "no archive at" in result.output and "import PATH" in result.output
    assert not (tmp_path / "none").exists()


@pytest.mark.parametrize("text, heading, head", [
    ("一、加强理论学习", "一、加强理论学习", "一、加强理论学习"),
    ("（一）招商引资成效明显。坚持招商引资“一号工程”。", "（一）招商引资成效明显", "（一）招商引资成效明显。"),
    ("（二）外贸外资稳中有进。全市进出口总额完成412亿元，实际使用外资2.6亿美元。", None, "（二）外贸外资稳中有进。"),
    ("（三）短标题。后面的话", None, "（三）短标题。"),
    ("1.没有句号的小标题", None, "1.没有句号的小标题"),
])
def test_present_heading_split_separates_run_on_text(text, heading, head):
    from webui.present import heading_split, outline_label

    assert text[:heading_split(text, heading)] == head
    assert outline_label(text) == head.rstrip("。")


def test_report_page_run_on_heading_shown_as_heading_and_text(client, db):
    row = db.execute("SELECT p.report_id, p.passage_no, s.heading FROM passages p JOIN sections s "
                     "ON s.report_id = p.report_id AND s.passage_no = p.passage_no "
                     "WHERE p.is_heading AND length(p.text) > length(s.heading) + 5 LIMIT 1").fetchone()
    if row is None:
        pytest.skip("no run-on heading in the samples")
    rid, n, heading = row
    block = get(client, f"/r/{rid}").split(f'id="p{n}"', 1)[1].split('class="pfoot"', 1)[0]
    assert re.search(r"<h[234] class=\"ptext\">" + re.escape(html.escape(heading)), block)
    assert '<p class="ptext">' in block


# -- browsing, paging past the offsets, exports ------------------------------------------


def test_browse_lists_reports_with_facets_sort_and_paging(client, db):
    markup = get(client, "/reports?kind=%E8%BF%B0%E8%81%8C%E6%8A%A5%E5%91%8A&sort=title")
    page = Page(markup)
    expected = db.execute("SELECT report_id FROM reports WHERE kind = '述职报告' ORDER BY title, id").fetchall()
    listed = re.findall(r'<li><a href="/r/(\w+)">', markup.split('class="report-list"', 1)[1])
    assert listed == [r for (r,) in expected]
    assert total_of(markup) == len(expected)
    assert "栏目类型" in markup and "可多选" in markup  # the facets, counted in reports
    csv_link = [a["href"] for a in page.find("a") if re.match(r"/api/reports\?.*format=csv", a.get("href", ""))]
    assert csv_link and client.get(csv_link[0]).get_data().decode("utf-8-sig").count("\r\n") == len(expected) + 1
    small = create_app({"TESTING": True, "DATA_DIR": client.application.config["DATA_DIR"], "BROWSE_PAGE_SIZE": 5})
    second = small.test_client().get("/reports?page=2").get_data(as_text=True)
    assert 'aria-current="page">2<' in second and Page(second).find("ol", **{"class": "report-list", "start": "6"})


def test_filters_without_a_query_browse(client):
    response = client.get("/?year=2023")
    assert response.status_code == 302 and response.headers["Location"].endswith("/reports?year=2023")


def test_home_links_years_kinds_and_section_types(client, db):
    page = Page(get(client, "/"))
    hrefs = {a["href"] for a in page.find("a") if a.get("href", "").startswith("/reports?")}
    (year,) = db.execute("SELECT max(year) FROM reports").fetchone()
    assert f"/reports?year={year}" in hrefs and "/reports?section=problems" in hrefs
    assert any(h.startswith("/reports?kind=") for h in hrefs)


def test_results_page_links_exports_of_the_same_search(client):
    page = Page(get(client, "/?q=%E5%B7%A5%E4%BD%9C&section=problems&sort=-year"))
    links = [a["href"] for a in page.find("a") if a.get("href", "").startswith("/api/export?")]
    assert len(links) == 2 and all("section=problems" in u and "sort=-year" in u for u in links)
    body = client.get(links[0]).get_data()
    assert body.startswith("\ufeffreport_id,".encode())


def test_paging_switches_to_a_cursor_past_the_last_numbered_page(sample_archive):
    app = create_app({"TESTING": True, "DATA_DIR": str(sample_archive), "PAGE_SIZE": 3, "MAX_PAGE": 2})
    client = app.test_client()
    seen = []
    url = "/?q=%22%E5%B7%A5%E4%BD%9C%22&view=passages"
    for number in range(1, 12):
        markup = client.get(url).get_data(as_text=True)
        page = Page(markup)
        seen += [a["href"] for a in page.find("a") if re.fullmatch(r"/r/\w+\?q=[^#]+#p\d+", a.get("href", ""))]
        nxt = page.find("a", rel="next")
        if number >= 2:
            assert nxt and "after=" in nxt[0]["href"]  # past page 2: cursor links
        if number >= 3:
            assert "逐页向后翻" in markup
        url = nxt[0]["href"]
    assert len(seen) == len(set(seen)) == 33  # eleven pages of three, none twice
    assert client.get("/?q=%22%E5%B7%A5%E4%BD%9C%22&page=3").status_code == 400  # numbered pages stop at MAX_PAGE


def test_download_keeps_a_chinese_file_name(tmp_path):
    from urllib.parse import unquote

    from tests.conftest import run
    from tests.support.reports import MINI

    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "2021年 县科技局 述职.txt").write_text(MINI["a.txt"], encoding="utf-8")
    assert run("import", str(inbox), data=tmp_path / "data").exit_code == 0
    client = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data")}).test_client()
    rid = client.get("/api/reports").get_json()["reports"][0]["report_id"]
    response = client.get(f"/r/{rid}/source?download=1")
    disposition = response.headers["Content-Disposition"]
    assert disposition.isascii() and unquote(disposition.split("filename*=UTF-8''")[1]) == "2021年 县科技局 述职.txt"
    assert response.headers["Content-Type"].startswith("text/plain; charset=")


# -- trends ------------------------------------------------------------------------------------


def test_trend_page_draws_without_script_and_tabulates_the_api(client):
    markup = get(client, "/trend?q=%E5%B7%A5%E4%BD%9C&q=%22%E4%B8%A4%E4%B8%AA%E7%BB%B4%E6%8A%A4%22&kind=%E8%BF%B0%E8%81%8C%E6%8A%A5%E5%91%8A")
    data = client.get("/api/trend?q=%E5%B7%A5%E4%BD%9C&q=%22%E4%B8%A4%E4%B8%AA%E7%BB%B4%E6%8A%A4%22"
                      "&kind=%E8%BF%B0%E8%81%8C%E6%8A%A5%E5%91%8A").get_json()
    assert '<svg class="chart"' in markup and markup.count("<polyline") == 2
    assert markup.count("<circle") == 2 * len(data["years"])
    table = markup.split('class="trend-table"', 1)[1]
    assert all(f">{y}</a></th>" in table for y in data["years"])
    assert [s["q"] for s in data["series"]] == ["工作", '"两个维护"']
    csv_body = client.get("/api/trend?q=%E5%B7%A5%E4%BD%9C&format=csv").get_data().decode("utf-8-sig")
    assert csv_body.startswith("q,year,passages,reports,corpus_chars,per_10k_chars")
    per = get(client, "/trend?q=%E5%B7%A5%E4%BD%9C&measure=reports")
    assert 'aria-current="true">报告数<' in per


def test_trend_page_refuses_too_many_queries_in_chinese(client):
    response = client.get("/trend", query_string=[("q", f"词{i}") for i in range(6)])
    assert response.status_code == 400 and "1 到 5 个查询" in response.get_data(as_text=True)
    assert client.get("/api/trend", query_string=[("q", f"词{i}") for i in range(6)]).status_code == 400
    assert "短语趋势" in get(client, "/trend")


def test_results_page_has_a_trend_sparkline(client):
    markup = get(client, "/?q=%E5%B7%A5%E4%BD%9C")
    assert '<svg class="sparkline"' in markup and 'href="/trend?q=%E5%B7%A5%E4%BD%9C"' in markup


# -- compare -----------------------------------------------------------------------------------


def test_compare_aligns_by_section_type_and_marks_shared_passages(client, db):
    wang, zhang = (db.execute("SELECT report_id FROM reports WHERE title LIKE ?", (f"%{who}%",)).fetchone()[0]
                   for who in ("王某", "张某某"))
    markup = get(client, f"/compare?a={wang}&b={zhang}")
    rows = re.findall(r'<section class="cmp-row" id="t-(\w+)">', markup)
    assert rows and rows == [k for k in SECTION_TYPES if k in rows]  # in the design's order
    shared = re.findall(r'class="cmp-p (shared|near)[^"]*" id="a-p(\d+)"', markup)
    assert shared  # two reports written on one template share passages
    for kind, n in shared:
        badge = markup.split(f'id="a-p{n}"', 1)[1].split("</div>", 1)[0]
        target = re.search(r'href="#b-p(\d+)"', badge).group(1)
        assert f'id="b-p{target}"' in markup
    assert "的文字在另一份中也有" in markup


def test_compare_form_and_missing_report(client, db):
    rid = db.execute("SELECT report_id FROM reports LIMIT 1").fetchone()[0]
    assert 'name="b"' in get(client, f"/compare?a={rid}")
    assert client.get(f"/compare?a={rid}&b=0000000000000000").status_code == 404
    assert f'href="/compare?a={rid}"' in get(client, f"/r/{rid}")


def test_report_page_says_when_a_value_was_corrected(sample_copy):
    from tests.conftest import run

    client = create_app({"TESTING": True, "DATA_DIR": str(sample_copy)}).test_client()
    rid = client.get("/api/reports?sort=title").get_json()["reports"][0]["report_id"]
    before = client.get(f"/api/reports/{rid}").get_json()
    assert before["provenance"] == {}
    assert run("set", rid, "--kind", "工作总结", data=sample_copy).exit_code == 0
    markup = get(client, f"/r/{rid}")
    assert f"已更正，正文为“{before['kind']}”" in markup
    assert client.get(f"/api/reports/{rid}").get_json()["provenance"]["kind"]["source"] == "corrected"
    facets = client.get("/api/search?q=%E7%9A%84&kind=%E5%B7%A5%E4%BD%9C%E6%80%BB%E7%BB%93&limit=100").get_json()
    assert rid in {h["report_id"] for h in facets["hits"]}  # the warm facet data saw the correction


# -- reuse ------------------------------------------------------------------------------------


def test_reuse_badges_page_boilerplate_and_hiding(client, db):
    wang = db.execute("SELECT report_id FROM reports WHERE title LIKE '%王某%'").fetchone()[0]
    report = client.get(f"/api/reports/{wang}").get_json()
    shared = [p for p in report["passages"] if p["reuse"]]
    assert shared and report["reuse_ratio"] > 0  # two reports written on one template
    markup = get(client, f"/r/{wang}")
    assert markup.count('class="reuse-badge"') == len(shared)
    assert f"这段文字还出现在 {shared[0]['reuse']['reports']} 份报告中" in markup
    page = get(client, f"/r/{wang}/reuse")
    assert page.count('<section class="shared"') == len(shared) and "并排比较" in page
    api = client.get(f"/api/reports/{wang}/reuse").get_json()
    assert api["reuse_ratio"] == report["reuse_ratio"] and api["shared"][0]["also_in"][0]["report_id"]
    top = get(client, "/boilerplate")
    assert "份报告" in top and 'class="repeated"' in top
    text = shared[0]["text"]
    phrase = text[:12]
    everything = client.get("/api/search", query_string={"q": f'"{phrase}"', "limit": 100}).get_json()
    hidden = client.get("/api/search", query_string={"q": f'"{phrase}"', "limit": 100, "hide": 2}).get_json()
    assert everything["total"] > hidden["total"]
    assert all(h["text"] != text for h in hidden["hits"])
    assert client.get("/api/search?q=x&hide=1").status_code == 400
    assert "已隐藏在 ≥2 份报告中出现的段落" in get(client, f"/?q=%22{phrase}%22&hide=2")


def test_who_wrote_it_facets_filter_show_and_correct(sample_copy):
    from tests.conftest import run

    client = create_app({"TESTING": True, "DATA_DIR": str(sample_copy)}).test_client()
    reports = client.get("/api/reports?limit=100").get_json()["reports"]
    levels = {r["level"] for r in reports if r["level"]}
    roles = {r["role"] for r in reports if r["role"]}
    assert {"县", "乡镇", "村"} & levels and roles  # the samples run from village to county and sector heads
    facets = client.get("/api/search?q=%E5%B7%A5%E4%BD%9C&group=report&limit=0").get_json()["report_facets"]
    level = next(iter(facets["level"]))
    narrowed = client.get(f"/api/reports?level={level}&limit=100").get_json()
    assert narrowed["total"] == sum(1 for r in reports if r["level"] == level) > 0
    browse = get(client, f"/reports?level={level}")
    assert "层级" in browse and "职务" in browse
    rid = narrowed["reports"][0]["report_id"]
    assert run("set", rid, "--region", "浙江", "--role", "县委书记", data=sample_copy).exit_code == 0
    assert rid in {r["report_id"] for r in client.get("/api/reports?region=浙江").get_json()["reports"]}
    page = get(client, f"/r/{rid}")
    assert "浙江" in page and "已更正" in page
    hits = client.get("/api/search?q=%E7%9A%84&region=%E6%B5%99%E6%B1%9F&limit=100").get_json()["hits"]
    assert hits and {h["report_id"] for h in hits} == {rid} and hits[0]["role"] == "县委书记"
    assert client.get("/api/search?q=x&level=天上").status_code == 400


def test_copy_diff_marks_the_changed_figure_of_a_repost(client, db):
    rid, copy_id = db.execute("SELECT report_id, id FROM copies WHERE relation = 'near' AND path LIKE "
                              "'%commerce_bureau_director_shuzhi_repost%'").fetchone()
    report_page = get(client, f"/r/{rid}")
    assert f"/r/{rid}/copies/{copy_id}/diff" in report_page and f"副本 {copy_id} · " in report_page
    assert re.search(r"（\d+ 段仅见于这份副本，可检索）", report_page)
    markup = get(client, f"/r/{rid}/copies/{copy_id}/diff")
    assert '<del class="figure">3</del><ins class="figure">8</ins>' in markup  # 63 → 68 projects
    assert "<del>加快</del><ins>逐步</ins>" in markup
    assert re.search(r"改动 \d+ 段（其中 <strong>\d+</strong> 处数字不同）", markup)
    assert client.get(f"/r/{rid}/copies/999999/diff").status_code == 404
    # Text only the repost holds is found, says so, and links to its row in this diff.
    page = get(client, "/?q=%22%E4%BA%BF%E5%85%83%E4%BB%A5%E4%B8%8A%E9%A1%B9%E7%9B%AE68%E4%B8%AA%22&view=passages")
    link = re.search(r'<h2><a href="([^"]+)">', page).group(1)
    assert f"仅见于副本 {copy_id}" in page and re.match(rf"/r/{rid}/copies/{copy_id}/diff\?q=[^#]+#c\d+$", link)
    assert f'id="{link.rsplit("#", 1)[1]}"' in markup
    # Followed, the link marks the phrase in the copy's row, across the pieces the diff splits it into.
    path, anchor = link.replace("&amp;", "&").split("#")
    landed = get(client, path)
    row = re.search(rf'<li class="diff-row changed" id="{anchor}">.*?</li>', landed, re.S).group(0)
    assert "".join(re.findall(r"<mark>(.*?)</mark>", row)) == "亿元以上项目68个"
    assert '<del class="figure">3</del><ins class="figure"><mark>8</mark></ins>' in row
    report = client.get(f"/api/reports/{rid}").get_json()
    assert "68个" not in "".join(p["text"] for p in report["passages"])
    assert [p["copy_id"] for p in report["copy_passages"] if "68个" in p["text"]] == [copy_id]
    # The report page, asked for it, says it is only in the copy and links there (its own marks cannot show it).
    found = get(client, f"/r/{rid}?q=%22%E4%BA%BF%E5%85%83%E4%BB%A5%E4%B8%8A%E9%A1%B9%E7%9B%AE68%E4%B8%AA%22")
    assert "另有 1 段匹配只见于副本" in found and f'href="/r/{rid}/copies/{copy_id}/diff?q=' in found
    assert "<mark>亿元以上项目68个</mark>" in found.replace('<mark class="hl">', "<mark>")
    assert "匹配只见于副本" not in get(client, f"/r/{rid}") and "另有 2 段匹配只见于副本" in get(
        client, f"/r/{rid}?q=%E6%8B%9B%E5%95%86")  # 招商: in its text, and in two of the copy's paragraphs


def test_a_copy_from_behind_a_paywall_is_marked_incomplete(client, db):
    rid, copy_id, truncated = db.execute("SELECT report_id, id, truncated FROM copies WHERE path LIKE "
                                         "'%fanwen_paywall_pinyin%'").fetchone()
    assert truncated == 1
    report = client.get(f"/api/reports/{rid}").get_json()
    assert [c["truncated"] for c in report["copies"] if c["copy_id"] == copy_id] == [True]
    assert "这份副本不完整" in get(client, f"/r/{rid}")
