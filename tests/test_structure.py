"""Titles, years, kinds, headings, passages and section types."""

from __future__ import annotations

import pytest

from archive.classify import classify_heading
from archive.structure import heading_level, heading_text, parse
from archive.text import clean, decode

REPORT = """2021年度县科技局局长述职报告
主任、副主任、各位委员：
一年来，我在县委的坚强领导下，认真履职，现将有关情况报告如下，请予评议。
一、坚持理论武装，不断提高政治站位
（一）强化理论学习。一年来，我坚持每周参加理论学习中心组学习，深刻领会“两个维护”的重大意义。
1.读原著学原文。系统研读指定书目四本。
2、联系实际学。结合科技工作撰写心得三篇。
（1）开展专题研讨两次。
二、聚焦主责主业，推动科技创新取得实效
全年争取上级科技项目资金1200万元，新增高新技术企业8家。
三、严守纪律规矩，始终保持廉洁自律
严格落实中央八项规定精神，从不插手工程项目。
四、存在的问题和不足
一是学习的系统性不够，二是调研不够深入。
五、下一步工作打算
坚持问题导向，推动科技工作再上新台阶。
以上报告，请予审议。"""


@pytest.mark.parametrize(
    "line, level",
    [
        ("一、坚持理论武装", 1),
        ("十二、其他工作", 1),
        ("（一）强化理论学习", 2),
        ("(三)加强作风建设", 2),
        ("1.读原著学原文", 3),
        ("2、联系实际学", 3),
        ("（1）开展专题研讨", 3),
        ("1.14万亿斤粮食产量创新高", None),
        ("一是加强学习，二是改进作风。", None),
        ("2023年，在市委的坚强领导下", None),
    ],
)
def test_heading_level_recognises_each_numbering_style(line, level):
    assert heading_level(line) == level


def test_heading_text_keeps_the_first_sentence_of_a_run_on_heading():
    line = "（一）强化理论学习。" + "一年来，我坚持每周参加理论学习中心组学习，" * 4
    assert heading_text(line) == "（一）强化理论学习"


def test_parse_reads_title_year_kind_and_all_levels():
    r = parse(REPORT, "report.txt")
    assert (r.title, r.year, r.kind) == ("2021年度县科技局局长述职报告", 2021, "述职报告")
    assert [s.level for s in r.sections] == [1, 2, 3, 3, 3, 1, 1, 1, 1]
    assert [s.section_type for s in r.sections if s.level == 1] == [
        "political", "performance", "integrity", "problems", "plans"]


def test_parse_numbers_every_line_as_a_passage_and_types_it():
    r = parse(REPORT, "report.txt")
    assert [p.passage_no for p in r.passages] == list(range(1, len(r.passages) + 1))
    assert "\n".join(p.text for p in r.passages) == REPORT.split("\n", 1)[1]  # nothing lost but the title
    by_text = {p.text[:6]: p for p in r.passages}
    assert by_text["主任、副主任"].section_type == "preamble"
    assert by_text["一年来，我在"].section_type == "preamble"
    assert by_text["（1）开展专"].section_type == "political"  # innermost typed heading
    assert by_text["（1）开展专"].heading == "（1）开展专题研讨两次。"
    assert by_text["全年争取上级"].section_type == "performance"
    assert by_text["以上报告，请"].section_type == "closing"


def test_parse_masked_year_in_title_is_unknown():
    r = parse("**年度**局局长述职报告\n一、履职情况\n一年来，工作有序推进。", "2019_copy.txt")
    assert r.year is None


def test_parse_year_from_file_name_when_title_has_none():
    r = parse("各位代表：\n现在，我代表县人民政府，向大会报告政府工作。\n一、过去一年的工作", "2020_gov.txt")
    assert r.year == 2020 and r.kind == "政府工作报告"


def test_parse_derives_a_title_when_there_is_none():
    r = parse("一年来，在市委的坚强领导下，我认真履职，现将今年工作述职如下：\n一、履职情况\n完成各项任务。", "a.txt")
    assert r.title_derived and r.title.startswith("述职报告（一年来")
    assert r.kind == "述职报告"


