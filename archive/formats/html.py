"""Saved web pages (.html, .htm, .mhtml): the article, not the navigation around it.

Main content comes from trafilatura (a maintained extractor of a page's main
text); when it finds nothing, or the page is too large to build a tree for
in bounded memory, every word of the page is kept by the linear tag stripper
in ``htmltext`` and the text cleaner drops the chrome it knows.
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

#: Above this much markup the page is stripped linearly instead of parsed into a tree.
TREE_LIMIT = 4 * 1024 * 1024
_CANONICAL = re.compile(r"""<link[^>]+rel=["']canonical["'][^>]*href=["'](https?://[^"']+)""", re.I)
_SAVED_FROM = re.compile(r"saved from url=\(\d+\)(https?://\S+?)\s*-->", re.I)


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
    text = main_text(page) if len(page) <= TREE_LIMIT else None
    text = untable(text) if text else text
    if not text or len(re.findall(r"[\u3400-\u9fff]", text)) < 50:
        text = html_to_text(page)
    return Extracted(text, decoded.encoding, source_url=url or find_source_url(text), replaced=decoded.replaced)
