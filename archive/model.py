"""The record: what a parsed report is made of, as plain frozen data."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Section-type keys (stable, used in URLs and JSON) and their Chinese labels.
SECTION_TYPES: dict[str, str] = {
    "preamble": "开篇",
    "political": "政治建设与理论学习",
    "performance": "履职尽责与工作成效",
    "party_building": "党建与队伍建设",
    "supervision": "民主集中与接受监督",
    "integrity": "廉洁自律与作风建设",
    "problems": "存在问题与不足",
    "plans": "下一步工作打算",
    "closing": "结束语",
    "other": "其他",
}

#: Kinds of report; the value is both the key and the label.
KINDS: tuple[str, ...] = ("述职报告", "述职述责述廉报告", "述廉报告", "工作总结", "政府工作报告", "其他")


@dataclass(frozen=True)
class Section:
    """A heading: its number in the report, level 1-3 and classified type."""

    section_no: int
    heading: str
    level: int
    section_type: str
    passage_no: int  # the passage that carries the heading line


@dataclass(frozen=True)
class Passage:
    """A paragraph: the unit a user finds and cites (``#p<passage_no>``)."""

    passage_no: int
    text: str
    section_type: str
    section_no: int | None = None  # innermost heading above or at this passage
    heading: str = ""
    is_heading: bool = False


@dataclass(frozen=True)
class ParsedReport:
    """A report as read from one file: metadata, sections and passages."""

    title: str
    year: int | None
    kind: str
    sections: tuple[Section, ...]
    passages: tuple[Passage, ...]
    text: str  # the cleaned text users read, one paragraph per line
    title_derived: bool = False

    @property
    def chars(self) -> int:
        return sum(len(p.text) for p in self.passages)


@dataclass(frozen=True)
class Decoded:
    """A file's text and how it was read."""

    text: str
    encoding: str
    replaced: int = 0  # undecodable bytes replaced by U+FFFD


@dataclass
class ImportSummary:
    """What one ``archive import`` run did, file by file."""

    added: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    #: Files whose path and bytes were imported before: nothing to do, and not "skipped" for a reason.
    unchanged: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "added": self.added,
            "duplicates": self.duplicates,
            "failed": self.failed,
            "skipped": self.skipped,
            "unchanged": self.unchanged,
        }
