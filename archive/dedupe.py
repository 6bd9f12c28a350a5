"""Exact and near duplicates.

Exact: SHA-256 of the hash form (folded, no whitespace). Near: MinHash over
5-character shingles (hashed with numpy, see ``minhash``) finds candidates through LSH, and the exact Jaccard of
the shingle sets decides. Threshold, measured on ../shared/corpus (15,051
pairs): the 45 true reposts score 0.85–1.00, the most alike distinct
documents (yearly NPC resolutions that reuse a template) at most 0.53, so
``NEAR_THRESHOLD = 0.7`` sits in the middle of the empty gap. LSH is tuned
lower (0.5) so that estimation noise never hides a real pair.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

SHINGLE = 5
NUM_PERM = 128
NEAR_THRESHOLD = 0.7
LSH_THRESHOLD = 0.5  # what BANDS and ROWS are chosen for
SCHEME = "affine32"  # 32-bit values: 512 bytes a report
HASH_BLOCK = 1 << 18


def content_hash(hash_form: str) -> str:
    return hashlib.sha256(hash_form.encode("utf-8")).hexdigest()


def shingles(hash_form: str) -> set[str]:
    n = len(hash_form)
    if n < SHINGLE:
        return {hash_form} if hash_form else set()
    return {hash_form[i : i + SHINGLE] for i in range(n - SHINGLE + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


_RNG = np.random.default_rng(20261125)
_A = _RNG.integers(1, 1 << 63, NUM_PERM, dtype=np.uint64) | np.uint64(1)  # odd multipliers
_B = _RNG.integers(0, 1 << 63, NUM_PERM, dtype=np.uint64)
_BASE = np.uint64(1_000_003)


def window_hashes(codes: np.ndarray, size: int) -> np.ndarray:
    """A 64-bit polynomial hash (wrapping arithmetic, high bits mixed down) of every run of ``size``
    consecutive code points: one numpy pass however many windows. Shared with ``reuse``, whose stored
    signatures depend on it staying exactly this."""
    n = len(codes) - size + 1
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(size):
            h = h * _BASE + codes[k : k + n]
        h ^= h >> np.uint64(29)
    return h


def shingle_hashes(hash_form: str) -> np.ndarray:
    """32-bit hashes of the distinct 5-character shingles, computed all at once.

    A polynomial hash over the code points (wrapping 64-bit arithmetic), so
    the MinHash costs a few numpy operations instead of a SHA-1 call per
    shingle (which made it 70 % of the import's decode-to-parse time).
    """
    codes = np.frombuffer(hash_form.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) < SHINGLE:
        codes = np.concatenate([codes, np.zeros(SHINGLE - len(codes), np.uint64)])
    return np.unique(window_hashes(codes, SHINGLE) & np.uint64(0xFFFFFFFF))


def minhash(hash_form: str) -> bytes:
    """128 32-bit minimum hashes (multiply-shift permutations), as bytes for the archive."""
    hv = shingle_hashes(hash_form)
    out = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)
    with np.errstate(over="ignore"):
        # Bounded memory: 32 permutations × HASH_BLOCK shingles at a time (about 64 MB), whatever the
        # file's size; all shingles at once took 1.1 GB for a 6 MB file.
        for first in range(0, max(1, len(hv)), HASH_BLOCK):
            block = hv[None, first : first + HASH_BLOCK]
            for start in range(0, NUM_PERM, 32):
                a, b = _A[start : start + 32, None], _B[start : start + 32, None]
                np.minimum(out[start : start + 32], ((a * block + b) >> np.uint64(32)).min(axis=1),
                           out=out[start : start + 32])
    return out.tobytes()


#: Candidates whose MinHash estimate falls this far below the threshold are not verified
#: (128 permutations: the estimate's standard error is at most 0.044).
ESTIMATE_MARGIN = 0.15
#: LSH banding for ``LSH_THRESHOLD``: 25 bands of 5 values (the parameters that minimise false positives
#: and negatives, weighted equally, for 0.5 and 128 values): two reports are candidates when any band
#: is equal in both. A pair at similarity 0.5 shares a band with probability 1 - (1 - 0.5**5)**25 = 0.55,
#: at 0.7 with 0.98, at 0.85 with 1.00.
BANDS, ROWS = 25, 5


@dataclass
class NearIndex:
    """The MinHashes of the reports already in the archive, banded for LSH.

    Kept as one array and compared band by band with numpy: a query is a
    pass over the array (about 1 ms at 10k reports), and building it is
    reading the stored MinHashes (it was 1.4 s at 10k with a hash table per
    band, on every import that adds a report).
    """

    keys: list[str]
    values: np.ndarray  # one row of NUM_PERM values per report (rows beyond len(keys) are room to grow)

    @classmethod
    def build(cls, rows) -> NearIndex:
        """rows: iterable of (report_id, minhash bytes)."""
        keys, blobs = [], []
        for key, blob in rows:
            keys.append(key)
            blobs.append(blob)
        values = np.frombuffer(b"".join(blobs), dtype=np.uint32).reshape(-1, NUM_PERM).copy()
        return cls(keys, values)

    def candidates(self, blob: bytes) -> list[str]:
        """Reports that may be near copies: a band equal in both, then the MinHash estimate (cheap) before
        exact checks."""
        mine = np.frombuffer(blob, dtype=np.uint32)
        stored = self.values[: len(self.keys)]
        banded = BANDS * ROWS
        same = stored == mine
        shared = same[:, :banded].reshape(-1, BANDS, ROWS).all(axis=2).any(axis=1)
        close = same[shared].mean(axis=1) >= NEAR_THRESHOLD - ESTIMATE_MARGIN
        return [self.keys[i] for i in np.flatnonzero(shared)[close]]

    def add(self, key: str, blob: bytes) -> None:
        if len(self.keys) == len(self.values):
            self.values = np.concatenate([self.values, np.empty((max(16, len(self.values)), NUM_PERM), np.uint32)])
        self.values[len(self.keys)] = np.frombuffer(blob, dtype=np.uint32)
        self.keys.append(key)
