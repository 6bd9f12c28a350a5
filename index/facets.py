"""Facet data held warm in memory, by passage id: section type, year, kind, and who wrote the report
(role, level, region); plus what grouping, trends and hiding boilerplate need (report, length, reuse).

Loaded once from SQLite and extended as the archive grows (passages are
append-only), so filtering and counting a result set of any size is a few
numpy operations instead of a query per request. When stored reports change
in place (a correction, a reclassification) the store's ``facets_generation``
moves and the table loads again; when new reports reuse passages already
loaded, ``reused.generation`` moves and only the reuse counts are read again
(15 ms at 10,000 reports, where loading everything takes 2-3 s).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from archive import reused
from archive.authorship import LEVELS, REGIONS, ROLES
from archive.model import KINDS, SECTION_TYPES
from archive.store import Store

from .api import FACET_NAMES, UNKNOWN_YEAR

SECTION_KEYS = tuple(SECTION_TYPES)
#: Facets whose values are coded through a vocabulary (code 0: none), in display order.
CODED = {"section_type": SECTION_KEYS, "kind": KINDS, "role": ROLES, "level": LEVELS, "region": REGIONS}


@dataclass
class FacetTable:
    top: int = 0  # largest passage id loaded
    #: One code array per coded facet (see ``values``), and the year itself (0: not known).
    codes: dict[str, np.ndarray] = field(default_factory=lambda: {f: np.zeros(1, np.uint16) for f in CODED})
    year: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int16))
    #: The report a passage belongs to, as the report's row number: hits group and count by it.
    report: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int32))
    #: Characters in each passage: how much text a year holds, to normalise counts by it (trends).
    chars: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int32))
    #: Other reports holding each passage (or a near-identical one): what hiding boilerplate filters on.
    reused: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int32))
    #: Paragraphs found only in a near copy: searched, but not the report's text again (trends leave them out,
    #: and their characters are not counted in a year's text).
    copied: np.ndarray = field(default_factory=lambda: np.zeros(1, bool))
    #: The same codes and year per report (by report row number) for the facets a report has one value of:
    #: a result set is counted by report first (one pass over its passages), then each such facet from
    #: those few thousand counts, instead of a pass over every hit per facet.
    report_codes: dict[str, np.ndarray] = field(
        default_factory=lambda: {f: np.zeros(1, np.uint16) for f in CODED if f != "section_type"})
    report_year: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int16))
    #: Each coded facet's values by code - 1: its vocabulary, then any value met that it lacks.
    values: dict[str, list[str]] = field(default_factory=lambda: {f: list(v) for f, v in CODED.items()})
    generation: int = 0  # the store's facets_generation these arrays were loaded at
    reuse_generation: int = 0  # reused.generation the reuse counts were read at

    @property
    def section(self) -> np.ndarray:
        return self.codes["section_type"]

    def refresh(self, store: Store) -> None:
        """Load the passages added since the last refresh; everything again when stored reports were
        corrected or reclassified in place (their year, kind or section types moved); every reuse count
        again, and nothing else, when new reports reuse passages already loaded."""
        generation = store.facets_generation()
        if generation != self.generation:
            fresh = FacetTable()
            fresh.generation = generation
            self.__dict__.update(fresh.__dict__)
        reuse_generation = reused.generation(store)  # before the counts: a change after them is seen next time
        top = max(store.max_passage_id(), self.top)
        if top > self.top:
            self._load(store, top)
        if reuse_generation != self.reuse_generation:
            counts = np.zeros_like(self.reused)  # a new array: a reader holding the old one sees it whole
            for pid, others in reused.counts(store, 0, top):
                counts[pid] = others
            self.reused = counts
            self.reuse_generation = reuse_generation
        elif top > self.top:
            for pid, others in reused.counts(store, self.top, top):
                self.reused[pid] = others
        self.top = top

    def _load(self, store: Store, top: int) -> None:
        """The facets of the passages with ids in (self.top, top], in arrays grown to hold them."""
        rows = store.facet_rows(self.top, top)
        size = top + 1
        for facet, old in list(self.codes.items()):
            self.codes[facet] = _grown(old, size)
        for name in ("year", "report", "chars", "reused", "copied"):
            setattr(self, name, _grown(getattr(self, name), size))
        reports = max((row[4] for row in rows), default=0) + 1
        if reports > len(self.report_year):
            self.report_year = _grown(self.report_year, reports)
            for facet, old in list(self.report_codes.items()):
                self.report_codes[facet] = _grown(old, reports)
        lookups = {f: {v: i + 1 for i, v in enumerate(vals)} for f, vals in self.values.items()}
        for pid, stype, year, kind, report, chars, role, level, region, copy_id in rows:
            for facet, value in (("section_type", stype if stype in lookups["section_type"] else "other"),
                                 ("kind", kind), ("role", role), ("level", level), ("region", region)):
                if value is None:
                    continue
                code = lookups[facet].get(value)
                if code is None:  # a value outside the vocabulary (an older archive's): counted all the same
                    self.values[facet].append(value)
                    code = lookups[facet][value] = len(self.values[facet])
                self.codes[facet][pid] = code
                if facet != "section_type":
                    self.report_codes[facet][report] = code
            self.report_year[report] = year
            self.year[pid] = year
            self.report[pid] = report
            self.chars[pid] = 0 if copy_id else chars
            self.copied[pid] = bool(copy_id)

    def mask(self, ids: np.ndarray, filters: dict[str, tuple]) -> np.ndarray:
        """Which ids have facets among the wanted values (OR within a facet, AND across). ``filters``:
        facet name → wanted values (``FACET_NAMES``; years as strings, ``unknown`` for none).

        A mask, not the kept ids: the caller keeps the scores aligned without
        looking the ids up again (``np.isin`` over ids sorts them).
        """
        keep = ids <= self.top  # a passage committed after the last refresh has no facets yet
        if not any(filters.values()):
            return keep
        safe = np.where(keep, ids, 0)
        for facet, wanted in filters.items():
            if not wanted:
                continue
            if facet == "year":
                keep &= np.isin(self.year[safe], [0 if y == UNKNOWN_YEAR else int(y) for y in wanted])
            else:
                codes = [self.values[facet].index(v) + 1 for v in wanted if v in self.values[facet]]
                keep &= np.isin(self.codes[facet][safe], codes)
        return keep

    def per_report(self, ids: np.ndarray) -> np.ndarray:
        """How many of the passages each report holds, by report row number: one pass over the passages
        that ``counts`` and ``report_count`` can share."""
        return np.bincount(self.report[ids], minlength=len(self.report_year))

    def counts(self, ids: np.ndarray, per_report: np.ndarray | None = None) -> dict[str, dict[str, int]]:
        """Passage counts over the whole result set, in display order (years newest first, unknown last).

        Section types are counted over the passages; the facets a report has one value of (year, kind,
        who wrote it) over the passages per report, weighted (at 10k reports a common word's 277k hits
        took 6 passes, 4 ms; now 2)."""
        per = self.per_report(ids) if per_report is None else per_report
        return self._counted(np.bincount(self.section[ids], minlength=len(self.values["section_type"]) + 1), per)

    def _counted(self, by_section: np.ndarray, per: np.ndarray) -> dict[str, dict[str, int]]:
        """Facet counts from a count per section code and a weight per report (passages, or 1 a report)."""
        out: dict[str, dict[str, int]] = {}
        for facet in FACET_NAMES:
            if facet == "year":
                # A count per possible year rather than np.unique: no sort.
                by_year = np.bincount(self.report_year[: len(per)], weights=per, minlength=1).astype(np.int64)
                present = np.flatnonzero(by_year)
                items = sorted(zip(present.tolist(), by_year[present].tolist()), key=lambda kv: (kv[0] == 0, -kv[0]))
                out["year"] = {(str(y) if y else UNKNOWN_YEAR): int(c) for y, c in items}
                continue
            if facet == "section_type":
                n = by_section
            else:
                n = np.bincount(self.report_codes[facet][: len(per)], weights=per,
                                minlength=len(self.values[facet]) + 1).astype(np.int64)
            out[facet] = {v: int(n[i + 1]) for i, v in enumerate(self.values[facet]) if i + 1 < len(n) and n[i + 1]}
        return out

    def report_count(self, ids: np.ndarray, per_report: np.ndarray | None = None) -> int:
        """How many distinct reports the passages belong to (a count per report number: no sort)."""
        if not len(ids):
            return 0
        return int(np.count_nonzero(self.per_report(ids) if per_report is None else per_report))

    def report_counts(self, ids: np.ndarray) -> dict[str, dict[str, int]]:
        """Facet counts of the reports the passages belong to: a report counts once per value it has
        among them (once for its year, kind and author; once for each section type it has a hit in).
        Counted per report number and per (report, section type) cell, without sorting the passages."""
        if not len(ids):
            return {facet: {} for facet in FACET_NAMES}
        reports = self.report[ids].astype(np.int64)
        width = len(self.values["section_type"]) + 1
        cells = np.bincount(reports * width + self.section[ids], minlength=len(self.report_year) * width)
        cells = cells.reshape(-1, width)
        by_section = np.count_nonzero(cells, axis=0)
        return self._counted(by_section, cells.any(axis=1).astype(np.int64))

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


def _grown(old: np.ndarray, size: int) -> np.ndarray:
    grown = np.zeros(size, old.dtype)
    grown[: len(old)] = old
    return grown
