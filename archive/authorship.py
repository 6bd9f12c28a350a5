"""Who wrote a report: the author's post (role), the tier it sits at (level) and the province (region).

Only the places where a report names its own author count: a signature
line (某某县委书记 张三 / 报告人：… ), a self-description in the opening
(我叫…，现任… / 本人作为… / 我任…), the title (2023年县委书记述职报告) and,
for a 政府工作报告, the government the speaker represents (我代表…人民政府).
A post mentioned in passing (在县委书记的带领下, 向局长汇报) is somebody
else's. Every facet is None unless the text says it: a wrong value is worse
than none.

Levels: 村 (villages and 社区), 乡镇 (乡, 镇, 街道, 苏木), 县 (counties,
旗, and every 区: a 市辖区 is county-level), 市 (prefecture-level: 市, 自治州,
地区, 盟), 省 (provinces, autonomous regions and the four municipalities, so
北京市市长 is 省), 中央; and three sectors that win over geography: 学校,
医院, 国企 (any 公司/集团). A named 市 not in the prefecture table is
probably county-level: its level is left unknown. Masked names (某县, XX市)
still say the tier, never the region.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from .structure import heading_level
from .text import fold
from .authorship_places import MASK, MUNICIPALITIES, REGIONS, city_tier, provinces_in, zhou_tier  # noqa: F401

#: The roles, normalised; a concurrent chain (局党组书记、局长) gives the post that ranks first here.
#: Variants: 代/代理X → X; 自治区党委书记 → 省委书记; 州委/地委/盟委书记 → 市委书记; 旗委书记 → 县委书记;
#: 镇/乡/街道 党委·党工委书记 → 乡镇党委书记; 村/社区 党支部·党总支·党委书记, 村支书 → 村党支部书记;
#: 村主任, 村民委员会主任, 社区/居委会主任 → 村委会主任; 州长/盟长 → 市长; 旗长 → 县长; 自治区主席,
#: 政协/人大/工会主席 → 主席; 纪工委书记 → 纪委书记; 老师/班主任 → 教师; 街道办事处主任 → 主任 (乡镇).
#: 副主席, 行长, 司长, 政法委书记, 第一书记, 团委书记 … are outside the vocabulary and give None.
ROLES: tuple[str, ...] = (
    "总理",
    "省委书记", "市委书记", "县委书记", "区委书记", "乡镇党委书记", "村党支部书记", "纪委书记",
    "省长", "主席", "市长", "县长", "区长", "镇长", "乡长", "村委会主任",
    "厅长", "局长", "处长", "科长", "部长", "主任", "所长", "站长", "检察长",
    "董事长", "总经理", "院长", "校长", "园长",
    "副省长", "副市长", "副县长", "副区长", "副镇长", "副乡长",
    "副厅长", "副局长", "副处长", "副科长", "副部长", "副主任", "副总经理", "副院长", "副校长",
    "党组书记", "党委书记", "党支部书记", "副书记",
    "护士长", "教师",
)

#: Tiers of government and party, then the sectors.
LEVELS: tuple[str, ...] = ("村", "乡镇", "县", "市", "省", "中央", "学校", "医院", "国企")

_RANK = {role: i for i, role in enumerate(ROLES)}

#: Roles whose post fixes the tier whatever the rest of the line says.
_TIER: dict[str, str] = {
    "总理": "中央", "省委书记": "省", "省长": "省", "副省长": "省", "厅长": "省", "副厅长": "省",
    "市委书记": "市", "市长": "市", "副市长": "市",
    "县委书记": "县", "县长": "县", "副县长": "县", "区委书记": "县", "区长": "县", "副区长": "县",
    "乡镇党委书记": "乡镇", "镇长": "乡镇", "乡长": "乡镇", "副镇长": "乡镇", "副乡长": "乡镇",
    "村党支部书记": "村", "村委会主任": "村",
}
#: Roles that belong to a sector wherever they are.
_SECTOR_ROLE: dict[str, str] = {
    "校长": "学校", "副校长": "学校", "园长": "学校", "教师": "学校", "护士长": "医院",
    "董事长": "国企", "总经理": "国企", "副总经理": "国企",
}
#: Roles that sit in a department: their tier may come from "在县委、县政府的领导下".
_DEPARTMENT = frozenset({"局长", "副局长", "主任", "副主任", "科长", "副科长", "处长", "副处长", "部长", "副部长",
                         "所长", "站长", "党组书记", "纪委书记"})

_CJK = r"\u4e00-\u9fff"
_MASK = MASK

# (surface pattern, role). Tried longest-first at each position; the 副 forms are separate so that
# 副县长 is never read as 县长.
_FORMS: tuple[tuple[str, str], ...] = (
    (r"国务院总理|总理", "总理"),
    # 团县委书记 leads the Youth League, not the county
    (r"(?<!团)(?:省|自治区)(?:党)?委书记", "省委书记"),
    (r"(?<!团)(?:市|州|盟|地)委书记", "市委书记"),
    (r"(?<!团)(?:县|旗)委书记", "县委书记"),
    (r"(?<![自治团])区委书记", "区委书记"),
    (r"(?:乡镇|镇|乡|街道|苏木)(?:党委|党工委|委)?书记", "乡镇党委书记"),
    (r"(?:村|社区|嘎查)(?:党(?:总)?支部|党委|党组织|党总支)?书记|村支书", "村党支部书记"),
    (r"(?:省|市|县|区|旗|镇|乡|街道|局|委|部|党|党委|党组|党工委|党总支|党支部|村|社区|支部)副书记", "副书记"),
    (r"(?:市|县|区|镇|乡|街道)?纪(?:工)?委书记", "纪委书记"),
    (r"(?:局|委|办)?党组书记", "党组书记"),
    (r"党(?:工)?委书记", "党委书记"),
    (r"(?:党)?(?:总)?支部书记|党总支书记", "党支部书记"),
    (r"自治区(?:人民)?政府主席|主席", "主席"),
    (r"(?:村(?:民)?委(?:员)?会|社区居委会|居委会|村|社区)主任", "村委会主任"),
    (r"(?:代理|代)?(?<!副)省长", "省长"), (r"副省长", "副省长"),
    (r"(?:代理|代)?(?<!副)(?:市长|州长|盟长)", "市长"), (r"副(?:市长|州长)", "副市长"),
    (r"(?:代理|代)?(?<!副)(?:县长|旗长)", "县长"), (r"副(?:县长|旗长)", "副县长"),
    (r"(?:代理|代)?(?<![副社园校景片矿])区长", "区长"), (r"副区长", "副区长"),
    (r"(?:代理|代)?(?<!副)镇长", "镇长"), (r"副镇长", "副镇长"),
    (r"(?:代理|代)?(?<![副家])乡长", "乡长"), (r"副乡长", "副乡长"),
    (r"(?<!副)厅长", "厅长"), (r"副厅长", "副厅长"),
    (r"(?<!副)局长", "局长"), (r"副局长", "副局长"),
    (r"(?<!副)处长", "处长"), (r"副处长", "副处长"),
    (r"(?<!副)科长", "科长"), (r"副科长", "副科长"),
    (r"(?<!副)部长", "部长"), (r"副部长", "副部长"),
    (r"(?<![副护])主任(?!委员|医师|科员)", "主任"), (r"副主任(?!委员|医师|科员)", "副主任"),
    (r"(?<![副])所长", "所长"), (r"(?<![副])站长", "站长"), (r"(?<!副)检察长", "检察长"),
    (r"(?<!副)董事长", "董事长"), (r"(?<!副)总经理", "总经理"), (r"副总经理", "副总经理"),
    (r"(?<!副)院长", "院长"), (r"副院长", "副院长"),
    (r"(?<!副)校长", "校长"), (r"副校长", "副校长"), (r"(?<!副)园长", "园长"),
    (r"护士长", "护士长"), (r"教师|老师|班主任", "教师"),
    # Posts outside the vocabulary, matched only so that their letters are not read as one inside it.
    (r"副(?:主席|所长|站长|检察长|董事长|园长|行长|庭长|队长)|行长|庭长|队长|组长|秘书长|调研员|科员", ""),
)
# 湖南省长沙市, 西安市长安区, 上海市长宁区: a place name that starts with 长 is not a 省长/市长/县长.
_NOT_PLACE = r"(?!助理|沙|春|治|(?:安|宁|乐|兴|寿|汀|垣|葛|丰|岭|白|海|阳|顺|武|清|泰|岛|坪|林)[\u4e00-\u9fff]{0,3}?(?:市|县|区|镇|乡|街道|村|路))"
_ROLE_RE = re.compile("|".join(f"(?P<r{i}>{p}){_NOT_PLACE}" for i, (p, _) in enumerate(_FORMS)))

#: Before a role, these words make it somebody else's: 在县委书记的带领下, 向局长汇报, 协助县长.
_PASSING_BEFORE = re.compile(r"(?:在|向|给|对(?!外)|跟|跟随|协助|配合|按照|根据|依据|遵照|依照|由|受|请|陪同|当好|辅佐|感谢|谢谢)[^，。；、]{0,10}$")
_PASSING_AFTER = re.compile(r"^[^，。；]{0,8}?(?:的(?:带领|领导|指导|关心|支持|帮助|部署|要求|安排|讲话|批示|信任)|带领下|领导下|"
                            r"汇报|批示|指示|要求|交办|安排的|主持|讲话|同志的)|^[\u4e00-\u9fff]{1,3}同志|"
                            # 县委书记的秘书 is not a 县委书记; 担任县委书记的第一年 / …的三年来 is
                            r"^的(?!第|[\d一二三四五六七八九十两几]|这|那|时间|期间|岗位|职务|职责|工作|以来|我|$)")


@dataclass(frozen=True)
class Authorship:
    """The author's post, tier and province; None where the report does not say."""

    role: str | None = None
    level: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class _Found:
    role: str
    span: str  # the designation the role was read from (a signature line, a clause of the opening, the title)
    start: int  # where the role's words start in span


