"""Every route of the web app, asked with hostile parameters; what a safe answer looks like.

``requests(target)`` lists (method, raw path) pairs: very long values,
NUL, invalid UTF-8 percent-encodings, negative and huge offsets, limits
and pages, unknown facet values, traversal attempts, query syntax that
must be capped (length, terms, nesting, page depth), and wrong methods.
Paths are sent exactly as written (already percent-encoded), through the
Flask test client (``via_test_client``) or a real HTTP connection
(``via_http``). ``judge`` says what is wrong with one answer: a status
other than 200/400/404/405, a traceback, a reflected script, a missing
security header, or a capped query slower than 2 s.
"""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass, field
from typing import Callable

ALLOWED = {200, 400, 404, 405}
CAPPED_SECONDS = 2.0

LONG = "A" * 10_000
LONG_CJK = "%E5%B7%A5" * 3_000  # 9,000 bytes once encoded twice over: past the app's query-string cap
HOSTILE_VALUES = [
    "", "%00", "a%00b", "%ff", "%ff%fe%fd", "%c3%28", "%ed%a0%80", "%e4%b8", "%", "%zz", "%2", "%%", LONG, LONG_CJK,
    "-1", "-99999999999999999999", "99999999999999999999999999", "1e9", "0x10", "%20%205", "%EF%BC%95", "NaN",
    "Infinity", "1.5", "+1", "0", "10000", "10001", "101", "100", "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E", "..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f", "C:%5Cwindows",
    "%E2%80%AE", "%F0%9F%98%80", "%EF%BF%BF", "%0d%0aSet-Cookie:%20x=1", "unknown",
]
QUERIES = [
    "%E5%B7%A5%E4%BD%9C", "%22%E5%B7%A5%E4%BD%9C%22", "(" * 40 + "x", "%29%29%29", "%22", "%E2%80%9C%E5%B7%A5",
    "OR", "NOT", "-", "-%20-", "AND%20AND", "%7C%20%7C", "%E3%80%80", "%09%0A", "*" * 400, "?" * 300,
    "%E5%B7%A5%E4%BD%9C*", "%22" + "%E5%B7%A5" * 600 + "%22",
    "%28" * 9 + "x" + "%29" * 9, "%28" * 30 + "x" + "%29" * 30,
    "+OR+".join(["%E5%B7%A5%E4%BD%9C"] * 32), "+OR+".join(["%E5%B7%A5%E4%BD%9C"] * 33),
    "+".join(["%E5%8F%91%E5%B1%95", "%E5%B7%A5%E4%BD%9C", "%E5%BB%BA%E8%AE%BE", "%E5%85%9A"] * 8),
    "a+OR+" * 200 + "b", "%E5%B7%A5+-%E5%B7%A5", "%22%22", "%E2%80%9C%E2%80%9D", "x" * 501, "x" * 500,
    "%E5%85%A9%E5%80%8B%E7%B6%AD%E8%AD%B7",
]
METHODS = ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO"]
SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy")

@dataclass(frozen=True)
class Target:
    """Real ids in the archive being crawled, so the deep routes are reached."""

    report_id: str
    copy_id: int
    passage_no: int


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


@dataclass
class Crawl:
    sent: int = 0
    server_errors: int = 0  # 5xx
    problems: list[str] = field(default_factory=list)
    slowest: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)

    def merge(self, other: "Crawl") -> "Crawl":
        out = Crawl(self.sent + other.sent, self.server_errors + other.server_errors,
                    self.problems + other.problems, max(self.slowest, other.slowest), dict(self.statuses))
        for k, v in other.statuses.items():
            out.statuses[k] = out.statuses.get(k, 0) + v
        return out


HOSTILE_HEADERS = [
    {"Host": "evil.example"}, {"Host": "a<b>\"c"}, {"Host": "x" * 5000}, {"Host": "127.0.0.1:99999"},
    {"Accept-Language": "x" * 50_000}, {"Cookie": "a=" + "b" * 60_000}, {"X-Forwarded-For": "<script>"},
    {"X-Forwarded-Host": "evil.example"}, {"Range": "bytes=9999999999-"}, {"If-None-Match": "\"" + "x" * 5000},
    {"Accept": "application/json"}, {"Content-Type": "multipart/form-data; boundary="},
]


