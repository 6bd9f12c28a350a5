"""The JSON API: /api/search, /api/reports, /api/reports/<id>, against the imported samples."""

from __future__ import annotations

from collections import Counter

import pytest

from archive.text import fold

HIT_KEYS = {"report_id", "title", "year", "kind", "section_type", "section_heading", "passage_no", "text",
            "snippet_html", "url", "role", "level", "region", "copy_id"}
REPORT_KEYS = {"report_id", "title", "year", "kind", "copies", "sections", "passages"}
COPY_KEYS = {"copy_id", "path", "encoding", "sha256", "imported_at", "source_url"}


def api_search(client, **params) -> dict:
    response = client.get("/api/search", query_string={"limit": 100, **params})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def truth_rows(db, phrase: str) -> list[tuple[str, int, str, str, str]]:
    """(report_id, passage_no, section_type, year, kind) of every passage holding the phrase, by full scan."""
    return db.execute(
        "SELECT p.report_id, p.passage_no, p.section_type, coalesce(CAST(r.year AS TEXT), 'unknown'), r.kind "
        "FROM passages p JOIN reports r ON r.report_id = p.report_id WHERE instr(fold(p.text), fold(?)) > 0",
        (phrase,)).fetchall()


def test_api_search_shape_matches_design(client):
    out = api_search(client, q="两个维护", limit=5)
    assert {"query", "total", "offset", "hits", "facets"} <= set(out)
    assert out["query"] == "两个维护" and out["offset"] == 0
    assert isinstance(out["total"], int) and out["total"] >= len(out["hits"]) > 0
    assert {"section_type", "year", "kind"} <= set(out["facets"])
    for facet in out["facets"].values():
        assert all(isinstance(k, str) and isinstance(v, int) and v > 0 for k, v in facet.items())
    for hit in out["hits"]:
        assert set(hit) == HIT_KEYS
        assert hit["url"] == f"http://localhost/r/{hit['report_id']}#p{hit['passage_no']}"


def test_api_search_quoted_phrase_returns_only_passages_containing_it(client, db):
    out = api_search(client, q='"两个维护"')
    truth = {(rid, no) for rid, no, *_ in truth_rows(db, "两个维护")}
    assert truth, "the samples should mention 两个维护"
    assert out["total"] == len(truth)
    assert {(h["report_id"], h["passage_no"]) for h in out["hits"]} == truth
    assert all("两个维护" in fold(h["text"]) for h in out["hits"])
    assert all("<mark>" in h["snippet_html"] for h in out["hits"])


def test_api_search_traditional_query_finds_simplified(client):
    simplified = api_search(client, q="两个维护")
    traditional = api_search(client, q="兩個維護")
    assert traditional["total"] == simplified["total"] > 0
    assert [(h["report_id"], h["passage_no"]) for h in traditional["hits"]] == \
        [(h["report_id"], h["passage_no"]) for h in simplified["hits"]]


@pytest.mark.parametrize("phrase, filters", [
    ("两个维护", {}),
    ("存在问题", {}),
    ("招商引资", {}),
    ("廉洁", {}),
    ("学习", {"section": ["political"]}),
    ("问题", {"section": ["problems", "plans"]}),
    ("工作", {"kind": ["述职报告"]}),
    ("工作", {"year": ["2023"], "section": ["performance"]}),
])
def test_api_search_facets_equal_sqlite_counts(client, db, phrase, filters):
    rows = [r for r in truth_rows(db, phrase)
            if (not filters.get("section") or r[2] in filters["section"])
            and (not filters.get("year") or r[3] in filters["year"])
            and (not filters.get("kind") or r[4] in filters["kind"])]
    out = api_search(client, q=f'"{phrase}"', **filters)
    assert out["total"] == len(rows)
    assert out["facets"]["section_type"] == dict(Counter(r[2] for r in rows))
    assert out["facets"]["year"] == dict(Counter(r[3] for r in rows))
    assert out["facets"]["kind"] == dict(Counter(r[4] for r in rows))


@pytest.mark.parametrize("param", ["section", "year", "kind"])
def test_api_search_filter_narrows(client, param):
    facet = {"section": "section_type", "year": "year", "kind": "kind"}[param]
    wide = api_search(client, q='"工作"')
    value, count = next(iter(wide["facets"][facet].items()))
    narrow = api_search(client, q='"工作"', **{param: value})
    assert narrow["total"] == count <= wide["total"]
    assert set(narrow["facets"][facet]) == {value}
    for hit in narrow["hits"]:
        got = {"section_type": hit["section_type"], "kind": hit["kind"],
               "year": str(hit["year"]) if hit["year"] else "unknown"}[facet]
        assert got == value


