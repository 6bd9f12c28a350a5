"""A deterministic synthetic corpus of report-shaped ``.txt`` files.

    python -m tests.bench.generate --reports 10000 --out /tmp/corpus --seed 1

Files go into subfolders of 1,000 (``000/r000000.txt`` …); ``manifest.jsonl``
records the ground truth: each file is an ``original``, an ``exact``
duplicate (same text, other bytes) or a ``near`` duplicate (a repost), and
of which original. The plan (which file is a duplicate of which) comes from
one generator seeded with the seed; each report's text from its own
generator seeded with (seed, number), so shards can be written by several
processes and the bytes are the same whatever the process count.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from . import vocab as vocab_mod
from .compose import Composer
from .variants import EXACT_VARIANTS, exact_bytes, near_text

SHARD = 1000
EXACT_SHARE = 0.025
NEAR_SHARE = 0.025
FIRST_DUPLICATE = 10  # the first files are always originals, so a duplicate always has one to copy
MANIFEST = "manifest.jsonl"
#: Bump when the output for a given seed changes: cached corpora are keyed by it.
VERSION = 1


@dataclass(frozen=True)
class Entry:
    """One file of the plan."""

    number: int
    kind: str  # original | exact | near
    of: int | None = None
    variant: str = ""

    @property
    def file(self) -> str:
        return relpath(self.number)


def relpath(number: int) -> str:
    return f"{number // SHARD:03d}/r{number:06d}.txt"


def plan(reports: int, seed: int) -> list[Entry]:
    """Which file is an original and which a duplicate of which (earlier) original."""
    rng = random.Random(f"plan:{seed}")
    entries: list[Entry] = []
    originals: list[int] = []
    for n in range(reports):
        r = rng.random()
        if n >= FIRST_DUPLICATE and r < EXACT_SHARE:
            entries.append(Entry(n, "exact", rng.choice(originals), rng.choice(EXACT_VARIANTS)))
        elif n >= FIRST_DUPLICATE and r < EXACT_SHARE + NEAR_SHARE:
            entries.append(Entry(n, "near", rng.choice(originals), "repost"))
        else:
            entries.append(Entry(n, "original"))
            originals.append(n)
    return entries


class Writer:
    """Renders and writes files of a plan; one per process."""

    def __init__(self, vocab: vocab_mod.Vocab, seed: int, out: Path):
        self.composer = Composer(vocab)
        self.seed = seed
        self.out = out

    def original(self, number: int) -> tuple[str, dict]:
        return self.composer.report(random.Random(f"report:{self.seed}:{number}"))

    def render(self, entry: Entry) -> tuple[bytes, dict]:
        """(bytes to write, manifest fields)."""
        if entry.kind == "original":
            text, meta = self.original(entry.number)
            return text.encode("utf-8"), {**meta, "chars": len(text)}
        text, meta = self.original(entry.of)
        if entry.kind == "exact":
            return exact_bytes(text, entry.variant), {**meta, "chars": len(text)}
        rng = random.Random(f"near:{self.seed}:{entry.number}")
        repost, edits = near_text(rng, text, meta["title"], meta["place"], meta["year"])
        return repost.encode("utf-8"), {**meta, "chars": len(repost), "edits": edits}

    def write_shard(self, entries: list[Entry]) -> list[dict]:
        rows = []
        for entry in entries:
            data, meta = self.render(entry)
            path = self.out / entry.file
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            rows.append({"file": entry.file, "kind": entry.kind,
                         "of": relpath(entry.of) if entry.of is not None else None,
                         "variant": entry.variant or None, "bytes": len(data), **meta})
        return rows


_worker: Writer | None = None


def _init_worker(vocab: vocab_mod.Vocab, seed: int, out: Path) -> None:
    global _worker
    _worker = Writer(vocab, seed, out)


def _shard_job(entries: list[Entry]) -> list[dict]:
    assert _worker is not None
    return _worker.write_shard(entries)


def generate(out: Path, reports: int, seed: int, *, jobs: int = 1, vocab: vocab_mod.Vocab | None = None) -> dict:
    """Write the corpus and its manifest; returns a summary (counts, characters, seconds)."""
    started = time.perf_counter()
    vocab = vocab or vocab_mod.load()
    entries = plan(reports, seed)
    shards = [entries[i:i + SHARD] for i in range(0, len(entries), SHARD)]
    out.mkdir(parents=True, exist_ok=True)
    if jobs > 1 and len(shards) > 1:
        with get_context("fork").Pool(jobs, initializer=_init_worker, initargs=(vocab, seed, out)) as pool:
            rows = [row for part in pool.imap(_shard_job, shards) for row in part]
    else:
        writer = Writer(vocab, seed, out)
        rows = [row for shard in shards for row in writer.write_shard(shard)]
    with open(out / MANIFEST, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    counts = {k: sum(r["kind"] == k for r in rows) for k in ("original", "exact", "near")}
    return {"reports": reports, "seed": seed, **counts, "characters": sum(r["chars"] for r in rows),
            "bytes": sum(r["bytes"] for r in rows), "seconds": time.perf_counter() - started,
            "vocab": vocab.source, "vocab_digest": vocab.digest, "version": VERSION}


def read_manifest(folder: Path) -> list[dict]:
    with open(folder / MANIFEST, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def cache_key(reports: int, seed: int, vocab: vocab_mod.Vocab) -> str:
    """A corpus folder name that changes whenever its bytes would."""
    return f"corpus-{reports}-seed{seed}-v{VERSION}-{vocab.digest}"


def _clear(out: Path) -> None:
    """Only ever delete what looks like a corpus this module wrote."""
    if not (out / MANIFEST).exists():
        sys.exit(f"{out} is not empty and holds no {MANIFEST}: refusing to overwrite it")
    for child in out.iterdir():
        if child.is_dir() and child.name.isdigit():
            shutil.rmtree(child)
    (out / MANIFEST).unlink()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.bench.generate", description=__doc__.split("\n")[0])
    ap.add_argument("--reports", type=int, required=True, help="number of files (duplicates included)")
    ap.add_argument("--out", type=Path, required=True, help="folder to write (created; must be empty or a corpus)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="processes (output is the same)")
    ap.add_argument("--vocab", type=Path, default=None, help="word-list folder (default tests/fixtures/vocab)")
    args = ap.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        _clear(args.out)
    try:
        vocab = vocab_mod.load(args.vocab)
    except vocab_mod.VocabularyMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary = generate(args.out, args.reports, args.seed, jobs=args.jobs, vocab=vocab)
    rate = summary["reports"] / summary["seconds"] if summary["seconds"] else 0.0
    print(f"wrote {summary['reports']} files ({summary['original']} originals, {summary['exact']} exact and "
          f"{summary['near']} near duplicates), {summary['characters'] / 1e6:.1f} M characters, to {args.out} "
          f"in {summary['seconds']:.1f} s ({rate:,.0f} reports/s; vocabulary: {summary['vocab']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
