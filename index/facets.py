"""Facet data held warm in memory: section type, year and kind by passage id.

Loaded once from SQLite and extended as the archive grows (passages are
append-only), so filtering and counting a result set of any size is a few
numpy operations instead of a query per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from archive.model import KINDS, SECTION_TYPES
from archive import reused
from archive.store import Store

from .api import UNKNOWN_YEAR

SECTION_KEYS = tuple(SECTION_TYPES)


@dataclass
class FacetTable:
    top: int = 0  # largest passage id loaded
    section: np.ndarray = field(default_factory=lambda: np.zeros(1, np.uint8))
    year: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int16))
    kind: np.ndarray = field(default_factory=lambda: np.zeros(1, np.uint8))
    #: The report a passage belongs to, as the report's row number: hits group and count by it.
    report: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int32))
    #: Characters in each passage: how much text a year holds, to normalise counts by it (trends).
    chars: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int32))
    #: Other reports holding each passage (or a near-identical one): what hiding boilerplate filters on.
    reused: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int32))
    kinds: list[str] = field(default_factory=lambda: list(KINDS))
    generation: int = 0  # the store's facets_generation these arrays were loaded at

    def refresh(self, store: Store) -> None:
        """Load the passages added since the last refresh; everything again when stored reports were
        corrected or reclassified in place (their year, kind or section types moved)."""
        generation = store.facets_generation()
        if generation != self.generation:
            fresh = FacetTable()
            fresh.generation = generation
            self.__dict__.update(fresh.__dict__)
        top = store.max_passage_id()
        if top <= self.top:
            return
        rows = store.facet_rows(self.top, top)
        size = top + 1
        for name in ("section", "year", "kind", "report", "chars", "reused"):
            old = getattr(self, name)
            grown = np.zeros(size, old.dtype)
            grown[: len(old)] = old
            setattr(self, name, grown)
        sec_code = {k: i + 1 for i, k in enumerate(SECTION_KEYS)}
        for pid, stype, year, kind, report, chars in rows:
            if kind not in self.kinds:
                self.kinds.append(kind)
            self.section[pid] = sec_code.get(stype, sec_code["other"])
            self.year[pid] = year
            self.kind[pid] = self.kinds.index(kind) + 1
            self.report[pid] = report
            self.chars[pid] = chars
        for pid, others in reused.counts(store, self.top, top):
            self.reused[pid] = others
        self.top = top

    def mask(self, ids: np.ndarray, sections=(), years=(), kinds=()) -> np.ndarray:
        """Which ids have facets among the wanted values (OR within a facet, AND across).

        A mask, not the kept ids: the caller keeps the scores aligned without
        looking the ids up again (``np.isin`` over ids sorts them).
        """
        keep = ids <= self.top  # a passage committed after the last refresh has no facets yet
        if not (sections or years or kinds):
            return keep
        safe = np.where(keep, ids, 0)
        if sections:
            keep &= np.isin(self.section[safe], [SECTION_KEYS.index(s) + 1 for s in sections])
        if years:
            keep &= np.isin(self.year[safe], [0 if y == UNKNOWN_YEAR else int(y) for y in years])
        if kinds:
            keep &= np.isin(self.kind[safe], [self.kinds.index(k) + 1 for k in kinds if k in self.kinds])
        return keep

    def counts(self, ids: np.ndarray) -> dict[str, dict[str, int]]:
        """Counts over the whole result set, in display order."""
        sec = np.bincount(self.section[ids], minlength=len(SECTION_KEYS) + 1)
        kinds = np.bincount(self.kind[ids], minlength=len(self.kinds) + 1)
        # A count per possible year rather than np.unique: no sort, which was a fifth of a common word's query.
        by_year = np.bincount(self.year[ids], minlength=1)
        present = np.flatnonzero(by_year)
        year_items = sorted(zip(present.tolist(), by_year[present].tolist()), key=lambda kv: (kv[0] == 0, -kv[0]))
        return {
            "section_type": {k: int(sec[i + 1]) for i, k in enumerate(SECTION_KEYS) if sec[i + 1]},
            "year": {(str(y) if y else UNKNOWN_YEAR): int(c) for y, c in year_items},
            "kind": {k: int(kinds[i + 1]) for i, k in enumerate(self.kinds) if kinds[i + 1]},
        }

    def report_count(self, ids: np.ndarray) -> int:
        """How many distinct reports the passages belong to (a count per report number: no sort)."""
        return int(np.count_nonzero(np.bincount(self.report[ids]))) if len(ids) else 0

    def report_counts(self, ids: np.ndarray) -> dict[str, dict[str, int]]:
        """Facet counts of the reports the passages belong to: a report counts once per value it has
        among them (once for its year and kind; once for each section type it has a hit in)."""
        if not len(ids):
            return {"section_type": {}, "year": {}, "kind": {}}
        reports = self.report[ids]
        _, first = np.unique(reports, return_index=True)
        one = ids[first]  # one passage per report carries its year and kind
        pairs = np.unique(reports.astype(np.int64) * 16 + self.section[ids])
        by_section = np.bincount((pairs % 16).astype(np.int64), minlength=len(SECTION_KEYS) + 1)
        counts = self.counts(one)
        counts["section_type"] = {k: int(by_section[i + 1]) for i, k in enumerate(SECTION_KEYS) if by_section[i + 1]}
        return counts

    def by_year(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(years, passages, reports) per known year among the passages: counts a trend draws."""
        if not len(ids):
            return (np.empty(0, np.int64),) * 3
        years = self.year[ids].astype(np.int64)
        passages = np.bincount(years)
        _, first = np.unique(self.report[ids], return_index=True)
        reports = np.bincount(years[first], minlength=len(passages))
        known = np.flatnonzero(passages)
        known = known[known > 0]  # year 0: not known, not on a time axis
        return known, passages[known], reports[known]

    def chars_by_year(self, ids: np.ndarray) -> dict[int, int]:
        """Characters of text per known year among the passages (the denominator of a trend)."""
        if not len(ids):
            return {}
        totals = np.bincount(self.year[ids].astype(np.int64), weights=self.chars[ids])
        return {int(y): int(totals[y]) for y in np.flatnonzero(totals) if y > 0}
