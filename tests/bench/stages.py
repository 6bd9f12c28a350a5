"""In-process timings on one core: the anchors (raw jieba) and the import's stages.

The end-to-end import runs as the real CLI elsewhere; here the same corpus
goes through the project's functions one at a time, so each stage gets its
own figure:

* ``prepare`` (decode → clean → parse → MinHash), the pure per-file work the
  import hands to its process pool, over every file;
* a replay of ``Importer.run(workers=1)`` into a scratch archive, with the
  store's writes and the importer's ``commit`` timed by thin subclasses, so
  dedupe (hash lookup, LSH, Jaccard check) is told apart from SQLite writes
  and from the source files written beside them;
* the index sync's parts over the replay's passages, on one core: analysis
  (fold, phrase rows, jieba search-mode words), FTS5 inserts, Whoosh segment
  building. The real sync runs the first and last in worker processes, in
  parallel with the inserts; its wall time is ``archive reindex``'s.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from archive import dedupe
from archive.errors import InputError
from archive.importer import Importer, prepare
from archive.model import ImportSummary
from archive.store import Store
from archive.structure import parse
from archive.text import clean, decode, hash_form

#: Store methods that write (timed as "SQLite writes" or "source files") and that look up (part of dedupe).
SQL_WRITES = ("add_report", "add_copy", "add_reports", "add_copies", "flush")
SOURCE_WRITES = ("save_source",)
LOOKUPS = ("known_copy", "copy_with_bytes", "report_with_hash", "body_text")
SUBSTAGE_SAMPLE = 1000  # files timed stage by stage inside prepare


def corpus_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.txt"))


def decoded_texts(files: list[Path]):
    """(path, text) for every file, decoded the way the import decodes it."""
    for path in files:
        try:
            yield path, decode(path.read_bytes()).text
        except InputError:
            continue


def jieba_anchor(files: list[Path]) -> dict:
    """Raw ``jieba.lcut`` (default HMM on) over every file's text, one process; dictionary load excluded."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    chars = tokens = 0
    seconds = 0.0
    for _, text in decoded_texts(files):
        t = time.perf_counter()
        tokens += len(jieba.lcut(text))
        seconds += time.perf_counter() - t
        chars += len(text)
    return {"seconds": seconds, "chars": chars, "tokens": tokens, "chars_per_s": chars / seconds if seconds else 0.0}


def analyzer_anchor(files: list[Path], limit_chars: int = 2_000_000) -> dict:
    """The index's own analyzer (fold + jieba search mode) on a sample: what the Whoosh field costs before Whoosh."""
    from index.analysis import segment_for_search

    segment_for_search("预热")
    chars, seconds = 0, 0.0
    for _, text in decoded_texts(files):
        t = time.perf_counter()
        segment_for_search(text)
        seconds += time.perf_counter() - t
        chars += len(text)
        if chars >= limit_chars:
            break
    return {"seconds": seconds, "chars": chars, "chars_per_s": chars / seconds if seconds else 0.0}


