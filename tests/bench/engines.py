"""Both engines side by side on one generated corpus: import speed, index size, query latency, exactness.

    python -m tests.bench.engines --sizes 1000          (``make bench`` runs it beside an OpenSearch node)

For each size the same cached corpus is imported twice with the real CLI,
once per engine (``archive --engine E import``: the archive's own work plus
feeding that engine), then each engine is rebuilt from the archive alone
(``archive --engine E reindex``: indexing only). Raw ``jieba.lcut`` over the
same texts is the anchor. Index size is the local engine's Whoosh folder
plus its phrase tables (the difference between the two archives' SQLite
files), against OpenSearch's primary store after a merge to one segment.
Queries are the bench's own classes, warm, in this process, and over HTTP
(``archive serve``) with 1 and 8 clients; the exact-phrase guarantee runs
on both. Figures go to ``bench-results/<date>-engines-<sizes>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import phrases, procs, queries, serve, stages
from . import vocab as vocab_mod
from .stats import rate
from .suite import archive, dir_bytes, ensure_corpus, say
from .vocab import ROOT

ENGINES = ("local", "opensearch")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m tests.bench.engines", description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000])
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "shuzhi-bench")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--queries", type=int, default=100, help="timed queries per class")
    ap.add_argument("--budget", type=float, default=15.0, help="seconds at most per class")
    ap.add_argument("--phrases", type=int, default=300)
    ap.add_argument("--http", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--reindex", action=argparse.BooleanOptionalAction, default=True,
                    help="time a rebuild of each engine from the archive too")
    ap.add_argument("--out", type=Path, default=None)
    return ap.parse_args(argv)


def _with_engine(engine: str):
    os.environ["ARCHIVE_ENGINE"] = engine


def _cluster_bytes(data: Path) -> dict:
    """OpenSearch's store for the archive's index, as it is and merged to one segment (what it settles to)."""
    from archive.store import Store
    from index.opensearch.cluster import Target, client, current_index

    with Store(data, readonly=True) as store:
        target = Target.of(store)
    es = client(target.url)
    try:
        index = current_index(es, target.alias)
        before = es.indices.stats(index=index, metric="store,docs")["indices"][index]["primaries"]
        es.indices.forcemerge(index=index, max_num_segments=1, request_timeout=600)
        after = es.indices.stats(index=index, metric="store")["indices"][index]["primaries"]
        return {"docs": before["docs"]["count"], "bytes": before["store"]["size_in_bytes"],
                "merged_bytes": after["store"]["size_in_bytes"]}
    finally:
        es.close()


def _drop(data: Path) -> None:
    from archive.store import Store
    from index.opensearch.cluster import Target
    from tests.support.opensearch import drop_indexes

    with Store(data, readonly=True) as store:
        target = Target.of(store)
    drop_indexes(target.url, [target.alias])


def run_size(size: int, args, vocab) -> dict:
    corpus = ensure_corpus(args.workdir, size, args.seed, vocab)
    files = stages.corpus_files(corpus)
    run_dir = args.workdir / f"engines-{size}-seed{args.seed}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    r: dict = {"size": size, "corpus": str(corpus), "engines": {}}
    say(f"[{size:,}] raw jieba over the texts")
    r["jieba"] = stages.jieba_anchor(files)
    chars = r["jieba"]["chars"]
    try:
        for engine in ENGINES:
            _with_engine(engine)
            data = run_dir / engine
            e: dict = {}
            say(f"[{size:,}] {engine}: import end to end")
            m = procs.run(archive(data, "--engine", engine, "import", str(corpus), "--json")).check((0, 1))
            e["import"] = {"seconds": m.seconds, "chars_per_s": rate(chars, m.seconds),
                           "vs_jieba": rate(chars, m.seconds) / r["jieba"]["chars_per_s"], "tree_pss": m.tree_pss}
            say(f"[{size:,}] {engine}: import {m.seconds:.1f} s")
            if args.reindex:
                again = procs.run(archive(data, "--engine", engine, "reindex")).check()
                e["reindex"] = {"seconds": again.seconds, "chars_per_s": rate(chars, again.seconds),
                                "vs_jieba": rate(chars, again.seconds) / r["jieba"]["chars_per_s"]}
            check = procs.run(archive(data, "--engine", engine, "check"))
            e["check"] = {"exit": check.returncode, "output": check.stdout[-300:]}
            r["engines"][engine] = e
        local_db = sum(p.stat().st_size for p in (run_dir / "local").glob("archive.db*"))
        plain_db = sum(p.stat().st_size for p in (run_dir / "opensearch").glob("archive.db*"))
        whoosh = dir_bytes(run_dir / "local" / "index")
        r["engines"]["local"]["index_bytes"] = whoosh + max(0, local_db - plain_db)
        r["engines"]["local"]["index_parts"] = {"whoosh": whoosh, "phrase_tables": max(0, local_db - plain_db)}
        r["engines"]["opensearch"].update(_cluster_bytes(run_dir / "opensearch"))
        r["engines"]["opensearch"]["index_bytes"] = r["engines"]["opensearch"]["merged_bytes"]
        for engine in ENGINES:
            r["engines"][engine]["index_bytes_per_mchar"] = r["engines"][engine]["index_bytes"] / (chars / 1e6)
        for engine in ENGINES:
            _with_engine(engine)
            _queries(r["engines"][engine], size, engine, args, run_dir / engine, run_dir)
    finally:
        _drop(run_dir / "opensearch")
        shutil.rmtree(run_dir, ignore_errors=True)
        os.environ.pop("ARCHIVE_ENGINE", None)
    return r


def _queries(e: dict, size: int, engine: str, args, data: Path, run_dir: Path) -> None:
    from archive.store import Store
    from index.api import EngineConfig, open_backend

    store = Store(data, readonly=True)
    backend = open_backend(store, EngineConfig(engine))
    try:
        classes = queries.build(store.conn, args.seed)
        say(f"[{size:,}] {engine}: queries in-process")
        e["in_process"] = {c.name: queries.run_in_process(backend, c, args.queries, args.budget).as_json()
                           for c in classes}
        say(f"[{size:,}] {engine}: exact-phrase guarantee ({args.phrases} phrases)")
        e["guarantee"] = phrases.guarantee(backend, phrases.folded_passages(store.conn), args.phrases, args.seed)
    finally:
        backend.close()
    if args.http:
        say(f"[{size:,}] {engine}: queries over HTTP (1 and 8 clients)")
        try:
            with serve.Server(data, run_dir / f"serve-{engine}.log") as server:
                for clients in (1, 8):
                    e[f"http_{clients}"] = {c.name: serve.run_clients(server.port, c, clients, args.queries,
                                                                      args.budget).as_json() for c in classes}
        except serve.ServerUnavailable as exc:
            e["http_error"] = str(exc)


def render(r: dict) -> str:
    """The side-by-side table of one size."""
    loc, ops = r["engines"]["local"], r["engines"]["opensearch"]
    mchars = r["jieba"]["chars"] / 1e6
    jieba = r["jieba"]["chars_per_s"] / 1e3
    lines = [f"== {r['size']:,} reports, {mchars:.1f} M characters; raw jieba {jieba:,.0f}k chars/s ==",
             f"{'':34}{'local':>16}{'opensearch':>16}"]

    def row(label: str, a, b, fmt: str) -> None:
        lines.append(f"{label:34}{format(a, fmt):>16}{format(b, fmt):>16}")

    row("import chars/s (k)", loc["import"]["chars_per_s"] / 1e3, ops["import"]["chars_per_s"] / 1e3, ",.0f")
    row("import / raw jieba", loc["import"]["vs_jieba"], ops["import"]["vs_jieba"], ".2f")
    if "reindex" in loc and "reindex" in ops:
        row("reindex chars/s (k)", loc["reindex"]["chars_per_s"] / 1e3, ops["reindex"]["chars_per_s"] / 1e3, ",.0f")
    row("index MB per M chars", loc["index_bytes_per_mchar"] / 1e6, ops["index_bytes_per_mchar"] / 1e6, ".2f")
    row("phrase recall", loc["guarantee"]["recall"], ops["guarantee"]["recall"], ".3f")
    row("phrase precision", loc["guarantee"]["precision"], ops["guarantee"]["precision"], ".3f")
    for where in ("in_process", "http_1", "http_8"):
        if where not in loc or where not in ops:
            continue
        for name in loc[where]:
            a, b = loc[where][name], ops[where].get(name, {})
            lines.append(f"{where + ' ' + name + ' p50/p95 ms':34}"
                         f"{a.get('p50', float('nan')):>8.1f}{a.get('p95', float('nan')):>8.1f}"
                         f"{b.get('p50', float('nan')):>8.1f}{b.get('p95', float('nan')):>8.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("ARCHIVE_OPENSEARCH_URL"):  # the node the helper runs it beside (OPENSEARCH_PORT)
        from tests.support.opensearch import port_from_env, url_for

        os.environ["ARCHIVE_OPENSEARCH_URL"] = url_for(port_from_env())
    vocab = vocab_mod.load()
    results = []
    for size in args.sizes:
        results.append(run_size(size, args, vocab))
        print(render(results[-1]), flush=True)
    out = args.out or ROOT / "bench-results" / f"{time.strftime('%Y-%m-%d')}-engines-{'-'.join(map(str, args.sizes))}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"command": "python -m tests.bench.engines " + " ".join(sys.argv[1:] if argv is None
                                                                                     else argv),
                               "results": results}, ensure_ascii=False, indent=1))
    print(f"figures in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
