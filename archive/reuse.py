"""Passage reuse: which other reports hold the same or a near-identical passage.

A passage is normalised (``normalise``: folded, numbers and masks made one
placeholder, punctuation and spaces dropped), reduced to a MinHash signature
of its character ``SHINGLE``-grams (``signatures``: numpy, one report's
passages at a time), and looked up in a ``ReuseIndex``: LSH bands over the
signatures that grows as reports arrive and never rescans what it holds.
A candidate counts as reuse when the signatures' estimated Jaccard is at
least ``THRESHOLD``; passages shorter than ``MIN_CHARS`` (normalised) are
neither indexed nor matched, because at that length the only passages two
reports share are formulas (headings, 以上报告请予审议, 坚决做到两个维护).

The rule was chosen on the planted corpus of tests/bench/reuse_corpus.py
(``python -m tests.bench.reuse_corpus --measure --sizes 1000``). Exact
Jaccard of character 3-grams: planted pairs ≥ 0.687 (small edits ≥ 0.78,
masked names ≥ 0.87, reordered sentences ≥ 0.87, new figures 1.0, two
edited copies of one source ≥ 0.69); distinct passages built around the
same stock sentences ≤ 0.35; the most alike other pair the LSH proposes
(short paragraphs of the same vocabulary sentences) 0.53. With 4-grams the
gap is 0.61 / 0.47, with 5-grams 0.53 / 0.42: narrower, so 3-grams. The
index decides on the signatures' estimate (a store has no text at hand
when it rebuilds): planted pairs estimate ≥ 0.62, all others ≤ 0.52, and
``THRESHOLD`` = 0.58 sits between. 32 bands of 4 rows make a pair at
J = 0.6 a candidate with probability 0.989, at 0.69 with 0.9997, at 0.1
with 0.003. ``MIN_CHARS`` = 40: one stock sentence of the vocabulary
normalises to at most 38 characters (99 % to ≤ 33), 套话 ≤ 32, headings
≤ 28, closings ≤ 21, while body paragraphs start at 43; below 40
characters what two reports share is a formula.

At 10,000 planted reports (180,000 passages indexed) the same rule finds
24,851 of 24,852 planted pairs with 2 false ones: background paragraphs
more than half made of the same vocabulary sentences (exact Jaccard up to
0.61, against 0.59 for the least alike planted pair), where the tails of
the two populations meet; 4- and 5-grams overlap more there (true ≥ 0.49
vs other ≤ 0.56, 0.41 vs 0.54).

Signatures are ``SIGNATURE_BYTES`` bytes (128 16-bit minimum hashes) so a
store can keep them in a BLOB column and rebuild the index on start
(``ReuseIndex.from_signatures``) instead of re-shingling every passage.
The intended use: the importer calls ``index.add(report_id, [(passage_no,
text), ...])`` once per new report, writes each ``Match`` in both
directions to a reuse table and ``index.signatures_of(report_id)`` beside
the passages; ``from_signatures`` reads them back in the order reports
were added.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .dedupe import window_hashes
from .reuse_bands import KeySet, Level, flat_keys, sorted_keys
from .text import fold

SHINGLE = 3
NUM_PERM = 128
THRESHOLD = 0.58
MIN_CHARS = 40
SIGNATURE_BYTES = NUM_PERM * 2
PLACEHOLDER = "#"

# Masks stand for numbers as often as for names (xxxx亿斤, **人次, 张某, 某某同志), so both become one placeholder.
_MASK = re.compile(r"[*＊]+|(?<![a-z])[x×]{2,}|[○〇]{2,}|某+(?![些种])")
_NUMBER = re.compile(r"\d+(?:[.．]\d+)?")
_NOT_WORD = re.compile(r"[^\w\x01]+|_+")
_RUN = re.compile("\x01+")

# The permutations are part of the stored format (signatures written today must match tomorrow's), so they
# come from SHA-256 of fixed labels rather than a random generator whose stream a NumPy release may change.
_SEEDS = np.frombuffer(b"".join(hashlib.sha256(f"reuse-minhash:{i}".encode()).digest()[:16]
                                for i in range(NUM_PERM)), dtype="<u8").reshape(NUM_PERM, 2)
_A = _SEEDS[:, 0] | np.uint64(1)  # odd multipliers
_B = _SEEDS[:, 1].copy()


def normalise(text: str) -> str:
    """The form passages are compared in: what a copy keeps when names are masked and figures updated."""
    s = _MASK.sub("\x01", fold(text))
    s = _NUMBER.sub("\x01", s)
    s = _NOT_WORD.sub("", s)
    return _RUN.sub(PLACEHOLDER, s)


def shingle_set(norm: str) -> set[str]:
    """Distinct character n-grams of a normalised passage (for exact verification)."""
    if len(norm) < SHINGLE:
        return {norm} if norm else set()
    return {norm[i:i + SHINGLE] for i in range(len(norm) - SHINGLE + 1)}


def similarity(a: str, b: str) -> float:
    """Exact Jaccard of two passages' shingle sets: what a store can re-check a match with."""
    sa, sb = shingle_set(normalise(a)), shingle_set(normalise(b))
    if not sa or not sb:
        return 0.0
    inter = len(sa & sb)
    return inter / (len(sa) + len(sb) - inter)


