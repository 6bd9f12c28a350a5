"""Query latency over HTTP: ``archive serve`` as a subprocess on 127.0.0.1, clients as threads.

The server is the real command (waitress), started on a free port, waited
for until it answers, and always stopped. Each client thread keeps one
HTTP/1.1 connection and takes the next query of its class from a shared
counter, so 1 and 8 clients issue the same requests; a run is bounded by a
count and by a time budget. Clients and server share the machine's cores:
on 2 cores, 8 clients measure the server under contention, as a user sees it.
"""

from __future__ import annotations

import http.client
import itertools
import json
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from tests.soak import serving as soak_serving
from tests.support.procs import archive_argv

from .queries import QueryClass, Timing

READY_TIMEOUT = 90.0


class ServerUnavailable(RuntimeError):
    """``archive serve`` did not start (missing command, crash, or never answered)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``archive --data D serve`` on 127.0.0.1 for the length of a ``with`` block."""

    def __init__(self, data: Path, log: Path):
        self.data = data
        self.port = free_port()
        self.log_path = log
        self.proc: subprocess.Popen | None = None
        self.started_in = 0.0

    def __enter__(self) -> Server:
        argv = archive_argv() + ["--data", str(self.data), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.log = open(self.log_path, "wb")
        t = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()
            raise
        self.started_in = time.perf_counter() - t
        return self

    def _wait_ready(self) -> None:
        deadline = time.perf_counter() + READY_TIMEOUT
        path = "/api/search?" + urlencode({"q": "发展", "limit": "1"})
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise ServerUnavailable(f"'archive serve' exited {self.proc.returncode}: {self.output()[-600:]}")
            try:
                status, _ = get(self.port, path, timeout=5)
                if status == 200:
                    return
                raise ServerUnavailable(f"GET {path} answered {status}")
            except OSError:
                time.sleep(0.2)
        raise ServerUnavailable(f"'archive serve' did not answer within {READY_TIMEOUT:.0f} s")

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def get(port: int, path: str, timeout: float = 30) -> tuple[int, bytes]:
    return soak_serving.get("127.0.0.1", port, path, timeout)


def paths(qclass: QueryClass) -> list[str]:
    return qclass.urls or ["/api/search?" + urlencode(q.params()) for q in qclass.queries]


def measure_export(server: "Server", query: str, fmt: str = "csv") -> dict:
    """Stream every hit of a query from /api/export once: rows per second, and the server's memory
    (its process tree's RSS, sampled every 50 ms) before and at its peak while streaming."""
    from . import procs

    def tree_rss() -> int:
        return sum(procs.rss(p) for p in procs.tree(server.proc.pid))

    before = tree_rss()
    peak = [before]
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], tree_rss())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    started = time.perf_counter()
    try:
        conn.request("GET", "/api/export?" + urlencode({"q": query, "format": fmt}))
        resp = conn.getresponse()
        rows = size = 0
        while chunk := resp.read(1 << 16):
            rows += chunk.count(b"\n")
            size += len(chunk)
    finally:
        conn.close()
        done.set()
        watcher.join()
    seconds = time.perf_counter() - started
    rows -= 1 if fmt == "csv" else 0  # the header
    return {"query": query, "format": fmt, "status": resp.status, "rows": rows, "bytes": size,
            "seconds": seconds, "rows_per_s": rows / seconds if seconds else 0.0,
            "server_rss_before": before, "server_rss_peak": peak[0]}


def run_clients(port: int, qclass: QueryClass, clients: int, runs: int, budget: float) -> Timing:
    """``runs`` requests of the class spread over ``clients`` threads (each query once untimed first)."""
    todo = paths(qclass)
    timing = Timing()
    if not todo:
        return timing
    for p in todo:
        get(port, p)
    counter = itertools.count()
    lock = threading.Lock()
    deadline = time.perf_counter() + budget

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while time.perf_counter() < deadline:
                i = next(counter)
                if i >= runs:
                    return
                path = todo[i % len(todo)]
                t = time.perf_counter()
                try:
                    conn.request("GET", path)
                    resp = conn.getresponse()
                    body = resp.read()
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    with lock:
                        timing.errors.append(f"{path}: {type(exc).__name__}: {exc}")
                    continue
                spent = time.perf_counter() - t
                with lock:
                    if resp.status != 200:
                        timing.errors.append(f"{path}: HTTP {resp.status}: {body[:200]!r}")
                        continue
                    timing.seconds.append(spent)
                    timing.totals.append(_total(body))
        finally:
            conn.close()

    threads = [threading.Thread(target=client, name=f"bench-client-{n}") for n in range(clients)]
    started = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    timing.wall = time.perf_counter() - started
    return timing


def _total(body: bytes) -> int:
    try:
        return int(json.loads(body).get("total", 0))
    except (ValueError, AttributeError):
        return 0