def _roles_in(span: str, strict: bool) -> list[_Found]:
    """Roles a designation names, passing mentions left out when ``strict``."""
    found: list[_Found] = []
    for m in _ROLE_RE.finditer(span):
        role = _FORMS[int(m.lastgroup[1:])][1] if m.lastgroup else ""
        if not role:
            continue
        if strict and (_PASSING_BEFORE.search(span[: m.start()]) or _PASSING_AFTER.match(span[m.end():])):
            continue
        found.append(_Found(role, span, m.start()))
    return found


def _best(found: list[_Found]) -> _Found | None:
    """In a chain of concurrent posts (县委副书记、县长) the one that ranks first."""
    return min(found, key=lambda f: _RANK[f.role]) if found else None


# --- where the author names themself ---------------------------------------------------

_DATE = re.compile(rf"[（(]?(?:(?:19|20)\d\d|[{_MASK}]{{2,4}}|二[〇零○]{{1}}[一二三四五六七八九〇零○]{{2}})\s*年"
                   rf"(?:\s*[\d{_MASK}一二三四五六七八九十]{{1,2}}\s*月(?:\s*[\d{_MASK}一二三四五六七八九十]{{1,3}}\s*日)?)?[)）]?\s*$")
_SIGNED_BY = re.compile(r"^(?:(?:述职人|报告人|汇报人|述廉人|作者|署名|单位|职务|姓名)\s*[:：]|[（(]?(?:作者|笔者)(?:系|为|是))\s*")
_SALUTE = re.compile(r"[:：]$|各位|尊敬|同志们|大家好|^[—-]{1,2}")
_NAME_TAIL = re.compile(rf"(?:\s*[{_CJK}{_MASK}]{{1,4}}(?:同志)?)?$")


