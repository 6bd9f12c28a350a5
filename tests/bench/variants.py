"""Duplicates as they arrive in a scraped collection.

Exact: the same text re-saved (CRLF, a BOM, GB18030, extra blank lines and
full-width indents); the archive must see one report. Near: a repost on
another site (page chrome around it, paywall markers, 3–5 small edits); the
archive must link it to the original.
"""

from __future__ import annotations

import random
import re

EXACT_VARIANTS = ("crlf", "bom", "gb18030", "blank")
_FILLERS = ("进一步", "切实", "不断", "认真", "全面", "扎实")
_DIGIT = re.compile(r"\d+")


def exact_bytes(text: str, variant: str) -> bytes:
    """The same text, other bytes."""
    if variant == "crlf":
        return text.replace("\n", "\r\n").encode("utf-8")
    if variant == "bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if variant == "gb18030":
        return text.encode("gb18030")
    if variant == "blank":
        lines = text.rstrip("\n").split("\n")
        return ("\n\n".join(lines[:1] + ["\u3000\u3000" + ln + "  " for ln in lines[1:]]) + "\n\n").encode("utf-8")
    raise ValueError(f"unknown exact variant {variant!r}")


def _chrome_head(rng: random.Random, title: str, place: str, year: int) -> list[str]:
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    head = [
        rng.choice(("首页 > 政务公开 > 工作报告", "当前位置：首页 > 信息公开 > 述职述廉", "首页 » 资料中心")),
        title,
        f"来源：{place}{rng.choice(('人民政府网', '党建网', '纪委监委网站', '融媒体中心'))}",
        f"发布时间：{year + 1}-{month:02d}-{day:02d} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}",
        "【字号：大 中 小】",
    ]
    if rng.random() < 0.5:
        head.append(f"浏览次数：{rng.randint(30, 9999)}")
    if rng.random() < 0.3:
        head.insert(1, f"http://www.example-{rng.randint(1, 999)}.gov.cn/art/{year + 1}/{month}/{day}/art_{rng.randint(1000, 99999)}.html")
    return head


_TAIL = ("打印本页 关闭窗口", "分享到：", "扫一扫在手机打开当前页", "责任编辑：王某")


def _small_edit(rng: random.Random, line: str) -> str:
    """One edit a reposting site makes: a dropped phrase, an added adverb, a changed figure, a swapped mark."""
    kind = rng.randrange(4)
    if kind == 0 and len(line) > 40:
        at = rng.randrange(10, len(line) - 10)
        return line[:at] + line[at + rng.randint(2, 6):]
    if kind == 1:
        commas = [m.end() for m in re.finditer("，", line)]
        at = rng.choice(commas) if commas else len(line) // 2
        return line[:at] + rng.choice(_FILLERS) + line[at:]
    if kind == 2 and _DIGIT.search(line):
        m = rng.choice(list(_DIGIT.finditer(line)))
        return line[:m.start()] + str(int(m.group()) + rng.randint(1, 9)) + line[m.end():]
    return line.replace("，", "、", 1) if "，" in line else line + "。"


def near_text(rng: random.Random, text: str, title: str, place: str, year: int) -> tuple[str, int]:
    """(the repost's text, how many edits it carries)."""
    lines = text.rstrip("\n").split("\n")
    body = lines[1:]  # the title goes into the page head
    edits = rng.randint(3, 5)
    long_lines = [i for i, ln in enumerate(body) if len(ln) >= 60] or list(range(len(body)))
    for i in rng.sample(long_lines, min(edits, len(long_lines))):
        body[i] = _small_edit(rng, body[i])
    start = rng.randrange(len(body) // 3, max(len(body) // 3 + 1, 2 * len(body) // 3))
    end = rng.randrange(start, len(body))
    if rng.random() < 0.5:
        body[start] = "##paidbegin##" + body[start]
        body[end] = body[end] + "##paidend##"
    else:
        body.insert(end + 1, "##paidend##")
        body.insert(start, "##paidbegin##")
    tail = rng.sample(_TAIL, rng.randint(1, 3))
    return "\n".join(_chrome_head(rng, title, place, year) + body + tail) + "\n", edits
