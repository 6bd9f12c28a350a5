"""Near-duplicate candidates: a band of the MinHash equal in both, then the estimate, then (in the importer)
the exact Jaccard."""

from __future__ import annotations

import numpy as np

from archive.dedupe import BANDS, NUM_PERM, ROWS, NearIndex, minhash

RNG = np.random.default_rng(7)


def _values() -> np.ndarray:
    return RNG.integers(0, 2**32, NUM_PERM, dtype=np.uint64).astype(np.uint32)


def _other(values: np.ndarray, keep: np.ndarray) -> bytes:
    """``values`` with every position outside ``keep`` changed."""
    out = values.copy()
    out[~keep] ^= np.uint32(0x5A5A5A5A)
    return out.tobytes()


def test_a_report_is_a_candidate_when_a_band_matches_and_the_estimate_is_close():
    stored = _values()
    index = NearIndex.build([("kept", stored.tobytes())])
    index.add("other", _values().tobytes())
    near = np.ones(NUM_PERM, bool)
    near[::10] = False  # 90 % of the values the same, every band but a few intact
    assert index.candidates(_other(stored, near)) == ["kept"]
    one_band = np.zeros(NUM_PERM, bool)
    one_band[:ROWS] = True  # a band equal, but the estimate far below the threshold
    assert index.candidates(_other(stored, one_band)) == []
    no_band = np.ones(NUM_PERM, bool)
    no_band[:BANDS * ROWS:ROWS] = False  # 80 % the same, yet no band whole: LSH does not pair them
    assert index.candidates(_other(stored, no_band)) == []


def test_the_index_grows_as_reports_are_added_and_finds_real_reposts():
    text = "坚持以人民为中心的发展思想，扎实推进乡村振兴，全年新开工亿元以上项目63个，完成投资120亿元。" * 6
    index = NearIndex.build([])
    for i in range(40):
        index.add(f"r{i}", _values().tobytes())
    index.add("report", minhash(text))
    repost = text.replace("63个", "68个", 1) + "来源：某某网"
    assert index.candidates(minhash(repost)) == ["report"]
    assert index.candidates(minhash("全然不同的一段文字，讲的是另一件事情。" * 10)) == []