def _signature_lines(lines: list[str]) -> list[str]:
    """Short lines that sign the report: 某某县委书记 张三 / 报告人：XX镇镇长 李四 / 2023年12月."""
    out: list[str] = []
    # a scraped page may glue the signature to the congress line: …第四次会议上 省长 某某
    lines = [part for line in lines for part in re.split(r"(?<=会议上)\s*", line) if part]
    for raw in lines:
        line = _SIGNED_BY.sub("", raw.strip())
        line = _DATE.sub("", re.sub(r"[)）]$", "", line)).strip()
        if (not line or len(line) > 40 or _SALUTE.search(raw.strip()) or heading_level(line)
                or re.search(r"[。！？!?；;，,:：“”\"]", line)):
            continue
        found = _roles_in(line, strict=True)
        if not found:
            continue
        last = max(found, key=lambda f: f.start)
        m = _ROLE_RE.match(line, last.start)
        tail = line[m.end():] if m else ""
        if _NAME_TAIL.fullmatch(tail) and (not tail or " " in tail or "　" in tail or len(tail.strip()) <= 3
                                           or _SIGNED_BY.match(raw.strip())):
            out.append(line)
    return out


_SELF = re.compile(
    rf"(?:(?:我叫|本人)[{_CJK}{_MASK}]{{1,4}}[，,]|我(?![们国省市县区旗州镇乡村局院校的司委办部厅处科所站行单])|本人)(?:(?:[于自从在由曾已]|\d{{4}}年)[^，。；！？\n]{{0,14}}?)?"
    r"(?:被)?(?:现任|担任|出任|调任|任命为|提任为?|当选为?|任(?!劳|务|何|重|性|用|期)|是(?!否)|系(?!统|列|数)|作为)(?P<span>[^，。；！？\n,;]{2,40})")
