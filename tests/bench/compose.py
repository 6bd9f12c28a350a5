"""One synthetic report: title, preamble, three levels of typed headings, paragraphs, closing.

Pure functions of (vocabulary, random generator): the generator seeds one
``random.Random`` per report, so a report's text depends only on the seed
and its number, never on which process wrote it or in what order.
Sentences come from the project's word lists; only the genre's fixed
formulas (salutations, closings, the 一是/二是 pattern) live here.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

from .vocab import BODY_TYPES, Vocab

#: Kinds of report and how often each occurs in a newsroom's collection.
KIND_MIX: tuple[tuple[str, float], ...] = (
    ("述职报告", 0.40), ("述职述责述廉报告", 0.15), ("述廉报告", 0.10), ("工作总结", 0.25), ("政府工作报告", 0.10),
)
YEARS = range(2015, 2025)
CN_NUM = "一二三四五六七八九十"

#: Level-1 outline per kind: (section type, always present?).
OUTLINES: dict[str, tuple[tuple[str, bool], ...]] = {
    "述职报告": (("political", True), ("performance", True), ("party_building", False), ("supervision", False),
               ("integrity", False), ("problems", True), ("plans", True)),
    "述职述责述廉报告": tuple((t, True) for t in BODY_TYPES),
    "述廉报告": (("political", True), ("integrity", True), ("supervision", False), ("problems", True), ("plans", True)),
    "工作总结": (("performance", True), ("party_building", False), ("integrity", False), ("problems", True),
             ("plans", True)),
    "政府工作报告": (("performance", True), ("plans", True), ("party_building", False)),
}

SALUTATIONS = {
    "政府工作报告": ("各位代表：",),
    "": ("各位领导、同志们：", "尊敬的各位领导、同志们：", "各位领导、各位同事：", "主任、各位副主任、各位委员："),
}
OPENINGS = (
    "{year}年以来，在{place}委、{place}政府的坚强领导下，我认真履行{role}职责，现将一年来的工作情况报告如下，请予评议。",
    "根据工作安排，现将本人{year}年度履职尽责、廉洁自律等方面的情况报告如下。",
    "{year}年，在上级党组织的坚强领导下，在班子成员和全体干部职工的支持配合下，我紧紧围绕年度目标任务，"
    "认真履行岗位职责。现将有关情况汇报如下：",
    "按照{place}委关于开展年度述职评议工作的通知要求，现将{year}年度工作情况总结如下。",
)
GOV_OPENING = "现在，我代表{place}人民政府，向大会报告政府工作，请予审议，并请{place}政协委员和其他列席人员提出意见。"
CLOSINGS = {
    "政府工作报告": ("各位代表！让我们更加紧密地团结在以习近平同志为核心的党中央周围，凝心聚力、真抓实干，为奋力谱写{place}"
               "高质量发展新篇章而努力奋斗！",),
    "": ("以上报告，请予审议。", "以上述职，不妥之处，请各位领导和同志们批评指正。", "以上是我的述职报告，谢谢大家！",
         "述职完毕，请予评议。"),
}
ENUM = "一二三四五六"
_NUM = re.compile(r"\d+(?:\.\d+)?")
_FULL_DIGITS = str.maketrans("0123456789.", "０１２３４５６７８９．")


@dataclass(frozen=True)
class Template:
    """A sentence split around its numbers, so each use can carry new figures cheaply."""

    parts: tuple[str, ...]  # literal text; numbers go between consecutive parts
    numbers: tuple[str, ...]

    @classmethod
    def of(cls, sentence: str) -> Template:
        pieces = _NUM.split(sentence)
        return cls(tuple(pieces), tuple(_NUM.findall(sentence)))


class Composer:
    """Holds the vocabulary as templates; ``report`` builds one report's text from a generator."""

    def __init__(self, vocab: Vocab):
        self.vocab = vocab
        self.sentences = {t: [Template.of(s) for s in vocab.sentences_for(t)] for t in BODY_TYPES}
        self.general = [Template.of(s) for s in vocab.all_sentences()]
        self.openings = vocab.extra.get("openings") or list(OPENINGS)
        self.closings = vocab.extra.get("closings")

    # -- numbers and sentences ---------------------------------------------

    @staticmethod
    def _number(rng: random.Random, old: str, year: int) -> str:
        if len(old) == 4 and old[:2] in ("19", "20") and "." not in old:
            return str(year - rng.choice((0, 0, 0, 1, 2)))
        if "." in old:
            whole, frac = old.split(".", 1)
            new = f"{rng.uniform(0.1, 10 ** len(whole)):.{len(frac)}f}"
        else:
            new = str(rng.randint(1, 9)) if len(old) == 1 else str(rng.randrange(10 ** (len(old) - 1), 10 ** len(old)))
        return new.translate(_FULL_DIGITS) if rng.random() < 0.04 else new

    def _render(self, rng: random.Random, tpl: Template, year: int) -> str:
        if not tpl.numbers:
            return tpl.parts[0]
        out = [tpl.parts[0]]
        for old, part in zip(tpl.numbers, tpl.parts[1:]):
            out.append(self._number(rng, old, year))
            out.append(part)
        return "".join(out)

    def sentence(self, rng: random.Random, stype: str, year: int) -> str:
        pool = self.sentences.get(stype) or self.general
        if rng.random() < 0.15:
            pool = self.general
        return self._render(rng, rng.choice(pool), year)

    def paragraph(self, rng: random.Random, stype: str, year: int, lead: str = "") -> str:
        """80–400 characters (log-normal, mean ≈ 190), whole sentences, sometimes 一是…二是…."""
        target = min(400, max(80, int(rng.lognormvariate(math.log(172), 0.42))))
        enumerate_ = rng.random() < 0.12
        text, n = lead, 0
        while len(text) < target:
            s = self.sentence(rng, stype, year)
            if enumerate_ and n < len(ENUM):
                s = f"{ENUM[n]}是{s[:-1]}；"
            if len(text) + len(s) > 400 and len(text) >= 80:
                break
            text += s
            n += 1
        if text.endswith("；"):
            text = text[:-1] + "。"
        return text

    # -- the report --------------------------------------------------------

    def title(self, rng: random.Random, kind: str, year: int, place: str, role: str) -> str:
        if kind == "政府工作报告":
            return rng.choice((f"{year}年{place}人民政府工作报告", f"{place}{year}年政府工作报告", f"政府工作报告（{year}年）"))
        if kind == "工作总结":
            return rng.choice((f"{place}{role}{year}年工作总结", f"{year}年度个人工作总结", f"{year}年{role}工作总结"))
        return rng.choice((f"{year}年度{place}{role}{kind}", f"{role}{year}年{kind}", f"{year}年{kind}",
                           f"关于{year}年度履职情况的{kind}"))

    def outline(self, rng: random.Random, kind: str) -> list[str]:
        return [t for t, always in OUTLINES[kind] if always or rng.random() < 0.6]

    def report(self, rng: random.Random) -> tuple[str, dict]:
        """(text, metadata): one report of about 8,000 characters."""
        kind = rng.choices([k for k, _ in KIND_MIX], [w for _, w in KIND_MIX])[0]
        year = rng.choice(YEARS)
        place, role = rng.choice(self.vocab.places), rng.choice(self.vocab.roles)
        fill = {"year": year, "place": place, "role": role}
        lines = [self.title(rng, kind, year, place, role)]
        gov = kind == "政府工作报告"
        lines.append(rng.choice(SALUTATIONS["政府工作报告" if gov else ""]))
        opening = GOV_OPENING if gov else rng.choice(self.openings)
        lines.append(_fill(opening, fill))
        budget = min(14000, max(4000, int(rng.gauss(7600, 1300))))
        sections = self.outline(rng, kind)
        style = rng.choice(("{n}.", "{n}、", "（{n}）"))
        for no, stype in enumerate(sections):
            share = budget / len(sections) * rng.uniform(0.6, 1.4)
            self._section(rng, lines, no, stype, year, share, style, gov)
        closings = self.closings or CLOSINGS["政府工作报告" if gov else ""]
        lines.append(_fill(rng.choice(closings), fill))
        if not gov and rng.random() < 0.4:
            lines.append(f"{year + 1}年1月{rng.randint(5, 28)}日" if rng.random() < 0.5 else f"{year}年12月{rng.randint(5, 30)}日")
        return "\n".join(lines) + "\n", {"year": year, "report_kind": kind, "title": lines[0], "place": place}

    def _heading(self, rng: random.Random, stype: str, year: int, gov: bool, level1: bool) -> str:
        if gov and level1 and stype == "performance":
            return f"{year - 1}年工作回顾"
        if gov and level1 and stype == "plans":
            return f"{year}年{rng.choice(('重点工作', '工作安排', '主要目标任务'))}"
        return rng.choice(self.vocab.headings_for(stype))

    def _section(self, rng, lines, no, stype, year, share, style, gov) -> None:
        """A level-1 section of about ``share`` characters: paragraphs, or （一）… subsections with 1. items."""
        mark = len(lines)
        lines.append(f"{_cn(no + 1)}、{self._heading(rng, stype, year, gov, True)}")
        if rng.random() < 0.35:  # no subsections: paragraphs straight under 一、
            while sum(map(len, lines[mark:])) < share:
                lines.append(self.paragraph(rng, stype, year))
            return
        if rng.random() < 0.4:
            lines.append(self.paragraph(rng, stype, year))
        sub = 0
        while sum(map(len, lines[mark:])) < share and sub < 6:
            sub += 1
            lines.append(f"（{_cn(sub)}）{self._heading(rng, stype, year, gov, False)}")
            if rng.random() < 0.25:
                for item in range(1, rng.randint(2, 3) + 1):
                    head = style.format(n=item) + self._heading(rng, stype, year, gov, False)
                    if rng.random() < 0.7:  # a run-in heading: 1.强化理论武装。body …
                        lines.append(self.paragraph(rng, stype, year, lead=head + "。"))
                    else:
                        lines.append(head)
                        lines.append(self.paragraph(rng, stype, year))
            else:
                for _ in range(rng.choice((1, 2, 2, 3, 3, 4))):
                    lines.append(self.paragraph(rng, stype, year))


def _cn(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二."""
    if n <= 10:
        return CN_NUM[n - 1]
    return "十" + CN_NUM[n - 11]


def _fill(text: str, values: dict) -> str:
    return text.format(**values) if "{" in text else text
