"""Section types from a heading's words, falling back on its body.

A heading is classified by the cue that appears *earliest* in it: report
headings lead with their subject (接受监督…工作作风 is about supervision, not
style), so position beats a fixed priority. The priority only breaks ties.
"""

from __future__ import annotations

import re

#: Heading cues per type, in tie-break priority order.
HEADING_CUES: dict[str, tuple[str, ...]] = {
    "problems": ("存在问题", "存在的问题", "存在的不足", "问题和不足", "问题与不足", "不足", "差距", "短板", "薄弱环节", "反思",
                 "主要问题", "困难和问题", "面临的困难", "存在的主要"),
    "plans": ("下一步", "今后", "明年", "打算", "工作计划", "努力方向", "工作安排", "展望", "总体要求",
              "目标任务", "主要预期目标", "工作思路和", "重点任务", "工作思路", "工作设想", "努力方向"),
    "closing": ("结束语", "结语"),
    "integrity": ("廉洁", "廉政", "勤廉", "清廉", "正风肃纪", "八项规定", "作风", "述廉", "自律", "四风", "纪律", "述责",
                  "一岗双责", "党风",
                  "廉治"),
    "supervision": ("接受监督", "监督", "民主集中", "法治", "依法", "科学决策", "民主决策", "议事规则", "决策"),
    "party_building": ("班子", "党的建设", "队伍", "基层组织", "基层党建", "党建", "战斗堡垒", "选人用人", "干部", "组织建设",
                       "班长", "从严治党", "自身建设", "人才队伍", "党组织", "支部"),
    "political": ("理论学习", "政治站位", "政治建设", "政治", "对党忠诚", "两个维护", "两个确立", "主题教育", "党史",
                  "学习教育", "理论武装", "思想引领", "思想建设", "忠诚", "党的领导", "全面领导", "学习贯彻",
                  "武装全党", "凝心铸魂", "把方向", "管大局"),
    "performance": ("履职", "成效", "担当", "经济", "招商", "重点工作", "工作回顾", "回顾", "发展", "项目", "民生",
                    "业务", "主要工作", "工作情况", "成绩", "担当作为", "营商环境", "改革", "建设", "工作"),
}

#: Body cues: counted when the heading names no subject (e.g. （二）提高站位).
BODY_CUES: dict[str, tuple[str, ...]] = {
    "problems": ("存在问题", "不足", "差距", "短板", "有待", "不够", "欠缺"),
    "plans": ("下一步", "今后", "明年", "将继续", "计划", "力争", "打算"),
    "integrity": ("廉洁", "廉政", "八项规定", "作风", "纪律", "四风", "自律"),
    "supervision": ("监督", "民主集中", "法治", "依法", "决策"),
    "party_building": ("班子", "党的建设", "队伍", "党建", "基层组织", "干部", "支部", "选人用人"),
    "political": ("理论学习", "政治", "两个维护", "主题教育", "党史", "习近平新时代"),
    "performance": ("招商", "项目", "经济", "增长", "完成", "调研", "发展", "服务", "亿元", "万元", "举办", "万人次"),
}

_PRIORITY = {key: i for i, key in enumerate(HEADING_CUES)}
#: Words so common in headings of every kind that they decide only when nothing else does (三、2023年工作打算).
_WEAK = frozenset({"工作", "建设", "发展"})
_YEAR = re.compile(r"(?<!\d)(19[4-9]\d|20[0-4]\d)年")
_REVIEW = re.compile(r"^[^，。]{0,16}(?:工作)?回顾[.．。]?$|^[^，。]{0,12}过去[^，。]{0,8}(?:工作|回顾)")
#: A paragraph that turns from results to shortcomings, whatever heading it sits under: it says so early on.
_PROBLEMS_CUE = re.compile(
    r"(?:清醒(?:地)?|也|还|同时)(?:要|应|必须)?(?:清醒(?:地)?)?(?:看到|认识到)[^。]{0,40}(?:问题|困难|不足|差距|短板|挑战)"
    r"|(?:面临|存在)着?(?:的)?(?:不少|诸多|许多|很多)?(?:困难和(?:问题|挑战)|矛盾和问题|问题和不足|不足和问题|短板弱项)"
    r"|(?:面临|存在)着?(?:的)?(?:不少|诸多|许多|很多)(?:缺点|问题|不足|困难|矛盾)"
    r"|(?:问题|困难|不足|挑战)[^。]{0,6}主要(?:是|表现在)[：:]"
    r"|^.{0,30}?(?:清醒(?:地)?(?:看到|认识到)|存在(?:的)?(?:一些|不少)?(?:问题|不足|差距)|不足之处|问题和不足|差距和不足)")


def speaks_of_problems(paragraph: str) -> bool:
    """我们也清醒看到…困难和问题 / 同时也要看到…存在…问题: a problems paragraph inside a review section."""
    return bool(_PROBLEMS_CUE.search(paragraph[:2000]))


def classify_heading(heading: str, *, kind: str = "", year: int | None = None, weak: bool = True) -> str | None:
    """The type a heading names, or None when it names none (``weak=False``: not by 工作/建设/发展 alone)."""
    if _REVIEW.search(heading):  # 一、2023年工作回顾 / 过去五年工作回顾: what was done, whatever the year
        return "performance"
    if kind == "政府工作报告":
        years = [int(y) for y in _YEAR.findall(heading)]
        if "今年" in heading or (year and year in years and year - 1 not in years):
            return "plans"
    for strong in (True, False) if weak else (True,):
        best: tuple[int, int, str] | None = None
        for key, cues in HEADING_CUES.items():
            positions = [heading.find(c) for c in cues if c in heading and (c not in _WEAK) == strong]
            if positions:
                cand = (min(positions), _PRIORITY[key], key)
                if best is None or cand < best:
                    best = cand
        if best:
            return best[2]
    return None


def classify_body(body: str, parent: str | None = None, least: int = 2) -> str | None:
    """The type a body speaks of most, when it clearly speaks of one.

    Under a typed parent the body must clearly outweigh it: a subsection
    whose heading names nothing (（一）坚决打赢疫情防控阻击战) belongs to its
    parent's subject, and a passing "组织机关干部" does not make it party building.
    """
    counts = {key: sum(body.count(c) for c in cues) for key, cues in BODY_CUES.items()}
    key, n = max(counts.items(), key=lambda kv: (kv[1], -_PRIORITY[kv[0]]))
    if parent in BODY_CUES and key != parent:
        return key if n >= 3 and n >= 2 * counts[parent] + 1 else None
    return key if n >= least else None


def dominant(body: str) -> str | None:
    """The one type a short body speaks of more than any other, even once (一、把方向管大局 → 政治建设…)."""
    counts = sorted(((sum(body.count(c) for c in cues), key) for key, cues in BODY_CUES.items()), reverse=True)
    (n, key), (m, _) = counts[0], counts[1]
    return key if n >= 1 and n > m else None


def classify(heading: str, body: str, *, kind: str = "", year: int | None = None,
             parent: str | None = None, weak: bool = True) -> str | None:
    """Heading first (the author's own label), body second."""
    return classify_heading(heading, kind=kind, year=year, weak=weak) or classify_body(body, parent)
