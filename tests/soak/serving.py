"""The server and its clients.

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

from . import procs

HOST = "127.0.0.1"
WORDS = ["工作", "发展", "廉洁", "党建", "招商引资", "营商环境", "乡村振兴", "安全生产", "队伍建设", "理论学习",
         "两个维护", "作风建设", "基层", "项目建设", "民生保障", "数字政务"]
PHRASES = ['"工作台账"', '"取得了明显成效"', '"群众诉求"', '"党风廉政建设"', '"下一步"', '"两个维护"']
SECTIONS = ["political", "performance", "party_building", "integrity", "problems", "plans", "preamble", "other"]


class Server:
    """``archive serve`` on 127.0.0.1, any free port; stopped with SIGTERM (then SIGKILL of its group)."""

    def __init__(self, data: Path, threads: int = 4, host: str | None = HOST, workers: int | None = None):
        args = ["serve", "--port", "0", "--threads", str(threads)] + (["--host", host] if host else [])
        args += ["--workers", str(workers)] if workers else []
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
        return get(self.host, self.port, path, timeout)

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


def get(host: str, port: int, path: str, timeout: float = 30.0) -> tuple[int, bytes]:
    """One GET on a fresh connection: (status, body)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


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
