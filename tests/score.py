"""Score an import of the samples in import/ against their truth (tests/fixtures/samples_truth.json).

    .venv/bin/python -m tests.score          (or: make score)

Imports every sample into a temporary archive with the real importer and
prints, over all reports the truth describes: title, year (where the text
states one), kind, top-level heading recall, section-type accuracy of the
headings found, and the share of site lines that survived the import.
"""

from __future__ import annotations

import json
import re
import sqlite3
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from archive.importer import Importer
from archive.store import Store

ROOT = Path(__file__).resolve().parent.parent
TRUTH = ROOT / "tests" / "fixtures" / "samples_truth.json"
TARGETS = {"title": 0.95, "year": 0.95, "kind": 0.95, "heading_recall": 0.95, "section_type": 0.90}
CHROME_LEFT_MAX = 0.02
_NUMBER = re.compile(r"^(?:[一二三四五六七八九十]+[、．.]|[（(][一二三四五六七八九十]+[)）]|\d{1,2}[.、．])\s*")


def bare(heading: str) -> str:
    """A heading without its number and trailing stop, for matching (Word may print the number itself)."""
    return _NUMBER.sub("", heading).rstrip("。.：: ")


@dataclass
class Score:
    counts: dict[str, list[int]] = field(default_factory=lambda: {k: [0, 0] for k in (*TARGETS, "chrome_left")})
    misses: list[str] = field(default_factory=list)

    def add(self, key: str, ok: bool, what: str) -> None:
        self.counts[key][0] += ok
        self.counts[key][1] += 1
        if not ok and key != "chrome_left" or ok and key == "chrome_left":
            self.misses.append(f"{key}: {what}")

    def ratio(self, key: str) -> float:
        good, total = self.counts[key]
        return good / total if total else 1.0

    def passed(self) -> bool:
        return all(self.ratio(k) >= v for k, v in TARGETS.items()) and self.ratio("chrome_left") <= CHROME_LEFT_MAX

    def table(self) -> str:
        rows = []
        for key in (*TARGETS, "chrome_left"):
            good, total = self.counts[key]
            target = f"≤ {CHROME_LEFT_MAX:.0%}" if key == "chrome_left" else f"≥ {TARGETS[key]:.0%}"
            rows.append(f"{key:<15} {good:>4}/{total:<4} {self.ratio(key):7.1%}   target {target}")
        return "\n".join(rows)


def import_samples(samples: Path, data: Path) -> dict:
    store = Store(data)
    try:
        return Importer(store).run([str(samples)]).as_json()
    finally:
        store.close()


def score(samples: Path, data: Path, truth: dict | None = None) -> tuple[Score, dict]:
    """Import ``samples`` into ``data`` and compare each described report with its truth."""
    truth = truth if truth is not None else json.loads(TRUTH.read_text(encoding="utf-8"))
    summary = import_samples(samples, data)
    db = sqlite3.connect(data / "archive.db")
    result = Score()
    for name, reports in truth.items():
        for t in reports:
            suffix = f"#{t['part']}" if t["part"] else ""
            row = db.execute("SELECT r.report_id, r.title, r.year, r.kind FROM copies c JOIN reports r USING (report_id) "
                             "WHERE c.path LIKE ? ORDER BY c.id LIMIT 1", (f"%/{name}{suffix}",)).fetchone()
            label = name + suffix
            if row is None:
                for key in TARGETS:
                    result.add(key, False, f"{label}: not imported")
                continue
            rid, title, year, kind = row
            result.add("title", title == t["title"], f"{label}: {title!r} ≠ {t['title']!r}")
            if t["year"] is not None:
                result.add("year", year == t["year"], f"{label}: {year} ≠ {t['year']}")
            result.add("kind", kind == t["kind"], f"{label}: {kind} ≠ {t['kind']}")
            found = {bare(h): st for h, st in db.execute(
                "SELECT heading, section_type FROM sections WHERE report_id = ? AND level = 1", (rid,))}
            for heading, stype in t["headings"]:
                got = found.get(bare(heading))
                result.add("heading_recall", got is not None, f"{label}: heading {heading!r} not found")
                if got is not None:
                    result.add("section_type", got == stype, f"{label}: {heading!r} typed {got}, not {stype}")
            texts = [title] + [p for (p,) in db.execute("SELECT text FROM passages WHERE report_id = ?", (rid,))]
            for line in t["gone"]:
                left = any(line in text for text in texts)
                result.add("chrome_left", left, f"{label}: {line!r} survived")
    return result, summary


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="archive-score-") as tmp:
        result, summary = score(ROOT / "import", Path(tmp) / "data")
    print(f"samples: {len(summary['added'])} added, {len(summary['duplicates'])} duplicates, "
          f"{len(summary['failed'])} failed, {len(summary['skipped'])} skipped")
    for f in summary["failed"]:
        print(f"  failed: {f['path']}: {f['error']}")
    print(result.table())
    for miss in result.misses:
        print("  " + miss)
    return 0 if result.passed() else 1


if __name__ == "__main__":
    sys.exit(main())
