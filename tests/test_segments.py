"""Whoosh segments built whole (``index.segments``) and the parallel index sync that writes them.

The reference everywhere is Whoosh's own writer (``SegmentWriter.add_document``)
given the same passages: the bulk builder must write the same bytes, and an
archive indexed by worker processes must answer every term with the same
passages and frequencies.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.fields import TEXT

from archive.store import Store
from index import indexer
from index.schema import INDEX_NAME, make_schema
from index.analysis import ChineseAnalyzer
from index.segments import SegmentBuilder, supported
from tests.bench import generate
from tests.support.procs import archive_argv, children
from tests.conftest import run

ROWS = ("SELECT p.id, p.text, p.report_id, p.section_type, r.year, r.kind FROM passages p "
        "JOIN reports r ON r.report_id = p.report_id ORDER BY p.id")


def passages(data: Path) -> list[tuple]:
    with sqlite3.connect(data / "archive.db") as conn:
        return conn.execute(ROWS).fetchall()


def open_index(data: Path):
    return whoosh_index.open_dir(str(data / "index"), indexname=INDEX_NAME)


def indexed(data: Path, how) -> tuple:
    """``how(store)`` (a sync or a rebuild) on the archive at ``data``: its report, the passages, the index."""
    store = Store(data)
    try:
        report = how(store)
    finally:
        store.close()
    return report, passages(data), open_index(data)


def whoosh_reference(rows: list[tuple], folder: Path):
    """The same passages through Whoosh's own writer: one plain (not compound) segment."""
    folder.mkdir(parents=True)
    ix = whoosh_index.create_in(str(folder), make_schema(), indexname=INDEX_NAME)
    writer = ix.writer(compound=False)
    for pid, text, report_id, section_type, year, kind in rows:
        writer.add_document(pid=pid, body=text, report_id=report_id, section_type=section_type,
                            year=str(year) if year else None, kind=kind)
    writer.commit()
    return ix


def segment_files(folder: Path) -> dict[str, bytes]:
    """A single-segment index's files by their part after the segment id (.trm, .pst, columns)."""
    files = [p for p in folder.iterdir() if p.name.startswith(INDEX_NAME + "_") and not p.name.endswith("LOCK")]
    return {p.name.split(".", 1)[1]: p.read_bytes() for p in files}


def contents(ix) -> tuple[dict, dict]:
    """Every term's postings as {term: [(passage id, weight)]}, and each passage's body length."""
    terms: dict = {}
    lengths: dict = {}
    with ix.searcher() as searcher:
        reader = searcher.reader()
        pid = reader.column_reader("pid")
        for doc in reader.all_doc_ids():
            lengths[pid[doc]] = reader.doc_field_length(doc, "body")
        for field, text in reader.all_terms():
            if field == "pid":
                continue  # its term encodes the id itself
            m = reader.postings(field, text)
            got = []
            while m.is_active():
                got.append((pid[m.id()], m.weight()))
                m.next()
            terms[(field, text)] = sorted(got)
    return terms, lengths


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """60 generated reports: about 3,600 passages, enough for the sync to start its worker processes."""
    root = tmp_path_factory.mktemp("generated")
    generate.generate(root / "corpus", 60, seed=11)
    (root / "corpus" / generate.MANIFEST).unlink()
    data = root / "data"
    result = run("import", str(root / "corpus"), data=data)
    assert result.exit_code == 0, result.output
    return data


def test_a_built_segment_is_byte_for_byte_what_whooshs_writer_writes(sample_archive, tmp_path):
    rows = passages(sample_archive)
    whoosh_reference(rows, tmp_path / "whoosh")
    (tmp_path / "bulk").mkdir()
    ix = whoosh_index.create_in(str(tmp_path / "bulk"), make_schema(), indexname=INDEX_NAME)
    builder = SegmentBuilder(ix.storage, ix.indexname, ix.schema)
    _, docs = indexer.analyse(rows, float("inf"), 0)
    builder.add(docs[:100])
    builder.add(docs[100:])  # several batches make one segment
    segment = builder.finish()
    ix.writer().commit(mergetype=lambda _w, segments: segments + [segment])

    expected, built = segment_files(tmp_path / "whoosh"), segment_files(tmp_path / "bulk")
    assert set(built) == {"trm", "pst", "pid.col", "_body_len.col", "_stored.col"}
    assert set(built) == set(expected)
    for part in expected:
        assert built[part] == expected[part], part
    reference = whoosh_index.open_dir(str(tmp_path / "whoosh"), indexname=INDEX_NAME)._segments()[0]
    assert segment.doc_count_all() == reference.doc_count_all() == len(rows)
    assert dict(segment._fieldlengths) == dict(reference._fieldlengths)


