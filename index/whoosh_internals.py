"""Every read or write of Whoosh's private layout, in one place, behind one version check.

The index reads postings, field lengths and the passage-id column a block at
a time into numpy arrays, and writes whole segments a block of postings at a
time (see ``scoring`` and ``segments``): Whoosh's public API goes one
posting or one document per Python call, which made a common word's query
take a second and an import spend most of its time in Whoosh. Those fast
paths rely on private attributes of whoosh-reloaded's W3 codec, which may
change in any release. So they are all here, and ``FAST`` says at import
whether the installed Whoosh is the one they were written against (the
pinned version, with every attribute present). When it is not, each function
takes Whoosh's public, slower path and the results stay the same.
"""

from __future__ import annotations

from array import array

import numpy as np
import whoosh
from whoosh.codec import default_codec, whoosh3
from whoosh.columns import NumericColumn
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length

#: The whoosh-reloaded release whose private layout this module reads and writes.
PINNED_VERSION = (2, 7, 5)


def _layout_present() -> bool:
    codec = default_codec()
    return (
        tuple(whoosh.__version__[:3]) == PINNED_VERSION
        and all(hasattr(whoosh3.W3LeafMatcher, a) for a in ("_read_data", "_next_block"))
        and all(hasattr(whoosh3.W3PostingsWriter, a) for a in ("_write_block",))
        and hasattr(whoosh3, "_lenfield") and hasattr(whoosh3, "LENGTHS_COLUMN")
        and all(hasattr(NumericColumn.Reader, a) for a in ("__init__",))
        and isinstance(getattr(codec, "_blocklimit", None), int)
        and isinstance(getattr(codec, "_inlinelimit", None), int)
    )


#: Whether the block-at-a-time paths below may be used.
FAST: bool = _layout_present()
#: Postings per block in the codec's files.
_BLOCK_LIMIT: int = default_codec()._blocklimit if FAST else 0

_LENGTH_TABLE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


# -- reading ------------------------------------------------------------------------


def read_pid_column(reader, field: str = "pid") -> np.ndarray:
    """The numeric column ``field`` of every document of one segment, by docnum, deleted ones included.

    Read as one block of fixed-width numbers: a Python call per document took
    9 s for 600k passages, paid by every import, search and server start that
    checks how far the index has got.
    """
    n = reader.doc_count_all()
    col = reader.column_reader(field)
    if FAST and n:
        raw = col.raw_column() if hasattr(col, "raw_column") else None
        if (isinstance(raw, NumericColumn.Reader) and getattr(raw, "_typecode", "") in ("q", "Q")
                and getattr(raw, "_count", 0) >= n):
            block = raw._dbfile.get(raw._basepos, n * raw._fixedlen)
            values = np.frombuffer(block, dtype=">i8" if raw._typecode == "q" else ">u8").astype(np.int64)
            if values[0] == col[0] and values[-1] == col[n - 1]:  # the stored form is the value itself
                return values
    return np.fromiter((col[d] for d in range(n)), dtype=np.int64, count=n)


def read_postings(matcher) -> tuple[np.ndarray, np.ndarray]:
    """(docnums ascending, weights) of one term's postings in one segment."""
    ids_parts, weight_parts = [], []
    if FAST and isinstance(matcher, whoosh3.W3LeafMatcher) and not matcher._byteids:
        while matcher.is_active():
            if matcher._data is None:
                matcher._read_data()
            n = matcher._blocklength
            ids_parts.append(np.cumsum(np.asarray(matcher._data[0], dtype=np.int64)))
            weights = matcher._data[1]
            if weights is None or isinstance(weights, float):
                weight_parts.append(np.full(n, 1.0 if weights is None else weights, dtype=np.float32))
            else:
                weight_parts.append(np.asarray(weights, dtype=np.float32))
            matcher._next_block()
    else:  # the public, slower path
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        ids_parts, weight_parts = [np.array(ids, np.int64)], [np.array(weights, np.float32)]
    if not ids_parts:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    return np.concatenate(ids_parts), np.concatenate(weight_parts)


def read_lengths(reader, field: str) -> np.ndarray:
    """Every document's length in ``field`` as Whoosh scores with it (byte-quantised), by docnum."""
    n = reader.doc_count_all()
    if FAST:
        col = reader._perdoc._cached_reader(whoosh3._lenfield(field), whoosh3.LENGTHS_COLUMN)
        if col is None:
            return np.zeros(n, dtype=np.float32)
        raw = np.fromiter((col[d] for d in range(n)), dtype=np.uint8, count=n)
        return _LENGTH_TABLE[raw]
    return np.fromiter((reader.doc_field_length(d, field, 0) for d in range(n)), dtype=np.float32, count=n)


def toc_segments(ix) -> list:
    """The segments the index's table of contents lists now (none known on another Whoosh: nothing is merged)."""
    return list(ix._read_toc().segments) if FAST else []


# -- writing --------------------------------------------------------------------------


def block_writer_supported(schema, words_field: str) -> bool:
    """Whether ``write_term`` writes what Whoosh's own writer would for this schema's words field."""
    from whoosh.codec.whoosh3 import W3Codec
    from whoosh.formats import Frequency

    codec = default_codec()
    field = schema[words_field] if words_field in schema.names() else None
    return (FAST and type(codec) is W3Codec and codec._inlinelimit <= 1 and field is not None
            and type(field.format) is Frequency and not field.vector and not field.stored and field.scorable)


def write_term(fw, term: bytes, docs: np.ndarray, freqs: np.ndarray, qlen_of_doc: np.ndarray,
               packed: dict[int, bytes]) -> None:
    """One term's postings (docnums ascending, frequencies) handed to the codec a block at a time.

    Sets the fields ``W3PostingsWriter.add_posting`` would have filled, so the
    files are byte for byte what ``SegmentWriter`` writes (``tests/test_segments.py``).
    ``qlen_of_doc`` is each document's quantised field length (0 for none);
    ``packed`` memoises frequencies packed as Whoosh stores them.
    """
    fw.start_term(term)
    pw = fw._postwriter
    block = _BLOCK_LIMIT
    for b in range(0, len(docs), block):
        e = min(b + block, len(docs))
        if b:
            pw._write_block()
        f = freqs[b:e]
        flist = f.tolist()
        pw._ids = array("I", np.ascontiguousarray(docs[b:e], np.uint32).tobytes())
        pw._weights = array("f", f.astype(np.float32).tobytes())
        pw._values = [packed.get(x) or packed.setdefault(x, pack_uint(x)) for x in flist]
        pw._maxweight = float(max(flist))
        q = qlen_of_doc[docs[b:e]]
        q = q[q > 0]
        pw._minlength = int(q.min()) if len(q) else None
        pw._maxlength = int(q.max()) if len(q) else 0
    fw.finish_term()
