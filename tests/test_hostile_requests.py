"""Every route with hostile parameters (``tests/soak/crawl.py``), through the Flask test client and over a real
waitress server: only 200/400/404/405, never a 500 or a traceback, security headers on every answer, capped
queries answered within 2 s, and ``archive serve`` listening on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import random
import sqlite3
import time

import pytest

from tests.soak import corpus, crawl, procs, serving

XSS_REPORT = "2024年<script>alert(1)</script>述职报告\n{body}<img src=x onerror=alert(1)>\"><svg onload=alert(1)>"


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A small archive of our own: reports with duplicates, and one whose text is markup."""
    root = tmp_path_factory.mktemp("crawl")
    inbox = root / "inbox"
    corpus.write_reports(inbox, 12, seed=6, start=400_000)
    (inbox / "xss.txt").write_text(XSS_REPORT.format(body=corpus.compose(random.Random(6), 400_999)),
                                   encoding="utf-8")
    data = root / "data"
    assert procs.run(data, "import", str(inbox)).returncode == 0
    conn = sqlite3.connect(f"file:{data / 'archive.db'}?mode=ro", uri=True)
    try:
        rid, cid = conn.execute("SELECT report_id, id FROM copies WHERE path LIKE '%xss.txt'").fetchone()
    finally:
        conn.close()
    return data, crawl.Target(rid, cid, 2)


@pytest.fixture(scope="module")
def client(archive):
    from webui import create_app

    return create_app({"DATA_DIR": str(archive[0])}).test_client()


@pytest.fixture(scope="module")
def test_client_crawl(archive, client):
    return crawl.crawl(crawl.via_test_client(client), archive[1])


@pytest.fixture(scope="module")
def server(archive):
    s = serving.Server(archive[0], host=None)  # no --host: the default must be 127.0.0.1
    yield s
    s.stop()


@pytest.fixture(scope="module")
def waitress_crawl(archive, server):
    return crawl.crawl(crawl.via_http(server.host, server.port), archive[1])


def test_every_route_with_hostile_parameters_via_the_test_client(test_client_crawl):
    assert test_client_crawl.sent > 800
    assert not test_client_crawl.problems, test_client_crawl.problems[:10]  # a 5xx is a problem too


def test_every_route_with_hostile_parameters_over_waitress(waitress_crawl):
    assert waitress_crawl.sent > 800
    assert not waitress_crawl.problems, waitress_crawl.problems[:10]  # a 5xx is a problem too


@pytest.mark.parametrize("query", [
    "工" * 501,  # too long
    " OR ".join(["工作"] * 33),  # too many terms
    "(" * 9 + "工作" + ")" * 9,  # nested too deeply
    " ".join(["发展", "工作", "建设", "党"] * 8),  # 32 common words, all required: the most work allowed
    " OR ".join(["发展", "工作", "建设", "党"] * 8),  # 32 common words, any of them
    '"' + "工作" * 200 + '"',  # the longest phrase
])
def test_capped_queries_answer_within_2_s(client, query):
    for path in ("/api/search", "/"):
        started = time.perf_counter()
        deepest = {"page": 100} if path == "/" else {"offset": 9990}
        r = client.get(path, query_string={"q": query, **deepest})
        assert r.status_code in (200, 400)
        assert time.perf_counter() - started < crawl.CAPPED_SECONDS


def test_serve_listens_on_127_0_0_1_by_default(server):
    assert server.printed_host == "127.0.0.1"
    assert server.bound_addresses() == ["127.0.0.1"]


def test_a_host_header_that_is_no_host_name_is_a_plain_400(server):
    import http.client

    for host in ("x" * 5000, "a<b>\"c", "exa mple.org"):
        conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
        conn.putrequest("GET", "/", skip_host=True)
        conn.putheader("Host", host)
        conn.endheaders()
        r = conn.getresponse()
        body = r.read().decode()
        conn.close()
        assert r.status == 400 and "Host header" in body and "Traceback" not in body
        assert "frame-ancestors 'none'" in r.getheader("Content-Security-Policy")


def test_a_double_slash_is_not_found_not_a_redirect(server):
    import http.client

    for path in ("//", "//etc/passwd", "/r//source", "/api//search"):  # raw: a test client reads "//x" as a host
        conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        conn.close()
        assert r.status == (200 if path == "//" else 404), path  # waitress reads "//" as "/"
