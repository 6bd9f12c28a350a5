"""The Whoosh schema: one document per passage, words only.

No passage text is stored (SQLite has it), there is no character field
(exact phrases come from FTS5, see ``phrase``) and no positions: they made
indexing 1.5× slower, and word proximity is cheaper to judge on the few
passages that rank first (``nearness``). ``pid`` is the archive's
passage id, kept as a column so a hit maps to its passage without reading
stored fields; it is one term per passage (``shift_step=0``), not sixteen:
nothing asks Whoosh for ranges of passage ids.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh.fields import ID, NUMERIC, TEXT, Schema

from .analysis import ChineseAnalyzer
from .whoosh_internals import read_pid_column

INDEX_NAME = "passages"


def make_schema() -> Schema:
    return Schema(
        pid=NUMERIC(int, bits=64, signed=False, stored=False, unique=True, sortable=True, shift_step=0),
        report_id=ID(),
        section_type=ID(),
        year=ID(),
        kind=ID(),
        body=TEXT(analyzer=ChineseAnalyzer(), phrase=False, stored=False),
    )


def open_or_create(path: Path):
    """The Whoosh index under the data directory, created empty when absent."""
    path.mkdir(parents=True, exist_ok=True)
    if whoosh_index.exists_in(str(path), indexname=INDEX_NAME):
        return whoosh_index.open_dir(str(path), indexname=INDEX_NAME)
    return whoosh_index.create_in(str(path), make_schema(), indexname=INDEX_NAME)


def exists(path: Path) -> bool:
    return path.is_dir() and whoosh_index.exists_in(str(path), indexname=INDEX_NAME)


def live_pids(reader) -> np.ndarray:
    """The passage ids of one segment's documents that are not deleted."""
    ids = read_pid_column(reader)
    if reader.has_deletions():
        ids = np.delete(ids, sorted(reader.deleted_docs_set()))
    return ids
