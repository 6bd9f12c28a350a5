"""Report-shaped text for the reliability runs: composed here, varied from the samples.

``compose(rng, serial)`` writes a report of our own (title, salutation,
numbered headings 一、/（一）/1., paragraphs, closing) from the phrase
tables below; every report carries a unique check phrase (``核验码`` + its
serial in Chinese digits) so a test can find exactly that report. The
sample reports in ``import/`` (when the folder holds any) are added as
they are and in variations: other encodings and line endings (exact
duplicates) and reposts with small edits (near duplicates). Everything is
seeded: the same arguments give the same bytes.
"""

from __future__ import annotations

import random
from pathlib import Path

from archive.errors import InputError
from archive.text import decode

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "import"

DIGITS = "零一二三四五六七八九"

PLACES = ["青山", "白水", "东岭", "西河", "南湖", "北川", "金沙", "石门", "云台", "凤城", "龙泉", "桃源",
          "柳林", "松江", "梅岭", "竹溪", "清河", "安平", "永丰", "长乐"]
UNITS = ["县", "市", "区", "镇", "乡"]
ORGS = ["商务局", "教育局", "财政局", "交通运输局", "农业农村局", "卫生健康委", "住房城乡建设局", "文化旅游局",
        "生态环境局", "自然资源局", "市场监管局", "应急管理局", "人社局", "统计局", "医保局", "水利局"]
ROLES = ["局长", "党组书记", "主任", "副局长", "党委书记", "镇长", "副县长"]
KIND_TITLES = ["述职报告", "述职述责述廉报告", "述廉报告", "年度工作总结", "个人述职报告"]

ACTIONS = ["坚持", "深化", "扎实推进", "全面落实", "持续加强", "着力完善", "统筹推进", "认真抓好", "大力推动",
           "不断健全", "稳步实施", "积极探索"]
TOPICS = ["理论学习", "作风建设", "招商引资", "营商环境", "乡村振兴", "安全生产", "基层党建", "队伍建设",
          "民生保障", "项目建设", "生态保护", "数字政务", "依法行政", "廉政风险防控", "干部培训", "信访维稳",
          "财政管理", "城乡融合", "产业升级", "公共服务"]
MEANS = ["建立工作台账", "实行清单管理", "开展专项督查", "召开专题会议", "组织集中学习", "落实责任分工",
         "完善考核办法", "健全长效机制", "开展调查研究", "推行挂图作战", "强化跟踪问效", "加强部门协同"]
RESULTS = ["取得了明显成效", "形成了良好局面", "得到了群众认可", "完成了年度目标", "实现了稳中有进",
           "打下了坚实基础", "提升了工作效率", "补齐了短板弱项"]
FIGURES = ["累计完成{t}相关事项{n}件", "全年投入资金{n}万元用于{t}", "组织{t}培训{n}场次", "走访企业和群众{n}户次",
           "办结群众诉求{n}件", "新增{t}示范点{n}个"]
PROBLEMS = ["理论学习还不够系统深入", "调查研究还不够经常", "抓落实的力度还需加大", "创新意识还不够强",
            "统筹协调能力还有差距", "对基层的指导还不够到位", "个别工作推进较慢", "制度执行还不够严格"]
PLANS = ["明年将继续{a}{t}", "下一步要把{t}摆在更加突出的位置", "今后要以{t}为抓手", "力争在{t}上取得新突破"]

SECTIONS = [
    ("political", ["加强理论学习，提高政治站位", "坚持政治引领，筑牢思想根基", "强化政治建设，做到两个维护"]),
    ("performance", ["履职尽责，推动重点工作落实", "担当作为，全力推动高质量发展", "聚焦主责主业，抓好经济建设"]),
    ("party_building", ["加强班子和队伍建设", "夯实基层组织，发挥战斗堡垒作用", "党建引领，建强干部队伍"]),
    ("integrity", ["廉洁自律，落实党风廉政建设责任", "严守八项规定，持续正风肃纪", "加强作风建设，做到清正廉洁"]),
    ("problems", ["存在的问题和不足", "存在问题", "工作中的差距和短板"]),
    ("plans", ["下一步工作打算", "今后的努力方向", "明年工作计划"]),
]


def cjk_number(n: int) -> str:
    """1 → 一, 12 → 十二 (up to 99): heading numbers."""
    tens, ones = divmod(n, 10)
    return ("" if tens < 2 else DIGITS[tens]) + ("十" if tens else "") + (DIGITS[ones] if ones or not tens else "")


def check_code(serial: int) -> str:
    """A phrase only this report contains: 核验码 + the serial in Chinese digits."""
    return "核验码" + "".join(DIGITS[int(d)] for d in f"{serial:06d}")


def _sentence(rng: random.Random, topic: str) -> str:
    pick = rng.randrange(4)
    if pick == 0:
        return f"{rng.choice(ACTIONS)}{topic}，通过{rng.choice(MEANS)}、{rng.choice(MEANS)}，{rng.choice(RESULTS)}。"
    if pick == 1:
        fig = rng.choice(FIGURES).format(t=topic, n=rng.randrange(3, 9000))
        return f"围绕{rng.choice(TOPICS)}和{topic}，{fig}，{rng.choice(RESULTS)}。"
    if pick == 2:
        return f"在{rng.choice(PLACES)}{rng.choice(UNITS)}{rng.choice(MEANS)}，{rng.choice(ACTIONS)}{topic}工作。"
    return f"{rng.choice(['一是', '二是', '三是', '同时，', '此外，'])}{rng.choice(ACTIONS)}{rng.choice(TOPICS)}，" \
           f"{rng.choice(FIGURES).format(t=topic, n=rng.randrange(2, 500))}。"


