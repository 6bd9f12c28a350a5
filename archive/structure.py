"""Clean text to a ParsedReport: title, year, kind, headings and passages."""

from __future__ import annotations

import re

from .classify import classify, classify_body, classify_heading, dominant, speaks_of_problems
from .model import ParsedReport, Passage, Section
from .text import fold

_CN_NUM = "一二三四五六七八九十百零〇"
_LEVELS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(rf"^(?:[{_CN_NUM}]+\s*[、．.]|第[{_CN_NUM}]+(?:部分|章|篇)\s*)")),
    (2, re.compile(rf"^[（(]\s*[{_CN_NUM}]+\s*[)）]")),
    (3, re.compile(r"^(?:\d{1,2}\s*[.、．](?!\d)|[（(]\d{1,2}[)）]|[①-⑳])")),
)
_SENTENCE_STOP = re.compile(r"[。！？!?：:]")
_YEAR = re.compile(r"(?<![\d.])(19[4-9]\d|20[0-4]\d)(?![\d.])")
_OPENING_YEAR = re.compile(r"(?m)^(19[4-9]\d|20[0-4]\d)年[，,是以]|(?<![\d.至到])(19[4-9]\d|20[0-4]\d)年度?(?:工作|述职|以来)")
_REVIEW_HEADING = re.compile(r"^[一二三四五六七八九十]+[、．.]\s*(19[4-9]\d|20[0-4]\d)年(?:工作)?回顾")
_MASKED_YEAR = re.compile(r"(?:[*＊xX某Ｘ×]{1,4}|[Xx]{2,4})\s*年")
_SALUTATION = re.compile(r"^(?:尊敬的)?[^。，]{0,30}(?:主任|委员|领导|同志们|代表|各位)[^。]{0,20}[：:！!]$")
_CLOSING = re.compile(
    r"(?:以上(?:报告|述职|汇报|是我)|请予(?:审议|评议)|不妥之处|批评指正|敬请|谢谢(?:大家)?[。！!]?$|让我们|"
    r"述职完毕|报告完毕|汇报完毕|^(?:尊敬的)?[^。，]{0,20}(?:主任|委员|领导|同志们|代表)[，,！!]|^[^。]{0,20}[(（]?\d{4}年\d{1,2}月\d{1,2}日[)）]?$)"
)
_LAST_WORDS = re.compile(r"^(?:一年来|回顾|总之|总的来看|总而言之)[^。]{0,40}(?:成绩|工作)")
_TITLE_CUE = re.compile(r"报告|总结|述职|述廉|讲话|汇报|发言")

#: (cue, kind): first match wins; the order is from the most to the least specific.
_KIND_CUES: tuple[tuple[str, str], ...] = (
    ("述职述责述廉", "述职述责述廉报告"),
    ("述职述廉", "述职述责述廉报告"),
    ("述责述廉", "述职述责述廉报告"),
    ("述廉", "述廉报告"),
    ("述职", "述职报告"),
    ("政府工作报告", "政府工作报告"),
    ("报告政府工作", "政府工作报告"),
    ("向大会报告工作", "政府工作报告"),
    ("工作总结", "工作总结"),
    ("总结如下", "工作总结"),
    ("年度总结", "工作总结"),
    ("任职", "述职报告"),  # 任职报告 / 任职期间工作报告: an account of one's term, as a 述职 is
    ("履职报告", "述职报告"),
    ("汇报", "工作总结"),  # 工作汇报: a summary of work reported upwards
    ("总结", "工作总结"),
)


def heading_level(line: str) -> int | None:
    """1 for 一、, 2 for （一）, 3 for 1. / 1、 / （1）; None for a paragraph."""
    for level, pattern in _LEVELS:
        if pattern.match(line):
            return level
    return None


def heading_text(line: str) -> str:
    """A heading line often runs on into its body: keep its first sentence."""
    m = _SENTENCE_STOP.search(line, 0, 61)
    if m and line[m.end():].strip():
        return line[: m.start()]
    if len(line) <= 60:
        return line
    return line[:40] + "…"


