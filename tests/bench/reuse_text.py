"""The text of the planted-reuse corpus: ordinary paragraphs, 套话, and copies as other reports carry them.

Pure functions of (composer, random generator), like ``compose.py``: a
paragraph mixes whole vocabulary sentences (stock text many reports share
word for word) with sentences recombined from vocabulary clauses (its own);
``copy_variant`` makes the edits a copying author makes.
"""

from __future__ import annotations

import math
import random
import re

from .compose import Composer

#: 套话 that distinct passages share; alone, each is a one-line passage of its own in many reports.
STOCK = (
    "深入学习贯彻习近平新时代中国特色社会主义思想", "坚决做到两个维护", "增强四个意识、坚定四个自信、做到两个维护",
    "严格落实中央八项规定及其实施细则精神", "认真履行全面从严治党主体责任", "驰而不息纠治四风",
    "始终在思想上政治上行动上同以习近平同志为核心的党中央保持高度一致", "以习近平新时代中国特色社会主义思想为指导",
    "全面贯彻落实党的二十大精神", "牢固树立以人民为中心的发展思想", "坚持稳中求进工作总基调",
    "完整准确全面贯彻新发展理念", "认真落实一岗双责", "坚持民主集中制原则", "自觉接受党组织和群众监督",
    "严守政治纪律和政治规矩", "守住廉洁自律底线", "推动各项工作落地见效", "深刻领悟两个确立的决定性意义",
    "持续深化拓展党史学习教育成果",
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "建国伟华明军平强磊洋勇艳杰娟涛斌超志刚红霞"
MASKS = ("某某", "**", "XX", "{surname}某", "×××", "xx")
FILLERS = ("进一步", "切实", "不断", "认真", "全面", "扎实", "持续", "有效")
VARIANTS = ("verbatim", "edit", "mask", "numbers", "reorder", "mixed")
_CLAUSE = re.compile(r"[^，；、：。！？]+")
_SENT = re.compile(r"[^。！？]*[。！？]")
_DIGITS = re.compile(r"\d+")


def stock_sentence(composer: Composer, rng: random.Random, stype: str, year: int) -> str:
    """A whole vocabulary sentence (fresh figures) or a 套话: text many reports share word for word."""
    if rng.random() < 0.3:
        return rng.choice(STOCK) + "。"
    return composer.sentence(rng, stype, year)


def own_sentence(composer: Composer, rng: random.Random, stype: str) -> str:
    """2-4 clauses of different vocabulary sentences joined: text that is this passage's own."""
    pool = _clauses(composer, stype)
    return "，".join(rng.choice(pool) for _ in range(rng.randint(2, 4))) + "。"


_CLAUSES: dict[tuple[int, str], list[str]] = {}


def _clauses(composer: Composer, stype: str) -> list[str]:
    key = (id(composer), stype)
    if key not in _CLAUSES:
        sentences = composer.vocab.sentences_for(stype)
        _CLAUSES[key] = sorted({c for s in sentences for c in _CLAUSE.findall(s) if len(c) >= 4})
    return _CLAUSES[key]


def paragraph(composer: Composer, rng: random.Random, stype: str, year: int, name: str = "") -> str:
    """60-400 characters (log-normal, median ≈ 170): a quarter stock sentences, the rest its own."""
    target = min(400, max(60, int(rng.lognormvariate(math.log(170), 0.45))))
    out: list[str] = []
    while sum(map(len, out)) < target:
        if rng.random() < 0.25:
            out.append(stock_sentence(composer, rng, stype, year))
        else:
            out.append(own_sentence(composer, rng, stype))
    if name:
        at = rng.randrange(len(out))
        out[at] = f"{name}同志带头，" + out[at]
    return "".join(out)


def copy_variant(rng: random.Random, text: str, name: str, variant: str, composer: Composer) -> str:
    """A copy as another report carries it."""
    if variant in ("numbers", "mixed"):
        text = _DIGITS.sub(lambda m: str(rng.randrange(1, 10 ** len(m.group()))), text)
        if rng.random() < 0.3 and _DIGITS.search(text):
            text = _DIGITS.sub(lambda m: rng.choice(("**", "xx", "XX")), text, count=1)
    if variant in ("mask", "mixed"):
        text = text.replace(name, rng.choice(MASKS).format(surname=name[0]))
    if variant == "reorder":
        sentences = _SENT.findall(text)
        if len(sentences) >= 2:
            i, j = rng.sample(range(len(sentences)), 2)
            sentences[i], sentences[j] = sentences[j], sentences[i]
            text = "".join(sentences)
    if variant in ("edit", "mixed"):
        for _ in range(rng.randint(1, 3) if variant == "edit" else 1):
            text = small_edit(rng, text)
    return text


def small_edit(rng: random.Random, text: str) -> str:
    """One change of 1-4 characters: replaced, inserted (an adverb) or deleted."""
    at = rng.randrange(5, max(6, len(text) - 5))
    kind = rng.randrange(3)
    if kind == 0:
        return text[:at] + "".join(rng.choice("的了和在是也都将并") for _ in range(rng.randint(1, 2))) + text[at + 2:]
    if kind == 1:
        return text[:at] + rng.choice(FILLERS) + text[at:]
    return text[:at] + text[at + rng.randint(1, 4):]