def requests(t: Target) -> list[tuple[str, str, bool]]:
    """(method, raw path, capped): every route with every hostile value in each of its parameters."""
    rid, cid, n = t.report_id, t.copy_id, t.passage_no
    out: list[tuple[str, str, bool]] = []
    add = out.append
    for q in QUERIES + HOSTILE_VALUES:
        add(("GET", f"/?q={q}", True))
        add(("GET", f"/api/search?q={q}", True))
    for v in HOSTILE_VALUES:
        for name in ("page", "section", "year", "kind"):
            add(("GET", f"/?q=%E5%B7%A5%E4%BD%9C&{name}={v}", True))
        for name in ("offset", "limit", "section", "year", "kind"):
            add(("GET", f"/api/search?q=%E5%B7%A5%E4%BD%9C&{name}={v}", True))
        for name in ("offset", "limit"):
            add(("GET", f"/api/reports?{name}={v}", False))
        add(("GET", f"/r/{rid}?q={v}", False))
        add(("GET", f"/r/{rid}/source?download={v}", False))
        add(("GET", f"/r/{rid}/cite/{n}?format={v}", False))
    add(("GET", "/?q=%E5%B7%A5%E4%BD%9C&" + "&".join(["section=political"] * 500), True))
    add(("GET", "/api/search?q=%E5%B7%A5%E4%BD%9C&" + "&".join(f"year={y}" for y in range(1900, 2101)), True))
    add(("GET", "/api/search?q=%E5%B7%A5%E4%BD%9C&offset=10000&limit=100", True))
    add(("GET", "/?q=%E5%B7%A5%E4%BD%9C&page=100", True))
    add(("GET", "/?q=%E5%B7%A5%E4%BD%9C&page=101", True))
    for seg in [rid, "0000000000000000", "..", "%2e%2e", "..%2F..%2Fetc%2Fpasswd", "a" * 5000, "%00", "%ff",
                "%3Cscript%3E",
                "%20", "-1", rid.upper(), rid + "%00", rid + "%2F..%2F..", "%E5%B7%A5"]:
        for route in ("/r/{}", "/r/{}/source", "/r/{}/source/1", f"/r/{{}}/cite/{n}", "/api/reports/{}"):
            add(("GET", route.format(seg), False))
    for copy in [str(cid), "0", "-1", "99999999999999999999999", "abc", "1.5", "%00", "..%2F..%2Farchive.db",
                 "9223372036854775807", "9223372036854775808"]:
        add(("GET", f"/r/{rid}/source/{copy}", False))
        add(("GET", f"/r/{rid}/source/{copy}?download=1", False))
    for no in [str(n), "0", "-1", "999999999999999999999999", "9223372036854775808", "abc", "%00"]:
        add(("GET", f"/r/{rid}/cite/{no}", False))
    for fmt in ["gbt7714", "bibtex", "ris", "csl-json", "BIBTEX", "x" * 5000, "..%2F..%2Fetc%2Fpasswd"]:
        add(("GET", f"/r/{rid}/cite/{n}?format={fmt}", False))
    for path in ["/static/..%2F..%2Fpyproject.toml", "/static/%2e%2e/%2e%2e/archive/store.py", "/static/nope.css",
                 "/static/", "/static/style.css", "/static/app.js", "/favicon.ico", "/r/", "/r//source", "//etc/passwd",
                 "/api/", "/api/reports/", "/api/search/", "/%00", "/..%2F..%2F", f"/r/{rid}/cite/", "/" + "a" * 8000,
                 "/api/reports", "/api/search", "/?" + "&".join(f"p{i}=1" for i in range(2000)), "/?q=" + "%ff" * 3000]:
        add(("GET", path, False))
    for method in METHODS:
        for path in ["/", "/?q=%E5%B7%A5%E4%BD%9C", f"/r/{rid}", f"/r/{rid}/source", f"/r/{rid}/source/{cid}",
                     f"/r/{rid}/cite/{n}", "/api/search?q=%E5%B7%A5%E4%BD%9C", "/api/reports", f"/api/reports/{rid}",
                     "/static/style.css", "/nope"]:
            add((method, path, False))
    return out


