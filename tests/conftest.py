"""Real parts only: a SQLite file and Whoosh index in tmp_path, the real Flask app, the real CLI."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.store import Store
from archive.text import fold
from tests.support.reports import write_reports
from webui.cli import cli  # the full command set, as installed

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "import"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def shared() -> Path:
    if not (SHARED / "seeds").is_dir():
        pytest.skip("../shared is not present")
    return SHARED


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(*args: str, data: Path | str | None = None):
    """Invoke the CLI in-process; returns click's Result (exit_code, output)."""
    argv = (["--data", str(data)] if data else []) + list(args)
    return CliRunner().invoke(cli, argv, catch_exceptions=False)


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "data")
    yield s
    s.close()


@pytest.fixture(scope="session")
def sample_archive(tmp_path_factory) -> Path:
    """The bundled samples imported and indexed once; tests must only read it."""
    import json

    data = tmp_path_factory.mktemp("sample-archive") / "data"
    result = run("import", "--json", str(SAMPLES), data=data)
    out = json.loads(result.output)
    # Only a missing converter may fail a sample (the scan needs Tesseract); everything else must import.
    assert all("install" in f["error"] for f in out["failed"]), out["failed"]
    assert result.exit_code == (1 if out["failed"] else 0), result.output
    return data


@pytest.fixture(scope="session")
def mini_archive(tmp_path_factory) -> Path:
    """Three small reports (tests.support.reports.MINI) imported once; tests must only read it."""
    from tests.support.reports import MINI

    root = tmp_path_factory.mktemp("mini")
    data = root / "data"
    assert run("import", str(write_reports(root / "inbox", MINI)), data=data).exit_code == 0
    return data


def read_only_db(data: Path) -> sqlite3.Connection:
    """An archive's SQLite file, read-only, with the archive's own folding as a SQL function."""
    conn = sqlite3.connect(f"file:{data / 'archive.db'}?mode=ro", uri=True, check_same_thread=False)
    conn.create_function("fold", 1, fold, deterministic=True)
    return conn


@pytest.fixture(scope="session")
def db(sample_archive):
    """The sample archive's SQLite file (``read_only_db``)."""
    conn = read_only_db(sample_archive)
    yield conn
    conn.close()


@pytest.fixture
def sample_copy(sample_archive, tmp_path) -> Path:
    """A private copy of the sample archive, for tests that write."""
    target = tmp_path / "data"
    shutil.copytree(sample_archive, target)
    return target


@pytest.fixture
def app(sample_archive):
    from webui import create_app

    return create_app({"TESTING": True, "DATA_DIR": str(sample_archive)})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def corpus_archive(tmp_path_factory, shared):
    """../shared/seeds and every ../shared/corpus/*/txt imported once: (data dir, import JSON)."""
    import json

    folders = [str(shared / "seeds")] + sorted(str(p) for p in (shared / "corpus").glob("*/txt"))
    data = tmp_path_factory.mktemp("corpus-archive") / "data"
    result = run("import", "--json", *folders, data=data)
    return data, json.loads(result.output), result.exit_code
