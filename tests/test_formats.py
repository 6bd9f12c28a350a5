"""Word, PDF, saved pages, legacy Word and scans: each read into the same clean → parse → classify path."""

from __future__ import annotations

import io
import json
import shutil

import pytest

from archive.errors import InputError
from archive.formats import extract
from archive.formats.docx import chinese_number
from archive.formats.html import untable
from archive.formats.ocr import join_ocr_lines
from archive.formats.pdf import Line, drop_furniture, paragraphs, undouble
from archive.importer import prepare
from tests.conftest import run

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
REPORT = [
    "2023年度县统计局局长述职报告",
    "各位领导、同志们：",
    "2023年，我在县委、县政府的领导下，认真履行统计工作第一责任人职责，现将一年来的工作报告如下。",
    "一、加强理论学习，提高政治站位",
    "全年参加党组理论学习中心组学习12次，撰写学习体会4篇，深刻领悟“两个确立”的决定性意义，坚决做到“两个维护”。",
    "二、履职尽责，提高统计数据质量",
    "完成第五次全国经济普查清查工作，清查单位1.6万个，统计执法检查企业85家，数据质量明显提高。",
    "三、下一步工作打算",
    "继续推进统计现代化改革，力争统计数据质量再上新台阶。",
]


AUDIT = [
    "2022年度县审计局局长述职报告",
    "2022年，我带领全局干部依法履行审计监督职责，全年完成审计项目46个，查出违规金额1.2亿元，促进增收节支3800万元。",
    "一、聚焦重点领域开展审计",
    "对乡村振兴资金、政府债务、自然资源资产开展专项审计，移送问题线索9条，推动建立制度21项。",
    "二、存在的不足",
    "审计信息化水平不高，大数据审计运用还不够充分。",
]
ARCHIVES = [
    "2024年县档案馆馆长述职报告",
    "2024年，县档案馆围绕档案资源建设、档案利用服务和档案安全管理，认真履行职责，接收进馆档案1.3万卷，完成数字化扫描210万页。",
    "一、丰富馆藏资源",
    "征集地方名人档案、老照片和口述史料共计860件，建成全县重大活动档案专题数据库。",
    "二、下一步打算",
    "推进智慧档案馆建设，力争年底前实现馆藏档案全部数字化。",
]


def docx_bytes(lines: list[str], *, styled: bool = False, header: str = "", table: list[list[str]] | None = None) -> bytes:
    import docx

    document = docx.Document()
    for k, line in enumerate(lines):
        if styled and line[:2] in ("一、", "二、", "三、"):
            document.add_paragraph(line[2:], style="Heading 1")
        else:
            document.add_paragraph(line)
        if table and k == 4:
            t = document.add_table(rows=len(table), cols=len(table[0]))
            for r, row in enumerate(table):
                for c, text in enumerate(row):
                    t.cell(r, c).text = text
    if header:
        document.sections[0].header.paragraphs[0].text = header
        document.sections[0].footer.paragraphs[0].text = "第 1 页"
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def pdf_bytes(lines: list[str], *, header: str = "", size: float = 14) -> bytes:
    if not shutil.os.path.exists(FONT):
        pytest.skip("no CJK font (apt-get install fonts-wqy-microhei)")
    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    rl_config.invariant = 1
    if "wqy" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("wqy", FONT, subfontIndex=0))
    body = ParagraphStyle("b", fontName="wqy", fontSize=size, leading=size * 1.8, firstLineIndent=size * 2,
                          wordWrap="CJK")
    head = ParagraphStyle("h", parent=body, firstLineIndent=0)

    def furniture(canvas, doc):
        if header:
            canvas.setFont("wqy", 9)
            canvas.drawCentredString(A4[0] / 2, A4[1] - 40, header)
            canvas.drawCentredString(A4[0] / 2, 30, f"- {doc.page} -")

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, topMargin=70, bottomMargin=60)
    doc.build([Paragraph(ln, head if len(ln) < 40 else body) for ln in lines], onFirstPage=furniture,
              onLaterPages=furniture)
    return buf.getvalue()


