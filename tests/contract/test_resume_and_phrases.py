"""Exact phrases with punctuation, digits and Latin letters against a scan, and an import killed while it
feeds the engine, resumed, with the engine's ids equal to the archive's."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import time

import pytest

from archive.store import Store
from archive.text import fold
from index.api import EngineConfig, open_maintenance
from tests.bench import generate
from tests.conftest import run
from tests.support.procs import archive_argv

#: Characters a quoted phrase cannot hold (they end it), and what makes a phrase interesting here.
_QUOTES = set('"“”＂')
_NOT_HAN = re.compile(r"[^\u4e00-\u9fff]")


def odd_substrings(passages: list[tuple[int, str]], n: int, seed: int) -> list[str]:
    """n random substrings of 1–10 characters, each holding punctuation, a digit or a Latin letter."""
    rng = random.Random(f"odd-phrases:{seed}")
    out: list[str] = []
    while len(out) < n:
        _, text = rng.choice(passages)
        at = [m.start() for m in _NOT_HAN.finditer(text) if not text[m.start()].isspace()]
        if not at:
            continue
        size = rng.randint(1, 10)
        start = max(0, rng.choice(at) - rng.randint(0, size - 1))
        phrase = text[start:start + size].strip()
        if phrase and not _QUOTES & set(phrase) and _NOT_HAN.search(phrase):
            out.append(phrase)
    return out


def test_odd_phrases_of_the_samples_equal_a_full_scan(backend_for, sample_archive):
    backend = backend_for(sample_archive)
    with Store(sample_archive, readonly=True) as store:
        folded = [(pid, fold(text)) for pid, text in store.passage_texts(sorted(store.passage_ids())).items()]
    phrases = odd_substrings(folded, 150, 7)
    assert {len(p) for p in phrases} >= {1, 2, 5, 10}
    assert any(re.search(r"[0-9０-９]", p) for p in phrases) and any(re.search("[A-Za-z]", p) for p in phrases)
    found = expected = right = 0
    wrong = []
    for phrase in phrases:
        got = set(backend.ids(f'"{phrase}"'))
        truth = {pid for pid, text in folded if fold(phrase) in text}
        found, expected, right = found + len(got), expected + len(truth), right + len(got & truth)
        if got != truth:
            wrong.append(phrase)
    recall, precision = right / expected, right / found
    assert (recall, precision, wrong) == (1.0, 1.0, []), f"recall {recall:.3f}, precision {precision:.3f}"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """100 generated reports (about 6,000 passages): feeding them takes seconds, long enough to kill mid-way."""
    folder = tmp_path_factory.mktemp("kill-corpus") / "corpus"
    generate.generate(folder, 100, seed=5)
    (folder / generate.MANIFEST).unlink()
    return folder


def _pending(data, engine: str) -> int:
    with Store(data, readonly=True) as store:
        return open_maintenance(store, EngineConfig(engine)).pending()


def test_an_import_killed_while_it_feeds_the_engine_resumes_to_the_archives_ids(engine, backend_for, corpus,
                                                                                tmp_path):
    data = tmp_path / "data"
    env = dict(os.environ, ARCHIVE_ENGINE=engine)
    proc = subprocess.Popen([*archive_argv(), "--data", str(data), "import", str(corpus)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    for line in proc.stderr:  # the archive is committed; the engine is being fed
        if "indexing" in line and line.startswith("importing:"):
            break
    else:
        pytest.fail(f"the import ended before indexing (exit {proc.wait()})")
    with Store(data, readonly=True) as store:
        total = store.passage_count()
    partial, deadline = False, time.monotonic() + 30
    if engine == "opensearch":  # wait until some passages are in the cluster, not all
        while proc.poll() is None and time.monotonic() < deadline and not partial:
            partial = 0 < _pending(data, engine) < total
            time.sleep(0.05)
    else:  # the local engine's segments become visible in one commit at the end: kill before it
        time.sleep(0.2)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, "the import finished before it could be killed"
    assert engine != "opensearch" or partial, "never saw the cluster half fed"
    assert _pending(data, engine) > 0

    resumed = run("import", str(corpus), data=data)  # nothing new to add; the sync finishes the index
    assert resumed.exit_code == 0, resumed.output
    with Store(data) as store:
        index = open_maintenance(store, EngineConfig(engine))
        assert index.pending() == 0 and index.check() == []
        passages = store.passage_texts(sorted(store.passage_ids()))
    backend = backend_for(data)
    for phrase in ("工作", "发展", "，", "2"):
        assert set(backend.ids(f'"{phrase}"')) == {pid for pid, t in passages.items() if phrase in fold(t)}
    assert backend.count('"的"') == sum("的" in fold(t) for t in passages.values())
