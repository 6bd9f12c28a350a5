"""Whoosh segments written whole, for passages that arrive in bulk.

Whoosh's ``SegmentWriter`` spends most of an import in Python per posting:
every (field, term, document) tuple goes through a sorting pool and then,
one at a time, into the codec with a field-length lookup and type checks.
The archive's passages arrive in bulk and never change, so a segment can be
built whole instead: each passage's words are numbered where they are
segmented, numpy sorts the (term, document) pairs, and the codec is given
one block of postings at a time. The files are Whoosh's own (its codec
writes them, its readers read them); ``tests/test_segments.py`` checks that
they hold exactly what ``SegmentWriter`` writes for the same documents.

The block hand-over (``whoosh_internals.write_term``) is tied to the codec
of the pinned whoosh-reloaded, and ``supported`` sends any other codec down
Whoosh's own writer.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from typing import Any, Iterable

import numpy as np
from whoosh.codec import default_codec
from whoosh.util.numeric import byte_to_length, length_to_byte

from .whoosh_internals import block_writer_supported, write_term

#: The field whose words arrive already segmented.
WORDS = "body"


def supported(schema) -> bool:
    """Whether this module writes what Whoosh would for this schema and codec."""
    return block_writer_supported(schema, WORDS)


def _quantized(length: int) -> int:
    """A field length as Whoosh reads it back for block statistics (byte-coded; 0 = none)."""
    b = length_to_byte(length)
    return byte_to_length(b) if b else 0


class SegmentBuilder:
    """One new segment of an index: documents in, a ``Segment`` for the TOC out.

    ``add`` takes each document's words for the ``WORDS`` field (already
    analysed) and its other field values (analysed here by Whoosh's fields).
    Nothing is visible to readers until the caller lists ``finish()``'s
    segment in a new TOC; an abandoned builder leaves files that Whoosh's
    next commit deletes.
    """

    def __init__(self, storage, indexname: str, schema) -> None:
        self.storage = storage
        self.schema = schema
        self.codec = default_codec()
        self.segment = self.codec.new_segment(storage, indexname)
        self.perdoc = self.codec.per_document_writer(storage, self.segment)
        self.docnum = 0
        self.terms: dict[str, int] = {}
        self._tids: list[np.ndarray] = []
        self._docs: list[np.ndarray] = []
        self._freqs: list[np.ndarray] = []
        self.lengths = array("I")
        self.postings = 0
        self._others: dict[str, dict[bytes, list[tuple[int, float, bytes]]]] = defaultdict(lambda: defaultdict(list))
        self._fields = [(name, schema[name]) for name in sorted(schema.names()) if name != WORDS]
        self._words_field = schema[WORDS]
        self._terms_of: dict[tuple[str, Any], list] = {}

    def __len__(self) -> int:
        return self.docnum

    def add(self, docs: Iterable[tuple[list[str], dict[str, Any]]]) -> None:
        """Append documents: (words of the ``WORDS`` field, {other field: value})."""
        terms = self.terms
        number = terms.setdefault
        first = self.docnum
        tids: list[int] = []
        counts = []
        for words, values in docs:
            tids.extend([number(w, len(terms)) for w in words])
            counts.append(len(words))
            self._add_fields(words, values)
        if not tids:
            return
        doc = np.repeat(np.arange(first, self.docnum, dtype=np.uint64), counts)
        pairs, freq = np.unique((doc << np.uint64(32)) | np.array(tids, dtype=np.uint64), return_counts=True)
        self._docs.append((pairs >> np.uint64(32)).astype(np.uint32))
        self._tids.append((pairs & np.uint64(0xFFFFFFFF)).astype(np.uint32))
        self._freqs.append(freq.astype(np.uint16 if freq.max() < 65536 else np.uint32))
        self.postings += len(pairs)

    def _add_fields(self, words: list[str], values: dict[str, Any]) -> None:
        """The per-document part of ``SegmentWriter.add_document``: columns, lengths, small fields."""
        docnum = self.docnum
        perdoc = self.perdoc
        perdoc.start_doc(docnum)
        for name, field in self._fields:
            value = values.get(name)
            if value is None:
                continue
            if field.indexed:
                items = self._terms_of.get((name, value))
                if items is None:
                    items = list(field.index(value))
                    if name != "pid":  # facet values repeat; ids do not
                        self._terms_of[(name, value)] = items
                for tbytes, _freq, weight, vbytes in items:
                    self._others[name][tbytes].append((docnum, weight, vbytes))
            perdoc.add_field(name, field, value if field.stored else None, 0)
            if field.column_type:
                perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        perdoc.add_field(WORDS, self._words_field, None, len(words))
        perdoc.finish_doc()
        self.lengths.append(len(words))
        self.docnum += 1

    def finish(self):
        """Write the postings and close the files; the segment to list in a TOC."""
        self.perdoc.close()
        fw = self.codec.field_writer(self.storage, self.segment)
        try:
            names = sorted([n for n in self._others if self._others[n]] + ([WORDS] if self.terms else []))
            for name in names:
                fw.start_field(name, self.schema[name])
                if name == WORDS:
                    self._write_words(fw)
                else:
                    for tbytes in sorted(self._others[name]):
                        fw.start_term(tbytes)
                        for docnum, weight, vbytes in self._others[name][tbytes]:
                            fw.add(docnum, weight, vbytes, None)
                        fw.finish_term()
                fw.finish_field()
        finally:
            fw.close()
        self.segment.set_doc_count(self.docnum)
        return self.segment

    def _term_major(self, rank: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """Postings regrouped by term (in ``rank`` order), documents ascending within each term.

        A counting sort, chunk by chunk, freeing each chunk as it is placed:
        the builder's peak of memory is the output plus one chunk, not the
        several whole-segment copies a global sort would make.
        """
        counts = np.zeros(len(rank), dtype=np.int64)
        for tids in self._tids:
            counts += np.bincount(rank[tids], minlength=len(rank))
        bounds = np.concatenate(([0], np.cumsum(counts)))
        fill = bounds[:-1].copy()
        docs = np.empty(int(bounds[-1]), dtype=np.uint32)
        freqs = np.empty(int(bounds[-1]), dtype=np.result_type(*self._freqs) if self._freqs else np.uint32)
        while self._tids:
            ranks = rank[self._tids.pop(0)]
            order = np.argsort(ranks, kind="stable")  # chunks arrive in document order; keep it per term
            ranks = ranks[order]
            firsts = np.flatnonzero(np.concatenate(([True], ranks[1:] != ranks[:-1])))
            sizes = np.diff(np.concatenate((firsts, [len(ranks)])))
            at = fill[ranks] + (np.arange(len(ranks)) - np.repeat(firsts, sizes))
            docs[at] = self._docs.pop(0)[order]
            freqs[at] = self._freqs.pop(0)[order]
            fill[ranks[firsts]] += sizes
        return docs, freqs, bounds.tolist()

    def _write_words(self, fw) -> None:
        encoded = [w.encode("utf-8") for w in self.terms]
        by_bytes = np.array(sorted(range(len(encoded)), key=encoded.__getitem__), dtype=np.int64)
        rank = np.empty(len(encoded), dtype=np.uint32)
        rank[by_bytes] = np.arange(len(encoded), dtype=np.uint32)
        docs, freqs, bounds = self._term_major(rank)
        qlen_of_doc = np.array([_quantized(n) for n in self.lengths], dtype=np.int64)
        packed: dict[int, bytes] = {}
        for i in range(len(bounds) - 1):
            start, end = bounds[i], bounds[i + 1]
            write_term(fw, encoded[by_bytes[i]], docs[start:end], freqs[start:end], qlen_of_doc, packed)
