"""A web page saved as .txt: keep its words, drop its markup.

Only whole pages are converted (a document with ``<html>``/``<body>`` or
markup on most lines); a report that merely quotes a tag keeps it as text.

The scan is one pass, left to right: each tag, comment or script is found
with one forward search and never looked at again, so time stays linear on
any input. (The standard library's ``HTMLParser`` before Python 3.11.13
rescans unterminated ``<!--`` or ``<a`` runs once each: a 200 kB file of
them took 17 s.)
"""

from __future__ import annotations

import re
from html import unescape

_PAGE = re.compile(r"<\s*(?:!doctype\s+html|html|body|head)\b", re.I)
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?>")
_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "title", "table"}
_HIDDEN = {"script", "style", "noscript", "template"}
_RAW = ("script", "style")
_TAG_NAME = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)")
_RAW_END = {name: re.compile(rf"</{name}\s*>", re.I) for name in _RAW}
_ATTRS = re.compile(r"""(?:[^>"']|"[^"]*"|'[^']*')*>""")
_ATTRS_WINDOW = 512


def looks_like_html(text: str) -> bool:
    head = text[:5000]
    if _PAGE.search(head):
        return True
    lines = [ln for ln in head.splitlines() if ln.strip()]
    tagged = sum(1 for ln in lines if _TAG.search(ln))
    return len(lines) >= 5 and tagged / len(lines) > 0.6


def html_to_text(text: str) -> str:
    """The page's text: tags dropped (block tags become line breaks), scripts, styles and comments removed."""
    parts: list[str] = []
    skip = 0  # inside <script>, <style>, <noscript> or <template>
    pos = 0
    while pos < len(text):
        lt = text.find("<", pos)
        if lt < 0:
            lt = len(text)
        if not skip:
            parts.append(unescape(text[pos:lt]))
        if lt == len(text):
            break
        if text.startswith("<!--", lt):  # a comment runs to "-->", or to the end when unterminated
            end = text.find("-->", lt + 4)
            pos = len(text) if end < 0 else end + 3
            continue
        m = _TAG_NAME.match(text, lt)
        if m is None and not text.startswith(("<!", "<?"), lt):  # a lone "<" is text
            parts.append("" if skip else "<")
            pos = lt + 1
            continue
        gt = _tag_end(text, m.end() if m else lt + 2)
        if gt < 0:  # an unterminated tag: the rest is not text anyone wrote
            break
        pos = gt + 1
        if m is None:  # <!doctype …>, <?xml …?>
            continue
        closing, name = m.group(1), m.group(2).lower()
        for event in ("end",) if closing else ("start", "end") if text[gt - 1] == "/" else ("start",):
            if name in _HIDDEN:
                skip = skip + 1 if event == "start" else max(0, skip - 1)
            elif name in _BLOCK:
                parts.append("\n")
        if name in _RAW and not closing and text[gt - 1] != "/":  # script and style: raw text up to their end tag
            end = _RAW_END[name].search(text, pos)
            pos = len(text) if end is None else end.end()
            skip = max(0, skip - 1)
    return "".join(parts)


def _tag_end(text: str, start: int) -> int:
    """Index of the ">" closing a tag; quoted attribute values may hold ">" (looked for within a bounded window)."""
    m = _ATTRS.match(text, start, min(len(text), start + _ATTRS_WINDOW))
    return m.end() - 1 if m else text.find(">", start)