def test_api_search_offset_pages_through(client):
    first = api_search(client, q='"工作"', limit=3)
    second = api_search(client, q='"工作"', limit=3, offset=3)
    assert second["offset"] == 3
    assert not {(h["report_id"], h["passage_no"]) for h in first["hits"]} & \
        {(h["report_id"], h["passage_no"]) for h in second["hits"]}


@pytest.mark.parametrize("query", ['"两个维护', "(两个维护", "两个维护)", "OR 维护", "-维护", "维护 NOT", "", "   ",
                                   "维护 " * 300])
def test_api_search_bad_query_400_with_message(client, query):
    response = client.get("/api/search", query_string={"q": query})
    assert response.status_code == 400
    assert response.is_json
    assert response.get_json()["error"].strip()
    assert b"Traceback" not in response.data
    body = response.get_json()
    assert body["message_zh"].strip() and body["message_zh"] != body["error"]  # English for scripts, Chinese for people


@pytest.mark.parametrize("params", [
    {"offset": "-1"}, {"offset": "abc"}, {"offset": "10001"}, {"limit": "101"}, {"limit": "1.5"}, {"limit": "1e3"},
    {"section": "nope"}, {"year": "20x3"}, {"year": "3000"}, {"kind": "回忆录"},
])
def test_api_search_bad_parameter_400(client, params):
    response = client.get("/api/search", query_string={"q": "工作", **params})
    assert response.status_code == 400
    assert response.get_json()["error"].strip()


def test_api_search_escapes_markup_in_json(client, db):
    (text,) = db.execute("SELECT text FROM passages WHERE text LIKE '%<script>alert(1)</script>%'").fetchone()
    response = client.get("/api/search", query_string={"q": '"alert(1)"'})
    assert response.status_code == 200
    assert b"<script>" not in response.data and b"\\u003cscript\\u003e" in response.data
    assert any(h["text"] == text for h in response.get_json()["hits"])  # the text itself is intact


def test_api_report_object(client, db):
    (report_id,) = db.execute("SELECT report_id FROM reports ORDER BY id LIMIT 1").fetchone()
    response = client.get(f"/api/reports/{report_id}")
    assert response.status_code == 200
    obj = response.get_json()
    assert REPORT_KEYS <= set(obj)
    assert obj["report_id"] == report_id
    assert all(COPY_KEYS <= set(c) for c in obj["copies"])
    assert all({"heading", "level", "section_type"} <= set(s) for s in obj["sections"])
    assert [p["passage_no"] for p in obj["passages"]] == list(range(1, len(obj["passages"]) + 1))
    assert all({"passage_no", "section_type", "heading", "text"} <= set(p) for p in obj["passages"])


def test_api_report_unknown_id_404_json(client):
    response = client.get("/api/reports/0000000000000000")
    assert response.status_code == 404
    assert "0000000000000000" in response.get_json()["error"]


def test_api_reports_lists_all(client, db):
    (total,) = db.execute("SELECT count(*) FROM reports").fetchone()
    out = client.get("/api/reports?limit=100").get_json()
    assert out["total"] == total == len(out["reports"])
    assert out["offset"] == 0
    assert all(set(r) == {"report_id", "title", "year", "kind", "role", "level", "region"} for r in out["reports"])
    page = client.get("/api/reports?offset=2&limit=3").get_json()
    assert page["reports"] == out["reports"][2:5]


@pytest.mark.parametrize("query", ["limit=101", "limit=-1", "offset=x", "offset=1.0", "limit=" + "9" * 30])
def test_api_reports_bad_parameter_400(client, query):
    response = client.get(f"/api/reports?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"].strip()


@pytest.mark.parametrize("method, url", [("post", "/api/search?q=x"), ("delete", "/api/reports"),
                                         ("put", "/api/reports/abc")])
