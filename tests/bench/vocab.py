"""The genre vocabulary the generator recombines, read from the project itself.

First choice: the word lists in ``tests/fixtures/vocab`` (``roles.txt``,
``places.txt``, ``headings_<type>.txt``, ``sentences_<type>.txt``; one item a
line, ``#`` comments). When they are absent, the sample reports in
``import/`` stand in: the project's own parser types their headings and
passages, so sentences still come from real report text. The benchmark never
reads ``../shared``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VOCAB_DIR = ROOT / "tests" / "fixtures" / "vocab"
SAMPLES_DIR = ROOT / "import"

#: The typed sections a report body is built from, in the order reports use them.
BODY_TYPES = ("political", "performance", "party_building", "supervision", "integrity", "problems", "plans")

_NUMBERING = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+\s*[、．.]|[（(]\s*[一二三四五六七八九十\d]+\s*[)）]|\d{1,2}\s*[.、．]|第[一二三四五六七八九十]+部分)\s*"
)
_SENTENCE = re.compile(r"[^。！？；]*[。！？；]")
_ENUM_LEAD = re.compile(r"^[一二三四五六七八九十]是")
_HEADING_STOP = re.compile(r"[。：:；]")
_SENTENCE_END = "。！？；"


class VocabularyMissing(RuntimeError):
    """Neither the word lists nor the sample reports are there yet."""


@dataclass
class Vocab:
    """Word lists by role: what each part of a generated report is drawn from."""

    roles: list[str]
    places: list[str]
    headings: dict[str, list[str]]
    sentences: dict[str, list[str]]
    source: str
    extra: dict[str, list[str]] = field(default_factory=dict)  # any other list (openings, closings …)
    digest: str = ""  # changes whenever a list changes: part of the corpus cache key

    def sentences_for(self, stype: str) -> list[str]:
        """A type's sentences, falling back on every sentence when a list is missing or tiny."""
        own = self.sentences.get(stype) or []
        return own if len(own) >= 5 else own + self.all_sentences()

    def all_sentences(self) -> list[str]:
        return [s for key in sorted(self.sentences) for s in self.sentences[key]]

    def headings_for(self, stype: str) -> list[str]:
        return self.headings.get(stype) or [stype]


def _shown(folder: Path) -> str:
    return str(folder.relative_to(ROOT)) if folder.is_relative_to(ROOT) else str(folder)


def _lines(path: Path) -> list[str]:
    out = []
    for raw in path.read_text(encoding="utf-8-sig").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def strip_numbering(heading: str) -> str:
    """'一、加强理论学习' → '加强理论学习': the generator numbers headings itself."""
    return _NUMBERING.sub("", heading).strip()


def as_sentence(text: str) -> str:
    """A whole sentence ending in 。 (an enumeration's 一是… and its ； are the composer's to add)."""
    text = _ENUM_LEAD.sub("", text.strip())
    if text.endswith("；"):
        text = text[:-1] + "。"
    return text if text and text[-1] in _SENTENCE_END else text + "。"


def _unique(items) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def from_word_lists(folder: Path) -> Vocab:
    """The word lists kept in tests/fixtures/vocab."""
    headings: dict[str, list[str]] = {}
    sentences: dict[str, list[str]] = {}
    extra: dict[str, list[str]] = {}
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.txt")):
        items = _lines(path)
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        name = path.stem
        if name.startswith("headings_"):
            headings[name[len("headings_"):]] = _unique(strip_numbering(x) for x in items)
        elif name.startswith("sentences_"):
            sentences[name[len("sentences_"):]] = _unique(as_sentence(x) for x in items)
        else:
            extra[name] = items
    roles, places = extra.pop("roles", []), extra.pop("places", [])
    if not (roles and places and sentences and headings):
        raise VocabularyMissing(f"{folder}: roles.txt, places.txt, headings_*.txt and sentences_*.txt are needed")
    return Vocab(roles, places, headings, sentences, source=_shown(folder), extra=extra,
                 digest=digest.hexdigest()[:16])


def from_samples(folder: Path) -> Vocab:
    """Headings and sentences of the sample reports, typed by the project's own parser."""
    SUFFIXES = (".txt", ".md")  # the text samples: Word and PDF samples repeat them
    from archive.structure import parse
    from archive.text import clean, decode

    headings: dict[str, list[str]] = {}
    sentences: dict[str, list[str]] = {}
    titles: list[str] = []
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()):
        data = path.read_bytes()
        digest.update(data)
        try:
            report = parse(clean(decode(data).text), path.name)
        except Exception:  # noqa: BLE001 - a sample the parser rejects is simply not used
            continue
        titles.append(report.title)
        for p in report.passages:
            if p.is_heading:
                head = _HEADING_STOP.split(strip_numbering(p.text), 1)[0]
                if 4 <= len(head) <= 30:
                    headings.setdefault(p.section_type, []).append(head)
                rest = p.text[len(p.text.split("。", 1)[0]) + 1:]
                if p.section_type in BODY_TYPES and rest:
                    sentences.setdefault(p.section_type, []).extend(
                        as_sentence(s) for s in _SENTENCE.findall(rest) if 8 <= len(s) <= 120)
            elif p.section_type in BODY_TYPES or p.section_type in ("preamble", "closing"):
                sentences.setdefault(p.section_type, []).extend(
                    as_sentence(s) for s in _SENTENCE.findall(p.text) if 8 <= len(s) <= 120)
    if not sentences:
        raise VocabularyMissing(f"no word lists in {VOCAB_DIR} and no sample reports in {folder}")
    headings = {k: _unique(v) for k, v in headings.items()}
    sentences = {k: _unique(v) for k, v in sentences.items()}
    roles = sorted({t for t in (re.sub(r"^.*?年度?|述职.*|述廉.*|工作总结.*|政府工作报告.*", "", t) for t in titles)
                    if 2 <= len(t) <= 16}) or ["县委书记"]
    return Vocab(roles, ["某县"], headings, sentences, source=_shown(folder),
                 digest=digest.hexdigest()[:16])


def load(folder: Path | None = None) -> Vocab:
    """The word lists when present, else the samples; raises VocabularyMissing when neither is."""
    folder = folder or VOCAB_DIR
    if folder.is_dir() and any(folder.glob("sentences_*.txt")):
        return from_word_lists(folder)
    if folder != VOCAB_DIR:
        raise VocabularyMissing(f"no sentences_*.txt in {folder}")
    return from_samples(SAMPLES_DIR)