def only(path: str, data: bytes):
    (prep,) = prepare(path, data, "0" * 64)
    return prep.report


# --- Word -----------------------------------------------------------------------------------------------------

def test_docx_body_in_order_with_headers_and_footers_kept_out():
    r = only("/in/a.docx", docx_bytes(REPORT, header="县统计局内部资料"))
    assert (r.title, r.year, r.kind) == ("2023年度县统计局局长述职报告", 2023, "述职报告")
    assert [p.text for p in r.passages] == REPORT[1:]
    assert [s.section_type for s in r.sections] == ["political", "performance", "plans"]


def test_docx_heading_styles_are_headings_without_numbers():
    r = only("/in/a.docx", docx_bytes(REPORT, styled=True))
    assert [(s.heading, s.level) for s in r.sections] == [
        ("加强理论学习，提高政治站位", 1), ("履职尽责，提高统计数据质量", 1), ("下一步工作打算", 1)]
    assert [s.section_type for s in r.sections] == ["political", "performance", "plans"]


def test_docx_tables_become_rows_of_text():
    r = only("/in/a.docx", docx_bytes(REPORT, table=[["指标", "数值"], ["清查单位", "1.6万个"]]))
    texts = [p.text for p in r.passages]
    assert "指标 数值" in texts and "清查单位 1.6万个" in texts


def test_docx_word_numbering_prints_as_in_the_document(samples):
    ex = extract("x.docx", (samples / "2023_city_housing_bureau_director_shuzhi_styles.docx").read_bytes())
    assert "一、坚持政治引领，筑牢思想根基" in ex.text.split("\n")
    assert ("五、存在的不足和下一步打算", 1) in ex.headings
    assert "此处数字请再核对" not in ex.text and "内部资料" not in ex.text  # a comment and the header


@pytest.mark.parametrize("n, text", [(1, "一"), (10, "十"), (12, "十二"), (20, "二十"), (35, "三十五"), (105, "一百零五")])
def test_chinese_number(n, text):
    assert chinese_number(n) == text


# --- PDF ------------------------------------------------------------------------------------------------------

def test_pdf_text_layer_lines_are_joined_into_paragraphs():
    r = only("/in/a.pdf", pdf_bytes(REPORT))
    assert [p.text for p in r.passages] == REPORT[1:]
    assert r.title == REPORT[0]


def test_pdf_running_header_and_page_numbers_are_removed():
    long = REPORT[:3] + [REPORT[4] * 3] * 6 + REPORT[3:]
    ex = extract("a.pdf", pdf_bytes(long, header="县统计局述职材料"))
    assert "县统计局述职材料" not in ex.text and "- 1 -" not in ex.text and "- 2 -" not in ex.text
    assert ex.text.split("\n")[0] == REPORT[0]


def test_pdf_paragraphs_break_on_indent_short_line_and_heading():
    lines = [[Line("一、总体要求", 50, 150, 700, 712), Line("我们坚持稳中求进工作总基调，全面", 74, 500, 680, 692),
              Line("推进各项工作。", 50, 200, 660, 672), Line("二、主要任务", 50, 150, 640, 652)]]
    assert paragraphs(lines) == ["一、总体要求", "我们坚持稳中求进工作总基调，全面推进各项工作。", "二、主要任务"]


def test_pdf_furniture_repeated_on_most_pages_is_dropped():
    def page(n: int) -> list[Line]:
        return [Line("某某局文件", 250, 350, 800, 810), Line(f"正文第{n}页的第一行。", 50, 500, 700, 712),
                Line(f"正文第{n}页的第二行。", 50, 500, 680, 692), Line(f"第 {n} 页", 280, 320, 30, 40)]

    assert [[ln.text for ln in p] for p in drop_furniture([page(1), page(2), page(3)])] == [
        [f"正文第{n}页的第一行。", f"正文第{n}页的第二行。"] for n in (1, 2, 3)]


