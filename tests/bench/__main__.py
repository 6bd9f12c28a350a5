"""``make bench``: measure import, index and search at one or more corpus sizes.

    python -m tests.bench                       # 1,000 reports
    python -m tests.bench --sizes 1000 10000    # and the growth between them

Prints one table per size (each figure beside its performance target) and writes
the same figures to ``bench-results/<date>-<sizes>.json``. Exits 1 when the
exact-phrase guarantee fails, 2 when the benchmark itself cannot run.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

from . import machine, suite, table
from . import vocab as vocab_mod
from .vocab import ROOT

RESULTS = ROOT / "bench-results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000], help="corpus sizes in reports (default 1000)")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "shuzhi-bench",
                    help="corpora (cached by size and seed) and archives go here")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--queries", type=int, default=200, help="timed queries per class and client count")
    ap.add_argument("--budget", type=float, default=30.0, help="seconds at most per class and client count")
    ap.add_argument("--phrases", type=int, default=500, help="random phrases for the exact-phrase guarantee")
    ap.add_argument("--stages", action=argparse.BooleanOptionalAction, default=True,
                    help="time each stage in one process too (a single-core replay: long at large sizes)")
    ap.add_argument("--http", action=argparse.BooleanOptionalAction, default=True, help="query over HTTP too")
    ap.add_argument("--keep", action="store_true", help="keep the archives under --workdir")
    ap.add_argument("--vocab", type=Path, default=None, help="word-list folder (default tests/fixtures/vocab)")
    ap.add_argument("--formats", type=int, default=40,
                    help="reports for the .docx/.pdf vs .txt import comparison (0 skips it)")
    ap.add_argument("--ocr-pages", type=int, default=2, help="scanned pages for the OCR pages/s figure")
    ap.add_argument("--out", type=Path, default=None, help="JSON file (default bench-results/<date>-<sizes>.json)")
    return ap.parse_args(argv)


def _clean(obj):
    """JSON has no NaN: write null."""
    if isinstance(obj, float) and math.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    try:
        vocab = vocab_mod.load(args.vocab)
    except vocab_mod.VocabularyMissing as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    host = machine.describe()
    started = time.time()
    results = []
    for size in args.sizes:
        results.append(suite.run_size(size, args, vocab, host))
        print(table.render(results[-1]), flush=True)
        print(flush=True)
    formats_result = None
    if args.formats:
        from . import formats

        formats_result = formats.run(args.formats, args.ocr_pages, args.workdir, args.seed)
        print(formats.render(formats_result), flush=True)
    growth = table.growth(results)
    if growth:
        print("\n".join(row.line() for row in growth))
    out = args.out or RESULTS / f"{time.strftime('%Y-%m-%d')}-{'-'.join(map(str, args.sizes))}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = {"command": "python -m tests.bench " + " ".join(sys.argv[1:] if argv is None else argv),
           "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
           "seconds": time.time() - started, "machine": host, "results": results,
           "growth": [row.__dict__ for row in growth], "formats": formats_result}
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(_clean(doc), ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    tmp.replace(out)
    print(f"figures written to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    broken = [r["size"] for r in results if (g := r.get("guarantee")) and (g["recall"] < 1 or g["precision"] < 1)]
    if broken:
        print(f"bench: the exact-phrase guarantee fails at {broken} reports", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
