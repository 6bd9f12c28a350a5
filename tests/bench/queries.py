"""The query classes of the benchmark and their warm latency inside the process.

Classes: 1, 2 and 3 words; exact phrases of 2, 4 and 8 characters drawn
from the corpus with a fixed seed; a very common word with all facets; and
queries narrowed by section, year and kind. Each query runs once untimed
(warm), then the class's queries are cycled until the requested number of
timed runs is reached.
"""

from __future__ import annotations

import random
import re
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field

from .stats import summary_ms

WORDS = {
    "words-1": ["招商引资", "乡村振兴", "营商环境", "党风廉政"],
    "words-2": ["两个维护 学习", "招商引资 项目", "基层 党建", "理论学习 不够"],
    "words-3": ["廉洁 作风 建设", "理论 学习 政治", "问题 整改 落实", "项目 建设 投资"],
}
COMMON = ["发展", "工作"]
PHRASE_LENGTHS = (2, 4, 8)
PHRASES_PER_CLASS = 8
DRAWN_WORDS = 4  # words per words-N class drawn from the corpus itself, beside the fixed ones
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


@dataclass(frozen=True)
class Query:
    text: str
    sections: tuple[str, ...] = ()
    years: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def label(self) -> str:
        flags = [f"--section {s}" for s in self.sections] + [f"--year {y}" for y in self.years] + \
                [f"--kind {k}" for k in self.kinds]
        return " ".join([self.text] + flags)

    def params(self, limit: int = 10) -> list[tuple[str, str]]:
        """The /api/search query string."""
        return ([("q", self.text), ("limit", str(limit))] + [("section", s) for s in self.sections]
                + [("year", y) for y in self.years] + [("kind", k) for k in self.kinds])


@dataclass
class QueryClass:
    name: str
    queries: list[Query]
    note: str = ""
    #: Request paths of a class asked over HTTP only (browsing, grouping, cursors, trends).
    urls: list[str] = field(default_factory=list)


@dataclass
class Timing:
    seconds: list[float] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0  # seconds the whole run took (clients in parallel)

    def as_json(self) -> dict:
        out = summary_ms(self.seconds)
        out["mean_total"] = sum(self.totals) / len(self.totals) if self.totals else 0
        if self.wall:
            out["per_s"] = len(self.seconds) / self.wall
        if self.errors:
            out["errors"] = len(self.errors)
            out["first_error"] = self.errors[0][:300]
        return out


def draw_phrases(passages: list[str], length: int, count: int, rng: random.Random) -> list[str]:
    """Random CJK substrings of exactly ``length`` characters, as users would quote them."""
    out: list[str] = []
    for _ in range(count * 200):
        if len(out) >= count:
            break
        runs = [r for r in _CJK_RUN.findall(rng.choice(passages)) if len(r) >= length]
        if runs:
            run = rng.choice(runs)
            start = rng.randint(0, len(run) - length)
            candidate = run[start:start + length]
            if candidate not in out:
                out.append(candidate)
    return out


def draw_words(passages: list[str], rng: random.Random, count: int) -> list[str]:
    """Mid-frequency jieba words of the corpus (ranks 30–400), so word queries hit what it actually says."""
    import jieba

    freq: Counter[str] = Counter()
    for text in rng.sample(passages, min(3000, len(passages))):
        freq.update(w for w in jieba.lcut(text) if len(w) >= 2 and _CJK_RUN.fullmatch(w))
    band = [w for w, _ in freq.most_common(400)[30:]]
    return rng.sample(band, min(count, len(band)))


