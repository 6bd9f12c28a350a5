"""The backend contract: every engine behind ``index.api`` answers these tests the same way.

Each test takes ``backend_for``, which opens the engine named by the ``engine``
parameter over an archive imported by the real CLI. A new engine joins by
adding its name to ``ENGINES`` (and starting its server in ``make test``).

``opensearch`` runs against a real node: the one ``make test`` started, else
one this session starts (and stops). Without Java or Maven it is skipped,
except in CI (``CI=true``), where a node that cannot start fails the suite.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archive.store import Store
from index.api import EngineConfig, open_backend, open_maintenance
from tests.support import opensearch as node

ENGINES = ["local", "opensearch"]

#: Aliases of the OpenSearch indexes this session's archives made: dropped at the end.
_MADE: set[str] = set()



@pytest.fixture(scope="session")
def opensearch_url():
    """A real OpenSearch node for the session."""
    try:
        url, started = node.test_node()
    except node.NodeError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs an OpenSearch node and none could be started: {exc}")
        pytest.skip(f"no OpenSearch node could be started here: {str(exc).splitlines()[0]}")
    yield url
    node.drop_indexes(url, sorted(_MADE))
    if started is not None:
        started.stop()


@pytest.fixture(params=ENGINES)
def engine(request, monkeypatch) -> str:
    """The engine's name; for the length of the test it is also the CLI's engine (``$ARCHIVE_ENGINE``), so an
    import run in the test feeds it."""
    monkeypatch.setenv("ARCHIVE_ENGINE", request.param)
    if request.param == "opensearch":
        monkeypatch.setenv("ARCHIVE_OPENSEARCH_URL", request.getfixturevalue("opensearch_url"))
    return request.param


def engine_index(data: Path) -> str:
    """Note an archive's index alias for the session's clean-up (and return it)."""
    from index.opensearch.cluster import Target

    with Store(data, readonly=True) as store:
        alias = Target.of(store).alias
    _MADE.add(alias)
    return alias


@pytest.fixture
def backend_for(engine):
    """Open ``engine`` over a data directory, caught up first as the CLI does before it searches; every
    backend opened is closed after the test."""
    opened = []

    def open_(data: Path):
        if engine == "opensearch":
            engine_index(data)
        with Store(data) as store:
            done = open_maintenance(store, EngineConfig(engine)).catch_up()
            assert not done.error, done.error
        backend = open_backend(Store(data, readonly=True), EngineConfig(engine))
        opened.append(backend)
        return backend

    yield open_
    for backend in opened:
        backend.close()