def _is_unnumbered_heading(lines: list[str], i: int) -> bool:
    """A short phrase on its own line before a long paragraph (过去五年的回顾)."""
    line = lines[i]
    return (
        4 <= len(line) <= 20
        and not re.search(r"[，。、；：！？,.;:!?\"“”（）()]", line)
        and i + 1 < len(lines)
        and len(lines[i + 1]) > 40
        and not _CLOSING.search(line)
    )


def find_year(title: str, filename: str, opening: str, headings: list[str] = ()) -> int | None:
    """Title first; a masked title year (**年) means unknown; then file name, then the text.

    In the text only strong cues count: a paragraph that opens with the year
    (2023年，在市委…), "2023年度"/"2023年工作", or a government report's
    "2025年工作回顾" heading, which dates the report to the year after.
    """
    if title:
        m = _YEAR.search(title)
        if m:
            return int(m.group(1))
        if _MASKED_YEAR.search(title):
            return None
    m = re.search(r"(?<!\d)(19[4-9]\d|20[0-4]\d)(?!\d)", filename)
    if m:
        return int(m.group(1))
    for h in headings:
        m = _REVIEW_HEADING.search(h)
        if m:
            return int(m.group(1)) + 1
    m = _OPENING_YEAR.search(opening)
    if m:
        return int(m.group(1) or m.group(2))
    return None


def find_kind(title: str, opening: str) -> str:
    for text in (title, opening):
        if not text:
            continue
        if "决议" in text[:60] or "听取和审议" in text or "听取并审议" in text:
            return "其他"
        if "述职" in text[:60] and "述廉" in text[:60]:  # 述职述德述廉报告, 述学述职述廉述法
            return "述职述责述廉报告"
        for cue, kind in _KIND_CUES:
            if cue in text:
                return kind
        if _GOVERNMENT_SPEAKS.search(text):
            return "政府工作报告"
    return "其他"


#: 我代表国务院，向大会报告…工作 / 代表市人民政府向大会作…报告: a government reporting to its congress.
_GOVERNMENT_SPEAKS = re.compile(r"代表(?:中华人民共和国)?(?:国务院|[^，。；]{0,12}人民政府)[，,]?\s*向[^。]{0,30}(?:大会|会议)[^。]{0,40}报告")


def _short_line(line: str) -> bool:
    return len(line) <= 50 and not heading_level(line) and line[-1] not in "。：:；;，," and not _SALUTATION.match(line)


def title_start(lines: list[str]) -> int:
    """Where the report's own title is among short leading lines (a site's page title and category come first).

    The last short line with a title cue before the body wins; 汇报材料 or a
    page title above it is the site's, not the report's.
    """
    k = 0
    while k < min(len(lines) - 1, 4) and _short_line(lines[k]):
        k += 1
    site = 0  # leading page titles and site categories (…范文（精选6篇）, 汇报材料): never the report's title
    while site < k and _PAGE_TITLE.search(lines[site]):
        site += 1
    if k < 2:
        return site
    cued = [i for i in range(k) if _TITLE_CUE.search(fold(lines[i])) and not _PAGE_TITLE.search(lines[i])]
    if not cued:
        return site
    # A subtitle (——在…会议上) or an author line after the title stays with the body.
    return cued[-1] if not lines[cued[-1]].startswith(("—", "-", "─")) else cued[0]


_PAGE_TITLE = re.compile(r"范文|精选|合集|大全|汇编|[(（]\d+篇[)）]|\d+篇$|^(?:汇报材料|述职报告范文|工作总结范文|心得体会)$")
_DATE_LINE = re.compile(r"(19[4-9]\d|20[0-4]\d|[一二][〇零○九][〇零○一二三四五六七八九]{2})\s*年\s*"
                        r"(\d{1,2}|十[一二]?|[一二三四五六七八九])\s*月(?:\s*[\d一二三四五六七八九十]{1,3}\s*日)?\s*$")
_CN_DIGIT = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0", "○": "0"}