@pytest.mark.parametrize("raw, fixed", [
    ("一一、、总总体体要要求求", "一、总体要求"),
    ("二、主要任务二、主要任务", "二、主要任务"),
    ("二、主要任务 二、主要任务", "二、主要任务"),
    ("正常的一句话。", "正常的一句话。"),
])
def test_pdf_heading_printed_twice_is_read_once(raw, fixed):
    assert undouble(raw) == fixed


def test_pdf_sample_with_doubled_heading_and_furniture(samples):
    ex = extract("x.pdf", (samples / "2023_county_ecology_bureau_shuzhi_shulian_headers.pdf").read_bytes())
    lines = ex.text.split("\n")
    assert "二、坚持精准治污，持续改善环境质量" in lines
    assert not any("共 3 页" in ln or "述职材料" in ln for ln in lines)


def test_pdf_two_columns_read_column_by_column(samples):
    ex = extract("x.pdf", (samples / "2022_city_gov_work_report_two_columns.pdf").read_bytes())
    lines = ex.text.split("\n")
    assert lines.index("一、2021年工作回顾") < lines.index("二、2022年主要任务") < lines.index("三、加强政府自身建设")


# --- saved pages ------------------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>述职报告_范文网</title>
<link rel="canonical" href="https://example.cn/a/1.html"></head><body>
<div class="nav"><a href="/">首页</a> <a href="/s">述职报告</a> <a href="/z">工作总结</a></div>
<ul class="side"><li><a href="/1">2022年述职报告精选</a></li><li><a href="/2">党建工作总结</a></li></ul>
<article>{body}</article><footer>版权所有 范文网 备案号123</footer></body></html>"""


def page_body(lines: list[str]) -> str:
    return "".join(f"<h1>{ln}</h1>" if k == 0 else f"<p>{ln}</p>" for k, ln in enumerate(lines))


def test_html_page_keeps_the_article_not_the_navigation():
    r = only("/in/a.html", PAGE.format(body=page_body(REPORT)).encode())
    assert r.title == REPORT[0]
    text = "\n".join(p.text for p in r.passages)
    assert "党建工作总结" not in text and "版权所有" not in text and "工作总结" not in r.title
    assert [s.section_type for s in r.sections] == ["political", "performance", "plans"]


def test_html_canonical_link_is_the_source_url():
    (prep,) = prepare("/in/a.html", PAGE.format(body=page_body(REPORT)).encode(), "0" * 64)
    assert prep.source_url == "https://example.cn/a/1.html"


def test_mhtml_page_is_read_from_its_html_part():
    import quopri

    html = PAGE.format(body=page_body(REPORT)).encode()
    mhtml = (b"From: <Saved by Blink>\r\nSnapshot-Content-Location: https://example.cn/a/2.html\r\n"
             b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"B\"\r\n\r\n--B\r\n"
             b"Content-Type: text/html; charset=\"utf-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n"
             b"Content-Location: https://example.cn/a/2.html\r\n\r\n" + quopri.encodestring(html) + b"\r\n--B--\r\n")
    (prep,) = prepare("/in/a.mhtml", mhtml, "0" * 64)
    assert prep.report.title == REPORT[0] and prep.source_url == "https://example.cn/a/2.html"


def test_untable_reads_layout_tables_as_lines():
    assert untable("| 设为首页 \\| 加入收藏 |\n|---|---|\n| 甲 | 乙 |\n正文") == "设为首页 | 加入收藏\n甲 乙\n正文"


# --- legacy Word and scans ----------------------------------------------------------------------------------------

def test_doc_without_a_converter_fails_naming_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without antiword or LibreOffice
    with pytest.raises(InputError, match=r"install antiword \(apt-get install antiword\)"):
        extract("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)


def test_scan_without_tesseract_fails_naming_what_to_install(monkeypatch, tmp_path):
    from archive.formats import ocr

    monkeypatch.setenv("PATH", str(tmp_path))
    ocr._tesseract.cache_clear()
    try:
        with pytest.raises(InputError, match=r"apt-get install tesseract-ocr tesseract-ocr-chi-sim"):
            extract("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    finally:
        ocr._tesseract.cache_clear()


def test_doc_that_is_really_a_docx_is_read_as_one():
    r = only("/in/a.doc", docx_bytes(REPORT))
    assert r.title == REPORT[0]


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")) or not shutil.which("antiword"),
                    reason="needs LibreOffice to write a .doc and antiword to read it")
def test_doc_is_read_by_antiword(tmp_path):
    import subprocess

    (tmp_path / "a.docx").write_bytes(docx_bytes(REPORT))
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/p", "--convert-to", "doc",
                    "--outdir", str(tmp_path), str(tmp_path / "a.docx")], check=True, capture_output=True, timeout=120)
    r = only("/in/a.doc", (tmp_path / "a.doc").read_bytes())
    assert r.title == REPORT[0] and [s.section_type for s in r.sections] == ["political", "performance", "plans"]


def needs_tesseract():
    from archive.formats.ocr import _tesseract

    if _tesseract() is None:
        pytest.skip("Tesseract with chi_sim is not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")


def test_scanned_pdf_is_read_by_ocr(samples):
    needs_tesseract()
    r = only("/in/scan.pdf", (samples / "2021_village_party_secretary_shuzhi_scanned.pdf").read_bytes())
    assert r.title == "2021年度柳河村党支部书记述职报告" and r.kind == "述职报告"
    assert [s.section_type for s in r.sections if s.level == 1] == ["party_building", "performance", "plans"]


def test_image_is_read_by_ocr(tmp_path):
    needs_tesseract()
    from PIL import Image, ImageDraw, ImageFont

    if not shutil.os.path.exists(FONT):
        pytest.skip("no CJK font")
    image = Image.new("L", (1800, 700), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 56)
    for k, line in enumerate(["2022年度社区主任述职报告", "一、抓好社区服务", "全年为居民办实事三十件，群众满意度明显提升。"]):
        draw.text((100, 100 + k * 150), line, font=font, fill=0)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    r = only("/in/scan.png", buf.getvalue())
    assert r.title == "2022年度社区主任述职报告" and r.sections[0].heading.startswith("一、抓好社区服务")


def test_ocr_lines_join_into_paragraphs():
    raw = "2021 年 度 述 职 报 告\n各 位 代 表 :\n\n一 、 抓 班 子\n坚 持 每 月 召 开 会 议 ，落 实 制\n度 。\n"
    assert join_ocr_lines(raw) == "2021年度述职报告\n各位代表:\n一、抓班子\n坚持每月召开会议，落实制度。"


# --- through the command line ---------------------------------------------------------------------------------------

def test_a_folder_of_every_format_imports_with_reasons_for_what_fails(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.docx").write_bytes(docx_bytes(REPORT))
    (inbox / "b.pdf").write_bytes(pdf_bytes(AUDIT))
    (inbox / "c.html").write_bytes(PAGE.format(body=page_body(ARCHIVES)).encode())
    (inbox / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (inbox / "broken.pdf").write_bytes(b"%PDF-1.7\n garbage")
    result = run("import", "--json", str(inbox), data=tmp_path / "data")
    out = json.loads(result.output)
    assert result.exit_code == 1
    assert sorted(a["title"] for a in out["added"]) == ["2022年度县审计局局长述职报告", "2023年度县统计局局长述职报告",
                                                         "2024年县档案馆馆长述职报告"]
    failed = {f["path"].rsplit("/", 1)[1]: f["error"] for f in out["failed"]}
    assert "not a valid Word (.docx) file" in failed["broken.docx"]
    assert "not a readable PDF" in failed["broken.pdf"]
