"""``archive serve``: waitress in one process, or in several that share one listening socket.

Searching is pure Python and numpy under one interpreter lock, so a single
process uses one core however many threads it runs: with 8 clients on 2
cores, requests queue behind each other. Worker processes forked after the
socket is bound (each with its own app, read-only connections and warm
searcher, made after the fork, because SQLite connections must not cross
one) put every core to work. The parent only binds, forks, restarts a worker
that dies, and stops them all on SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections.abc import Callable

from archive.proc import die_with_parent

#: A worker that dies sooner than this after starting is not restarted more than RESTARTS times in a row.
QUICK_DEATH = 5.0
RESTARTS = 3


def url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on the first address ``host`` resolves to. Raises OSError."""
    family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                      flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    return sock


def run(make_app: Callable[[], object], sock: socket.socket, threads: int, workers: int,
        say: Callable[[str], None]) -> int:
    """Serve on ``sock`` until stopped; returns the exit status."""
    host, port = sock.getsockname()[:2]
    say(f"述职报告档案 serving on {url(str(host), port)}  "
        f"({workers} process{'es' if workers > 1 else ''} × {threads} threads; Ctrl-C stops)")
    if workers == 1 or not hasattr(os, "fork"):
        return _serve(make_app, sock, threads)
    return _supervise(make_app, sock, threads, workers)


def _notice(message: str) -> None:
    print(f"archive serve: {message}", file=sys.stderr, flush=True)


def _serve(make_app: Callable[[], object], sock: socket.socket, threads: int) -> int:
    from waitress import create_server

    server = create_server(make_app(), sockets=[sock], threads=threads, ident="shuzhi-archive")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


class _Stop(Exception):
    """SIGTERM or SIGINT reached the supervising parent."""


def _supervise(make_app, sock, threads: int, workers: int) -> int:
    parent = os.getpid()
    children: dict[int, float] = {}  # pid → started
    quick_deaths = 0

    def spawn() -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            status = 1
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
                die_with_parent(parent)
                status = _serve(make_app, sock, threads)
            except BaseException as exc:  # noqa: BLE001 — a worker says why it stops, never a traceback
                _notice(f"worker {os.getpid()} stopped: {exc!r}")
            finally:
                os._exit(status)
        children[pid] = time.monotonic()

    def stop(signum, _frame) -> None:
        raise _Stop  # waitpid() retries after a handler that returns (PEP 475)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(workers):
        spawn()
    try:
        while children:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            started = children.pop(pid, None)
            if started is None:
                continue
            quick_deaths = quick_deaths + 1 if time.monotonic() - started < QUICK_DEATH else 0
            if quick_deaths > RESTARTS:
                _notice(f"workers keep dying at start (last status {status}); stopping")
                return 1
            _notice(f"worker {pid} ended (status {status}); starting another")
            spawn()
    except _Stop:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while children and time.monotonic() < deadline:
            pid, _ = os.waitpid(-1, os.WNOHANG)
            if pid:
                children.pop(pid, None)
            else:
                time.sleep(0.05)
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        sock.close()
    return 0