def signatures(norms: Sequence[str]) -> np.ndarray:
    """(len(norms), NUM_PERM) uint16 MinHashes, every passage of a report in one numpy pass.

    The n-grams are hashed polynomially over the code points of all passages
    joined (windows that cross a passage boundary are dropped), permuted by
    multiply-shift and reduced per passage with ``minimum.reduceat``; the low
    16 bits of each minimum are kept (b-bit MinHash: a chance agreement of
    1/65536 is negligible, the signature half the size). About 25 µs a
    passage (a report's 20 passages: 0.45 ms, and as much again to
    normalise them); callers pass only passages of at least MIN_CHARS.
    """
    if not norms:
        return np.zeros((0, NUM_PERM), dtype=np.uint16)
    lengths = np.array([len(s) for s in norms], dtype=np.int64)
    if lengths.min() < SHINGLE:
        raise ValueError(f"a passage shorter than {SHINGLE} characters has no signature")
    codes = np.frombuffer("".join(norms).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    h = window_hashes(codes, SHINGLE)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    windows = lengths - SHINGLE + 1
    # the valid window starts of each passage, concatenated
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(windows)[:-1])), windows)
    h = h[np.arange(windows.sum()) + offsets]
    seg = np.concatenate(([0], np.cumsum(windows)[:-1]))
    out = np.empty((len(norms), NUM_PERM), dtype=np.uint16)
    with np.errstate(over="ignore"):
        for first in range(0, NUM_PERM, 32):  # 32 permutations at a time bounds memory for long passages
            a, b = _A[first:first + 32, None], _B[first:first + 32, None]
            v = (a * h[None, :] + b) >> np.uint64(32)
            out[:, first:first + 32] = (np.minimum.reduceat(v, seg, axis=1) & np.uint64(0xFFFF)).T
    return out


def signature_bytes(sig: np.ndarray) -> bytes:
    """One passage's signature as stored (little-endian uint16)."""
    return sig.astype("<u2", copy=False).tobytes()


def from_bytes(blob: bytes) -> np.ndarray:
    """The inverse of ``signature_bytes``; refuses a blob of the wrong size (another NUM_PERM)."""
    if len(blob) != SIGNATURE_BYTES:
        raise ValueError(f"a reuse signature is {SIGNATURE_BYTES} bytes, not {len(blob)}")
    return np.frombuffer(blob, dtype="<u2").astype(np.uint16)