_NOW = re.compile(r"(?:^|[，,。\n])(?:现任|目前担任|现担任|自担任|担任|自任)(?P<span>[^，。；！？\n,;]{2,40})")
_AS = re.compile(r"(?:^|[，。；！？\n])(?:作为|身为)(?P<span>[^，。；！？\n,;]{2,30}?)(?:的我|我)?(?=[，,])")
_GOV = re.compile(r"我代表(?P<org>[^，。；\n]{0,24}?(?:人民政府|国务院|政府|中央委员会))|"
                  r"受(?P<by>[^，。；\n]{0,24}?(?:人民政府|国务院|中央委员会))(?:的)?委托|"
                  r"在(?P<at>[^，。；\n]{0,24}?)第[一二三四五六七八九十]{1,4}届(?P<nat>全国)?人民代表大会")
_LED = re.compile(rf"在(?:中共)?(?P<org>[{_CJK}{_MASK}]{{0,8}}?(?:省|市|州|县|区|旗|镇|乡|街道)(?:党)?(?:委|工委))"
                  r"(?:[、和及](?:[^，。；、]{0,10}?政府|[^，。；、]{0,10}?办事处))?的[^，。；]{0,6}?领导下")


def _self_spans(opening: str) -> list[str]:
    """Clauses in the opening where the author says what post they hold."""
    spans = [m.group("span") for m in _SELF.finditer(opening)]
    spans += [m.group("span") for m in _NOW.finditer(opening)]
    for m in _AS.finditer(opening):
        span = m.group("span")
        found = _roles_in(span, strict=True)
        if found and _ROLE_RE.match(span, found[-1].start).end() >= len(span) - 1:  # 作为…副县长，: the post ends it
            spans.append(span)
    return spans


def _title_span(title: str) -> str:
    """The title, without the year and the kind words, if it can name its author at all."""
    return re.sub(r"^(?:(?:19|20)\d\d|[" + _MASK + r"]{2,4})\s*年(?:度)?", "", title.strip())


# --- tier and sector -------------------------------------------------------------------

