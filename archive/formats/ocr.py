"""Scanned pages and images through Tesseract (``chi_sim``), run as a fenced subprocess per page."""

from __future__ import annotations

import re
import shutil
from functools import lru_cache

from ..errors import InputError
from .extracted import Extracted
from .limits import Deadline, run_tool

MAX_OCR_PAGES = 40
SECONDS = 600.0
PAGE_SECONDS = 120.0
DPI = 300
_INSTALL = "tesseract-ocr tesseract-ocr-chi-sim"


@lru_cache(maxsize=1)
def _tesseract() -> str | None:
    """Tesseract's path when it and its chi_sim data are installed."""
    path = shutil.which("tesseract")
    if path is None:
        return None
    try:
        langs = run_tool([path, "--list-langs"], None, "tesseract", timeout=30).decode("utf-8", "replace")
    except InputError:
        return None
    return path if "chi_sim" in langs.split() else None


def _require(what: str) -> str:
    path = _tesseract()
    if path is None:
        raise InputError(f"cannot read {what}: install Tesseract with Chinese data (apt-get install {_INSTALL})")
    return path


def ocr_text(image: bytes, what: str, timeout: float = PAGE_SECONDS) -> str:
    """One image's text; Tesseract's page layout gives paragraphs as blocks separated by blank lines.

    Page segmentation mode 4 (one column of text of varying sizes) is how a
    report is printed; the default mode dropped a short salutation line.
    """
    out = run_tool([_require(what), "stdin", "stdout", "-l", "chi_sim", "--psm", "4"], image,
                   f"OCR of {what}", timeout=timeout)
    return join_ocr_lines(out.decode("utf-8", "replace"))


#: Tesseract puts blanks between Chinese characters, and between them and digits or punctuation.
_OCR_SPACE = re.compile(r"(?<=[^\x00-\x7f]) +(?=[^\x00-\x7f\s]|[:;,.!?)])|(?<=[^\x00-\x7f]) +(?=\d)|(?<=\d) +(?=[^\x00-\x7f\s])")


def join_ocr_lines(text: str) -> str:
    """Blocks (separated by blank lines) become paragraphs; lines inside a block are joined.

    A line that starts with a heading number or follows a sentence end shorter
    than its neighbours starts a new paragraph too.
    """
    paras: list[str] = []
    text = _OCR_SPACE.sub("", text)
    for block in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
        if not lines:
            continue
        width = max(len(ln) for ln in lines)
        current = lines[0]
        for prev, ln in zip(lines, lines[1:]):
            short = len(prev) < 0.8 * width
            salutation = ln[-1:] in "：:" and len(ln) < 0.8 * width  # 各位党员、村民代表： stands alone
            if short or salutation or re.match(r"^[一二三四五六七八九十]+[、.]|^[（(][一二三四五六七八九十]+[)）]", ln):
                paras.append(current)
                current = ln
            else:
                current += ln
        paras.append(current)
    return "\n".join(paras)


def read_image(data: bytes, suffix: str = ".png") -> Extracted:
    """A scanned page saved as an image (.png, .jpg, .tif …)."""
    if len(data) < 16:
        raise InputError(f"not a readable image: the {suffix} file holds {len(data)} bytes")
    return Extracted(ocr_text(data, f"{suffix} images"), "ocr chi_sim")


def _pgm(bitmap) -> bytes:
    """A greyscale PDFium bitmap as PGM bytes (Tesseract reads them; no imaging library needed)."""
    width, height, stride = bitmap.width, bitmap.height, bitmap.stride
    buf = bytes(bitmap.buffer)
    rows = b"".join(buf[y * stride: y * stride + width] for y in range(height))
    return b"P5\n%d %d\n255\n" % (width, height) + rows


def ocr_pdf(pdf, *, had_text: bool) -> Extracted:
    """Every page rendered at 300 dpi and read by Tesseract; bounded in pages and time."""
    what = "scanned PDFs" if not had_text else "PDFs whose text layer is unreadable"
    _require(what)
    if len(pdf) > MAX_OCR_PAGES:
        raise InputError(f"too many scanned pages to read by OCR ({len(pdf)}; the limit is {MAX_OCR_PAGES})")
    deadline = Deadline(SECONDS, "OCR of the PDF")
    texts = []
    for i in range(len(pdf)):
        deadline.check()
        page = pdf[i]
        bitmap = page.render(scale=DPI / 72, grayscale=True)
        texts.append(ocr_text(_pgm(bitmap), what, timeout=min(PAGE_SECONDS, deadline.left())))
        bitmap.close()
        page.close()
    text = "\n".join(t for t in texts if t.strip())
    if not text.strip():
        raise InputError("no text found: the PDF has no text layer and OCR read nothing from its pages")
    return Extracted(text, "pdf ocr chi_sim")
