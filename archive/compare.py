"""Two reports side by side: their passages aligned by section type, and which passages the other holds.

How two officials describe the same duty is read section against section
(理论学习 beside 理论学习, 存在问题 beside 存在问题), so the alignment is by
section type, in the design's order. A passage is *shared* when the other
report holds the same text once normalised (masked names and figures aside),
and *near-shared* when the two pass the reuse rule (``reuse.similarity`` ≥
``reuse.THRESHOLD``, both at least ``reuse.MIN_CHARS`` long: shorter lines
are stock phrases as often as they are copies). Pure: report objects in,
plain data out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import SECTION_TYPES
from .reuse import MIN_CHARS, THRESHOLD, normalise, shingle_set


@dataclass(frozen=True)
class Counterpart:
    passage_no: int
    similarity: float  # 1.0: the same text once normalised


@dataclass
class Side:
    """One report's passages of one section type, each with its best counterpart in the other report."""

    passages: list[dict] = field(default_factory=list)
    matches: dict[int, Counterpart] = field(default_factory=dict)  # passage_no → the other's passage


@dataclass
class Comparison:
    rows: list[tuple[str, Side, Side]]  # (section type, report a's side, report b's side)
    shared_chars: tuple[int, int]  # characters of a and of b in passages the other holds
    chars: tuple[int, int]

    @property
    def shared_share(self) -> tuple[float, float]:
        return tuple(s / c if c else 0.0 for s, c in zip(self.shared_chars, self.chars))  # type: ignore[return-value]


def _best(norms_a: list[str], norms_b: list[str]) -> dict[int, tuple[int, float]]:
    """For each passage of a (by index): the most similar passage of b, if it passes the rule."""
    shingles_b = [shingle_set(n) for n in norms_b]
    exact = {n: j for j, n in enumerate(norms_b) if n}
    out: dict[int, tuple[int, float]] = {}
    for i, norm in enumerate(norms_a):
        if norm and norm in exact:
            out[i] = (exact[norm], 1.0)
            continue
        if len(norm) < MIN_CHARS:
            continue
        mine = shingle_set(norm)
        best, score = -1, 0.0
        for j, theirs in enumerate(shingles_b):
            if len(norms_b[j]) < MIN_CHARS or not theirs:
                continue
            inter = len(mine & theirs)
            if inter:
                s = inter / (len(mine) + len(theirs) - inter)
                if s > score:
                    best, score = j, s
        if score >= THRESHOLD:
            out[i] = (best, score)
    return out


def compare(a: dict, b: dict) -> Comparison:
    """``a`` and ``b`` are report objects (``Store.report``)."""
    pa, pb = a["passages"], b["passages"]
    na, nb = [normalise(p["text"]) for p in pa], [normalise(p["text"]) for p in pb]
    a_to_b, b_to_a = _best(na, nb), _best(nb, na)
    rows = []
    for key in SECTION_TYPES:
        left, right = Side(), Side()
        for side, passages, found, other in ((left, pa, a_to_b, pb), (right, pb, b_to_a, pa)):
            for i, p in enumerate(passages):
                if p["section_type"] != key:
                    continue
                side.passages.append(p)
                if i in found:
                    j, score = found[i]
                    side.matches[p["passage_no"]] = Counterpart(other[j]["passage_no"], round(score, 3))
        if left.passages or right.passages:
            rows.append((key, left, right))
    shared = (sum(len(pa[i]["text"]) for i in a_to_b), sum(len(pb[j]["text"]) for j in b_to_a))
    return Comparison(rows, shared, (sum(len(p["text"]) for p in pa), sum(len(p["text"]) for p in pb)))