def build(conn: sqlite3.Connection, seed: int) -> list[QueryClass]:
    """Every class, deterministic for an archive and a seed."""
    rng = random.Random(f"queries:{seed}")
    passages = [t for (t,) in conn.execute("SELECT text FROM passages WHERE length(text) >= 20 ORDER BY id")]
    years = [str(y) for (y,) in conn.execute("SELECT year FROM reports WHERE year IS NOT NULL GROUP BY year "
                                              "ORDER BY count(*) DESC LIMIT 3")] or ["2020"]
    drawn = draw_words(passages, rng, DRAWN_WORDS * 6)
    classes = []
    for n, (name, fixed) in enumerate(WORDS.items(), start=1):
        own = [" ".join(drawn[i:i + n]) for i in range(0, min(len(drawn), DRAWN_WORDS * n), n)]
        classes.append(QueryClass(name, [Query(q) for q in fixed + own], f"{len(fixed)} fixed + {len(own)} drawn"))
    for length in PHRASE_LENGTHS:
        found = draw_phrases(passages, length, PHRASES_PER_CLASS, rng)
        classes.append(QueryClass(f'phrase-{length}', [Query(f'"{p}"') for p in found], f"{len(found)} drawn"))
    classes.append(QueryClass("common+facets", [Query(w) for w in COMMON], "every facet counted"))
    classes.append(QueryClass("filtered", [
        Query("发展", sections=("performance",)),
        Query("廉洁", years=(years[0],)),
        Query('"存在问题"', kinds=("述职报告",)),
        Query("学习 教育", sections=("political",), years=(years[-1],)),
        Query("工作", sections=("plans",), kinds=("工作总结",)),
        Query("作风", sections=("integrity", "problems"), kinds=("述职述责述廉报告",)),
    ], "--section / --year / --kind"))
    return classes


def analyst_classes(conn: sqlite3.Connection, backend, seed: int) -> list[QueryClass]:
    """The analyst's requests over HTTP: results grouped by report, browsing without a query, a page far past
    the numbered ones by cursor, and a three-query trend. The cursors come from ``backend`` (the same
    archive the server reads), taken at about the 5,000th hit, beyond the 100 numbered pages."""
    from urllib.parse import urlencode

    rng = random.Random(f"analyst:{seed}")
    years = [str(y) for (y,) in conn.execute("SELECT year FROM reports WHERE year IS NOT NULL GROUP BY year "
                                              "ORDER BY count(*) DESC LIMIT 3")] or ["2020"]
    grouped = [f"/api/search?{urlencode({'q': w, 'group': 'report'})}" for w in COMMON]
    browse = [f"/api/reports?{urlencode(p)}" for p in (
        {"sort": "-year"}, {"year": years[0], "sort": "title"}, {"kind": "述职报告", "offset": 200},
        {"section": "problems", "sort": "year"}, {"year": years[-1], "kind": "工作总结"})]
    deep = []
    for word in COMMON:
        total = backend.search(word, limit=0).total
        if total > 20:
            at = min(5000, total - 11)
            page = backend.search(word, offset=at, limit=1)
            if page.next:
                deep.append(f"/api/search?{urlencode({'q': word, 'after': page.next})}")
    words = list(COMMON)
    rng.shuffle(words)
    trends = [f"/api/trend?{urlencode([('q', w) for w in words[i:i + 3]])}" for i in range(0, len(words) - 2, 2)]
    trends.append(f"/api/trend?{urlencode([('q', chr(34) + '存在问题' + chr(34)), ('q', '廉洁'), ('kind', '述职报告')])}")
    return [QueryClass("grouped", [], "group=report, common words", grouped),
            QueryClass("browse", [], "/api/reports, filters and sort", browse),
            QueryClass("cursor-deep", [], "after= at the ~5,000th hit", deep),
            QueryClass("trend-3", [], "/api/trend with three queries", trends)]


def run_in_process(searcher, qclass: QueryClass, runs: int, budget: float) -> Timing:
    """Warm each query once, then cycle the class until ``runs`` timings or ``budget`` seconds."""
    timing = Timing()
    for q in qclass.queries:
        _search(searcher, q)
    deadline = time.perf_counter() + budget
    i = 0
    while i < runs and time.perf_counter() < deadline and qclass.queries:
        q = qclass.queries[i % len(qclass.queries)]
        t = time.perf_counter()
        try:
            total = _search(searcher, q)
        except Exception as exc:  # noqa: BLE001 - a failing query is a finding, not a crash of the bench
            timing.errors.append(f"{q.label()}: {type(exc).__name__}: {exc}")
            i += 1
            continue
        timing.seconds.append(time.perf_counter() - t)
        timing.totals.append(total)
        i += 1
    return timing


def _search(searcher, q: Query) -> int:
    result = searcher.search(q.text, sections=q.sections, years=q.years, kinds=q.kinds, limit=10)
    return result.total