def test_api_wrong_method_405_json(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 405
    assert response.get_json()["error"].strip()
    assert "GET" in response.headers["Allow"]


def test_api_unknown_path_404_json(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.is_json and response.get_json()["error"].strip()


def test_api_export_streams_every_hit_as_the_cli_does(client, sample_archive):
    from tests.conftest import run

    response = client.get("/api/export", query_string={"q": '"工作"', "format": "csv"})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    body = response.get_data()
    assert body.startswith("\ufeffreport_id,title,".encode())
    total = client.get("/api/search", query_string={"q": '"工作"', "limit": 0}).get_json()["total"]
    import csv
    import io

    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == total + 1 > 101  # no page cap
    cli = run("export", '"工作"', "--format", "csv", "--base-url", "http://localhost", data=sample_archive)
    assert cli.stdout_bytes == body


def test_api_export_jsonl_and_empty_and_bad_format(client):
    lines = client.get("/api/export", query_string={"q": "廉洁", "format": "jsonl"}).get_data(as_text=True).splitlines()
    assert lines and all("廉洁" in __import__("json").loads(line)["text"] for line in lines)
    empty = client.get("/api/export", query_string={"q": '"没有这个短语"'}).get_data(as_text=True)
    assert empty.startswith("\ufeffreport_id,") and empty.count("\r\n") == 1
    assert client.get("/api/export", query_string={"q": "廉洁", "format": "xls"}).status_code == 400


def test_api_reports_honours_filters_and_sort(client, db):
    out = client.get("/api/reports?year=2023&limit=100").get_json()
    assert out["total"] == db.execute("SELECT count(*) FROM reports WHERE year = 2023").fetchone()[0] > 0
    assert {r["year"] for r in out["reports"]} == {2023}
    kind = client.get("/api/reports", query_string={"kind": "政府工作报告", "limit": 100}).get_json()
    assert kind["total"] > 0 and {r["kind"] for r in kind["reports"]} == {"政府工作报告"}
    both = client.get("/api/reports", query_string=[("year", "2021"), ("year", "unknown"), ("limit", 100)]).get_json()
    assert {r["year"] for r in both["reports"]} == {2021, None}
    problems = client.get("/api/reports?section=problems&limit=100").get_json()
    assert problems["total"] == db.execute(
        "SELECT count(DISTINCT report_id) FROM passages WHERE section_type = 'problems'").fetchone()[0]
    years = [r["year"] for r in client.get("/api/reports?sort=year&limit=100").get_json()["reports"]]
    known = [y for y in years if y is not None]
    assert known == sorted(known) and years[-1] is None  # unknown years last
    newest = [r["year"] for r in client.get("/api/reports?sort=-year&limit=100").get_json()["reports"]]
    assert [y for y in newest if y is not None] == sorted(known, reverse=True)
    titles = [r["title"] for r in client.get("/api/reports?sort=title&limit=100").get_json()["reports"]]
    assert titles == sorted(titles)


@pytest.mark.parametrize("query", ["colour=red", "sort=size", "year=20x3", "kind=小说", "section=nonsense"])
def test_api_reports_refuses_what_it_does_not_know(client, query):
    response = client.get(f"/api/reports?{query}")
    assert response.status_code == 400 and response.get_json()["error"].strip()


def test_api_search_groups_sorts_and_pages_by_cursor(client):
    grouped = client.get("/api/search", query_string={"q": '"工作"', "group": "report", "limit": 3}).get_json()
    assert "hits" not in grouped and len(grouped["reports"]) == 3 and grouped["next"]
    first = grouped["reports"][0]
    assert {"report_id", "title", "year", "kind", "url", "hits_in_report", "hits"} <= set(first)
    assert first["url"] == f"http://localhost/r/{first['report_id']}" and first["hits"][0]["snippet_html"]
    assert grouped["total_reports"] >= 3 and {"section_type", "year", "kind"} <= set(grouped["report_facets"])
    more = client.get("/api/search", query_string={"q": '"工作"', "group": "report", "limit": 3,
                                                   "after": grouped["next"]}).get_json()
    assert not {r["report_id"] for r in more["reports"]} & {r["report_id"] for r in grouped["reports"]}
    by_year = client.get("/api/search", query_string={"q": '"工作"', "sort": "-year", "limit": 100}).get_json()
    years = [h["year"] for h in by_year["hits"] if h["year"]]
    assert years == sorted(years, reverse=True)


@pytest.mark.parametrize("query", [{"q": "工作", "sort": "size"}, {"q": "工作", "group": "year"},
                                   {"q": "工作", "after": "garbage"}, {"q": "工作", "colour": "red"},
                                   {"q": "工作", "after": "x", "offset": 10}])
def test_api_search_refuses_unknown_parameters_and_values(client, query):
    response = client.get("/api/search", query_string=query)
    assert response.status_code == 400 and response.get_json()["error"].strip()


def test_the_api_document_lists_exactly_what_each_endpoint_accepts(client):
    from webui import api
    from webui.openapi import accepted

    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.") and set(doc["paths"]) >= {"/api/search", "/api/export", "/api/reports"}
    assert accepted("/api/search") == api.SEARCH_PARAMS
    assert accepted("/api/export") == api.EXPORT_PARAMS
    assert accepted("/api/reports") == api.REPORTS_PARAMS
    page = client.get("/api").get_data(as_text=True)
    assert "GET /api/search" in page and "after" in page and "message_zh" in page