def _number(text: str) -> int:
    """2023, 二〇二三 → 2023; 12, 十二 → 12."""
    if text.isdigit():
        return int(text)
    if text.startswith("十"):
        return 10 + (int(_CN_DIGIT[text[1]]) if len(text) > 1 else 0)
    return int("".join(_CN_DIGIT[c] for c in text))
_YEAR_CUE = re.compile(r"(?<![\d.])(19[4-9]\d|20[0-4]\d)年度?(?:[，,]|以来|工作|全年|期间|述职|上半年|下半年|初|底)")


def year_in_body(lines: list[str]) -> int | None:
    """A year the text itself gives: the closing date line (January or February dates the year before), else a
    year the body names as its period (2023年以来, 2023年工作…) clearly more often than any other."""
    for line in lines[-3:]:
        m = _DATE_LINE.search(line)
        if m and len(line) <= 40:
            year, month = _number(m.group(1)), _number(m.group(2))
            return year - 1 if month <= 2 else year
    counts: dict[int, int] = {}
    for line in lines:
        for m in _YEAR_CUE.finditer(line):
            counts[int(m.group(1))] = counts.get(int(m.group(1)), 0) + 1
    if not counts:
        return None
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    best, n = ranked[0]
    runner = ranked[1][1] if len(ranked) > 1 else 0
    return best if n >= 2 and n >= 2 * runner else None


def _looks_like_title(lines: list[str]) -> bool:
    first = lines[0]
    if len(first) > 50 or heading_level(first) or first[-1] in "。：:；;，,":
        return False
    if _SALUTATION.match(first):
        return False
    return bool(_TITLE_CUE.search(fold(first))) or (len(lines) > 1 and len(first) <= 30 and len(lines[1]) > len(first))


def parse(text: str, filename: str = "", outline: dict[str, int] | None = None) -> ParsedReport:
    """Split clean text (one paragraph per line) into a report.

    ``outline`` maps lines the document itself marks as headings (Word heading
    styles, outline levels) to their level; numbered headings need no mark.
    """
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if not lines:
        return ParsedReport("（无标题）", None, "其他", (), (), text, title_derived=True)
    title = ""
    if _looks_like_title(lines):
        title, lines = lines[0], lines[1:]
    if not lines:
        return ParsedReport(title or "（无标题）", None, "其他", (), (), text, title_derived=not title)
    opening = "\n".join(lines[:3])[:600]
    kind = find_kind(fold(title), fold(opening + "\n" + "\n".join(lines[-2:])))
    reviews = [ln for ln in lines if kind == "政府工作报告" and heading_level(ln) == 1]
    year = find_year(title, filename, opening, reviews) or year_in_body(lines)
    title_derived = not title
    if not title:
        title = _derive_title(lines, year, kind)

    levels = [heading_level(ln) or (outline or {}).get(ln) for ln in lines]
    _unlist(lines, levels)
    for i in range(1, len(lines)):
        if levels[i] is None and _is_unnumbered_heading(lines, i) and any(levels):
            levels[i] = 1
    sections, owner = _sections(lines, levels, kind, year)
    passages = _passages(lines, levels, sections, owner)
    return ParsedReport(title, year, kind, tuple(sections), tuple(passages), "\n".join(lines), title_derived)


def _unlist(lines: list[str], levels: list[int | None]) -> None:
    """A preamble list (重点抓了五件事：一、抓学习；二、抓项目；…) is not an outline: its items stay paragraphs.

    A run of three or more top-level items with no paragraph between them is a
    list when its items end like list items (；，) or the numbering starts again
    at 一 after it.
    """
    i = 0
    while i < len(lines):
        if levels[i] != 1:
            i += 1
            continue
        j = i
        while j + 1 < len(lines) and levels[j + 1] == 1 and not re.match(r"^一\s*[、．.]", lines[j + 1]):
            j += 1
        run = lines[i:j + 1]
        if len(run) >= 3:
            listy = sum(ln[-1] in "；;，," for ln in run) >= len(run) - 1
            restart = any(levels[k] == 1 and re.match(r"^一\s*[、．.]", lines[k]) for k in range(j + 1, len(lines)))
            if listy or (restart and re.match(r"^一\s*[、．.]", run[0])):
                for k in range(i, j + 1):
                    levels[k] = None
        i = j + 1


