"""How tightly a query's terms cluster in a passage: the ranking bonus for nearness.

It is judged on the few hundred best hits of a query, all at once: the
passages are joined into one array of code points and scanned with numpy.
A Python loop over every sighting of a common word in 200 passages cost
more than the rest of the query.
"""

from __future__ import annotations

import numpy as np

from archive.text import fold

#: Between joined passages: no term holds it (a query may not contain NUL), so no sighting spans two.
SEPARATOR = "\x00"
#: Terms judged at most: the cost is one pass over the passages per character of every term.
MAX_TERMS = 8

_FAR = np.iinfo(np.int64).max


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _sightings(chars: np.ndarray, term: np.ndarray) -> np.ndarray:
    """Where every occurrence of ``term`` starts, overlapping ones included."""
    room = len(chars) - len(term) + 1
    if room <= 0:
        return np.empty(0, np.int64)
    hit = chars[:room] == term[0]
    for j in range(1, len(term)):
        hit &= chars[j: room + j] == term[j]
    return np.flatnonzero(hit)


def nearness(texts: list[str], terms: list[str]) -> np.ndarray:
    """Per text (as stored): 1.0 when the folded terms stand side by side, falling towards 0 as the
    shortest window holding all of them grows; 0.0 when one of them is missing."""
    out = np.zeros(len(texts))
    terms = [t for t in dict.fromkeys(terms) if t and SEPARATOR not in t][:MAX_TERMS]
    if not texts or not terms:
        return out
    chars = _code_points(fold(SEPARATOR.join(texts)))  # one pass of fold, which keeps every offset
    starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
    lengths = np.array([len(t) for t in terms], dtype=np.int64)
    found = [_sightings(chars, _code_points(t)) for t in terms]
    pos = np.concatenate(found)
    term = np.repeat(np.arange(len(terms)), [len(f) for f in found])
    if not len(pos):
        return out
    order = np.argsort(pos, kind="stable")
    pos, term = pos[order], term[order]
    text_of = np.searchsorted(starts, pos, side="right") - 1
    first = starts[text_of]
    # The shortest window ending at a sighting starts at the latest sighting of the term seen longest ago.
    start = np.full(len(pos), _FAR)
    complete = np.ones(len(pos), dtype=bool)
    for j in range(len(terms)):
        latest = np.maximum.accumulate(np.where(term == j, pos, -1))
        complete &= latest >= first  # seen in this passage, not only in an earlier one
        np.minimum(start, latest, out=start)
    span = pos + lengths[term] - start
    best = np.full(len(texts), _FAR)
    np.minimum.at(best, text_of[complete], span[complete])
    seen = best < _FAR
    out[seen] = np.minimum(1.0, lengths.sum() / best[seen])
    return out