_SECTOR_WORDS: tuple[tuple[str, str], ...] = (
    (r"医院|卫生院|卫生服务中心|保健院|中医院", "医院"),
    (r"(?<!行政)学院|大学|中学|小学|学校|幼儿园|一中|二中|三中|高中|初中|职中|中专|技校|职业技术|"
     r"(?<!党)校(?=党委|党总支|党支部|领导|班子)", "学校"),
    (r"公司|集团|(?<!人民)银行|电网|农商行", "国企"),
)
_UNIT = re.compile(
    r"(?P<c>国务院|党中央|中央委员会|全国|中央(?!空调))|(?P<p>自治区|特别行政区|省)|"
    r"(?P<m>自治州|地区|地委|盟|(?<![城超都])市(?!场|民|容|值|政(?!府)|级)|(?<!贵)州(?!市|省))|"
    r"(?P<x>(?<!城乡)县|旗|(?<![社园校景片辖新开发保税库矿牧城])区(?!域|间|块))|"
    r"(?P<t>乡镇|街道|苏木|(?<![城村])镇(?!长|党|委|人民政府|政府|人大|纪委|$)|镇(?=长|党|委|人民政府|政府|人大|纪委|$)|"
    r"(?<![城农下老家])乡(?=党|人民政府|政府|长|人大|纪委|$))|"
    r"(?P<v>(?<![农乡])村(?![镇级])|社区|嘎查)"
)
_TIER_OF = {"c": "中央", "p": "省", "m": "市", "x": "县", "t": "乡镇", "v": "村"}


def _tier(org: str) -> str | None:
    """The tier of the smallest unit an organisation's name ends in (XX市XX区XX局 → 县)."""
    last = None
    for last in _UNIT.finditer(org):
        pass
    if last is None:
        return None
    tier = _TIER_OF[last.lastgroup or ""]
    if tier == "市" and org[last.start()] == "市":
        return city_tier(org, last.start())
    if org[last.start()] == "州" and not re.match(r"州(?:委|长|人民政府|政府|党委)", org[last.start():]):
        return zhou_tier(org[: last.start()])
    return tier


def _level(found: _Found, region: str | None) -> str | None:
    role, span = found.role, found.span
    prefix = span[: found.start]
    m = _ROLE_RE.match(span, found.start)
    named = span[: m.end()] if m else prefix  # 镇纪委书记, 县委组织部部长: the post's own words may name the unit
    if role in _TIER:
        level = _TIER[role]
        if role in ("市长", "副市长", "市委书记"):
            cities = [u for u in _UNIT.finditer(prefix) if u.lastgroup == "m" and prefix[u.start()] == "市"]
            level = city_tier(prefix, cities[-1].start()) if cities else "市"
    elif role in _SECTOR_ROLE and not re.search(r"党校|行政学院", span):
        return _SECTOR_ROLE[role]
    else:
        for pattern, sector in _SECTOR_WORDS:
            if re.search(pattern, span):
                return sector
        if role == "主席" and "自治区" in span:
            return "省"
        level = _tier(named)
        if role in ("院长", "副院长") and not re.search(r"法院", prefix):
            return None  # a 院长 of an unnamed 院 could be a hospital, a court or an institute
    if level == "市" and region in MUNICIPALITIES:
        return "省"
    return level


def _government(opening: str, title: str) -> tuple[str | None, str | None, str]:
    """For a government's report: the head's post and the tier, from 我代表XX人民政府 or the congress named."""
    role = level = None
    places = ""
    for m in _GOV.finditer(opening):
        org = m.group("org") or m.group("by") or m.group("at") or ""
        places += org + "\n"
        if m.group("nat") or "国务院" in org or "中央委员会" in org:
            level = level or "中央"
            if m.group("org") and "国务院" in org:
                role = role or "总理"
            continue
        tier = _tier(org + "政府") if org else None
        level = level or tier
        if m.group("org") and tier and "政府" in org:
            head = {"省": "主席" if "自治区" in org else "省长", "市": "市长", "县": "区长" if "区" in org else "县长",
                    "乡镇": "乡长" if org.endswith("乡人民政府") else "镇长"}.get(tier)
            role = role or head
    if level is None and "政府工作报告" in title:
        level = _tier(title.split("政府工作报告")[0])
    return role, level, places


