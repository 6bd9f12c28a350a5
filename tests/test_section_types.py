"""Section types on real text: inherited by items, problems found by content, reviews are performance."""

from __future__ import annotations

import re
import sqlite3

import pytest

from archive.classify import classify_heading, speaks_of_problems
from archive.structure import parse

GOV = """2019年某市人民政府工作报告
各位代表：
现在，我代表市人民政府，向大会报告政府工作，请予审议。
一、2018年工作回顾
过去一年，全市地区生产总值增长7.2%，一般公共预算收入增长8.1%，城乡居民收入稳步增长，新建学校12所。
我们也清醒看到，发展中还存在不少困难和问题，主要是：产业结构不优，创新能力不强，民生领域还有短板。
二、2019年主要工作
（一）着力推动经济高质量发展
加快产业转型升级，全年新开工重大项目60个，力争地区生产总值增长7%。
（二）加强干部队伍建设
完善干部考核评价机制，激励干部担当作为。
以上报告，请予审议。"""

SHUZHI = """2023年度县交通运输局局长述职报告
各位领导、同志们：
一年来，在县委、县政府的坚强领导下，我认真履职，现将工作报告如下。
一、立下愚公移山志
全年完成交通固定资产投资8.6亿元，新改建农村公路126公里，实现了建制村通客车全覆盖，群众出行更加便利。
二、干在实处走在前
扎实推进项目建设，开工建设县城外环路，完成危桥改造14座，项目建设提速增效。
同时也要看到，工作中还存在一些问题：项目储备不足，行业监管还有薄弱环节。
三、下一步工作打算
（一）加强理论学习
坚持每周集中学习一次，提升政治能力。
（二）着力推动交通项目建设
力争2024年完成投资10亿元。
以上报告，请予评议。"""


def level1(report):
    return [(s.heading, s.section_type) for s in report.sections if s.level == 1]


def test_a_review_of_the_report_year_is_performance_not_plans():
    r = parse(GOV, "gov.txt")
    assert level1(r)[0] == ("一、2018年工作回顾", "performance")
    r2018 = parse(GOV.replace("2019年某市", "2018年某市"), "gov.txt")  # some sites label it by the year reviewed
    assert r2018.year == 2018 and level1(r2018)[0][1] == "performance"


def test_a_problems_paragraph_inside_a_review_is_problems():
    r = parse(GOV, "gov.txt")
    types = {p.text[:6]: p.section_type for p in r.passages}
    assert types["我们也清醒看"] == "problems"
    assert types["过去一年，全"] == "performance"
    shuzhi = {p.text[:6]: p.section_type for p in parse(SHUZHI, "a.txt").passages}
    assert shuzhi["同时也要看到"] == "problems" and shuzhi["扎实推进项目"] == "performance"


def test_items_under_plans_stay_plans_whatever_subject_they_name():
    r = parse(SHUZHI, "a.txt")
    assert [s.section_type for s in r.sections if s.level == 2] == ["plans", "plans"]
    assert [s.section_type for s in parse(GOV, "gov.txt").sections if s.level == 2] == ["plans", "plans"]


def test_a_figurative_heading_is_typed_by_its_body():
    r = parse(SHUZHI, "a.txt")
    assert level1(r)[:2] == [("一、立下愚公移山志", "performance"), ("二、干在实处走在前", "performance")]


@pytest.mark.parametrize("paragraph, expected", [
    ("我们也清醒看到，发展中还存在不少困难和问题。", True),
    ("同时，我们清醒认识到，前进道路上还有不少困难和问题。", True),
    ("在看到成绩的同时，我们也认识到老问题、新挑战仍然不少，主要是外部环境变化影响加深。", True),
    ("存在的问题：一是学习不够深入。", True),
    ("全年解决群众反映的突出问题120件，办结率98%。", False),
    ("针对巡察反馈的问题，立行立改，完成整改23项。", False),
])
def test_speaks_of_problems(paragraph, expected):
    assert speaks_of_problems(paragraph) is expected


def test_review_heading_with_a_trailing_stop_is_performance():
    assert classify_heading("一、1999年国内工作回顾.", kind="政府工作报告", year=1999) == "performance"


#: A paragraph that turns to shortcomings, as government reports word it (independent of the classifier's rule).
_TURN = re.compile(r"(?:清醒(?:地)?(?:看到|认识到)|(?:也|还)(?:要|应)?(?:看到|认识到))[^。]{0,60}"
                   r"(?:问题|困难|不足|差距|短板|挑战|严峻|薄弱)|(?:问题|困难|不足)[^。]{0,6}主要(?:是|表现在)[：:]")


@pytest.mark.shared
def test_every_government_report_with_a_problems_paragraph_has_a_problems_passage(corpus_archive):
    data, _out, _code = corpus_archive
    db = sqlite3.connect(data / "archive.db")
    reports = [r for (r,) in db.execute("SELECT report_id FROM reports WHERE kind = '政府工作报告'")]
    with_problems = missing = 0
    for rid in reports:
        rows = db.execute("SELECT text, section_type FROM passages WHERE report_id = ?", (rid,)).fetchall()
        if not any(_TURN.search(text) for text, _ in rows):
            continue
        with_problems += 1
        if not any(t == "problems" for _, t in rows):
            missing += 1
    assert with_problems >= 40
    assert missing == 0
