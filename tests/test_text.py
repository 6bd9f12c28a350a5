"""Decoding, cleaning and folding: what a user sees of messy input."""

from __future__ import annotations

import pytest

from archive.errors import InputError
from archive.text import _fold_table, clean, decode, find_source_url, fold, hash_form

REPORT = "2023年度县科技局局长述职报告\n各位领导、同志们：\n一、加强理论学习，坚决做到“两个维护”。\n一年来，我们完成了GDP增长目标。"


@pytest.mark.parametrize(
    "data, encoding",
    [
        (REPORT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + REPORT.encode("utf-8"), "utf-8-sig"),
        (REPORT.encode("utf-16"), "utf-16"),  # with BOM (little-endian here)
        (b"\xfe\xff" + REPORT.encode("utf-16-be"), "utf-16"),
        (REPORT.encode("utf-16-le"), "utf-16-le"),  # no BOM
        (REPORT.encode("gbk"), "gb18030"),
        (REPORT.encode("gb18030"), "gb18030"),
    ],
)
def test_decode_encoding_gives_the_same_text(data, encoding):
    decoded = decode(data)
    assert decoded.encoding == encoding
    assert decoded.text.lstrip("\ufeff") == REPORT


def test_decode_big5_reads_traditional_text():
    text = "二零二一年度鄉鎮黨委書記述職報告\n一、堅決做到兩個維護，加強黨風廉政建設。\n過去一年，我們認真學習，團結帶領全體幹部。"
    decoded = decode(text.encode("big5"))
    assert decoded.encoding == "big5"
    assert decoded.text == text


def test_decode_keeps_a_good_file_with_a_few_bad_bytes():
    data = REPORT.encode("utf-8") * 5 + b"\xff\xfe\xfa" + REPORT.encode("utf-8") * 5
    decoded = decode(data)
    assert decoded.encoding == "utf-8" and 1 <= decoded.replaced <= 3
    assert "两个维护" in decoded.text


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"   \n\r\n\t ", "empty"),
        (b"\x00" * 100, "NUL"),
        (bytes(range(256)) * 40, "binary"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(7, 250)) * 30, "binary"),
    ],
)
def test_decode_rejects_non_text_with_a_reason(data, reason):
    with pytest.raises(InputError, match=reason):
        decode(data)


def test_clean_normalizes_line_endings_spaces_and_blank_runs():
    raw = "标题\r\n\r\n\r\n\u3000\u3000第一段\u00a0内容。\r\n\n\n\n第二段\u200b内容。\r"
    assert clean(raw) == "标题\n第一段 内容。\n第二段内容。"


def test_clean_strips_paywall_markers_and_page_chrome():
    raw = ("下载\n打印\n【字号：大 中 小】\n当前位置：首页 > 述职报告\n来源：某某网\n"
           "2022年述职报告\n第一段。\n##paidbegin##\n第二段。\n##paidend##\n相关报道：\n另一篇报告的标题\n")
    out = clean(raw)
    assert out == "2022年述职报告\n第一段。\n第二段。"
    assert "paid" not in out


def test_clean_joins_lines_broken_at_punctuation():
    raw = "细颗粒物（PM\n2.5\n）浓度继续下降，生态文明建设成效显著。\n根据《\n中华人民共和国公务员法\n》第五条。"
    assert clean(raw) == "细颗粒物（PM2.5）浓度继续下降，生态文明建设成效显著。\n根据《中华人民共和国公务员法》第五条。"


def test_clean_keeps_headings_and_dash_lines_separate():
    raw = "一、主要工作\n——发展新动能快速成长。\n——改革开放取得新突破。"
    assert clean(raw).split("\n") == ["一、主要工作", "——发展新动能快速成长。", "——改革开放取得新突破。"]


def test_clean_joins_a_lone_heading_number_with_its_text():
    assert clean("一、\n加强理论学习。") == "一、加强理论学习。"


def test_clean_keeps_quoted_markup_as_text():
    raw = "网络安全工作总结\n拦截了 <script>alert(1)</script> 这样的攻击串。"
    assert "<script>alert(1)</script>" in clean(raw)


def test_fold_is_width_case_and_traditional_insensitive_and_keeps_length():
    assert fold("ＧＤＰ２０２３") == "gdp2023"
    assert fold("兩個維護") == "两个维护"
    assert fold("黨風廉政建設") == "党风廉政建设"
    text = "兩個維護，ＧＤＰ增長１０％。"
    assert len(fold(text)) == len(text)
    assert fold(text)[-1] == "。"  # Chinese punctuation stays as written


def test_fold_changes_exactly_the_characters_its_table_maps_wherever_they_stand():
    """fold only translates runs of changed characters; it must agree with translating every one."""
    every = "".join(chr(c) for c in range(0x20, 0x10000) if not 0xD800 <= c < 0xE000)
    for text in (every, every[::-1], every[::7] + every[1::7]):
        assert fold(text) == text.translate(_fold_table())
    assert sum(a != b for a, b in zip(every, fold(every))) > 2000  # traditional forms, width and case


def test_hash_form_ignores_whitespace_and_width():
    assert hash_form("ＧＤＰ 增长\n百分之五") == hash_form("GDP增长百分之五")


def test_find_source_url_reads_the_page_chrome():
    assert find_source_url("来源：http://example.gov.cn/a/1.html\n正文。") == "http://example.gov.cn/a/1.html"


def test_a_line_of_only_zero_width_characters_does_not_split_a_paragraph():
    from archive.text import clean

    text = "要认真落实全面从严治党要求，把党风\n\u200b\n廉政建设和反腐败工作不断引向深入。\n\n下一段的文字。"
    assert clean(text).split("\n") == ["要认真落实全面从严治党要求，把党风廉政建设和反腐败工作不断引向深入。", "下一段的文字。"]


def test_a_title_cut_at_the_width_of_a_line_is_joined():
    from archive.text import clean

    assert clean("政府工作报\n告\n\n——2017年3月5日在第十二届全国人民代表大会第五次会议上").split("\n")[0] == "政府工作报告"