def estimate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard from 16-bit MinHashes (rows of b against a), corrected for chance agreement."""
    agree = (b == a).mean(axis=-1)
    return np.clip((agree - 1 / 65536) / (1 - 1 / 65536), 0.0, 1.0)


@dataclass(frozen=True)
class Match:
    """A passage of the report just added and a passage of an earlier, other report it reuses (or is reused by)."""

    passage_no: int
    other_report_id: str
    other_passage_no: int
    similarity: float


class ReuseIndex:
    """LSH over passage signatures that grows as reports arrive.

    The band keys of all bands live in one sorted uint64 array per level
    (band number in the high 32 bits; large levels found through a bucket
    directory, see ``reuse_bands.Level``). New keys go into the smallest level; a level
    that outgrows ``LEVEL0`` × 16^i keys is merged into the next (a
    log-structured merge), so adding a report costs nearly the same whether
    the index holds ten reports or ten thousand, and nothing ever re-sorts
    the whole index. Memory: the signatures (256 bytes a passage) plus
    BANDS × 12 bytes of keys and row numbers, about 0.65 kB a passage, and
    up to twice the signatures while their array doubles.
    """

    LEVEL0 = 1 << 16
    GROWTH = 16

    def __init__(self, *, threshold: float = THRESHOLD, level0: int = LEVEL0) -> None:
        self.threshold = threshold  # lower only to study the candidates (the bench does)
        self._level0 = level0  # keys in the smallest level before it is merged down
        self._reports: list[str] = []
        self._report_no: dict[str, int] = {}
        self._n = 0
        self._sigs = np.zeros((1024, NUM_PERM), dtype=np.uint16)
        self._owner = np.zeros(1024, dtype=np.int32)  # row → report number
        self._pno = np.zeros(1024, dtype=np.int32)  # row → passage_no
        self._spans: dict[int, list[tuple[int, int]]] = {}  # report number → its runs of rows
        self._levels: list[Level] = []  # smallest first

    # -- building --------------------------------------------------------------

    def __len__(self) -> int:
        """Passages indexed."""
        return self._n

    @property
    def reports(self) -> int:
        return len(self._reports)

    def add(self, report_id: str, passages: Iterable[tuple[int, str]]) -> list[Match]:
        """Index a report's passages; returns their matches among the passages of reports added before."""
        return self.add_prepared(report_id, *prepare(passages))

    def add_prepared(self, report_id: str, passage_nos: Sequence[int], sigs: np.ndarray) -> list[Match]:
        """``add`` for passages ``prepare`` has already reduced to signatures."""
        matches = self.lookup(sigs, passage_nos, exclude=report_id)
        self.add_signatures(report_id, passage_nos, sigs)
        return matches

    def add_signatures(self, report_id: str, passage_nos: Sequence[int], sigs: np.ndarray) -> None:
        """Index signatures already computed (or read back from the archive) without looking anything up."""
        owner = self._owner_of(report_id)
        if not len(passage_nos):
            return
        rows = self._append(owner, np.asarray(passage_nos, dtype=np.int32), sigs)
        self._push(*sorted_keys(sigs, rows))

    @classmethod
    def from_signatures(cls, rows: Iterable[tuple[str, int, bytes]], *, threshold: float = THRESHOLD,
                        wanted: np.ndarray | None = None) -> ReuseIndex:
        """Rebuild from stored (report_id, passage_no, signature bytes) rows, in the order reports were added.

        ``wanted``: the signatures of every passage to be looked up or added
        next. Only the stored band keys equal to one of theirs are indexed, so
        those lookups find what a full index finds while a few reports added
        to a large archive sort a few keys, not all of them (100 reports into
        10,000 synthetic ones: 0.5 million keys instead of 13 million). Any
        other lookup would miss: such an index serves one sync.
        """
        table = list(rows)
        if not table:
            return cls(threshold=threshold)
        report_ids, nos, blobs = zip(*table)  # columns without a Python loop: 0.4 million rows at 10k reports
        del table
        if set(map(len, blobs)) != {SIGNATURE_BYTES}:
            at = next(i for i, blob in enumerate(blobs) if len(blob) != SIGNATURE_BYTES)
            raise ValueError(f"report {report_ids[at]} passage {nos[at]}: a reuse signature is "
                             f"{SIGNATURE_BYTES} bytes, not {len(blobs[at])}")
        named = list(dict.fromkeys(report_ids))
        number = {report_id: n for n, report_id in enumerate(named)}
        owners = np.fromiter(map(number.__getitem__, report_ids), np.int32, len(report_ids))
        return cls.from_arrays(named, owners, np.asarray(nos, dtype=np.int32), b"".join(blobs),
                               threshold=threshold, wanted=wanted)

    @classmethod
    def from_arrays(cls, report_ids: Sequence[str], owners: np.ndarray, passage_nos: np.ndarray, blob: bytes, *,
                    threshold: float = THRESHOLD, wanted: np.ndarray | None = None) -> ReuseIndex:
        """``from_signatures`` for rows already in columns: each passage's report (a number into
        ``report_ids``), its number, and all signatures joined into one string of bytes."""
        index = cls(threshold=threshold)
        sigs = np.frombuffer(blob, dtype="<u2").reshape(-1, NUM_PERM)
        if not len(sigs):
            return index
        present, owners = np.unique(owners, return_inverse=True)  # reports with no passage left out
        for n in present.tolist():
            index._owner_of(report_ids[n])
        index._reserve(len(sigs) + (0 if wanted is None else len(wanted)))  # room for what comes next
        new = index._append(owners.astype(np.int32), passage_nos, sigs)
        del sigs  # copied into the index
        keys, krows = sorted_keys(index._sigs[:index._n], new, None if wanted is None else KeySet.of(wanted))
        level = 0  # the level a key count this large would have reached by merging: later merges stay small
        while len(keys) > index._level0 * index.GROWTH ** level:
            level += 1
        empty = Level.of(keys[:0], krows[:0])
        index._levels = [empty] * level + [Level.of(keys, krows)]
        return index

    def signatures_of(self, report_id: str) -> list[tuple[int, bytes]]:
        """A report's (passage_no, signature bytes), as a store would keep them."""
        owner = self._report_no.get(report_id)
        spans = self._spans.get(owner, []) if owner is not None else []
        return [(int(self._pno[r]), signature_bytes(self._sigs[r])) for lo, hi in spans for r in range(lo, hi)]

    def nbytes(self) -> int:
        """Bytes held in numpy arrays (the Python list of report ids aside)."""
        arrays = [self._sigs, self._owner, self._pno, *(a for level in self._levels for a in level.arrays())]
        return sum(a.nbytes for a in arrays)

    # -- looking up ------------------------------------------------------------

    def query(self, passages: Iterable[tuple[int, str]], *, exclude: str | None = None) -> list[Match]:
        """Matches for passages not (yet) indexed; passages of report ``exclude`` are never matched."""
        nos, sigs = prepare(passages)
        return self.lookup(sigs, nos, exclude=exclude)

    def lookup(self, sigs: np.ndarray, passage_nos: Sequence[int], *, exclude: str | None = None) -> list[Match]:
        """Candidates sharing any band's key, kept when the estimated Jaccard ≥ the threshold."""
        if not len(passage_nos) or not self._n:
            return []
        keys, q = flat_keys(sigs, np.arange(len(sigs), dtype=np.int32))
        q_idx: list[np.ndarray] = []
        c_rows: list[np.ndarray] = []
        for level in self._levels:
            qi, rows = level.find(keys)
            if len(qi):
                q_idx.append(q[qi])
                c_rows.append(rows)
        if not q_idx:
            return []
        pairs = np.unique(np.concatenate(q_idx).astype(np.int64) << 32 | np.concatenate(c_rows).astype(np.int64))
        qi, rows = pairs >> 32, pairs & 0xFFFFFFFF
        skip = self._report_no.get(exclude, -1) if exclude is not None else -1
        keep = self._owner[rows] != skip
        qi, rows = qi[keep], rows[keep]
        sims = estimate(sigs[qi], self._sigs[rows])
        ok = sims >= self.threshold
        return [Match(int(passage_nos[q]), self._reports[self._owner[r]], int(self._pno[r]), round(float(s), 3))
                for q, r, s in zip(qi[ok], rows[ok], sims[ok])]

    # -- internals -------------------------------------------------------------

    def _owner_of(self, report_id: str) -> int:
        owner = self._report_no.get(report_id)
        if owner is None:
            owner = self._report_no[report_id] = len(self._reports)
            self._reports.append(report_id)
        return owner

    def _append(self, owner, nos: np.ndarray, sigs: np.ndarray) -> np.ndarray:
        """Store signatures in the row arrays (doubling them when full); returns the new row numbers."""
        need = self._n + len(nos)
        if need > len(self._sigs):
            self._reserve(max(need, 2 * len(self._sigs)))
        rows = np.arange(self._n, need, dtype=np.int32)
        self._sigs[self._n:need] = sigs
        self._owner[self._n:need] = owner
        self._pno[self._n:need] = nos
        if np.isscalar(owner):
            self._spans.setdefault(int(owner), []).append((self._n, need))
        else:  # a rebuild: one run per report, in the order rows arrive
            cuts = np.flatnonzero(np.diff(owner)) + 1
            for lo, hi in zip(np.concatenate(([0], cuts)), np.concatenate((cuts, [len(owner)]))):
                self._spans.setdefault(int(owner[lo]), []).append((self._n + int(lo), self._n + int(hi)))
        self._n = need
        return rows

    def _reserve(self, size: int) -> None:
        """Row arrays of at least ``size`` rows."""
        if size > len(self._sigs):
            self._sigs = _grow(self._sigs, size)
            self._owner = _grow(self._owner, size)
            self._pno = _grow(self._pno, size)

    def _push(self, keys: np.ndarray, rows: np.ndarray) -> None:
        """Merge sorted (keys, rows) into level 0, cascading a full level into the next."""
        level = 0
        while True:
            if level == len(self._levels):
                self._levels.append(Level.of(keys, rows))
                return
            old = self._levels[level]
            at = np.searchsorted(old.keys, keys, side="right")
            keys, rows = np.insert(old.keys, at, keys), np.insert(old.rows, at, rows)
            if len(keys) <= self._level0 * self.GROWTH ** level:
                self._levels[level] = Level.of(keys, rows)
                return
            self._levels[level] = Level.of(keys[:0], rows[:0])
            level += 1


def prepare(passages: Iterable[tuple[int, str]]) -> tuple[list[int], np.ndarray]:
    """(passage numbers, signatures) of the passages long enough to count; the rest are left out."""
    nos: list[int] = []
    norms: list[str] = []
    for no, text in passages:
        norm = normalise(text)
        if len(norm) >= MIN_CHARS:
            nos.append(no)
            norms.append(norm)
    return nos, signatures(norms)


def _grow(a: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((size, *a.shape[1:]), dtype=a.dtype)
    out[:len(a)] = a
    return out
