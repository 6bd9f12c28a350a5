"""Band keys of passage signatures, kept sorted in levels: the lookup structure of ``reuse.ReuseIndex``.

A signature's first BANDS × ROWS 16-bit values make BANDS keys; two
passages are candidates when any band's key is equal. Keys of all bands
share one sorted uint64 array per level (the band number above the 32-bit
key), so one report's lookup is a handful of numpy calls whatever the
number of bands.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BANDS = 32
ROWS = 4  # four 16-bit values make one 64-bit band
_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)


def band_keys(sigs: np.ndarray) -> np.ndarray:
    """(n, BANDS) uint32 keys: each band's four 16-bit values read as one uint64 (no copy), mixed down to 32 bits.

    Reading the bands in place keeps a rebuild of 180,000 passages at 46 MB
    of band values instead of 184 MB for a widened copy.
    """
    packed = np.ascontiguousarray(sigs[:, :BANDS * ROWS], dtype="<u2").view("<u8")
    with np.errstate(over="ignore"):
        return ((packed * _BAND_MIX) >> np.uint64(32)).astype(np.uint32)


#: Keys are (band << 32 | 32-bit band key): below 2^KEY_BITS.
KEY_BITS = 32 + max(1, (BANDS - 1).bit_length())
_DIRECTORY_FROM = 1 << 16  # smaller levels stay in cache: a binary search is as fast
_WIDE = 32  # buckets wider than this (one passage in many reports) are searched, not scanned


@dataclass(frozen=True)
class Level:
    """Sorted band keys with their rows, and for a large level a directory of bucket starts.

    A binary search over a level of millions of keys misses the cache at
    most of its ~22 steps, and an import does other work between lookups,
    so nothing stays warm: 1.7 ms of a report's 3.6 ms at 10k reports.
    The keys are uniform hashes, so the top bits address a bucket of about
    four keys directly (one directory read, one block read): the directory
    costs 1 byte a key.
    """

    keys: np.ndarray
    rows: np.ndarray
    shift: int = 0
    bounds: np.ndarray | None = None

    @classmethod
    def of(cls, keys: np.ndarray, rows: np.ndarray) -> Level:
        if len(keys) < _DIRECTORY_FROM:
            return cls(keys, rows)
        bits = min(KEY_BITS, int(np.ceil(np.log2(len(keys) / 4))))
        shift = KEY_BITS - bits
        starts = np.arange((1 << bits) + 1, dtype=np.uint64) << np.uint64(shift)
        return cls(keys, rows, shift, np.searchsorted(keys, starts).astype(np.int32))

    def arrays(self) -> list[np.ndarray]:
        return [self.keys, self.rows] + ([] if self.bounds is None else [self.bounds])

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions in ``keys``, rows) of every stored key equal to one of ``keys``."""
        if not len(self.keys):
            return np.zeros(0, np.intp), np.zeros(0, np.int32)
        if self.bounds is None:
            return self._search(np.arange(len(keys)), keys)
        bucket = (keys >> np.uint64(self.shift)).astype(np.intp)
        lo = self.bounds[bucket].astype(np.intp)
        width = self.bounds[bucket + 1] - lo
        wide = width > _WIDE
        span = int(width[~wide].max(initial=0))
        qi = np.zeros(0, np.intp)
        at = np.zeros(0, np.intp)
        if span:
            cols = np.arange(span)
            valid = (cols < width[:, None]) & ~wide[:, None]
            idx = np.where(valid, lo[:, None] + cols, 0)
            qi, col = np.nonzero(valid & (self.keys[idx] == keys[:, None]))
            at = idx[qi, col]
        if wide.any():
            wq, wrows = self._search(np.flatnonzero(wide), keys[wide])
            return np.concatenate([qi, wq]), np.concatenate([self.rows[at], wrows])
        return qi, self.rows[at]

    def _search(self, which: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo = np.searchsorted(self.keys, keys, side="left")
        counts = np.searchsorted(self.keys, keys, side="right") - lo
        return np.repeat(which, counts), self.rows[ranges(lo, counts)]


ROW_BITS = 64 - KEY_BITS
_CHUNK = 8192


def sorted_keys(sigs: np.ndarray, rows: np.ndarray, wanted: KeySet | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Every band key with its row, sorted by key: packed into one uint64 and sorted in place.

    Rows fit in the 64 - KEY_BITS bits the key leaves free (up to 134 million
    passages), so one ``sort`` replaces an argsort and two gathers: a
    rebuild of 180,000 passages sorts 5.8 million keys in 0.4 s instead of 1.2 s.
    ``wanted``: keep only the keys in that set, the only ones a lookup of
    those keys can meet.
    """
    if len(rows) and int(rows[-1]) >= 1 << ROW_BITS:
        raise ValueError(f"the reuse index holds at most {1 << ROW_BITS} passages")
    packed = np.empty(len(rows) * BANDS, dtype=np.uint64)
    end = 0
    for lo in range(0, len(rows), _CHUNK):  # bounded temporaries: a rebuild's peak is the arrays it keeps
        keys, krows = flat_keys(sigs[lo:lo + _CHUNK], rows[lo:lo + _CHUNK])
        if wanted is not None:
            hit = wanted.hits(keys)
            keys, krows = keys[hit], krows[hit]
        packed[end:end + len(keys)] = (keys << np.uint64(ROW_BITS)) | krows.astype(np.uint64)
        end += len(keys)
    packed = packed[:end]
    packed.sort()
    return packed >> np.uint64(ROW_BITS), (packed & np.uint64((1 << ROW_BITS) - 1)).astype(np.int32)


@dataclass(frozen=True)
class KeySet:
    """Sorted distinct keys that many more are tested against: a bitmap of their low bits rules out
    nearly all others before a binary search (13 million keys against 130,000: 0.3 s instead of 1.2 s)."""

    keys: np.ndarray
    bitmap: np.ndarray

    @classmethod
    def of(cls, sigs: np.ndarray) -> KeySet:
        """The band keys of these signatures."""
        keys = np.unique(flat_keys(sigs, np.zeros(len(sigs), dtype=np.int32))[0])
        bitmap = np.zeros(1 << min(26, max(16, len(keys).bit_length() + 7)), dtype=bool)  # ~1 % false hits
        bitmap[(keys & np.uint64(len(bitmap) - 1)).astype(np.intp)] = True
        return cls(keys, bitmap)

    def hits(self, keys: np.ndarray) -> np.ndarray:
        """Which of ``keys`` are in the set."""
        if not len(self.keys):
            return np.zeros(len(keys), dtype=bool)
        maybe = np.flatnonzero(self.bitmap[(keys & np.uint64(len(self.bitmap) - 1)).astype(np.intp)])
        at = np.minimum(np.searchsorted(self.keys, keys[maybe]), len(self.keys) - 1)
        hit = np.zeros(len(keys), dtype=bool)
        hit[maybe[self.keys[at] == keys[maybe]]] = True
        return hit


def flat_keys(sigs: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every band key of every signature as one uint64 (band number high, key low) and its row."""
    band = np.arange(BANDS, dtype=np.uint64) << np.uint64(32)
    keys = (band_keys(sigs).astype(np.uint64) | band).ravel()
    return keys, np.repeat(rows, BANDS)


def ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated aranges [starts[i], starts[i] + counts[i]) without a Python loop."""
    total = int(counts.sum())
    ends = np.cumsum(counts)
    return np.arange(total) - np.repeat(ends - counts, counts) + np.repeat(starts, counts)
