"""Reliability, the fast part (``make soak`` runs the long one): hostile files, kill -9, one writer at a time,
reading while importing, and a backup while serving. Everything runs ``archive`` as a subprocess, as a user would."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from archive import dedupe
from archive.importer import prepare
from archive.store import Store
from tests.soak import accounting, corpus, hostile, kills, load, procs, serving, tree

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="inotify, prctl and /proc are Linux's")


# -- hostile files --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hostile_import(tmp_path_factory):
    """A sample of every hostile case (smaller files than ``make soak``), imported while files change."""
    root = tmp_path_factory.mktemp("hostile")
    c = hostile.build(root / "in", 150, seed=2, big_line_mb=0.1, heavy=False)
    try:
        acc = accounting.run_import(c, root / "data", timeout=300)
    finally:
        tree.remove(root / "in")  # deeper than shutil.rmtree (and pytest's own clean-up) can recurse
    return c, acc


def test_hostile_files_every_input_listed_exactly_once(hostile_import):
    c, acc = hostile_import
    assert acc.tried >= 250
    assert not acc.unaccounted, acc.unaccounted[:10]


def test_hostile_files_no_crash_hang_or_internal_error(hostile_import):
    _, acc = hostile_import
    assert not acc.crashes, acc.crashes[:5]


def test_hostile_files_end_where_they_should(hostile_import):
    _, acc = hostile_import
    assert not acc.misfiled, acc.misfiled[:10]
    assert acc.outcomes["added"] and acc.outcomes["failed"] and acc.outcomes["skipped"] and acc.outcomes["duplicates"]


def test_hostile_files_changed_under_the_importer(hostile_import):
    """The mutator acted once the importer had listed the folder: these inputs vanished, became FIFOs, were replaced."""
    _, acc = hostile_import
    assert acc.mutations["vanish"] == 4 and acc.mutations["to-fifo"] == 2 and acc.mutations["replace"] == 2


QUADRATIC = {  # each took 10-40 s to prepare before the fixes; linear now
    "escaped-tag runs": "两个维护工作落实" * 5 + "&lt;" * 60_000,
    "unclosed 《 on every line": "两个维护工作落实\n" + "\n".join(["《好"] * 100_000),
    "lines that each start with a comma": "两个维护工作落实\n" + "\n".join(["，好"] * 100_000),
    "unterminated comments in a page": "<html><body>两个维护工作落实情况" + "<!--" * 50_000,
    "unterminated tags in a page": "<html><body>两个维护工作落实情况" + "<a" * 50_000,
}


@pytest.mark.parametrize("name", list(QUADRATIC))
def test_prepare_stays_fast_on_inputs_that_were_quadratic(name):
    started = time.perf_counter()
    prepare(f"/in/{name}.txt", QUADRATIC[name].encode(), "0" * 64)
    assert time.perf_counter() - started < 3.0


def test_minhash_memory_is_bounded_whatever_the_file_size():
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 20_000)]
    text = "".join(random.Random(1).choices(alphabet, k=1_000_000))  # a million distinct shingles
    tracemalloc.start()
    try:
        dedupe.minhash(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 250 * 2**20  # all shingles × 32 permutations at once: 500 MB for this 3 MB file


# -- kill -9 ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def kill_corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("kills")
    source = root / "corpus"
    files = corpus.write_reports(source, 60, seed=3, paragraphs=4)
    timeline, ran = kills.timed_import(root / "reference", source, len(files))
    assert ran.returncode == 0, ran.stderr[-500:]
    return source, len(files), timeline, procs.digest(root / "reference")


def test_kill_9_during_the_index_sync_is_repaired_and_loses_nothing(kill_corpus, tmp_path):
    source, total, timeline, digest = kill_corpus
    lo, hi = timeline.window("indexing")
    trial = kills.run_trial(1, "indexing", min(0.3, (hi - lo) / 4), tmp_path / "data", source, total, digest, None,
                            after=kills.all_written(total))  # once every file is committed: inside the sync
    assert trial.kills == 1 and trial.stage == "indexing", trial.stage
    assert not trial.leaked, f"workers outlived the killed import: {trial.leaked}"
    assert not trial.integrity and not trial.errors, trial
    assert trial.repaired in ("", "said so"), trial.repaired
    assert not trial.differs, "the archive differs from one imported without interruption"
    assert not trial.leftovers, trial.leftovers


def test_stale_whoosh_lock_from_a_killed_writer_is_not_permanent(tmp_path):
    data = tmp_path / "data"
    corpus.write_reports(tmp_path / "a", 5, seed=4)
    corpus.write_reports(tmp_path / "b", 5, seed=4, start=50_000)
    assert procs.run(data, "import", str(tmp_path / "a")).returncode == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from index.schema import open_or_create; "
         "w = open_or_create(Path(sys.argv[1])).writer(); print('locked', flush=True); time.sleep(600)",
         str(data / "index")], stdout=subprocess.PIPE, text=True, cwd=procs.ROOT)
    try:
        assert holder.stdout.readline().strip() == "locked"
    finally:
        holder.kill()
        holder.wait()
    assert any(p.name.endswith("WRITELOCK") for p in (data / "index").iterdir())  # left behind by the dead writer
    ran = procs.run(data, "import", "--json", str(tmp_path / "b"))
    assert ran.returncode == 0, ran.stderr
    assert procs.run(data, "check").returncode == 0
    found = procs.run(data, "search", f'"{corpus.check_code(50_000)}"', "--json")
    assert '"total": 1' in found.stdout


def test_a_child_that_outlives_the_writer_does_not_keep_the_archive_locked(tmp_path):
    """A forked worker inherits the writer lock's descriptor; were it kept, a worker left running after its
    parent died would lock out every later import and the index repair of every search."""
    store = Store(tmp_path / "data")
    try:
        with store.writer_lock(wait=0):
            ready, up = os.pipe()
            child = os.fork()
            if child == 0:
                os.write(up, b".")  # the fork handlers have run
                time.sleep(30)
                os._exit(0)
            assert os.read(ready, 1) == b"."
            os.close(ready)
            os.close(up)
        try:
            with store.writer_lock(wait=0):  # the writer is done; its child is still running
                pass
        finally:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
    finally:
        store.close()


# -- one writer, many readers, a backup --------------------------------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A server answering 4 clients while two imports run into its data dir, then a backup while it serves."""
    root = tmp_path_factory.mktemp("served")
    data = root / "data"
    corpus.write_reports(root / "base", 20, seed=5, start=300_000)
    assert procs.run(data, "import", str(root / "base")).returncode == 0
    first, second = root / "first", root / "second"
    corpus.write_reports(first, 80, seed=5, start=310_000)
    corpus.write_reports(second, 10, seed=5, start=320_000)
    server = serving.Server(data)
    try:
        pool = serving.Clients(server, serving.Targets.load(data), n=4, seed=5).start()
        try:
            imports = load.concurrent_imports(data, first, second)
        finally:
            pool.stop()
        found = {code: load.wait_until_found(server, code, timeout=20)
                 for code in (corpus.check_code(310_001), corpus.check_code(310_079), corpus.check_code(320_009))}
        backup = procs.run(data, "backup", str(root / "backup"), timeout=300)
        backup_check = procs.run(root / "backup", "check", timeout=300)
        yield {"data": data, "imports": imports, "samples": pool.samples, "found": found, "backup": backup,
               "backup_check": backup_check, "backup_dir": root / "backup"}
    finally:
        server.stop()