def judge(method: str, path: str, capped: bool, a: Answer, also: frozenset = frozenset()) -> list[str]:
    """What is wrong with one answer (empty when it is a safe one); ``also``: statuses allowed besides."""
    where = f"{method} {path[:120]}{'…' if len(path) > 120 else ''}"
    problems = []
    route = path.split("?")[0]
    if a.status not in ALLOWED and a.status not in also:
        problems.append(f"{where}: status {a.status}")
    body = a.body.decode("utf-8", "replace")
    if "Traceback (most recent call last)" in body or 'File "/' in body:
        problems.append(f"{where}: a traceback in the answer")
    low = body.lower()
    html = a.headers.get("content-type", "").startswith("text/html")
    if html and ("<script>alert(1)" in low or "onerror=alert(1)>" in low.replace('"', "")):
        problems.append(f"{where}: markup from the request or the archive unescaped in a page (XSS)")
    for name in SECURITY_HEADERS:
        if name not in a.headers:
            problems.append(f"{where}: no {name} header")
    csp = a.headers.get("content-security-policy", "")
    if csp and ("frame-ancestors" not in csp or "unsafe-inline" in csp.split("script-src")[-1].split(";")[0]):
        problems.append(f"{where}: weak Content-Security-Policy {csp!r}")
    if a.headers.get("x-content-type-options", "nosniff").lower() != "nosniff":
        problems.append(f"{where}: X-Content-Type-Options is not nosniff")
    if route.startswith("/api/") and a.status >= 400 and method != "HEAD" \
            and "json" not in a.headers.get("content-type", ""):
        problems.append(f"{where}: an API error that is not JSON ({a.headers.get('content-type')})")
    if capped and a.seconds > CAPPED_SECONDS:
        problems.append(f"{where}: {a.seconds:.2f} s (a capped query must answer within {CAPPED_SECONDS:.0f} s)")
    return problems


def _ask(result: Crawl, label: str, ask: Callable[[], Answer]) -> Answer | None:
    """Send one request and count it; a dropped connection is a failed request, counted and shown."""
    result.sent += 1
    try:
        a = ask()
    except Exception as exc:  # noqa: BLE001
        result.problems.append(f"{label}: {type(exc).__name__}: {exc}")
        return None
    result.statuses[a.status] = result.statuses.get(a.status, 0) + 1
    result.server_errors += a.status >= 500
    result.slowest = max(result.slowest, a.seconds)
    return a


def crawl(send: Callable[..., Answer], target: Target) -> Crawl:
    result = Crawl()
    send("GET", "/?q=%E5%B7%A5%E4%BD%9C")  # warm-up, not judged: the first query loads jieba's dictionary
    for method, path, capped in requests(target):
        a = _ask(result, f"{method} {path[:120]}", lambda: send(method, path))
        if a is not None:
            result.problems += judge(method, path, capped, a)
    for headers in HOSTILE_HEADERS:
        for path in ["/", f"/r/{target.report_id}/cite/{target.passage_no}?format=bibtex", "/api/search?q=x",
                     "/static/style.css"]:
            name = next(iter(headers))
            where = f"{path} with a hostile {name} header ({len(headers[name])} characters)"
            a = _ask(result, f"GET {where}", lambda: send("GET", path, headers))
            if a is not None:
                also = frozenset({416}) if name == "Range" else frozenset()  # a range past the end of a file
                result.problems += [p.replace(f"GET {path}", f"GET {where}", 1)
                                    for p in judge("GET", path, False, a, also)]
    return result


def via_test_client(client) -> Callable[..., Answer]:
    def send(method: str, path: str, headers: dict | None = None) -> Answer:
        started = time.perf_counter()
        r = client.open(path, method=method, headers=headers or {})
        body = r.get_data()
        return Answer(r.status_code, {k.lower(): v for k, v in r.headers.items()}, body,
                      time.perf_counter() - started)
    return send


def via_http(host: str, port: int, timeout: float = 30.0) -> Callable[..., Answer]:
    state: dict[str, http.client.HTTPConnection] = {}

    def send(method: str, path: str, headers: dict | None = None) -> Answer:
        headers = headers or {}
        conn = state.get("conn") or http.client.HTTPConnection(host, port, timeout=timeout)
        state["conn"] = conn
        started = time.perf_counter()
        try:
            conn.putrequest(method, path, skip_host="Host" in headers, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders()
            r = conn.getresponse()
            body = r.read()
        except (http.client.HTTPException, OSError):
            conn.close()
            state.pop("conn", None)
            raise
        if r.will_close:
            conn.close()
            state.pop("conn", None)
        return Answer(r.status, {k.lower(): v for k, v in r.getheaders()}, body, time.perf_counter() - started)
    return send
