"""A web page saved as .txt: keep its words, drop its markup.

Only whole pages are converted (a document with ``<html>``/``<body>`` or
markup on most lines); a report that merely quotes a tag keeps it as text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_PAGE = re.compile(r"<\s*(?:!doctype\s+html|html|body|head)\b", re.I)
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?>")
_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "title", "table"}


def looks_like_html(text: str) -> bool:
    head = text[:5000]
    if _PAGE.search(head):
        return True
    lines = [ln for ln in head.splitlines() if ln.strip()]
    tagged = sum(1 for ln in lines if _TAG.search(ln))
    return len(lines) >= 5 and tagged / len(lines) > 0.6


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "noscript", "template"):
            self.skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "noscript", "template"):
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_to_text(text: str) -> str:
    parser = _Text()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)