def _region(texts: list[str]) -> str | None:
    """The one province the author's own designations name; None if none or several."""
    found: set[str] = set()
    for text in texts:
        found |= provinces_in(re.sub(r"[（(][^）)]{0,20}[）)]", "", text))
    return found.pop() if len(found) == 1 else None


def derive(title: str, opening: str, closing: str) -> Authorship:
    """Role, level and region from a report's title, its first paragraphs and its last lines."""
    title = re.sub(r"[（(](?:党组|党委|党工委)[)）]", "", fold(title or ""))
    opening, closing = fold(opening or ""), fold(closing or "")
    lines_open = [ln.strip() for ln in opening.split("\n") if ln.strip()]
    lines_close = [ln.strip() for ln in closing.split("\n") if ln.strip()]
    signatures = _signature_lines(list(reversed(lines_close[-5:]))) + _signature_lines(lines_open[:10])
    selves = _self_spans(opening)
    title_span = _title_span(title)
    gov_role, gov_level, gov_places = _government(opening, title)

    best = None
    for group in ([_best(_roles_in(s, strict=True)) for s in signatures],
                  [_best(_roles_in(s, strict=True)) for s in selves],
                  [_best(_roles_in(title_span, strict=True))]):
        best = next((f for f in group if f), None)
        if best:
            break

    led = _LED.search(opening)
    sources = signatures + selves + [title, gov_places] + ([led.group("org")] if led else [])
    region = _region(sources if best is None else [best.span] + sources)

    if best is None:
        level = gov_level
        if gov_level == "市" and region in MUNICIPALITIES:
            level = "省"
        return Authorship(gov_role, level, region)
    level = _level(best, region)
    if level is None and best.role in ("总理", "省长", "主席", "市长", "县长", "区长", "镇长", "乡长"):
        level = gov_level  # the head of the government the report speaks for
    if level is None and best.role in _DEPARTMENT and led and not re.search(r"医院|学校|公司|集团", best.span):
        level = _tier(led.group("org"))
        if level == "市" and region in MUNICIPALITIES:
            level = "省"
    return Authorship(best.role, level, region)


def derive_report(report) -> Authorship:
    """``derive`` over a ParsedReport: its title, first ten passages and last four."""
    title, opening, closing = report_pieces(report)
    return derive(title, opening, closing)


def report_pieces(report) -> tuple[str, str, str]:
    """The three pieces ``derive`` reads, from a ParsedReport (title, opening, closing)."""
    texts = [p.text for p in report.passages]
    title = "" if getattr(report, "title_derived", False) else report.title
    return title, "\n".join(texts[:10])[:2000], "\n".join(texts[-4:])


def score(cases: list[dict]) -> dict:
    """Per-facet accuracy over labelled cases ({title, opening, closing, role, level, region})."""
    facets = ("role", "level", "region")
    right = dict.fromkeys(facets, 0)
    misses: list[dict] = []
    for case in cases:
        got = derive(case.get("title", ""), case.get("opening", ""), case.get("closing", ""))
        for facet in facets:
            if getattr(got, facet) == case.get(facet):
                right[facet] += 1
            else:
                misses.append({"id": case.get("id"), "facet": facet, "expected": case.get(facet),
                               "got": getattr(got, facet)})
    n = len(cases) or 1
    return {"cases": len(cases), "accuracy": {f: right[f] / n for f in facets}, "misses": misses}


if __name__ == "__main__":  # python -m archive.authorship CASES.json
    import json

    if len(sys.argv) != 2:
        sys.exit("usage: python -m archive.authorship CASES.json")
    with open(sys.argv[1], encoding="utf-8") as fh:
        result = score(json.load(fh)["cases"])
    for facet, share in result["accuracy"].items():
        print(f"{facet:7s} {share:6.1%}  ({round(share * result['cases'])}/{result['cases']})")
    for miss in result["misses"]:
        print(f"miss {miss['id']}: {miss['facet']} expected {miss['expected']!r}, got {miss['got']!r}")
