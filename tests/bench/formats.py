"""Import throughput of Word and text-layer PDF files against the same reports as .txt, and OCR pages/s.

    python -m tests.bench.formats --reports 60 --ocr-pages 4
    (also part of ``make bench``: python -m tests.bench --formats 60)

The same generated reports are written as .txt, .docx (python-docx) and
.pdf (reportlab, embedded CJK font); each folder is imported by the real
CLI into its own archive and the figure is characters of report text per
second of the whole import (read, convert, clean, parse, dedupe, index).
The target for .docx and .pdf is at least half the .txt rate. OCR is timed
on its own: scanned pages (page images, no text layer) read by Tesseract.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import generate, procs, serve
from . import vocab as vocab_mod
from .suite import ensure_corpus

TARGET = 0.5


def _texts(corpus: Path, count: int) -> list[str]:
    manifest = generate.read_manifest(corpus)
    files = [m["file"] for m in manifest if m["kind"] == "original"][:count]
    return [(corpus / f).read_bytes().decode("utf-8") for f in files]


def _import(folder: Path, data: Path) -> tuple[float, dict]:
    m = procs.run(serve.archive_command() + ["--data", str(data), "import", str(folder), "--json"]).check((0, 1))
    return m.seconds, json.loads(m.stdout)


def measure(texts: list[str], workdir: Path, ocr_pages: int, rounds: int = 2) -> dict:
    """Seconds and chars/s per format (the best of ``rounds`` imports, formats taking turns, so that load from
    other processes hits every format alike); OCR pages/s when Tesseract is installed."""
    from archive.formats import extract
    from archive.formats.ocr import _tesseract
    from tests.fixtures.convert import as_docx, as_pdf, as_scan

    writers = {"txt": lambda t: t.encode("utf-8"), "docx": as_docx, "pdf": as_pdf}
    chars = sum(len(t) for t in texts)
    out: dict = {"reports": len(texts), "chars": chars, "rounds": rounds, "formats": {}}
    warm = workdir / "warm-up"  # the first import pays for loading jieba's dictionary: not a format's cost
    shutil.rmtree(warm, ignore_errors=True)
    warm.mkdir(parents=True)
    for i, text in enumerate(texts[:3]):
        (warm / f"w{i}.txt").write_text(text, encoding="utf-8")
    _import(warm, workdir / "data-warm-up")
    for fmt, write in writers.items():
        folder = workdir / fmt
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for i, text in enumerate(texts):
            (folder / f"r{i:04d}.{fmt}").write_bytes(write(text))
    for _ in range(rounds):
        for fmt in writers:
            shutil.rmtree(workdir / f"data-{fmt}", ignore_errors=True)
            seconds, summary = _import(workdir / fmt, workdir / f"data-{fmt}")
            best = out["formats"].get(fmt)
            if best is None or seconds < best["seconds"]:
                out["formats"][fmt] = {"seconds": round(seconds, 2), "chars_per_s": round(chars / seconds),
                                       "added": len(summary["added"]), "duplicates": len(summary["duplicates"]),
                                       "failed": len(summary["failed"])}
    base = out["formats"]["txt"]["chars_per_s"]
    for fmt in ("docx", "pdf"):
        out["formats"][fmt]["vs_txt"] = round(out["formats"][fmt]["chars_per_s"] / base, 2)
    if ocr_pages and _tesseract():
        scan = as_scan("\n".join(texts), max_pages=ocr_pages)
        started = time.perf_counter()
        extracted = extract("scan.pdf", scan)
        seconds = time.perf_counter() - started
        out["ocr"] = {"pages": ocr_pages, "seconds": round(seconds, 2), "pages_per_s": round(ocr_pages / seconds, 3),
                      "chars": len(extracted.text)}
    else:
        out["ocr"] = None
    return out


def render(r: dict) -> str:
    lines = [f"format throughput over {r['reports']} reports ({r['chars']:,} chars), whole import by the CLI "
             f"(best of {r.get('rounds', 1)}):"]
    for fmt, f in r["formats"].items():
        ratio = f" = {f['vs_txt']:.2f} × txt (target ≥ {TARGET})" if "vs_txt" in f else ""
        lines.append(f"  {fmt:<5} {f['seconds']:>7.2f} s  {f['chars_per_s']:>9,} chars/s{ratio}"
                     f"   added {f['added']}, duplicates {f['duplicates']}, failed {f['failed']}")
    if r["ocr"]:
        o = r["ocr"]
        lines.append(f"  ocr   {o['pages']} scanned pages in {o['seconds']:.1f} s = {o['pages_per_s']:.2f} pages/s")
    else:
        lines.append("  ocr   not measured (Tesseract with chi_sim is not installed, or --ocr-pages 0)")
    return "\n".join(lines)


def run(reports: int, ocr_pages: int, workdir: Path, seed: int = 1) -> dict:
    vocab = vocab_mod.load(None)
    corpus = ensure_corpus(workdir, max(reports, 50), seed, vocab)
    return measure(_texts(corpus, reports), workdir / "formats", ocr_pages)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.bench.formats", description=__doc__.split("\n")[0])
    ap.add_argument("--reports", type=int, default=60)
    ap.add_argument("--ocr-pages", type=int, default=4)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "shuzhi-bench")
    args = ap.parse_args(argv)
    result = run(args.reports, args.ocr_pages, args.workdir)
    print(render(result))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
