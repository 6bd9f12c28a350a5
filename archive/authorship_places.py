"""Where a report comes from: the 34 province-level divisions and the prefecture-level units under them.

The table is written for the archive from the administrative map (2024):
every prefecture-level city (293), autonomous prefecture (30), 地区 (7) and
盟 (3), plus the county-level cities a province governs directly (济源,
仙桃, 潜江, 天门). County-level cities and counties are not listed: a name
not found here is treated as unknown, never guessed.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Short names of the 34 province-level divisions, in the official order.
REGIONS: tuple[str, ...] = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽",
    "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州",
    "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "台湾", "香港", "澳门",
)

#: Characters that stand for a masked name (某县, XX市, **局).
MASK = r"某ＸXx×*＊□○〇"

#: The four cities that are provinces: their 市长 and 市委书记 are province-level.
MUNICIPALITIES: frozenset[str] = frozenset({"北京", "天津", "上海", "重庆"})

# province: "cities | prefectures named with 州 | 地区 | 盟" (space-separated, without the suffix)
_TABLE: dict[str, tuple[str, str, str, str]] = {
    "河北": ("石家庄 唐山 秦皇岛 邯郸 邢台 保定 张家口 承德 沧州 廊坊 衡水", "", "", ""),
    "山西": ("太原 大同 阳泉 长治 晋城 朔州 晋中 运城 忻州 临汾 吕梁", "", "", ""),
    "内蒙古": ("呼和浩特 包头 乌海 赤峰 通辽 鄂尔多斯 呼伦贝尔 巴彦淖尔 乌兰察布", "", "", "兴安 锡林郭勒 阿拉善"),
    "辽宁": ("沈阳 大连 鞍山 抚顺 本溪 丹东 锦州 营口 阜新 辽阳 盘锦 铁岭 朝阳 葫芦岛", "", "", ""),
    "吉林": ("长春 吉林 四平 辽源 通化 白山 松原 白城", "延边", "", ""),
    "黑龙江": ("哈尔滨 齐齐哈尔 鸡西 鹤岗 双鸭山 大庆 伊春 佳木斯 七台河 牡丹江 黑河 绥化", "", "大兴安岭", ""),
    "江苏": ("南京 无锡 徐州 常州 苏州 南通 连云港 淮安 盐城 扬州 镇江 泰州 宿迁", "", "", ""),
    "浙江": ("杭州 宁波 温州 嘉兴 湖州 绍兴 金华 衢州 舟山 台州 丽水", "", "", ""),
    "安徽": ("合肥 芜湖 蚌埠 淮南 马鞍山 淮北 铜陵 安庆 黄山 滁州 阜阳 宿州 六安 亳州 池州 宣城", "", "", ""),
    "福建": ("福州 厦门 莆田 三明 泉州 漳州 南平 龙岩 宁德", "", "", ""),
    "江西": ("南昌 景德镇 萍乡 九江 新余 鹰潭 赣州 吉安 宜春 抚州 上饶", "", "", ""),
    "山东": ("济南 青岛 淄博 枣庄 东营 烟台 潍坊 济宁 泰安 威海 日照 临沂 德州 聊城 滨州 菏泽", "", "", ""),
    "河南": ("郑州 开封 洛阳 平顶山 安阳 鹤壁 新乡 焦作 濮阳 许昌 漯河 三门峡 南阳 商丘 信阳 周口 驻马店 济源",
             "", "", ""),
    "湖北": ("武汉 黄石 十堰 宜昌 襄阳 鄂州 荆门 孝感 荆州 黄冈 咸宁 随州 仙桃 潜江 天门", "恩施", "", ""),
    "湖南": ("长沙 株洲 湘潭 衡阳 邵阳 岳阳 常德 张家界 益阳 郴州 永州 怀化 娄底", "湘西", "", ""),
    "广东": ("广州 韶关 深圳 珠海 汕头 佛山 江门 湛江 茂名 肇庆 惠州 梅州 汕尾 河源 阳江 清远 东莞 中山 潮州 揭阳 云浮",
             "", "", ""),
    "广西": ("南宁 柳州 桂林 梧州 北海 防城港 钦州 贵港 玉林 百色 贺州 河池 来宾 崇左", "", "", ""),
    "海南": ("海口 三亚 三沙 儋州", "", "", ""),
    "四川": ("成都 自贡 攀枝花 泸州 德阳 绵阳 广元 遂宁 内江 乐山 南充 眉山 宜宾 广安 达州 雅安 巴中 资阳",
             "阿坝 甘孜 凉山", "", ""),
    "贵州": ("贵阳 六盘水 遵义 安顺 毕节 铜仁", "黔西南 黔东南 黔南", "", ""),
    "云南": ("昆明 曲靖 玉溪 保山 昭通 丽江 普洱 临沧", "楚雄 红河 文山 西双版纳 大理 德宏 怒江 迪庆", "", ""),
    "西藏": ("拉萨 日喀则 昌都 林芝 山南 那曲", "", "阿里", ""),
    "陕西": ("西安 铜川 宝鸡 咸阳 渭南 延安 汉中 榆林 安康 商洛", "", "", ""),
    "甘肃": ("兰州 嘉峪关 金昌 白银 天水 武威 张掖 平凉 酒泉 庆阳 定西 陇南", "临夏 甘南", "", ""),
    "青海": ("西宁 海东", "海北 黄南 海南 果洛 玉树 海西", "", ""),
    "宁夏": ("银川 石嘴山 吴忠 固原 中卫", "", "", ""),
    "新疆": ("乌鲁木齐 克拉玛依 吐鲁番 哈密", "昌吉 博尔塔拉 巴音郭楞 克孜勒苏 伊犁", "阿克苏 喀什 和田 塔城 阿勒泰", ""),
}


@lru_cache(maxsize=1)
def prefectures() -> dict[str, str]:
    """Every prefecture-level name (without 市/州/地区/盟) → its province."""
    out: dict[str, str] = {}
    for province, groups in _TABLE.items():
        for group in groups:
            for name in group.split():
                out[name] = province
    return out


@lru_cache(maxsize=1)
def _places() -> tuple[re.Pattern[str], tuple[str, ...]]:
    """Province names, and prefecture names with the suffix that makes them unambiguous.

    A two-character city name counts only with 市 after it (长治久安, 日照时间
    and 来宾 are words too); longer names and those ending in 州 may stand
    alone; autonomous prefectures need 州 (海南州 is not 海南省), 地区 and 盟
    their own suffix. Returns the pattern and, per named group, its province.
    """
    parts: list[tuple[str, str, str]] = []  # (name, province, pattern)
    for province, (cities, zhou, diqu, meng) in _TABLE.items():
        for name in cities.split():
            bare = len(name) >= 3 or name.endswith("州")
            parts.append((name, province, re.escape(name) + ("(?:市)?" if bare else "市")))
        for name in zhou.split():
            parts.append((name, province, re.escape(name) + r"(?:[\u4e00-\u9fff]{0,6}?自治州|州)"))
        for name in diqu.split():
            parts.append((name, province, re.escape(name) + ("(?:地区)?" if len(name) >= 3 else "地区")))
        for name in meng.split():
            parts.append((name, province, re.escape(name) + "盟"))
    guard = {"海南": "(?![州藏])", "台湾": "(?!事务|工作)"}
    for name in REGIONS:
        parts.append((name, name, re.escape(name) + guard.get(name, "")))
    parts.sort(key=lambda p: -len(p[0]))
    alternation = "|".join(f"(?P<p{i}>{pattern})" for i, (_, _, pattern) in enumerate(parts))
    # 赴浙江 / 到广州 / 援藏 / 驻香港: a place visited or helped is not the author's own
    return re.compile(r"(?<![赴到去援往驻])(?:" + alternation + ")"), tuple(p[1] for p in parts)


def provinces_in(text: str) -> set[str]:
    """The provinces that the place names in ``text`` belong to (masked names give none)."""
    if not text:
        return set()
    pattern, provinces = _places()
    return {provinces[int(m.lastgroup[1:])] for m in pattern.finditer(text) if m.lastgroup}


def city_province(name: str) -> str | None:
    """The province of a prefecture-level name, or of a province-level city (北京 → 北京)."""
    if name in MUNICIPALITIES:
        return name
    return prefectures().get(name)


def city_tier(org: str, at: int) -> str | None:
    """市 when the city before position ``at`` is prefecture-level, masked or unnamed; None when unknown."""
    head = re.split(r"[省区县镇乡村、\s]|中共", org[:at])[-1]
    name = re.sub(rf"^[{MASK}]+", "", head)
    if not head or head != name or re.search(f"[{MASK}]", head) or head in ("我", "本", "全", "该", "各"):
        return "市"
    if city_province(head):
        return "市"
    return None


def zhou_tier(head: str) -> str | None:
    """市 when the name before 州 is a prefecture (杭州, 黔东南州); None for a county-level 州 (雷州)."""
    table = prefectures()
    if head.endswith("自治") or any(head[-k:] in table or head[-k:] + "州" in table for k in range(1, 6) if len(head) >= k):
        return "市"
    return None
