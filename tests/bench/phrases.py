"""The floor every phrase path is judged against, and the exact-phrase guarantee.

Floor: Python's ``phrase in text`` over every passage, folded with the
archive's own ``fold`` and held in memory. Guarantee: for random CJK
substrings of the indexed passages, ``backend.ids('"…"')`` must equal
that scan's answer, no more, no fewer (the README's query language).
"""

from __future__ import annotations

import random
import re
import sqlite3
import time

from archive.text import fold

from .stats import summary_ms

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


def folded_passages(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    return [(pid, fold(text)) for pid, text in conn.execute("SELECT id, text FROM passages ORDER BY id")]


def scan(passages: list[tuple[int, str]], phrase: str) -> list[int]:
    needle = fold(phrase)
    return [pid for pid, text in passages if needle in text]


def scan_latency(passages: list[tuple[int, str]], phrases: list[str], runs: int) -> dict:
    """p50/p95 of the full scan for the given phrases, cycled ``runs`` times (at least once each)."""
    seconds = []
    for i in range(max(runs, len(phrases))):
        t = time.perf_counter()
        scan(passages, phrases[i % len(phrases)])
        seconds.append(time.perf_counter() - t)
    return summary_ms(seconds)


def random_substrings(passages: list[tuple[int, str]], n: int, seed: int) -> list[str]:
    """n random CJK substrings of 2–10 characters of the passages (as the search tests draw them)."""
    rng = random.Random(f"phrases:{seed}")
    out: list[str] = []
    while len(out) < n:
        _, text = rng.choice(passages)
        runs = _CJK_RUN.findall(text)
        if not runs:
            continue
        run = rng.choice(runs)
        size = rng.randint(2, min(10, len(run)))
        start = rng.randint(0, len(run) - size)
        out.append(run[start:start + size])
    return out


def guarantee(searcher, passages: list[tuple[int, str]], n: int, seed: int) -> dict:
    """Recall and precision of quoted phrases against the full scan, over n random substrings."""
    phrases = random_substrings(passages, n, seed)
    hits = truth = both = n_wrong = 0
    wrong: list[dict] = []
    started = time.perf_counter()
    for p in phrases:
        got = set(searcher.ids(f'"{p}"'))
        expected = set(scan(passages, p))
        hits += len(got)
        truth += len(expected)
        both += len(got & expected)
        n_wrong += got != expected
        if got != expected and len(wrong) < 10:
            wrong.append({"phrase": p, "missed": len(expected - got), "extra": len(got - expected)})
    return {
        "phrases": len(phrases),
        "lengths": sorted({len(p) for p in phrases}),
        "recall": both / truth if truth else 1.0,
        "precision": both / hits if hits else 1.0,
        "phrases_wrong": n_wrong,
        "examples_wrong": wrong,
        "seconds": time.perf_counter() - started,
    }