def test_the_parallel_sync_indexes_what_whooshs_writer_would(generated, tmp_path):
    rows = passages(generated)
    assert len(rows) > indexer.PARALLEL_FROM
    ix = open_index(generated)
    assert len(ix._segments()) >= 2, "the import's sync should have used its worker processes"
    assert contents(ix) == contents(whoosh_reference(rows, tmp_path / "whoosh"))
    assert run("check", data=generated).exit_code == 0


def test_a_worker_segment_closes_at_its_size_and_the_rest_is_unchanged(generated, tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(generated, data)
    monkeypatch.setattr(indexer, "CHUNK", 500)
    monkeypatch.setattr(indexer, "SEGMENT_PASSAGES", 1000)  # a worker closes a segment every second chunk
    report, rows, ix = indexed(data, indexer.rebuild)
    assert report.added_words == report.added_phrase == len(rows)
    assert len(ix._segments()) >= 3
    assert contents(ix) == contents(open_index(generated))


def test_small_segments_are_folded_into_one_as_they_gather(samples, tmp_path, monkeypatch):
    monkeypatch.setattr(indexer, "MERGE_SMALL_AT", 3)
    data = tmp_path / "data"
    files = sorted(p for p in samples.iterdir() if p.is_file())
    counts = []
    for i in range(0, len(files), 3):
        batch = tmp_path / f"batch{i}"
        batch.mkdir()
        for f in files[i:i + 3]:
            shutil.copy(f, batch / f.name)
        assert run("import", str(batch), data=data).exit_code == 0
        counts.append(len(open_index(data)._segments()))
    assert max(counts) <= 3 and 1 in counts[1:], counts  # they gathered, then were folded
    ix = open_index(data)
    assert contents(ix) == contents(whoosh_reference(passages(data), tmp_path / "whoosh"))
    assert run("check", data=data).exit_code == 0


def test_an_index_the_builder_does_not_write_is_kept_by_whooshs_own_writer(sample_archive, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(sample_archive, data)
    shutil.rmtree(data / "index")
    (data / "index").mkdir()
    schema = make_schema()
    schema.remove("body")
    schema.add("body", TEXT(analyzer=ChineseAnalyzer(), phrase=True))  # positions: not what segments writes
    whoosh_index.create_in(str(data / "index"), schema, indexname=INDEX_NAME)
    assert not supported(schema)
    report, rows, ix = indexed(data, indexer.sync)
    assert report.added_words == len(rows)
    assert ix.schema["body"].format.supports("positions")
    assert contents(ix) == contents(whoosh_reference(rows, tmp_path / "whoosh"))
    assert run("check", data=data).exit_code == 0


def _reindex_until_workers_start(data: Path) -> tuple[subprocess.Popen, list[int]]:
    proc = subprocess.Popen(archive_argv() + ["--data", str(data), "reindex"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        kids = children(proc.pid)
        if len(kids) >= 2:
            time.sleep(0.5)  # let them get into their work
            return proc, kids
        time.sleep(0.02)
    proc.kill()
    pytest.fail(f"no index workers started: {proc.communicate()}")


def _gone(pids: list[int], within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{p}").exists() and "(Z)" not in _state(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def _state(pid: int) -> str:
    try:
        return "(Z)" if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z" else ""
    except OSError:
        return ""


@pytest.mark.skipif(os.cpu_count() == 1, reason="one core: the sync does not start workers")
def test_kill_9_of_a_parallel_reindex_takes_its_workers_and_the_next_search_repairs(generated, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(generated, data)
    proc, workers = _reindex_until_workers_start(data)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _gone(workers), "index workers outlived the killed reindex"

    repaired = run("search", "发展", data=data)
    assert repaired.exit_code == 0, repaired.output
    checked = run("check", data=data)
    assert checked.exit_code == 0, (repaired.output, checked.output)
    ix = open_index(data)
    assert contents(ix) == contents(open_index(generated))


@pytest.mark.skipif(os.cpu_count() == 1, reason="one core: the sync does not start workers")
def test_a_dead_worker_is_a_clear_error_and_the_next_run_finishes(generated, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(generated, data)
    proc, workers = _reindex_until_workers_start(data)
    os.kill(workers[0], signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, (out, err)
    assert "an index worker ended" in err and "run the command again" in err
    assert "Traceback" not in err
    assert _gone(workers)

    again = run("reindex", data=data)
    assert again.exit_code == 0, again.output
    assert run("check", data=data).exit_code == 0
    ix = open_index(data)
    assert contents(ix) == contents(open_index(generated))
