"""``archive serve`` with several worker processes on one port: every core answers, a worker that dies is
replaced while the others keep answering, and stopping or killing the server leaves no worker behind."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.soak import corpus, procs, serving


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    corpus.write_reports(root / "inbox", 6, seed=8, start=500_000)
    assert procs.run(root / "data", "import", str(root / "inbox")).returncode == 0
    return root / "data"


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry))
    return found


def alive(pids: list[int]) -> list[int]:
    live = []
    for pid in pids:
        try:
            state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            live.append(pid)
    return live


def wait_for(predicate, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def test_a_dead_worker_is_replaced_and_the_others_keep_answering(data):
    server = serving.Server(data, workers=2)
    try:
        workers = wait_for(lambda: len(children(server.proc.pid)) == 2 and children(server.proc.pid))
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        for _ in range(20):  # the other worker answers meanwhile
            assert server.get("/api/search?q=%E5%B7%A5%E4%BD%9C")[0] == 200
        replaced = wait_for(lambda: (kids := children(server.proc.pid)) and len(kids) == 2
                            and workers[0] not in kids and kids)
        assert replaced and workers[1] in replaced
        assert "starting another" in "".join(server.output)
        assert server.get("/")[0] == 200
    finally:
        server.stop()


def test_stopping_the_server_stops_every_worker(data):
    server = serving.Server(data, workers=2)
    workers = wait_for(lambda: len(children(server.proc.pid)) == 2 and children(server.proc.pid))
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=10) == 0
    assert wait_for(lambda: not alive(workers), 10)
    assert server.bound_addresses() == []
    server.stop()


def test_killing_the_server_leaves_no_worker_behind(data):
    server = serving.Server(data, workers=2)
    workers = wait_for(lambda: len(children(server.proc.pid)) == 2 and children(server.proc.pid))
    os.kill(server.proc.pid, signal.SIGKILL)
    server.proc.wait(timeout=10)
    assert wait_for(lambda: not alive(workers), 10)
    server.stop()