def test_second_import_with_wait_0_refuses_with_a_clear_message(served):
    imports = served["imports"]
    assert imports.refused_clearly, imports.refusal
    assert not imports.problems, imports.problems


def test_second_import_waits_for_the_first_and_never_interleaves(served):
    imports = served["imports"]
    assert imports.waited and not imports.interleaved


def test_server_answers_every_request_while_imports_write(served):
    samples = served["samples"]
    assert len(samples) > 20
    assert not serving.failed(samples), [f"{s.kind} {s.status} {s.error}" for s in serving.failed(samples)][:5]


def test_server_shows_the_new_reports_without_a_restart(served):
    for code, found in served["found"].items():
        assert found and found["total"] == 1, code


def test_backup_while_serving_is_a_consistent_archive(served):
    assert served["backup"].returncode == 0, served["backup"].stderr
    assert served["backup_check"].returncode == 0, served["backup_check"].stdout
    assert procs.digest(served["backup_dir"]) == procs.digest(served["data"])


def test_backup_refuses_a_folder_that_holds_an_archive(served):
    ran = procs.run(served["data"], "backup", str(served["backup_dir"]))
    assert ran.returncode == 1 and "already holds an archive" in ran.stderr and not ran.traceback


def test_no_import_or_worker_is_left_running(served):
    left = [p.name for p in Path("/proc").iterdir() if p.name.isdigit() and _imports_into(p, served["data"])]
    assert not left


def _imports_into(proc: Path, data: Path) -> bool:
    """An ``archive import`` into ``data`` (its pool workers are forks with the same command line)."""
    try:
        argv = (proc / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return str(data).encode() in argv and b"import" in argv
