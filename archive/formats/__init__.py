"""Files of every common format to plain report text, one pure function per format.

Each reader takes a file's bytes and returns an ``Extracted``: the text as
paragraphs (one per line), how it was read, and the lines the document itself
marks as headings (Word heading styles and outline levels). Everything after
that — cleaning, structure, section types — is the same path for every format.
A reader that needs a program this machine lacks raises ``InputError`` naming
the package to install.
"""

from __future__ import annotations

import os

from ..errors import InputError
from .extracted import Extracted

#: Suffix → reader name. ``read`` imports the reader on first use (no work at import time).
READERS: dict[str, str] = {
    ".txt": "plain", ".md": "plain",
    ".docx": "docx",
    ".pdf": "pdf",
    ".html": "html", ".htm": "html", ".mhtml": "html", ".mht": "html",
    ".doc": "legacy", ".wps": "legacy",
    ".png": "ocr", ".jpg": "ocr", ".jpeg": "ocr", ".tif": "ocr", ".tiff": "ocr", ".bmp": "ocr",
}
SUFFIXES: tuple[str, ...] = tuple(READERS)

__all__ = ["READERS", "SUFFIXES", "Extracted", "extract"]


def extract(name: str, data: bytes) -> Extracted:
    """The text of one file, read by the reader its suffix names."""
    suffix = os.path.splitext(name)[1].lower()
    kind = READERS.get(suffix, "plain")
    if kind == "plain":
        from .plain import read
    elif kind == "docx":
        from .docx import read
    elif kind == "pdf":
        from .pdf import read
    elif kind == "html":
        from .html import read
    elif kind == "legacy":
        from .legacy import read
    else:
        from .ocr import read_image as read
    try:
        return read(data, suffix)
    except InputError:
        raise
    except (ValueError, KeyError, IndexError, OSError, UnicodeError) as exc:
        raise InputError(f"cannot read this {suffix} file ({type(exc).__name__}: {str(exc)[:160]})") from None
