"""Three OpenSearch nodes on loopback, one killed with SIGKILL under load: nothing lost, nothing wrong.

    python -m tests.soak.cluster [--reports 200] [--clients 8] [--seconds 20] [--kills 1]

Three nodes on 127.0.0.1 (HTTP 9301-9303, transport 9401-9403; one
cluster, each node eligible as cluster manager), indexes of 3 shards × 1
replica. Two archives share the cluster: a settled one that ``--clients``
threads search without pause, each answer compared with the answer the
same query had before any kill; and one that an ``archive import`` is
feeding while a node is killed. Per kill the table gives the failed
searches, the failover window (from the kill to the last failed search),
the seconds until the restarted node has the cluster green again, and the
passages the importing archive lost (ids compared with the archive: must
be 0). Clients name all three nodes, so a dead node's requests go to
another. Everything is bounded in time; the nodes are stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.bench import generate
from tests.support.opensearch import Node, NodeError, health
from tests.support.procs import archive_argv

PORTS = (9301, 9302, 9303)
QUERIES = ['"发展"', "招商引资", '"工作" -"问题"', "党风廉政 建设", '("八项规定" OR 两个维护) 学习', '"，"']


def log(message: str) -> None:
    print(f"[soak-cluster {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def answer_of(backend, query: str) -> tuple:
    """What a reader sees of a query: total, reports, the first page and the facets."""
    r = backend.search(query, limit=20)
    return r.total, r.total_reports, [(h.report_id, h.passage_no) for h in r.hits], json.dumps(r.facets)


@dataclass
class Searches:
    """Search threads' outcomes, each with its time."""

    ok: int = 0
    wrong: list[tuple[float, str]] = field(default_factory=list)
    failed: list[tuple[float, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def search_loop(backend, expected: dict, until: float, out: Searches, seed: int) -> None:
    i = seed
    while time.monotonic() < until:
        query = QUERIES[i % len(QUERIES)]
        i += 1
        try:
            got = answer_of(backend, query)
        except Exception as exc:  # noqa: BLE001 - a failed search is what we count
            with out.lock:
                out.failed.append((time.monotonic(), f"{query}: {type(exc).__name__}: {str(exc)[:160]}"))
            continue
        with out.lock:
            if got == expected[query]:
                out.ok += 1
            else:
                out.wrong.append((time.monotonic(), query))


def cluster_url() -> str:
    return ",".join(f"http://127.0.0.1:{p}" for p in PORTS)


def wait_green(url: str, nodes: int, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        for one in url.split(","):
            state = health(one)
            if state and state["status"] == "green" and state["number_of_nodes"] == nodes:
                return time.monotonic() - started
        time.sleep(0.25)
    raise NodeError(f"the cluster was not green with {nodes} nodes within {timeout:.0f} s")


def archive(data: Path, *args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([*archive_argv(), "--data", str(data), *args], env=env, capture_output=True, text=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.soak.cluster", description=__doc__.split("\n")[0])
    ap.add_argument("--reports", type=int, default=200, help="reports in each archive")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20.0, help="searching after each kill, before the restart")
    ap.add_argument("--kills", type=int, default=1)
    ap.add_argument("--heap", default="768m")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "shuzhi-soak-cluster")
    args = ap.parse_args(argv)

    from archive.store import Store
    from index.api import EngineConfig, open_backend, open_maintenance

    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    transport = [p + 100 for p in PORTS]
    nodes = [Node(port, args.heap, cluster="shuzhi-soak", peers=transport) for port in PORTS]
    url = cluster_url()
    env = dict(os.environ, ARCHIVE_ENGINE="opensearch", ARCHIVE_OPENSEARCH_URL=url, ARCHIVE_OPENSEARCH_SHARDS="3",
               ARCHIVE_OPENSEARCH_REPLICAS="1")
    os.environ.update({k: env[k] for k in env if k.startswith("ARCHIVE_")})
    rows = []
    try:
        started = time.monotonic()
        for node in nodes:
            node.wipe()
        threads = [threading.Thread(target=node.start, kwargs={"wait_for": "red"}) for node in nodes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wait_green(url, 3, 240)
        log(f"3 nodes green in {time.monotonic() - started:.1f} s")

        settled, feeding = args.workdir / "settled", args.workdir / "feeding"
        generate.generate(args.workdir / "corpus-a", args.reports, seed=21)
        generate.generate(args.workdir / "corpus-b", args.reports, seed=22)
        for folder in ("corpus-a", "corpus-b"):
            (args.workdir / folder / generate.MANIFEST).unlink()
        done = archive(settled, "import", str(args.workdir / "corpus-a"), env=env)
        assert done.returncode == 0, done.stderr[-2000:]
        backend = open_backend(Store(settled, readonly=True), EngineConfig("opensearch"))
        expected = {q: answer_of(backend, q) for q in QUERIES}
        log(f"settled archive imported and searched ({sum(v[0] for v in expected.values())} hits)")

        for kill in range(args.kills):
            victim = nodes[(kill + 1) % len(nodes)]
            out = Searches()
            until = time.monotonic() + args.seconds
            searchers = [threading.Thread(target=search_loop, args=(backend, expected, until, out, i))
                         for i in range(args.clients)]
            for t in searchers:
                t.start()
            feed = subprocess.Popen([*archive_argv(), "--data", str(feeding), "import",
                                     str(args.workdir / ("corpus-b" if kill == 0 else "corpus-a"))],
                                    env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(min(5.0, args.seconds / 4))
            killed_at = time.monotonic()
            victim.kill()
            log(f"kill {kill + 1}: SIGKILL {victim.name} under {args.clients} searching clients and an import")
            for t in searchers:
                t.join()
            feed_out, feed_err = feed.communicate(timeout=900)
            restart = time.monotonic()
            victim.start(wait_for="yellow")
            wait_green(url, 3, 600)
            recovery = time.monotonic() - restart
            after_kill = [t - killed_at for t, _ in out.failed if t >= killed_at]
            with Store(feeding) as store:
                index = open_maintenance(store, EngineConfig("opensearch"))
                problems = index.check()
                lost = len(store.passage_ids()) - index.stats()["index_docs"]
            row = {"kill": kill + 1, "node": victim.name, "searches_ok": out.ok, "searches_failed": len(out.failed),
                   "searches_wrong": len(out.wrong), "failover_seconds": round(max(after_kill), 2) if after_kill else 0.0,
                   "recovery_seconds": round(recovery, 1), "import_exit": feed.returncode,
                   "lost_passages": lost, "check": problems, "first_failures": [m for _, m in out.failed[:3]],
                   "import_tail": (feed_out + feed_err)[-400:] if feed.returncode else ""}
            rows.append(row)
            log(json.dumps(row, ensure_ascii=False))
        backend.close()
    finally:
        for node in nodes:
            node.stop()
    print(f"{'kill':>4} {'node':>10} {'ok':>7} {'failed':>7} {'wrong':>6} {'failover s':>11} {'recovery s':>11} "
          f"{'import':>7} {'lost':>5}")
    for r in rows:
        print(f"{r['kill']:>4} {r['node']:>10} {r['searches_ok']:>7} {r['searches_failed']:>7} {r['searches_wrong']:>6} "
              f"{r['failover_seconds']:>11} {r['recovery_seconds']:>11} {r['import_exit']:>7} {r['lost_passages']:>5}")
    out = Path(__file__).resolve().parents[2] / "bench-results" / f"{time.strftime('%Y-%m-%d')}-soak-cluster.json"
    out.write_text(json.dumps({"command": "python -m tests.soak.cluster " + " ".join(sys.argv[1:] if argv is None
                                                                                   else argv),
                               "kills": rows}, ensure_ascii=False, indent=1))
    print(f"figures in {out}")
    bad = [r for r in rows if r["lost_passages"] or r["check"] or r["searches_wrong"] or r["import_exit"] not in (0,)]
    return 1 if bad or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
