"""A seeded corpus of reports with planted passage reuse, and the figures of ``archive.reuse`` on it.

    python -m tests.bench.reuse_corpus --sizes 1000 10000            # precision, recall, speed, memory
    python -m tests.bench.reuse_corpus --measure --sizes 1000        # the similarities the rule is chosen from

Reports are lists of passages built from the project's vocabulary
(tests/fixtures/vocab through ``vocab.load``): a title, a salutation, a
stock opening line, typed headings, body paragraphs, one-phrase 套话
passages (坚决做到两个维护。) and a closing. A body paragraph mixes whole
vocabulary sentences (stock, shared by many reports) with sentences
recombined from vocabulary clauses, so two ordinary paragraphs share stock
text but are distinct passages.

Planted into that background:
- groups: one source paragraph copied into 1-4 other reports, each copy
  verbatim or with small edits (1-3 edits of 1-4 characters changed,
  inserted or deleted), the official's name masked (某某, **, XX, 张某,
  ×××, xx), new figures (sometimes one masked: xx个), two sentences
  swapped, or several of these at once. Every pair
  of members (copies of one source compared with each other too) is reuse;
- decoys: 2-3 paragraphs in different reports built around the same 2-3
  stock sentences (up to about half their characters) with their own text
  around them: not reuse.

``Corpus.truth`` is the set of planted pairs; anything else a detector
reports is a false positive. The background is meant to be distinct, but
it draws on some 750 vocabulary sentences: among 10,000 reports a few
short paragraphs made mostly of the same sentences come as close as 0.61
(3-gram Jaccard), and they count against precision.
Measured (seed 1, load average 2 on 2 shared cores):

    size    pairs P / R        passages P / R    add/s   +100 reports full vs empty   lookup median/p95   memory   rebuild
    1,000   1.0000 / 1.0000    1.0000 / 1.0000   11,527  140 / 109 ms (×1.28)         1.1 / 1.7 ms        19 MB    0.02 s
    10,000  0.9999 / 1.0000    0.9998 / 1.0000    7,898  197 / 179 ms (×1.10; rounds  1.6 / 5.9 ms        150 MB   1.05 s
                                                         ×1.56, ×1.10, ×1.81)                                      (peak 219 MB)

The plan comes from one generator seeded with the seed, each report's text
from its own (seed, number) generator, so reports can be produced one at a
time without holding the corpus in memory.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import vocab as vocab_mod
from .compose import CLOSINGS, SALUTATIONS, Composer
from .reuse_text import GIVEN, STOCK, SURNAMES, VARIANTS, copy_variant, own_sentence, paragraph, stock_sentence
from .vocab import BODY_TYPES

ROUNDS = 3  # timing rounds of 100 added reports
GROUP_SHARE = 0.5  # groups planted per report
DECOY_SHARE = 0.4  # decoy sets per report


@dataclass(frozen=True)
class Planted:
    """A planted passage: which group or decoy set it belongs to, and how it was made."""

    kind: str  # group | decoy
    set_no: int
    member: int  # 0 is a group's source
    variant: str


@dataclass
class Corpus:
    """The plan: report layouts, planted slots and the truth; ``reports()`` renders the text."""

    size: int
    seed: int
    layouts: list[list[tuple[str, str]]]  # per report: (slot kind, section type)
    planted: dict[tuple[int, int], Planted]  # (report, passage_no) → planted
    groups: list[list[tuple[int, int]]]
    decoys: list[list[tuple[int, int]]]
    composer: Composer = field(repr=False)

    def report_id(self, number: int) -> str:
        return f"r{number:06d}"

    @property
    def truth(self) -> set[tuple[tuple[str, int], tuple[str, int]]]:
        """Every pair of members of a group, as ((report_id, passage_no), (report_id, passage_no)) sorted."""
        return {pair_key((self.report_id(a), pa), (self.report_id(b), pb))
                for members in self.groups for (a, pa), (b, pb) in itertools.combinations(members, 2)}

    @property
    def decoy_pairs(self) -> set[tuple[tuple[str, int], tuple[str, int]]]:
        return {pair_key((self.report_id(a), pa), (self.report_id(b), pb))
                for members in self.decoys for (a, pa), (b, pb) in itertools.combinations(members, 2)}

    def variant_of(self, pair) -> str:
        """A true pair's variant (the copy's, or ``copy×copy`` when neither is the source)."""
        (ra, pa), (rb, pb) = pair
        va = self.planted[(int(ra[1:]), pa)]
        vb = self.planted[(int(rb[1:]), pb)]
        if va.member and vb.member:
            return "copy×copy"
        return vb.variant if va.member == 0 else va.variant

    def reports(self) -> Iterator[tuple[str, list[tuple[int, str]]]]:
        """(report_id, [(passage_no, text)]) in order, one report at a time."""
        for number in range(self.size):
            yield self.report_id(number), self.render(number)

    def render(self, number: int) -> list[tuple[int, str]]:
        rng = random.Random(f"reuse-report:{self.seed}:{number}")
        year = rng.choice(range(2015, 2025))
        place, role = rng.choice(self.composer.vocab.places), rng.choice(self.composer.vocab.roles)
        out: list[tuple[int, str]] = []
        for no, (kind, stype) in enumerate(self.layouts[number], start=1):
            planted = self.planted.get((number, no))
            if planted is not None:
                text = self._planted(planted, stype)
            elif kind == "title":
                text = f"{year}年度{place}{role}述职报告"
            elif kind == "salutation":
                text = rng.choice(SALUTATIONS[""])
            elif kind == "opening":
                text = f"根据工作安排，现将本人{year}年度履职尽责、廉洁自律等方面的情况报告如下。"
            elif kind == "heading":
                text = f"{CN[len(out) % 10]}、{rng.choice(self.composer.vocab.headings_for(stype))}"
            elif kind == "stock":
                text = rng.choice(STOCK) + "。"
            elif kind == "closing":
                text = rng.choice(CLOSINGS[""])
            else:
                text = paragraph(self.composer, rng, stype, year)
            out.append((no, text))
        return out

    def _planted(self, p: Planted, stype: str) -> str:
        if p.kind == "group":
            src = random.Random(f"reuse-group:{self.seed}:{p.set_no}")
            name = src.choice(SURNAMES) + "".join(src.sample(GIVEN, src.choice((1, 2))))
            stype = src.choice(BODY_TYPES)  # the source's, wherever the copy sits
            text = paragraph(self.composer, src, stype, src.choice(range(2015, 2025)), name=name)
            if p.member == 0:
                return text
            return copy_variant(random.Random(f"reuse-copy:{self.seed}:{p.set_no}:{p.member}"), text, name,
                                p.variant, self.composer)
        shared_rng = random.Random(f"reuse-decoy:{self.seed}:{p.set_no}")
        year = shared_rng.choice(range(2015, 2025))
        shared = [stock_sentence(self.composer, shared_rng, stype, year) for _ in range(shared_rng.randint(2, 3))]
        own = random.Random(f"reuse-decoy:{self.seed}:{p.set_no}:{p.member}")
        budget = sum(map(len, shared)) * own.uniform(1.0, 2.0)  # own text at least as long as the shared
        mine: list[str] = []
        while sum(map(len, mine)) < budget:
            mine.append(own_sentence(self.composer, own, stype))
        for s in shared:
            mine.insert(own.randrange(len(mine) + 1), s)
        return "".join(mine)


CN = "一二三四五六七八九十"


def pair_key(a: tuple[str, int], b: tuple[str, int]) -> tuple[tuple[str, int], tuple[str, int]]:
    return (a, b) if a <= b else (b, a)


# -- the plan ------------------------------------------------------------------


def build(size: int, seed: int = 1, vocab: vocab_mod.Vocab | None = None) -> Corpus:
    """Plan a corpus of ``size`` reports: layouts, then groups and decoys placed in distinct reports."""
    rng = random.Random(f"reuse-plan:{seed}")
    composer = Composer(vocab or vocab_mod.load())
    layouts: list[list[tuple[str, str]]] = []
    for _ in range(size):
        lay = [("title", "preamble"), ("salutation", "preamble"), ("opening", "preamble")]
        for stype in [t for t in BODY_TYPES if rng.random() < 0.7] or ["performance"]:
            lay.append(("heading", stype))
            for _ in range(rng.randint(2, 6)):
                lay.append(("stock", stype) if rng.random() < 0.08 else ("para", stype))
        lay.append(("closing", "closing"))
        layouts.append(lay)
    free = {n: [i for i, (k, _) in enumerate(lay, start=1) if k == "para"] for n, lay in enumerate(layouts)}
    planted: dict[tuple[int, int], Planted] = {}
    groups: list[list[tuple[int, int]]] = []
    decoys: list[list[tuple[int, int]]] = []

    def place(count: int) -> list[tuple[int, int]] | None:
        reports = rng.sample(range(size), count)
        if any(not free[r] for r in reports):
            return None
        return [(r, free[r].pop(rng.randrange(len(free[r])))) for r in reports]

    for _ in range(int(size * GROUP_SHARE)):
        members = place(rng.randint(2, 5) if size >= 5 else 2)
        if members:
            for m, slot in enumerate(members):
                planted[slot] = Planted("group", len(groups), m, "source" if m == 0 else rng.choice(VARIANTS))
            groups.append(members)
    for _ in range(int(size * DECOY_SHARE)):
        members = place(rng.randint(2, 3))
        if members:
            for m, slot in enumerate(members):
                planted[slot] = Planted("decoy", len(decoys), m, "decoy")
            decoys.append(members)
    return Corpus(size, seed, layouts, planted, groups, decoys, composer)


# -- scoring -------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """Pair-level and passage-level precision and recall against the planted truth."""

    pairs_found: int
    pairs_true: int
    pair_precision: float
    pair_recall: float
    passage_precision: float
    passage_recall: float
    decoys_matched: int
    missed_by_variant: dict[str, int]


def score(corpus: Corpus, found: set) -> Score:
    """found: pairs as ``pair_key`` returns them."""
    truth = corpus.truth
    hit = found & truth
    flagged = {p for pair in found for p in pair}
    reused = {p for pair in truth for p in pair}
    missed: dict[str, int] = {}
    for pair in truth - found:
        v = corpus.variant_of(pair)
        missed[v] = missed.get(v, 0) + 1
    return Score(len(found), len(truth), len(hit) / len(found) if found else 1.0,
                 len(hit) / len(truth) if truth else 1.0,
                 len(flagged & reused) / len(flagged) if flagged else 1.0,
                 len(flagged & reused) / len(reused) if reused else 1.0,
                 len(found & corpus.decoy_pairs), missed)


def run(size: int, seed: int = 1) -> dict:
    """Add every report to an empty ReuseIndex; score, time, size and rebuild it."""
    from archive.reuse import ReuseIndex

    corpus = build(size, seed)
    rendered = list(corpus.reports())
    index = ReuseIndex()
    found: set = set()
    started = time.perf_counter()
    for report_id, passages in rendered:
        for m in index.add(report_id, passages):
            found.add(pair_key((report_id, m.passage_no), (m.other_report_id, m.other_passage_no)))
    add_s = time.perf_counter() - started
    s = score(corpus, found)
    passages = len(index)
    # Adding 100 more reports into this index and into an empty one, three times with fresh reports: the best
    # of three, because the machine is shared and a single run swings by 2× either way.
    extra = list(itertools.islice(build(size + ROUNDS * 100, seed + 1).reports(), ROUNDS * 100))
    full_s, empty_s = [], []
    for r in range(ROUNDS):
        batch = [(f"x{r}{rid}", ps) for rid, ps in extra[r * 100:(r + 1) * 100]]
        full_s.append(_time_adds(index, batch))
        empty_s.append(_time_adds(ReuseIndex(), batch))
    lookups = []
    for rid, ps in extra[:100]:
        t = time.perf_counter()
        index.query(ps, exclude=f"x0{rid}")
        lookups.append(time.perf_counter() - t)
    rows = [(rid, no, blob) for rid, _ in rendered for no, blob in index.signatures_of(rid)]
    t = time.perf_counter()
    rebuilt = ReuseIndex.from_signatures(rows)
    rebuild_s = time.perf_counter() - t
    del rebuilt
    tracemalloc.start()  # a second rebuild for its peak memory: tracing slows it down
    rebuilt = ReuseIndex.from_signatures(rows)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    lookups.sort()
    return {"reports": size, "passages_indexed": passages, "passages_total": sum(len(p) for _, p in rendered),
            "pairs_true": s.pairs_true, "pairs_found": s.pairs_found,
            "pair_precision": s.pair_precision, "pair_recall": s.pair_recall,
            "passage_precision": s.passage_precision, "passage_recall": s.passage_recall,
            "decoy_pairs": len(corpus.decoy_pairs), "decoys_matched": s.decoys_matched,
            "missed_by_variant": s.missed_by_variant,
            "add_passages_per_s": passages / add_s, "add_s": add_s,
            "add100_into_full_s": min(full_s), "add100_into_empty_s": min(empty_s),
            "add100_rounds_ms": [(round(f * 1000), round(e * 1000)) for f, e in zip(full_s, empty_s)],
            "lookup_ms_median": 1000 * lookups[len(lookups) // 2], "lookup_ms_p95": 1000 * lookups[94],
            "lookup_ms_max": 1000 * lookups[-1], "load_average": os.getloadavg()[0],
            "index_mb": index.nbytes() / 1e6, "signature_mb": len(rows) * len(rows[0][2]) / 1e6 if rows else 0,
            "rebuild_s": rebuild_s, "rebuild_peak_mb": peak / 1e6, "rebuilt_passages": len(rebuilt)}


def measure(size: int, seed: int = 1, shingles: tuple[int, ...] = (3, 4, 5)) -> dict:
    """Exact Jaccard of the planted pairs (by variant), the decoys, and every other pair the LSH proposes.

    The candidates come from an index at a low threshold (0.25) with the
    module's shingle size; their exact Jaccard is then taken at each size in
    ``shingles``, so the gap between true and false pairs can be compared.
    """
    from archive.reuse import ReuseIndex, normalise

    corpus = build(size, seed)
    texts = {rid: dict(ps) for rid, ps in corpus.reports()}
    index = ReuseIndex(threshold=0.25)
    estimates: dict = {}
    for report_id, passages in texts.items():
        for m in index.add(report_id, passages.items()):
            estimates[pair_key((report_id, m.passage_no), (m.other_report_id, m.other_passage_no))] = m.similarity
    truth, decoys = corpus.truth, corpus.decoy_pairs
    others = [p for p in estimates if p not in truth and p not in decoys]
    norm = {k: normalise(texts[k[0]][k[1]]) for pair in (*truth, *decoys, *others) for k in pair}
    out: dict = {"reports": size, "true_pairs": len(truth), "decoy_pairs": len(decoys), "other_candidates": len(others),
                 "estimate": {"true_min": min(estimates.get(p, 0.0) for p in truth),
                              "false_max": max((v for p, v in estimates.items() if p not in truth), default=0.0)}}
    for n in shingles:
        def jac(pair, n=n) -> float:
            a, b = ({s[i:i + n] for i in range(len(s) - n + 1)} for s in (norm[pair[0]], norm[pair[1]]))
            return len(a & b) / len(a | b) if a and b else 0.0
        by_variant: dict[str, float] = {}
        for pair in truth:
            v = corpus.variant_of(pair)
            by_variant[v] = min(by_variant.get(v, 1.0), jac(pair))
        out[n] = {"true_min_by_variant": by_variant, "true_min": min(by_variant.values()),
                  "decoy_max": max(map(jac, decoys), default=0.0), "other_max": max(map(jac, others), default=0.0)}
    return out


def _time_adds(index, reports) -> float:
    t = time.perf_counter()
    for rid, ps in reports:
        index.add(rid, ps)
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.bench.reuse_corpus", description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--measure", action="store_true", help="print the similarity distributions the rule is chosen from")
    args = ap.parse_args(argv)
    if args.measure:
        for size in args.sizes:
            m = measure(size, args.seed)
            print(f"{size} reports: {m['true_pairs']} planted pairs, {m['decoy_pairs']} decoy pairs, "
                  f"{m['other_candidates']} other LSH candidates; estimated similarity: true min "
                  f"{m['estimate']['true_min']:.3f}, false max {m['estimate']['false_max']:.3f}")
            for n in (3, 4, 5):
                r = m[n]
                variants = ", ".join(f"{k} {v:.3f}" for k, v in sorted(r["true_min_by_variant"].items()))
                print(f"  {n}-grams exact Jaccard: true min {r['true_min']:.3f} ({variants}); decoy max "
                      f"{r['decoy_max']:.3f}; other candidates max {r['other_max']:.3f}")
        return 0
    for size in args.sizes:
        r = run(size, args.seed)
        print(f"{size} reports: {r['passages_indexed']} of {r['passages_total']} passages indexed; "
              f"{r['pairs_true']} planted pairs, {r['pairs_found']} found")
        print(f"  pairs: precision {r['pair_precision']:.4f} recall {r['pair_recall']:.4f}; passages: precision "
              f"{r['passage_precision']:.4f} recall {r['passage_recall']:.4f}; decoy pairs matched "
              f"{r['decoys_matched']} of {r['decoy_pairs']}; missed by variant {r['missed_by_variant']}")
        print(f"  add: {r['add_passages_per_s']:,.0f} passages/s ({r['add_s']:.1f} s); 100 reports into this index "
              f"{r['add100_into_full_s'] * 1000:.0f} ms vs into an empty one {r['add100_into_empty_s'] * 1000:.0f} ms "
              f"(×{r['add100_into_full_s'] / r['add100_into_empty_s']:.2f}; best of {ROUNDS}, rounds full/empty ms "
              f"{r['add100_rounds_ms']})")
        print(f"  lookup of one report's passages: median {r['lookup_ms_median']:.2f} ms, p95 {r['lookup_ms_p95']:.2f} ms, "
              f"max {r['lookup_ms_max']:.2f} ms (load average {r['load_average']:.1f} on {os.cpu_count()} cores)")
        print(f"  index memory {r['index_mb']:.1f} MB (signatures as bytes {r['signature_mb']:.1f} MB); rebuild from "
              f"bytes {r['rebuild_s']:.2f} s (peak {r['rebuild_peak_mb']:.0f} MB)")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
