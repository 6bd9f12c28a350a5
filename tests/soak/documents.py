"""Hostile documents: Word, PDF and web pages built to break a converter, each with the outcomes allowed for it.

Corrupt and truncated .docx/.pdf, a .docx zip bomb, XML entity tricks in a
.docx, an encrypted PDF, a PDF of thousands of pages, a PDF whose text layer
is garbage and a web page of tens of megabytes. Every one must fail with a
reason (or, for the garbage layer, may import what OCR reads) within the
import's time and memory limits, and nothing else in the folder may suffer.
"""

from __future__ import annotations

import io
import zipfile

from .tree import FAIL, FAILED, REPORT

GARBAGE = frozenset({FAILED, *REPORT})


def docx_bytes(text: str) -> bytes:
    import docx

    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _with_part(docx: bytes, name: str, data: bytes) -> bytes:
    """The package with one part replaced."""
    src = zipfile.ZipFile(io.BytesIO(docx))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, data if info.filename == name else src.read(info.filename))
    return buf.getvalue()


def zip_bomb(docx: bytes, megabytes: int) -> bytes:
    """A valid package plus a part of ``megabytes`` zeros (deflated to about a thousandth of that)."""
    src = zipfile.ZipFile(io.BytesIO(docx))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, src.read(info.filename))
        with out.open("word/media/bomb.bin", "w", force_zip64=True) as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(megabytes):
                f.write(chunk)
    return buf.getvalue()


_LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE w:document [<!ENTITY a "' + b"\xe5\x93\x88" * 10 + b'">'
           + b"".join(b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&" + bytes([97 + i]) + b";") * 10) for i in range(9))
           + b']>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           b"<w:p><w:r><w:t>&j;</w:t></w:r></w:p></w:body></w:document>")
_XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        b"<w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>")


def pdf_bytes(pages: int = 1, *, encrypt: bool = False, garbage: bool = False) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, encrypt=StandardEncryption("user-pw", "owner-pw") if encrypt else None)
    for n in range(pages):
        if garbage:  # what a font without a Unicode map extracts as: letters with no meaning
            for k in range(30):
                c.drawString(60, 780 - 24 * k, "".join(chr(0x21 + (n * 7 + k * 13 + j * 5) % 90) for j in range(70)))
        else:
            c.drawString(60, 780, f"page {n + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


def huge_page(megabytes: float, report: str) -> bytes:
    """A saved page of ``megabytes``: navigation and comments around one report, many times over."""
    nav = "".join(f'<li><a href="/a/{i}.html">相关文章第{i}篇 述职报告范文</a></li>' for i in range(200))
    block = f"<ul class=\"nav\">{nav}</ul><div class=\"comment\">网友评论：写得很好，学习了！</div>\n".encode()
    article = "".join(f"<p>{line}</p>" for line in report.split("\n")).encode()
    head = b"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>page</title></head><body>"
    body = block * max(1, int(megabytes * 1024 * 1024 / len(block)))
    return head + body[: len(body) // 2] + b"<article>" + article + b"</article>" + body[len(body) // 2:] + b"</body></html>"


def build(put, report: str, *, heavy: bool) -> None:
    """Write every hostile document with ``put(category, name, data, expect)``; ``report`` is valid text."""
    good = docx_bytes(report)
    put("documents", "corrupt.docx", b"PK\x03\x04" + bytes(range(256)) * 20, FAIL)
    put("documents", "truncated.docx", good[: len(good) // 2], FAIL)
    put("documents", "not-a-zip.docx", report.encode(), FAIL)
    put("documents", "zip-bomb.docx", zip_bomb(good, 260 if heavy else 210), FAIL)
    put("documents", "billion-laughs.docx", _with_part(good, "word/document.xml", _LAUGHS), FAIL)
    put("documents", "external-entity.docx", _with_part(good, "word/document.xml", _XXE), FAIL)
    put("documents", "no-document-part.docx", _with_part(good, "word/document.xml", b""), FAIL)
    pdf = pdf_bytes(2)
    put("documents", "corrupt.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 20, FAIL)
    put("documents", "truncated.pdf", pdf[: len(pdf) // 2], FAIL)
    put("documents", "encrypted.pdf", pdf_bytes(1, encrypt=True), FAIL)
    put("documents", "many-pages.pdf", pdf_bytes(5000 if heavy else 1200), FAIL)
    put("documents", "garbage-layer.pdf", pdf_bytes(2, garbage=True), GARBAGE)
    put("documents", "huge-page.html", huge_page(50 if heavy else 10, report), FAIL)
    put("documents", "valid.docx", good, REPORT)
