"""The backend contract: every engine behind ``index.api`` answers these tests the same way.

Each test takes ``backend_for``, which opens the engine named by the ``engine``
parameter over an archive imported by the real CLI. A new engine joins by
adding its name to ``ENGINES`` (and starting its server in ``make test``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.store import Store
from index.api import EngineConfig, open_backend
from tests.conftest import run
from tests.support.reports import MINI, write_reports

ENGINES = ["local"]

@pytest.fixture(scope="session")
def mini_archive(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("contract-mini")
    data = root / "data"
    assert run("import", str(write_reports(root / "inbox", MINI)), data=data).exit_code == 0
    return data


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


@pytest.fixture
def backend_for(engine):
    """Open ``engine`` over a data directory; every backend opened is closed after the test."""
    opened = []

    def open_(data: Path):
        backend = open_backend(Store(data, readonly=True), EngineConfig(engine))
        opened.append(backend)
        return backend

    yield open_
    for backend in opened:
        backend.close()