def prepare_pass(files: list[Path]) -> dict:
    """``archive.importer.prepare`` over every file, in this process; plus its parts on a sample."""
    chars = failed = 0
    seconds = 0.0
    for path in files:
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        t = time.perf_counter()
        try:
            preps = prepare(str(path), data, sha)
        except InputError:
            failed += 1
            continue
        finally:
            seconds += time.perf_counter() - t
        chars += sum(len(prep.report.text) for prep in preps)
    step = max(1, len(files) // SUBSTAGE_SAMPLE)
    return {"seconds": seconds, "files": len(files), "failed": failed, "clean_chars": chars,
            "substages": substages(files[::step], scale=len(files) / len(files[::step]))}


def substages(files: list[Path], scale: float) -> dict[str, float]:
    """Seconds per part of ``prepare`` (calling the same public functions), scaled to the whole corpus."""
    spent: dict[str, float] = defaultdict(float)
    for path in files:
        data = path.read_bytes()
        marks = [time.perf_counter()]
        try:
            text = decode(data).text
            marks.append(time.perf_counter())
            cleaned = clean(text)
            marks.append(time.perf_counter())
            report = parse(cleaned, path.name)
            marks.append(time.perf_counter())
            body = "\n".join(p.text for p in report.passages)
            dedupe.minhash(hash_form(body))
            dedupe.content_hash(hash_form(cleaned))
            marks.append(time.perf_counter())
        except InputError:
            continue
        for name, a, b in zip(("decode", "clean", "parse", "hash+minhash"), marks, marks[1:]):
            spent[name] += (b - a) * scale
    return dict(spent)


def original_similarity(corpus: Path, manifest: list[dict], sample: int = 60) -> dict:
    """Jaccard of 5-character shingles between distinct originals: how much the corpus repeats itself.

    Near-duplicate checking costs more the more alike distinct reports are
    (LSH sends more candidates to the exact Jaccard check), so the dedupe
    stage's time is only meaningful beside this figure.
    """
    import random

    files = [m["file"] for m in manifest if m["kind"] == "original"]
    rng = random.Random(f"similarity:{len(files)}")
    sets = []
    for rel in rng.sample(files, min(sample, len(files))):
        data = (corpus / rel).read_bytes()
        prep = prepare(rel, data, hashlib.sha256(data).hexdigest())[0]
        sets.append(dedupe.shingles(hash_form(prep.body)))
    scores = [dedupe.jaccard(a, b) for i, a in enumerate(sets) for b in sets[i + 1:]]
    return {"pairs": len(scores), "mean": sum(scores) / len(scores) if scores else 0.0,
            "max": max(scores, default=0.0), "over_lsh_0.5": sum(s >= 0.5 for s in scores)}


@dataclass
class Clock:
    """Seconds spent per label, and how often."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    inside_commit: bool = False
    sql_in_commit: float = 0.0


def timed_store_class(clock: Clock) -> type[Store]:
    """A Store whose write and lookup methods report their time to ``clock`` (only those Store has)."""

    def wrap(name: str, label: str):
        original = getattr(Store, name)

        def method(self, *args, **kwargs):
            t = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                spent = time.perf_counter() - t
                clock.seconds[label] += spent
                clock.calls[label] += 1
                if clock.inside_commit and label != "lookups":
                    clock.sql_in_commit += spent

        method.__name__ = name
        return method

    attrs = {}
    for names, label in ((SQL_WRITES, "sqlite_writes"), (SOURCE_WRITES, "source_files"), (LOOKUPS, "lookups")):
        attrs.update({n: wrap(n, label) for n in names if hasattr(Store, n)})
    return type("TimedStore", (Store,), attrs)


def timed_importer_class(clock: Clock) -> type[Importer]:
    class TimedImporter(Importer):
        """Times ``commit`` (dedupe + the report's writes) around the real method."""

        def commit(self, prep, summary):
            t = time.perf_counter()
            clock.inside_commit = True
            try:
                return super().commit(prep, summary)
            finally:
                clock.inside_commit = False
                clock.seconds["commit"] += time.perf_counter() - t
                clock.calls["commit"] += 1

    return TimedImporter


def replay(corpus: Path, scratch: Path) -> dict:
    """``Importer.run(workers=1)`` into an empty scratch archive, stage clocks running; no index sync."""
    clock = Clock()
    store = timed_store_class(clock)(scratch)
    try:
        t = time.perf_counter()
        importer = timed_importer_class(clock)(store)
        summary: ImportSummary = importer.run([str(corpus)], workers=1)
        total = time.perf_counter() - t
        index = index_stages(store, scratch.parent / (scratch.name + "-index"))
    finally:
        store.close()
    commit = clock.seconds.get("commit", 0.0)
    return {
        "seconds": total,
        "commit": commit,
        "dedupe": max(0.0, commit - clock.sql_in_commit),
        "sqlite_writes": clock.seconds.get("sqlite_writes", 0.0),
        "source_files": clock.seconds.get("source_files", 0.0),
        "lookups": clock.seconds.get("lookups", 0.0),
        "calls": dict(clock.calls),
        "added": len(summary.added), "duplicates": len(summary.duplicates), "failed": len(summary.failed),
        "index": index,
    }


def index_stages(store: Store, scratch: Path) -> dict:
    """The index sync's parts on one core, a chunk at a time as its workers do: analysis (fold,
    phrase rows, jieba words), the FTS5 inserts, and Whoosh segment building (into a scratch index)."""
    from index import indexer, phrase
    from index.schema import open_or_create
    from index.segments import SegmentBuilder

    ix = open_or_create(scratch)
    conn = store.conn
    phrase.create(conn)
    seconds = {"index_analysis": 0.0, "fts_insert": 0.0, "segment_build": 0.0}
    builder, last = None, 0
    while True:
        rows = conn.execute(indexer.PASSAGE_ROWS + "WHERE p.id > ? ORDER BY p.id LIMIT ?",
                            (last, indexer.CHUNK)).fetchall()
        if not rows:
            break
        last = rows[-1][0]
        t = time.perf_counter()
        phrase_rows, docs = indexer.analyse(rows, 0, 0)
        t1 = time.perf_counter()
        with store.transaction():
            phrase.add(conn, phrase_rows)
        t2 = time.perf_counter()
        builder = builder or SegmentBuilder(ix.storage, ix.indexname, ix.schema)
        builder.add(docs)
        if len(builder) >= indexer.SEGMENT_PASSAGES:
            builder.finish()
            builder = None
        t3 = time.perf_counter()
        seconds["index_analysis"] += t1 - t
        seconds["fts_insert"] += t2 - t1
        seconds["segment_build"] += t3 - t2
    if builder is not None:
        t = time.perf_counter()
        builder.finish()
        seconds["segment_build"] += time.perf_counter() - t
    return seconds
