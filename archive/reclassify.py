"""Stored reports re-read with today's rules: structure, section types, title, year and kind.

An archive imported before a classifier fix would otherwise keep the old
types for good. The stored text is parsed again (with the headings it had as
the outline, so a Word heading style still counts); where today's rules
split it into the same passages, their types, headings and the sections are
replaced and permalinks keep their numbers. A report that would split
differently is left as it is and named: re-importing its file would change
its passage numbers. Titles, years and kinds from a manifest or a
correction are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .store import Store
from .structure import parse


@dataclass
class Change:
    report_id: str
    title: str
    fields: dict[str, tuple] = field(default_factory=dict)  # field → (before, after)
    passages: int = 0  # passages whose section type or heading changed
    skipped: str = ""  # why the report was left as it is

    def as_json(self) -> dict:
        return {"report_id": self.report_id, "title": self.title,
                "fields": {k: {"before": a, "after": b} for k, (a, b) in self.fields.items()},
                "passages_changed": self.passages, "skipped": self.skipped or None}


def reclassify(store: Store, *, dry_run: bool = False) -> list[Change]:
    """Every report whose derived values would change, and what changed (written unless ``dry_run``)."""
    changes = []
    for (report_id,) in store.conn.execute("SELECT report_id FROM reports ORDER BY id").fetchall():
        change = _one(store, report_id, dry_run)
        if change is not None:
            changes.append(change)
    if changes and not dry_run:
        with store.transaction():
            store.bump_facets_generation()
    return changes


def _one(store: Store, report_id: str, dry_run: bool) -> Change | None:
    report = store.report(report_id)
    title_derived = store.conn.execute("SELECT title_derived FROM reports WHERE report_id = ?",
                                       (report_id,)).fetchone()[0]
    lines = [] if title_derived else [report["title"]]
    lines += [p["text"] for p in report["passages"]]
    outline = {s["heading"]: s["level"] for s in report["sections"]}
    today = parse("\n".join(lines), "", outline)
    fixed = set(report["provenance"])
    change = Change(report_id, report["title"])
    for name in ("title", "year", "kind"):
        if name in fixed or (name == "title" and title_derived):
            continue
        new = getattr(today, name)
        if new != report[name]:
            change.fields[name] = (report[name], new)
    if [p.text for p in today.passages] != [p["text"] for p in report["passages"]]:
        change.skipped = "today's rules split its text differently; re-import its file to re-read it"
        return change
    stored = {p["passage_no"]: p for p in report["passages"]}
    moved = [p for p in today.passages
             if (p.section_type, p.heading, p.is_heading) != (stored[p.passage_no]["section_type"],
                                                              stored[p.passage_no]["heading"],
                                                              stored[p.passage_no]["is_heading"])]
    change.passages = len(moved)
    if not change.fields and not moved:
        return None
    if not dry_run:
        with store.transaction():
            for name, (_, new) in change.fields.items():
                store.conn.execute(f"UPDATE reports SET {name} = ? WHERE report_id = ?", (new, report_id))
            store.note_edit(report_id)
            store.conn.execute("DELETE FROM sections WHERE report_id = ?", (report_id,))
            store.conn.executemany(
                "INSERT INTO sections (report_id, section_no, heading, level, section_type, passage_no) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(report_id, s.section_no, s.heading, s.level, s.section_type, s.passage_no) for s in today.sections])
            store.conn.execute("DELETE FROM report_types WHERE report_id = ?", (report_id,))
            store.conn.executemany("INSERT INTO report_types VALUES (?, ?)",
                                   [(t, report_id) for t in {p.section_type for p in today.passages}])
            store.conn.executemany(
                "UPDATE passages SET section_type = ?, heading = ?, section_no = ?, is_heading = ? "
                "WHERE report_id = ? AND copy_id = 0 AND passage_no = ?",
                [(p.section_type, p.heading, p.section_no, int(p.is_heading), report_id, p.passage_no)
                 for p in today.passages])
    return change
