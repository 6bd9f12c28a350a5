"""One corpus size, measured from end to end; returns the figures as one dict.

Order matters on a small machine: the end-to-end import runs first after
generation (nothing else of ours running), then the in-process anchors and
stage timings, then re-import and +100, then reindex/check, then queries.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

from . import generate, machine, phrases, procs, queries, serve, stages
from . import vocab as vocab_mod
from .stats import rate
from .table import targets
from tests.support.procs import archive_argv

ADD_REPORTS = 100
_INDEXED = re.compile(r"indexed (\d+) passages in ([\d.]+) s")


def say(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def ensure_corpus(workdir: Path, reports: int, seed: int, vocab: vocab_mod.Vocab) -> Path:
    """The cached corpus for (size, seed, generator version, vocabulary), generated when absent."""
    folder = workdir / generate.cache_key(reports, seed, vocab)
    if (folder / generate.MANIFEST).exists():
        return folder
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    say(f"generating {reports:,} reports (seed {seed}) into {folder}")
    summary = generate.generate(tmp, reports, seed, jobs=min(2, os.cpu_count() or 1), vocab=vocab)
    say(f"generated in {summary['seconds']:.1f} s ({reports / summary['seconds']:,.0f} reports/s)")
    tmp.rename(folder)
    return folder


def archive(data: Path, *args: str) -> list[str]:
    return archive_argv() + ["--data", str(data), *args]


def import_run(data: Path, corpus: Path) -> tuple[procs.Measured, dict]:
    m = procs.run(archive(data, "import", str(corpus), "--json")).check((0, 1))
    return m, json.loads(m.stdout)


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def dedupe_truth(summary: dict, manifest: list[dict], corpus: Path) -> dict:
    """The import's verdict on every file against the generator's ground truth."""
    rel = lambda p: os.path.relpath(p, corpus)  # noqa: E731
    added = {rel(a["path"]): a["report_id"] for a in summary["added"]}
    dups = {rel(d["path"]): d for d in summary["duplicates"]}
    out = {"exact_expected": 0, "exact_found": 0, "near_expected": 0, "near_found": 0, "false_duplicates": 0,
           "missed": 0, "wrong_original": 0, "kind_swapped": 0, "examples": []}
    for row in manifest:
        f, kind = row["file"], row["kind"]
        if kind == "original":
            if f in dups:
                out["false_duplicates"] += 1
                if len(out["examples"]) < 5:
                    out["examples"].append({"file": f, "truth": "original", "import": dups[f]})
            continue
        out[f"{kind}_expected"] += 1
        d = dups.get(f)
        if d is None:
            out["missed"] += 1
            if len(out["examples"]) < 5:
                out["examples"].append({"file": f, "truth": kind, "of": row["of"], "import": "added"})
        elif d["of"] != added.get(row["of"]):
            out["wrong_original"] += 1
        elif d["kind"] != kind:
            out["kind_swapped"] += 1
        else:
            out[f"{kind}_found"] += 1
    return out


def run_size(size: int, args, vocab: vocab_mod.Vocab, host: dict) -> dict:
    workdir: Path = args.workdir
    corpus = ensure_corpus(workdir, size, args.seed, vocab)
    extra = ensure_corpus(workdir, ADD_REPORTS, args.seed + 1000, vocab)
    manifest = generate.read_manifest(corpus)
    files = stages.corpus_files(corpus)
    run_dir = workdir / f"run-{size}-seed{args.seed}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    data = run_dir / "data"
    r: dict = {"size": size, "seed": args.seed, "machine": host,
               "corpus": {"path": str(corpus), "files": len(manifest), "vocab": vocab.source,
                          **{k: sum(m["kind"] == k for m in manifest) for k in ("original", "exact", "near")},
                          "bytes": sum(m["bytes"] for m in manifest)}}
    try:
        _measure(r, size, args, corpus, extra, files, manifest, run_dir, data)
    finally:
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
    r["load_at_end"] = machine.load()
    r["targets"] = targets(r)
    return r


def _measure(r, size, args, corpus, extra, files, manifest, run_dir, data) -> None:
    say(f"[{size:,}] import end to end")
    m, summary = import_run(data, corpus)
    say(f"[{size:,}] import took {m.seconds:.1f} s, peak tree PSS {m.tree_pss / 2**20:.0f} MB")

    say(f"[{size:,}] raw jieba over the same texts")
    r["jieba"] = stages.jieba_anchor(files)
    chars = r["jieba"]["chars"]
    r["corpus"]["characters"] = chars
    r["import"] = {"seconds": m.seconds, "chars_per_s": rate(chars, m.seconds), "reports_per_s": rate(len(files), m.seconds),
                   "tree_pss": m.tree_pss, "tree_rss": m.tree_rss, "max_rss": m.max_rss, "max_procs": m.max_procs, "exit": m.returncode,
                   "workers": min(4, os.cpu_count() or 1), "added": len(summary["added"]),
                   "duplicates": len(summary["duplicates"]), "failed": summary["failed"][:10],
                   "rss_method": "tree_pss / tree_rss = peak of the sum of PSS / VmRSS over the process tree "
                                 "(/proc polled every 50 ms); max_rss = wait4 ru_maxrss (as /usr/bin/time -v)"}
    r["ratio_import_jieba"] = r["import"]["chars_per_s"] / r["jieba"]["chars_per_s"]
    r["dedupe_truth"] = dedupe_truth(summary, manifest, corpus)
    r["disk"] = _disk(data, chars)
    r["corpus"]["similarity"] = stages.original_similarity(corpus, manifest)

    if args.stages:
        say(f"[{size:,}] stages in-process (prepare, replay, analyzer)")
        r["analyzer"] = stages.analyzer_anchor(files)
        prep = stages.prepare_pass(files)
        rep = stages.replay(corpus, run_dir / "scratch")
        shutil.rmtree(run_dir / "scratch", ignore_errors=True)
        shutil.rmtree(run_dir / "scratch-index", ignore_errors=True)

    say(f"[{size:,}] re-import, +{ADD_REPORTS}, reindex, check")
    again, _ = import_run(data, corpus)
    r["reimport"] = {"seconds": again.seconds, "speedup": m.seconds / again.seconds}
    added, _ = import_run(data, extra)
    alone, _ = import_run(run_dir / "alone", extra)
    r["add100"] = {"seconds": added.seconds, "alone_seconds": alone.seconds, "ratio": added.seconds / alone.seconds}
    shutil.rmtree(run_dir / "alone", ignore_errors=True)
    reindex = procs.run(archive(data, "reindex")).check()
    found = _INDEXED.search(reindex.stdout)
    r["reindex"] = {"seconds": reindex.seconds, "reported_seconds": float(found.group(2)) if found else None,
                    "passages": int(found.group(1)) if found else None, "tree_pss": reindex.tree_pss,
                    "tree_rss": reindex.tree_rss}
    check = procs.run(archive(data, "check"))
    r["check"] = {"seconds": check.seconds, "exit": check.returncode, "output": check.stdout[-500:]}
    if args.stages:
        r["stages"] = _stages(prep, rep, r["reindex"], m.seconds)
        r["stages_raw"] = {"prepare": prep, "replay": rep}

    _queries(r, size, args, data, run_dir)


def _disk(data: Path, chars: int) -> dict:
    db = sum(p.stat().st_size for p in data.glob("archive.db*"))
    index = dir_bytes(data / "index")
    mchars = chars / 1e6
    return {"db_bytes": db, "index_bytes": index, "sources_bytes": dir_bytes(data / "sources"),
            "db_per_mchar": db / mchars, "index_per_mchar": index / mchars}


def _stages(prep: dict, rep: dict, reindex: dict, e2e: float) -> dict:
    """Seconds per stage on one core; 'other' is what the replay spent outside the timed parts."""
    sync = reindex.get("reported_seconds") or reindex["seconds"]
    out = {"prepare": prep["seconds"], **prep["substages"], "dedupe": rep["dedupe"],
           "sqlite_writes": rep["sqlite_writes"], "source_files": rep["source_files"],
           "other": max(0.0, rep["seconds"] - prep["seconds"] - rep["commit"] - rep["source_files"]),
           "index_sync": sync}
    out.update(rep.get("index") or {})
    out["single_core_total"] = rep["seconds"] + sum((rep.get("index") or {"sync": sync}).values())
    out["e2e_wall"] = e2e
    return out


def _queries(r: dict, size: int, args, data: Path, run_dir: Path) -> None:
    from archive.store import Store
    from index.api import open_backend

    store = Store(data, readonly=True)
    searcher = open_backend(store)
    try:
        r["passages"] = store.conn.execute("SELECT count(*) FROM passages").fetchone()[0]
        classes = queries.build(store.conn, args.seed)
        r["query_set"] = {c.name: [q.label() for q in c.queries] for c in classes}
        say(f"[{size:,}] queries in-process ({args.queries} per class)")
        r["queries"] = {"in_process": {c.name: queries.run_in_process(searcher, c, args.queries, args.budget).as_json()
                                       for c in classes}}
        say(f"[{size:,}] scan anchor and exact-phrase guarantee ({args.phrases} phrases)")
        passages = phrases.folded_passages(store.conn)
        r["scan"] = {c.name: phrases.scan_latency(passages, [q.text.strip('"') for q in c.queries], 20)
                     for c in classes if c.name.startswith("phrase-") and c.queries}
        r["guarantee"] = phrases.guarantee(searcher, passages, args.phrases, args.seed)
        del passages
    finally:
        searcher.close()
        store.close()
    if args.http:
        _http(r, size, args, data, run_dir, classes)


def _http(r, size, args, data, run_dir, classes) -> None:
    from archive.store import Store
    from index.api import open_backend

    say(f"[{size:,}] queries over HTTP (1 and 8 clients)")
    with open_backend(Store(data, readonly=True)) as backend:
        analyst = queries.analyst_classes(backend.store.conn, backend, args.seed)
    try:
        with serve.Server(data, run_dir / "serve.log") as server:
            r["queries"]["server_start_seconds"] = server.started_in
            for clients in (1, 8):
                r["queries"][f"http_{clients}"] = {
                    c.name: serve.run_clients(server.port, c, clients, args.queries, args.budget).as_json()
                    for c in classes + analyst}
            r["queries"]["export"] = [serve.measure_export(server, w) for w in ("工作", "发展")]
    except serve.ServerUnavailable as exc:
        r["queries"]["http_error"] = str(exc)
        say(f"[{size:,}] HTTP skipped: {exc}")