def _paragraph(rng: random.Random, stype: str) -> str:
    topic = rng.choice(TOPICS)
    if stype == "problems":
        return "；".join(f"{DIGITS[i + 1]}是{rng.choice(PROBLEMS)}" for i in range(rng.randint(2, 4))) + "。"
    if stype == "plans":
        return "。".join(rng.choice(PLANS).format(a=rng.choice(ACTIONS), t=rng.choice(TOPICS))
                        for _ in range(rng.randint(2, 3))) + "。"
    return "".join(_sentence(rng, topic) for _ in range(rng.randint(2, 4)))


def compose(rng: random.Random, serial: int, *, paragraphs: int = 4) -> str:
    """A report of our own, about ``paragraphs`` paragraphs per subsection."""
    year = rng.randint(2015, 2025)
    place = rng.choice(PLACES) + rng.choice(UNITS)
    org, role = rng.choice(ORGS), rng.choice(ROLES)
    lines = [f"{year}年{place}{org}{role}{rng.choice(KIND_TITLES)}", "主任、副主任、各位委员：",
             f"{year}年，在{place}委、{place}政府的正确领导下，本人认真履行职责，现将一年来的工作报告如下，"
             f"请予评议（{check_code(serial)}）。"]
    for n, (stype, headings) in enumerate(SECTIONS, start=1):
        lines.append(f"{cjk_number(n)}、{rng.choice(headings)}")
        if stype in ("problems", "plans"):
            lines.extend(_paragraph(rng, stype) for _ in range(rng.randint(1, 3)))
            continue
        for k in range(1, rng.randint(2, 4)):
            lines.append(f"（{cjk_number(k)}）{rng.choice(ACTIONS)}{rng.choice(TOPICS)}")
            lines.extend(_paragraph(rng, stype) for _ in range(rng.randint(max(1, paragraphs - 2), paragraphs + 2)))
    lines.append("以上报告，不妥之处，敬请批评指正。")
    return "\n".join(lines) + "\n"


def samples() -> list[tuple[str, bytes]]:
    """(name, bytes) of the sample reports bundled in ``import/`` (none when the folder is empty)."""
    if not SAMPLES.is_dir():
        return []
    return [(p.name, p.read_bytes()) for p in sorted(SAMPLES.rglob("*")) if p.is_file()
            and p.suffix.lower() in (".txt", ".md")]


def exact_variant(text: str, how: str) -> bytes:
    """Other bytes, the same normalized text: an exact duplicate."""
    if how == "gbk":
        return text.encode("gb18030")
    if how == "utf16":
        return text.encode("utf-16")
    if how == "crlf":
        return ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8")
    if how == "marked":
        head, _, tail = text.partition("\n")
        return f"{head}\n##paidbegin##\n{tail}##paidend##\n".encode("utf-8")
    raise ValueError(how)


def near_variant(rng: random.Random, text: str) -> str:
    """A repost: web chrome around it, one paragraph dropped, a few characters changed."""
    lines = text.rstrip("\n").split("\n")
    long_ones = [i for i, ln in enumerate(lines) if len(ln) > 60]
    if len(long_ones) > 4:
        del lines[rng.choice(long_ones[1:])]
    i = rng.choice([i for i, ln in enumerate(lines) if len(ln) > 20] or [0])
    lines[i] = lines[i].replace("，", "、", 1)
    return "\n".join(["首页 > 工作动态", "【字号：大 中 小】", *lines, "打印本页", "关闭窗口"]) + "\n"


EXACT_KINDS = ("gbk", "utf16", "crlf", "marked")


def write_reports(out: Path, count: int, seed: int, *, start: int = 0, paragraphs: int = 4,
                  dup_share: float = 0.08) -> list[Path]:
    """``count`` files of composed reports (about ``dup_share`` exact and as many near duplicates)
    plus the samples and their variants, in folders of 100; returns the paths written."""
    rng = random.Random(f"soak-corpus:{seed}:{start}")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    originals: list[str] = []

    def put(name: str, data: bytes) -> None:
        path = out / f"{len(written) // 100:03d}" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        written.append(path)

    for name, data in samples():
        put(f"sample-{name}", data)
        try:
            text = decode(data).text  # the samples come in several encodings
        except InputError:
            continue
        put(f"sample-gbk-{name}", text.encode("gb18030", errors="replace"))
        put(f"sample-repost-{name}", near_variant(rng, text).encode("utf-8"))
    for n in range(start, start + count):
        r = rng.random()
        if originals and r < dup_share:
            how = rng.choice(EXACT_KINDS)
            put(f"r{n:06d}-exact-{how}.txt", exact_variant(rng.choice(originals), how))
        elif originals and r < 2 * dup_share:
            put(f"r{n:06d}-near.txt", near_variant(rng, rng.choice(originals)).encode("utf-8"))
        else:
            text = compose(random.Random(f"report:{seed}:{n}"), n, paragraphs=paragraphs)
            originals.append(text)
            put(f"r{n:06d}.txt", text.encode("utf-8"))
    return written