def _derive_title(lines: list[str], year: int | None, kind: str) -> str:
    body = next((ln for ln in lines if not _SALUTATION.match(ln)), lines[0])
    lead = body[:24] + ("…" if len(body) > 24 else "")
    name = (f"{year}年" if year else "") + (kind if kind != "其他" else "报告")
    return f"{name}（{lead}）"


def _sections(lines: list[str], levels: list[int | None], kind: str, year: int | None):
    """Sections with types; owner[i] is the section_no innermost over line i."""
    heads = [i for i, lv in enumerate(levels) if lv]
    sections: list[Section] = []
    owner: list[int | None] = [None] * len(lines)
    stack: list[tuple[int, int, str]] = []  # (level, section_no, type)
    for n, i in enumerate(heads, start=1):
        level = levels[i]
        assert level is not None
        while stack and stack[-1][0] >= level:
            stack.pop()
        end = next((j for j in heads[n:] if (levels[j] or 9) <= level), len(lines))
        body = "\n".join(lines[i + 1 : end])
        htext = heading_text(lines[i])
        parent = stack[-1][2] if stack else None
        if parent in _INHERITED:  # items under 下一步工作打算 are plans, whatever subject they name
            own = None
        elif level == 1 and classify_heading(fold(htext), kind=kind, year=year, weak=False) is None:
            # Named by 工作/建设 alone, or figurative (一、立下愚公移山志): its body says what it is about.
            own = (classify_body(fold(body)) or dominant(fold(body))
                   or classify_heading(fold(htext), kind=kind, year=year)
                   or ("performance" if len(body) >= 50 else None))
        else:
            # Under a typed parent only a clear cue counts: （二）推动工作落实 under 政治建设 stays political.
            own = classify(fold(htext), "" if level == 1 and len(lines[i]) <= 60 else fold(lines[i][len(htext):] + body),
                           kind=kind, year=year, parent=parent, weak=parent is None)
        stype = own or (stack[-1][2] if stack else "other")
        sections.append(Section(n, htext, level, stype, i + 1))
        stack.append((level, n, stype))
        nxt = heads[n] if n < len(heads) else len(lines)
        for j in range(i, nxt):
            owner[j] = n
    return sections, owner


_INHERITED = ("plans", "problems", "closing")
#: Sections whose paragraphs may turn to shortcomings (我们也清醒看到…) and are then typed by content.
_REVIEWED = ("performance", "political", "party_building", "supervision", "integrity", "other")


def _passages(lines, levels, sections, owner) -> list[Passage]:
    by_no = {s.section_no: s for s in sections}
    passages: list[Passage] = []
    first_head = next((i for i, lv in enumerate(levels) if lv), len(lines))
    for i, line in enumerate(lines):
        sec = by_no.get(owner[i]) if owner[i] else None
        if sec is None:
            stype = "preamble" if (i < first_head and sections) or (i == 0 and _SALUTATION.match(fold(line))) else "other"
            if not sections and i > 0:
                stype = classify_body(fold(line)) or "other"
            if i > 0 and stype in ("preamble", "other") and speaks_of_problems(fold(line)):
                stype = "problems"
        else:
            stype = sec.section_type
            if not levels[i] and stype in _REVIEWED and speaks_of_problems(fold(line)):
                stype = "problems"
        passages.append(Passage(i + 1, line, stype, sec.section_no if sec else None,
                                sec.heading if sec else "", bool(levels[i])))
    # Closing: the formulas at the very end (以上报告，请予审议 / 让我们… / a date line).
    for k in range(len(passages) - 1, max(-1, len(passages) - 5), -1):
        p = passages[k]
        last = k == len(passages) - 1
        folded = fold(p.text)
        if p.is_heading or not (_CLOSING.search(folded) or (last and _LAST_WORDS.match(folded))
                                or (last and len(p.text) <= 30 and not re.search(r"[。；，]", p.text))):
            break
        passages[k] = Passage(p.passage_no, p.text, "closing", p.section_no, p.heading, False)
    return passages
