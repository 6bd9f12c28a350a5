"""Template-site pages: the site's words removed, several reports split apart, one-line pastes re-headed."""

from __future__ import annotations

import pytest

from archive.sitetext import drop_pinyin, is_site_line, pages, split_one_line
from archive.structure import parse
from archive.text import clean


@pytest.mark.parametrize("line", [
    "下面是小编为大家整理的2023年述职报告，仅供参考，希望对大家有所帮助。",
    "时间：2023-12-21 10:20:05 分享 下载本文 浏览量：2315",
    "- 25.50 KB",
    "日期：2022-12-30 下载：126次 页数：9页",
    "本文档由网友上传，仅供学习交流，如有侵权请联系客服删除。联系QQ：12345678",
    "关注微信公众号：fanwen8899 获取更多范文",
    "免责声明：本站文章均来源于网络，版权归原作者所有。",
    "发布时间：2022-12-16 点击数：358 【打印本页】 【关闭窗口】",
    "上一篇：水务集团年度工作总结",
    "点击下载文档 文档为doc格式",
    "相关热词搜索：述职报告 个人述职",
])
def test_site_lines(line):
    assert is_site_line(line)


@pytest.mark.parametrize("line", [
    "一、加强理论学习，提高政治站位",
    "2023年，在县委的坚强领导下，我认真履行职责，现将一年来的工作报告如下。",
    "以上报告，请予评议。",
    "坚持每周参加理论学习，全年撰写学习体会6篇，下载学习资料供干部参考使用的做法得到推广。" * 3,
    "为传统产业升级提供技术支持。重点在农产品加工及转化、装备制造等方面的技术取得进展。",
])
def test_report_lines_are_not_site_lines(line):
    assert not is_site_line(line)


def test_pinyin_glosses_are_dropped_but_acronyms_stay():
    assert drop_pinyin("在镇(zhèn)党委领导下，闾（lǘ）巷皆知，GDP(国内生产总值)增长") == "在镇党委领导下，闾巷皆知，GDP(国内生产总值)增长"


def test_paywall_note_is_removed_and_marks_the_part_truncated():
    (part,) = pages("2023年度述职报告\n一、工作情况\n全年完成任务12项……此处隐藏2061个字……\n以上报告，请予评议。")
    assert part.truncated and "隐藏" not in part.text and "全年完成任务12项" in part.text


def test_pages_split_at_part_markers_and_drop_the_page_head():
    text = ("2023年述职报告（精选2篇）\n下面是小编整理的述职报告，仅供参考。\n篇1：2023年县水务局局长述职报告\n"
            "2023年，我认真履职。\n一、主要工作\n完成水利投资3亿元。\n篇2\n2023年县林业局局长述职述廉报告\n"
            "2023年，我严守纪律。\n一、廉洁自律\n严格落实八项规定。")
    parts = pages(text)
    assert [parse(clean(p.text)).title for p in parts] == ["2023年县水务局局长述职报告", "2023年县林业局局长述职述廉报告"]
    assert [parse(clean(p.text)).kind for p in parts] == ["述职报告", "述职述责述廉报告"]
    assert all("篇" not in p.text.split("\n")[0] for p in parts)


def test_a_single_part_marker_is_dropped_not_made_a_heading():
    (part,) = pages("篇1\n2023年述职报告\n一、主要工作\n全年完成任务。")
    assert part.text.split("\n")[0] == "2023年述职报告"


def test_a_numbered_sentence_is_not_a_part_marker():
    (part,) = pages("2023年述职报告\n第一篇章是学习，我们坚持每周学习一次，效果很好。\n一、主要工作\n全年完成任务。")
    assert "第一篇章" in part.text


def test_one_line_paste_is_split_into_title_salutation_and_headed_paragraphs():
    line = ("2022年度县统计局局长述职报告各位领导、同志们：2022年，我认真履行职责，现将工作报告如下。"
            "一、加强学习。全年参加学习12次，撰写体会6篇，理论水平明显提高。" + "坚持学用结合，推动工作落实。" * 15 +
            "二、依法统计。完成经济普查清查。" + "数据质量持续提升，统计服务更加有力。" * 10 +
            "三、存在的不足。调研不够深入。以上报告，请予评议。")
    pieces = split_one_line(line)
    assert pieces[:2] == ["2022年度县统计局局长述职报告", "各位领导、同志们："]
    assert [p[:2] for p in pieces if p[:2] in ("一、", "二、", "三、")] == ["一、", "二、", "三、"]
    assert pieces[-1] == "以上报告，请予评议。"


def test_an_inline_list_in_a_one_line_paste_is_not_an_outline():
    line = ("2022年述职报告各位领导：今年重点抓了三件事：一、抓学习；二、抓项目；三、抓作风。" + "全年工作扎实推进。" * 30 +
            "一、抓学习。" + "坚持每周学习。" * 20 + "二、抓项目。" + "新开工项目12个。" * 10)
    r = parse(clean("\n".join(split_one_line(line))))
    assert [s.heading[:5] for s in r.sections if s.level == 1] == ["一、抓学习", "二、抓项目"]


def test_a_preamble_list_on_its_own_lines_is_not_an_outline():
    text = ("2021年度述职报告\n今年我重点抓了三件事：\n一、抓理论学习；\n二、抓项目建设；\n三、抓作风建设。\n"
            "一、围绕政治建设抓学习\n全年专题学习21次。\n二、围绕项目抓发展\n新开工项目12个，完成投资3亿元。")
    r = parse(text)
    assert [s.heading for s in r.sections] == ["一、围绕政治建设抓学习", "二、围绕项目抓发展"]


def test_a_marker_after_the_title_splits_too():
    text = ("2023年个人述职报告 篇1\n2023年，我认真履行职责，完成了全年任务。\n一、主要工作\n完成投资3亿元，新建项目5个。\n"
            "2023年个人述职报告 篇2\n2023年，我坚持廉洁自律，严守纪律规矩。\n一、廉洁自律\n严格落实八项规定。")
    assert len(pages(text)) == 2


def test_paywall_note_with_a_colon():
    (part,) = pages("2023年述职报告\n一、主要工作\n完成任务……此处隐藏：20613字……")
    assert part.truncated and "隐藏" not in part.text


@pytest.mark.parametrize("title, kind", [("2023年度述职述德述廉报告", "述职述责述廉报告"),
                                         ("2022年述学述职述廉述法报告", "述职述责述廉报告")])
def test_kind_when_述职_and_述廉_are_apart(title, kind):
    assert parse(title + "\n一年来，我认真履行职责，完成了各项工作任务。").kind == kind


def test_a_site_category_above_a_report_without_its_own_title_is_not_the_title():
    (part,) = pages("首页\n汇报材料\n各位领导：\n2023年，我认真履行职责，现将工作情况报告如下。\n一、主要工作\n全年完成项目12个。")
    r = parse(clean(part.text))
    assert r.title_derived and "汇报材料" not in r.title and "汇报材料" not in r.text


def test_a_first_report_without_a_marker_is_kept_as_a_part():
    first = "2023年县水务局局长述职报告\n" + "全年完成水利投资3亿元，新建水库2座，解决饮水安全问题。" * 16
    rest = "\n篇2\n2023年县林业局局长述职报告\n全年造林2万亩。\n篇3\n2023年县农业局局长述职报告\n全年新建高标准农田1万亩。"
    assert [p.text.split("\n")[0] for p in pages(first + rest)] == [
        "2023年县水务局局长述职报告", "2023年县林业局局长述职报告", "2023年县农业局局长述职报告"]
