"""Who wrote a report: role, level and region read from title, opening and signature."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from archive.authorship import LEVELS, ROLES, Authorship, derive, derive_report, report_pieces, score
from archive.authorship_places import REGIONS, prefectures, provinces_in
from archive.structure import parse

CASES = json.loads((Path(__file__).parent / "fixtures" / "authorship_cases.json").read_text("utf-8"))["cases"]


def _figures(cases: list[dict]) -> dict:
    result = score(cases)
    print(f"\nauthorship over {result['cases']} cases:")
    for facet, share in result["accuracy"].items():
        print(f"  {facet:7s} {share:6.1%}")
    for miss in result["misses"]:
        print(f"  miss {miss['id']}: {miss['facet']} expected {miss['expected']!r}, got {miss['got']!r}")
    return result


def test_authorship_accuracy_per_facet_at_least_90_percent():
    result = _figures(CASES)
    for facet, share in result["accuracy"].items():
        assert share >= 0.9, (facet, share, [m for m in result["misses"] if m["facet"] == facet])


def test_authorship_heldout_cases_at_least_90_percent():
    result = _figures([c for c in CASES if c["batch"].startswith("heldout")])
    assert result["cases"] >= 50
    for facet, share in result["accuracy"].items():
        assert share >= 0.9, (facet, share)


def test_authorship_cases_cover_every_role_level_and_some_regions():
    assert len(CASES) >= 80
    assert {c["role"] for c in CASES} >= set(ROLES)
    assert {c["level"] for c in CASES} >= set(LEVELS)
    assert len({c["region"] for c in CASES if c["region"]}) >= 15
    assert all(c[f] is None or c[f] in vocab for c in CASES for f, vocab in
               (("role", ROLES), ("level", LEVELS), ("region", REGIONS)))
    assert sum(1 for c in CASES if c["role"] is None) >= 5


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_authorship_answers_stay_in_the_vocabulary(case):
    got = derive(case["title"], case["opening"], case["closing"])
    assert got.role is None or got.role in ROLES
    assert got.level is None or got.level in LEVELS
    assert got.region is None or got.region in REGIONS


@pytest.mark.parametrize(
    "title, opening, closing, expected",
    [
        # a post named in passing is somebody else's
        ("工作总结", "在县委书记的带领下，我认真完成包联任务。", "", Authorship()),
        ("工作总结", "我坚持重大事项向局长汇报，认真落实局长交办的任务。", "", Authorship()),
        ("", "本人担任副县长，协助县长分管教育工作。", "", Authorship("副县长", "县", None)),
        # a deputy is not the head: 副县长 never reads as 县长
        ("", "", "某某县人民政府副县长 某某", Authorship("副县长", "县", None)),
        # 代 / 代理 counts as the post
        ("", "", "某某县人民政府代理县长 某某", Authorship("县长", "县", None)),
        # concurrent posts: the one that ranks first
        ("", "本人现任县教育局党组书记、局长。", "", Authorship("局长", "县", None)),
        ("", "本人现任某某镇党委副书记、镇长。", "", Authorship("镇长", "乡镇", None)),
        ("", "本人现任某某街道党工委书记。", "", Authorship("乡镇党委书记", "乡镇", None)),
        # the signature wins over the title
        ("2023年县长述职报告", "一年来我分管工业。", "某某县人民政府副县长 某某\n2023年12月", Authorship("副县长", "县", None)),
        # masked names: the tier, never the region
        ("XX市XX局局长述职报告", "", "", Authorship("局长", "市", None)),
        ("", "", "**县委书记 ***", Authorship("县委书记", "县", None)),
        # 湖南省长沙市 / 西安市长安区 hold no 省长 or 市长
        ("", "本人现任湖南省长沙市某某区副区长。", "", Authorship("副区长", "县", "湖南")),
        ("", "本人现任西安市长安区教育局局长。", "", Authorship("局长", "县", "陕西")),
        # sectors win over geography; a court's 院长 does not
        ("", "本人现任某某县人民医院院长。", "", Authorship("院长", "医院", None)),
        ("", "本人现任某某县人民法院院长。", "", Authorship("院长", "县", None)),
        ("", "本人现任某某县第二中学校长。", "", Authorship("校长", "学校", None)),
        ("", "本人现任某某县城市建设投资集团有限公司董事长。", "", Authorship("董事长", "国企", None)),
        # a government's report: head and tier from 我代表…; province-level cities
        ("2024年政府工作报告", "各位代表：\n现在，我代表县人民政府，向大会报告工作。", "", Authorship("县长", "县", None)),
        ("2024年上海市政府工作报告", "各位代表：\n现在，我代表市人民政府，向大会报告工作。", "", Authorship("市长", "省", "上海")),
        ("政府工作报告", "各位代表：\n现在，我代表国务院，向大会报告政府工作。", "", Authorship("总理", "中央", None)),
        # a county-level city is not in the prefecture table: no tier, no region
        ("", "", "义乌市人民政府市长 某某", Authorship("市长", None, None)),
        # the audience in a salutation is not the author
        ("述职报告", "主任、副主任、各位委员：\n一年来，我认真履职。", "主任、各位委员，我将继续努力！", Authorship()),
        # words that look like self-descriptions but are not (系统学习, 现任…同志 quoted)
        ("", "一年来，我系统学习了县委书记在全县大会上的讲话。", "", Authorship()),
        ("", "会上，现任县委书记张某同志强调要抓好落实。", "", Authorship()),
        ("", "我是县委书记的秘书，负责文稿起草。", "", Authorship()),
        # 团县委书记 leads the Youth League; 驻村第一书记 is not the village's party secretary
        ("团县委书记述职报告", "", "", Authorship()),
        ("驻村第一书记述职报告", "", "", Authorship()),
        ("", "本人现任校党委书记。", "", Authorship("党委书记", "学校", None)),
        # 作者系… at the end of a newspaper piece signs it
        ("", "", "（作者系某某县委书记）", Authorship("县委书记", "县", None)),
        # traditional characters
        ("", "本人現任廣東省深圳市某某區區長。", "", Authorship("区长", "县", "广东")),
    ],
)
def test_authorship_hard_patterns(title, opening, closing, expected):
    assert derive(title, opening, closing) == expected


def test_authorship_region_none_when_two_provinces_compete():
    got = derive("", "本人现任四川省某某县县长。", "湖北省某某县人民政府县长 某某")
    assert got.role == "县长" and got.region is None


def test_authorship_is_frozen_and_empty_input_gives_nothing():
    got = derive("", "", "")
    assert got == Authorship(None, None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.role = "县长"  # type: ignore[misc]


def test_authorship_prefecture_table_has_every_capital_and_the_regions_map():
    table = prefectures()
    capitals = {"石家庄": "河北", "太原": "山西", "呼和浩特": "内蒙古", "沈阳": "辽宁", "长春": "吉林",
                "哈尔滨": "黑龙江", "南京": "江苏", "杭州": "浙江", "合肥": "安徽", "福州": "福建", "南昌": "江西",
                "济南": "山东", "郑州": "河南", "武汉": "湖北", "长沙": "湖南", "广州": "广东", "南宁": "广西",
                "海口": "海南", "成都": "四川", "贵阳": "贵州", "昆明": "云南", "拉萨": "西藏", "西安": "陕西",
                "兰州": "甘肃", "西宁": "青海", "银川": "宁夏", "乌鲁木齐": "新疆"}
    assert all(table[c] == p for c, p in capitals.items())
    assert len(table) >= 330
    assert set(table.values()) <= set(REGIONS)
    assert len(REGIONS) == 34


@pytest.mark.parametrize(
    "text, expected",
    [
        ("来宾", set()),  # a word, not 来宾市
        ("长治久安", set()),
        ("海南藏族自治州", {"青海"}),
        ("海南省", {"海南"}),
        ("赴浙江学习", set()),
        ("XX市某某县", set()),
        ("苏州工业园区", {"江苏"}),
        ("大兴安岭地区", {"黑龙江"}),
    ],
)
def test_authorship_places(text, expected):
    assert provinces_in(text) == expected


def test_authorship_wired_through_parse():
    report = parse("2023年度县委书记述职报告\n各位代表：\n一年来，我在市委的领导下认真履职。\n一、主要工作\n"
                   "全年完成投资十亿元。\n以上报告，请予审议。\n中共山西省大同市某某县委书记 某某\n2024年1月")
    title, opening, closing = report_pieces(report)
    assert title == "2023年度县委书记述职报告"
    assert "某某县委书记" in closing
    assert derive_report(report) == Authorship("县委书记", "县", "山西")
