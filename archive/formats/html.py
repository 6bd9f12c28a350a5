"""Saved web pages (.html, .htm, .mhtml): the article, not the navigation around it.

Main content comes from trafilatura (a maintained extractor of a page's main
text); when it finds nothing, every word of the page is kept by the linear tag stripper
in ``htmltext`` and the text cleaner drops the chrome it knows. A page of more
than 8 MB of markup (inline images aside) is refused with a reason.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re

from ..errors import InputError
from ..htmltext import html_to_text
from ..text import decode, find_source_url
from .extracted import Extracted

#: Markup beyond this (once inline images are dropped) is not one report's page: refused rather than parsed.
TREE_LIMIT = 8 * 1024 * 1024
#: A page whose text is longer than this holds far more than one report (real ones are < 100,000 characters).
MAX_TEXT = 2_000_000
_DATA_URI = re.compile(r"data:[a-zA-Z/+.-]{1,40};base64,[A-Za-z0-9+/=\s]{64,}")
_CANONICAL = re.compile(r"""<link[^>]+rel=["']canonical["'][^>]*href=["'](https?://[^"']+)""", re.IGNORECASE)
_SAVED_FROM = re.compile(r"saved from url=\(\d+\)(https?://\S+?)\s*-->", re.IGNORECASE)


def _mhtml_page(data: bytes) -> tuple[bytes, str | None]:
    """The first text/html part of a MIME archive and the address it was saved from."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            body = part.get_payload(decode=True) or b""
            charset = part.get_content_charset()
            if charset:
                try:
                    body = body.decode(charset).encode("utf-8")
                except (LookupError, UnicodeDecodeError):
                    pass
            return body, part.get("Content-Location") or msg.get("Snapshot-Content-Location")
    raise InputError("not a readable saved page: the .mhtml file holds no HTML part")


def main_text(page: str) -> str | None:
    """The page's article text by trafilatura, or None when it finds none."""
    import trafilatura  # loaded on first use

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    return trafilatura.extract(page, output_format="txt", include_tables=True, include_comments=False,
                               favor_recall=True, deduplicate=False)


_TABLE_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_RULE_ROW = re.compile(r"^[\s|:\-]+$")


def untable(text: str) -> str:
    """trafilatura writes table rows as | a | b |: one line per row, cells separated by a space (a page laid out
    in a table is then just its lines)."""
    out = []
    for line in text.split("\n"):
        m = _TABLE_ROW.match(line)
        if m:
            if _RULE_ROW.match(line):
                continue
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", m.group(1))]
            line = " ".join(c for c in cells if c)
        out.append(line)
    return "\n".join(out)


def read(data: bytes, suffix: str = ".html") -> Extracted:
    url = None
    if suffix in (".mhtml", ".mht"):
        data, url = _mhtml_page(data)
    decoded = decode(data)
    page = decoded.text
    url = url or next((m.group(1) for m in (_CANONICAL.search(page[:50000]), _SAVED_FROM.search(page[:2000])) if m),
                      None)
    page = _DATA_URI.sub("data:", page)
    size = len(page.encode("utf-8", "replace"))
    if size > TREE_LIMIT:
        raise InputError(f"the page is {size // 1048576} MB of markup, far more than one report "
                         f"(the limit is {TREE_LIMIT // 1048576} MB without inline images); save the report's own page")
    text = main_text(page)
    text = untable(text) if text else text
    if not text or len(re.findall(r"[\u3400-\u9fff]", text[:100000])) < 50:
        text = html_to_text(page)
    if len(text) > MAX_TEXT:
        raise InputError(f"the page holds {len(text):,} characters of text, far more than one report "
                         f"(the limit is {MAX_TEXT:,}); save the report's own page")
    return Extracted(text, decoded.encoding, source_url=url or find_source_url(text), replaced=decoded.replaced)
