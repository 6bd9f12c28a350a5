"""The server under load: reading while importing, many clients, a backup while it serves.

``Server`` runs ``archive serve`` (waitress) on 127.0.0.1 with a free port.
``Clients`` are threads with keep-alive HTTP connections that mix search,
facet, report-page, listing and citation requests and record every
answer's status and latency; only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import http.client
import json
import queue
import random
import re
import signal
import sqlite3
import statistics
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from . import corpus, procs

HOST = "127.0.0.1"
WORDS = ["工作", "发展", "廉洁", "党建", "招商引资", "营商环境", "乡村振兴", "安全生产", "队伍建设", "理论学习",
         "两个维护", "作风建设", "基层", "项目建设", "民生保障", "数字政务"]
PHRASES = ['"工作台账"', '"取得了明显成效"', '"群众诉求"', '"党风廉政建设"', '"下一步"', '"两个维护"']
SECTIONS = ["political", "performance", "party_building", "integrity", "problems", "plans", "preamble", "other"]


class Server:
    """``archive serve`` on 127.0.0.1, any free port; stopped with SIGTERM (then SIGKILL of its group)."""

    def __init__(self, data: Path, threads: int = 4, host: str | None = HOST):
        args = ["serve", "--port", "0", "--threads", str(threads)] + (["--host", host] if host else [])
        self.proc = procs.start(data, *args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.port = self._wait_for_port(timeout=120)
        self.host = HOST

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.output.append(line)
            self.lines.put(line)

    def _wait_for_port(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            m = re.search(r"http://(\[[^\]]+\]|[\d.]+):(\d+)/", line)
            if m:
                self.printed_host = m.group(1)
                return int(m.group(2))
        self.stop()
        raise RuntimeError("archive serve did not start: " + "".join(self.output)[-1000:])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def get(self, path: str, timeout: float = 30.0) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def json(self, path: str) -> dict:
        status, body = self.get(path)
        if status != 200:
            raise AssertionError(f"GET {path}: {status} {body[:200]!r}")
        return json.loads(body)

    def bound_addresses(self) -> list[str]:
        """Local addresses listening on our port (from /proc/net/tcp{,6}): the proof of 127.0.0.1 only."""
        found = []
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                rows = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for row in rows:
                local, state = row.split()[1], row.split()[3]
                addr, port = local.split(":")
                if int(port, 16) == self.port and state == "0A":  # LISTEN
                    found.append(_address(addr))
        return found

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                procs.kill_group(self.proc.pid)
                self.proc.wait()
        procs.kill_group(self.proc.pid)


def _address(hexaddr: str) -> str:
    if len(hexaddr) == 8:
        return ".".join(str(b) for b in reversed(bytes.fromhex(hexaddr)))
    return hexaddr


def q(text: str, **params) -> str:
    return urllib.parse.urlencode({"q": text, **params}, doseq=True)


# -- clients -------------------------------------------------------------------------------

@dataclass
class Sample:
    at: float  # seconds since the clients started
    kind: str
    status: int  # 0: no answer (connection error, timeout)
    seconds: float
    error: str = ""


@dataclass
class Targets:
    """Real report ids and passage numbers for report-page requests (refreshed from the archive)."""

    reports: list[tuple[str, int]] = field(default_factory=list)

    @classmethod
    def load(cls, data: Path) -> "Targets":
        conn = sqlite3.connect(f"file:{data / 'archive.db'}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT report_id, max(passage_no) FROM passages GROUP BY report_id").fetchall()
        finally:
            conn.close()
        return cls([(r, n) for r, n in rows])


class Clients:
    """``n`` threads asking the server a mix of requests until stopped."""

    def __init__(self, server: Server, targets: Targets, n: int = 20, seed: int = 1):
        self.server = server
        self.targets = targets
        self.n = n
        self.seed = seed
        self.samples: list[Sample] = []
        self._lock = threading.Lock()
        self.stop_event = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True, name=f"client-{i}")
                        for i in range(n)]
        self.started = 0.0

    def start(self) -> "Clients":
        self.started = time.monotonic()
        for t in self.threads:
            t.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        for t in self.threads:
            t.join(60)

    def _request(self, rng: random.Random) -> tuple[str, str]:
        rid, top = rng.choice(self.targets.reports)
        pick = rng.random()
        if pick < 0.25:
            return "search", "/api/search?" + q(rng.choice(WORDS + PHRASES), offset=rng.choice([0, 0, 10, 50]))
        if pick < 0.40:
            return "search page", "/?" + q(rng.choice(WORDS + PHRASES), page=rng.choice([1, 1, 2, 5]))
        if pick < 0.60:
            facet = rng.choice([{"section": rng.choice(SECTIONS)}, {"year": rng.randint(2015, 2025)},
                                {"kind": rng.choice(["述职报告", "工作总结", "述职述责述廉报告", "其他"])}])
            base = rng.choice(["/api/search?", "/?"])
            return "facet", base + q(rng.choice(WORDS), **facet)
        if pick < 0.80:
            return "report page", f"/r/{rid}"
        if pick < 0.88:
            return "report json", f"/api/reports/{rid}"
        if pick < 0.94:
            return "report list", f"/api/reports?offset={rng.randint(0, 200)}&limit=20"
        return "cite", f"/r/{rid}/cite/{rng.randint(1, max(1, top))}?format={rng.choice(['bibtex', 'ris', 'gbt7714'])}"

    def _run(self, i: int) -> None:
        rng = random.Random(f"client:{self.seed}:{i}")
        conn = None
        while not self.stop_event.is_set():
            kind, path = self._request(rng)
            started = time.monotonic()
            status, error = 0, ""
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=60)
                conn.request("GET", path)
                r = conn.getresponse()
                r.read()
                status = r.status
                if r.will_close:
                    conn.close()
                    conn = None
            except (http.client.HTTPException, OSError) as exc:
                error = f"{type(exc).__name__}: {exc}"
                if conn is not None:
                    conn.close()
                conn = None
            sample = Sample(started - self.started, kind, status, time.monotonic() - started, error)
            with self._lock:
                self.samples.append(sample)
        if conn is not None:
            conn.close()

    def between(self, start: float, end: float) -> list[Sample]:
        with self._lock:
            return [s for s in self.samples if start <= s.at < end]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def failed(samples: list[Sample]) -> list[Sample]:
    return [s for s in samples if s.status != 200]


# -- the checks ------------------------------------------------------------------------------

@dataclass
class LoadReport:
    clients: int = 0
    seconds: float = 0.0
    import_seconds: float = 0.0
    import_exit: int | None = None
    requests: int = 0  # all requests
    under_import: int = 0
    failed: int = 0  # of all requests
    failures: list[str] = field(default_factory=list)
    p50: float = 0.0
    p95: float = 0.0  # under import
    new_reports: int = 0
    new_found: int = 0
    problems: list[str] = field(default_factory=list)
    backup: list[str] = field(default_factory=list)  # problems with the backup taken while serving
    backup_seconds: float = 0.0
    kinds: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.problems or self.backup) and self.new_found == self.new_reports


def new_report_codes(source: Path) -> dict[str, str]:
    """check phrase → file name, for the originals of a corpus written by ``corpus.write_reports``."""
    out = {}
    for path in sorted(source.rglob("r*.txt")):
        m = re.fullmatch(r"r(\d{6})\.txt", path.name)
        if m:
            out[corpus.check_code(int(m.group(1)))] = path.name
    return out


def wait_until_found(server: Server, phrase: str, timeout: float = 30.0) -> dict | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = server.json("/api/search?" + q(f'"{phrase}"'))
        if out["total"]:
            return out
        time.sleep(0.3)
    return None


def load_under_import(server: Server, data: Path, source: Path, *, clients: int = 20, seconds: float = 30.0,
                      cap: float = 300.0, backup_to: Path | None = None, seed: int = 1,
                      log=print) -> LoadReport:
    """``clients`` threads ask the server while ``archive import SOURCE`` writes into the same data dir;
    they go on for at least ``seconds`` and until the import ends (at most ``cap``). Then a backup is
    taken while they still ask, and the new reports must be found through the server without a restart."""
    report = LoadReport(clients=clients)
    targets = Targets.load(data)
    pool = Clients(server, targets, clients, seed).start()
    imp = procs.start(data, "import", "--json", str(source), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    import_started = time.monotonic() - pool.started
    out, err = "", ""
    while time.monotonic() - pool.started < cap:
        if imp.poll() is not None and time.monotonic() - pool.started >= seconds:
            break
        time.sleep(0.2)
    if imp.poll() is None:
        procs.kill_group(imp.pid)
        report.problems.append(f"the import did not finish within {cap:.0f} s under load")
    out, err = imp.communicate()
    report.import_exit = imp.returncode
    import_ended = time.monotonic() - pool.started
    report.import_seconds = import_ended - import_started
    if imp.returncode != 0 or "Traceback" in err:
        report.problems.append(f"the import under load: exit {imp.returncode}: {err[-300:]}")
    if backup_to is not None:
        started = time.monotonic()
        ran = procs.run(data, "backup", str(backup_to), timeout=600)
        report.backup_seconds = time.monotonic() - started
        if ran.returncode != 0 or ran.traceback:
            report.backup.append(f"archive backup while served: exit {ran.returncode}: {ran.stderr[-300:]}")
        else:
            check = procs.run(backup_to, "check", timeout=600)
            if check.returncode != 0:
                report.backup.append("the backup fails archive check: " + check.stdout[-300:])
            if procs.digest(backup_to) != procs.digest(data):
                report.backup.append("the backup holds other reports than the archive it copies")
    pool.stop()
    report.seconds = time.monotonic() - pool.started
    everything = pool.between(0, float("inf"))
    during = pool.between(import_started, import_ended)
    report.requests = len(everything)
    report.under_import = len(during)
    bad = failed(everything)
    report.failed = len(bad)
    report.failures = [f"{s.kind} at {s.at:.1f} s: {s.status or s.error}" for s in bad[:10]]
    latencies = [s.seconds for s in during if s.status == 200]
    report.p50, report.p95 = percentile(latencies, 50), percentile(latencies, 95)
    kinds: dict[str, int] = {}
    for s in everything:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    report.kinds = kinds
    # the new reports, through the same server: no restart
    try:
        summary = json.loads(out) if out.strip() else {"added": []}
    except json.JSONDecodeError:
        summary = {"added": []}
        report.problems.append("the import under load printed no JSON summary")
    added = {a["report_id"] for a in summary.get("added", [])}
    codes = new_report_codes(source)
    rng = random.Random(f"found:{seed}")
    sample = rng.sample(sorted(codes), min(20, len(codes)))
    report.new_reports = len(sample)
    for code in sample:
        found = wait_until_found(server, code, timeout=30 if code == sample[0] else 5)
        if found and found["total"] == 1 and found["hits"][0]["report_id"] in added:
            report.new_found += 1
        else:
            report.problems.append(f"a new report is not found through the server: {code} "
                                   f"(total {found and found['total']})")
    listed = server.json("/api/reports?limit=1")["total"]
    conn = sqlite3.connect(f"file:{data / 'archive.db'}?mode=ro", uri=True)
    try:
        in_db = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    finally:
        conn.close()
    if listed != in_db:
        report.problems.append(f"the server lists {listed} reports, the archive holds {in_db}")
    return report


@dataclass
class ConcurrentImports:
    """Two imports at once: the second waits (or, with --wait 0, refuses) and never interleaves."""

    refused_clearly: bool = False
    refusal: str = ""
    waited: bool = False
    interleaved: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.refused_clearly and self.waited and not self.interleaved and not self.problems


def concurrent_imports(data: Path, first: Path, second: Path, timeout: float = 600.0) -> ConcurrentImports:
    """Start importing ``first``; once it writes, try ``second`` with --wait 0 (must refuse, clearly),
    then with the default wait (must wait, then import after the first: no interleaved rows)."""
    out = ConcurrentImports()
    before = procs.counts(data).get("copies", 0)
    one = procs.start(data, "import", "--json", str(first), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while procs.counts(data).get("copies", 0) <= before and one.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    if one.poll() is not None:
        out.problems.append("the first import ended before a second could be started beside it (use more files)")
    refused = procs.run(data, "import", "--wait", "0", "--json", str(second), timeout=120)
    out.refusal = refused.stderr.strip().splitlines()[-1] if refused.stderr.strip() else ""
    out.refused_clearly = (refused.returncode == 1 and "another 'archive import' is writing" in refused.stderr
                           and not refused.traceback and not refused.stdout.strip())
    two = procs.start(data, "import", "--json", str(second), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    o1, e1 = one.communicate(timeout=timeout)
    o2, e2 = two.communicate(timeout=timeout)
    out.waited = "waiting" in e2 and two.returncode == 0
    if one.returncode != 0 or two.returncode != 0:
        out.problems.append(f"exit codes {one.returncode} and {two.returncode}: {e1[-200:]} {e2[-200:]}")
    conn = sqlite3.connect(f"file:{data / 'archive.db'}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT id, path FROM copies WHERE id > ? ORDER BY id", (0,)).fetchall()
    finally:
        conn.close()
    a = [i for i, p in rows if p.startswith(str(first.resolve()) + "/")]
    b = [i for i, p in rows if p.startswith(str(second.resolve()) + "/")]
    if not a or not b:
        out.problems.append(f"the imports wrote {len(a)} and {len(b)} copies")
    else:
        out.interleaved = not (max(a) < min(b) or max(b) < min(a))
    return out