@pytest.mark.parametrize(
    "title, kind",
    [
        ("2022年市局党委书记述职述责述廉报告", "述职述责述廉报告"),
        ("2020年度述廉报告", "述廉报告"),
        ("2019年个人工作总结", "工作总结"),
        ("2024年某县政府工作报告", "政府工作报告"),
        ("关于政府工作报告的决议", "其他"),
        ("2023年度述职报告", "述职报告"),
        ("各位代表：\n现在，我代表国务院，向大会报告过去五年的政府工作，请予审议。", "政府工作报告"),
        ("各位代表：\n我代表国务院向第一届全国人民代表大会第五次会议，提出关于一九五八年度国民经济计划的报告，请予审议。",
         "政府工作报告"),
        ("同志们：\n现在，我代表第十七届中央委员会向大会作报告。", "其他"),
    ],
)
def test_parse_kind_from_title(title, kind):
    assert parse(title + "\n一年来，我认真履行职责，完成了各项工作任务。", "").kind == kind


@pytest.mark.parametrize(
    "heading, key",
    [
        ("三、自觉接受监督，不断提升法治思维和工作作风", "supervision"),
        ("四、始终廉洁自律，树立为民服务公仆形象", "integrity"),
        ("三、当好班长，带好队伍，在夯实基础中重塑形象", "party_building"),
        ("一、坚决做到“两个维护”，自觉同党中央保持高度一致", "political"),
        ("二、担当作为，从实谋事，在推动发展中创新实干", "performance"),
        ("二、存在的问题和不足", "problems"),
        ("三、下一步工作计划", "plans"),
        ("（三）坚持正风肃纪，加强党风廉政建设", "integrity"),
    ],
)
def test_classify_heading_by_its_leading_subject(heading, key):
    assert classify_heading(heading) == key


# What a careful reader assigns to the top-level headings of ../shared/seeds.
SEED_TYPES = {
    "000": ["political", "performance", "supervision", "integrity"],
    "001": ["political", "performance", "party_building", "integrity"],
    "002": ["political", "political", "performance", "performance", "integrity", "party_building"],
    "003": ["performance", "problems", "plans"],
    "004": ["performance", "plans"],
}


@pytest.mark.parametrize("seed", sorted(SEED_TYPES))
def test_parse_seed_top_level_section_types(shared, seed):
    path = next((shared / "seeds").glob(f"{seed}_*.txt"))
    report = parse(clean(decode(path.read_bytes()).text), path.name)
    assert [s.section_type for s in report.sections if s.level == 1] == SEED_TYPES[seed]
    assert report.passages[0].section_type == "preamble"


def test_parse_seed_second_level_types(shared):
    path = next((shared / "seeds").glob("004_*.txt"))
    report = parse(clean(decode(path.read_bytes()).text), path.name)
    assert [s.section_type for s in report.sections if s.level == 2] == ["political", "party_building", "integrity"]


def test_an_untyped_subsection_keeps_its_parents_subject_over_a_passing_body_word():
    text = ("2020年度某镇党委书记述职报告\n二、担当作为，全力以赴抓重点工作\n"
            "（一）坚决打赢疫情防控阻击战\n疫情发生后，组织机关干部和村组干部240余人下沉一线，全镇未发生一例确诊病例。\n"
            "（二）加强基层组织\n新建党支部3个，组织干部培训，调整充实村干部队伍，发展党员12名。\n")
    types = {s.heading: s.section_type for s in parse(text, "x.txt").sections}
    assert types["（一）坚决打赢疫情防控阻击战"] == "performance"  # "干部" twice does not make it party building
    assert types["（二）加强基层组织"] == "party_building"  # the heading names its subject


@pytest.mark.parametrize("closing, year", [("2023年12月28日", 2023), ("二〇二四年一月五日", 2023), ("二〇二三年十二月", 2023)])
def test_year_from_the_closing_date_line(closing, year):
    r = parse(f"县司法局局长述职报告\n一年来，我认真履行职责。\n一、主要工作\n全年审查文件21件。\n述职人：陈某\n{closing}", "a.txt")
    assert r.year == year


def test_a_subsection_named_by_a_generic_word_keeps_its_parents_type():
    text = ("2022年度述职报告\n一、加强政治建设\n（一）推动工作落实\n坚持第一议题制度，传达学习重要讲话精神。\n"
            "（二）加强班子建设\n班子成员团结协作。\n")
    types = [s.section_type for s in parse(text, "a.txt").sections]
    assert types == ["political", "political", "party_building"]
