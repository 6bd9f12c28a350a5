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

ENGINES = ["local"]


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
