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
from whoosh.columns import NumericColumn
from whoosh.fields import ID, NUMERIC, TEXT, Schema

from .analysis import ChineseAnalyzer

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


def pids(reader) -> np.ndarray:
    """The passage id of every document of one segment, by docnum, deleted ones included.

    The column is read as one block of fixed-width numbers: a Python call
    per document took 9 s for 600k passages, paid by every import, search
    and server start that checks how far the index has got.
    """
    n = reader.doc_count_all()
    col = reader.column_reader("pid")
    raw = col.raw_column() if hasattr(col, "raw_column") else None
    if n and isinstance(raw, NumericColumn.Reader) and raw._typecode in "qQ" and raw._count >= n:
        block = raw._dbfile.get(raw._basepos, n * raw._fixedlen)
        values = np.frombuffer(block, dtype=">i8" if raw._typecode == "q" else ">u8").astype(np.int64)
        if values[0] == col[0] and values[-1] == col[n - 1]:  # the stored form is the id itself
            return values
    return np.fromiter((col[d] for d in range(n)), dtype=np.int64, count=n)


def live_pids(reader) -> np.ndarray:
    """``pids`` of the documents not deleted."""
    ids = pids(reader)
    if reader.has_deletions():
        ids = np.delete(ids, sorted(reader.deleted_docs_set()))
    return ids
