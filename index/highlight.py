"""Where a query's terms are in a passage, which part of it to show, and that part as escaped, marked HTML.

Matching runs on folded text, which has the length of the original, so a
span found in the fold marks the same characters in what the user reads.
"""

from __future__ import annotations

from html import escape

from archive.text import fold

MAX_SPANS = 200


def spans(text: str, needles: list[str]) -> list[tuple[int, int]]:
    """Merged (start, end) of every occurrence of any folded needle."""
    folded = fold(text)
    found: list[tuple[int, int]] = []
    for needle in {fold(n) for n in needles if n}:
        start = folded.find(needle)
        while start != -1 and len(found) < MAX_SPANS:
            found.append((start, start + len(needle)))
            start = folded.find(needle, start + 1)
    found.sort()
    merged: list[tuple[int, int]] = []
    for s, e in found:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def clipped(found: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """The spans' parts that lie within [start, end)."""
    return [(max(s, start), min(e, end)) for s, e in found if min(e, end) > max(s, start)]


def mark(text: str, found: list[tuple[int, int]], start: int = 0, end: int | None = None,
         first_id: int | None = None) -> str:
    """HTML of text[start:end] with the spans wrapped in <mark>; everything escaped. With ``first_id``,
    the marks are numbered ``id="m<first_id>"``, ``m<first_id + 1>`` … so a page can link to each."""
    end = len(text) if end is None else end
    out: list[str] = []
    pos = start
    for n, (s, e) in enumerate(clipped(found, start, end)):
        out.append(escape(text[pos:s]))
        opening = "<mark>" if first_id is None else f'<mark id="m{first_id + n}">'
        out.append(opening + escape(text[s:e]) + "</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    return "".join(out)


def window(text: str, found: list[tuple[int, int]], width: int = 160) -> tuple[int, int]:
    """(start, end) of about ``width`` characters around the densest run of spans: what a hit shows."""
    if len(text) <= width:
        return 0, len(text)
    if not found:
        return 0, width
    best = max(range(len(found)), key=lambda i: sum(1 for s, _ in found[i:] if s < found[i][0] + width * 2 // 3))
    start = max(0, found[best][0] - width // 4)
    end = min(len(text), start + width)
    return max(0, end - width), end


def snippet_html(text: str, found: list[tuple[int, int]], start: int, end: int) -> str:
    """HTML of the window text[start:end], marked, with an ellipsis where it cuts the passage."""
    return ("…" if start else "") + mark(text, found, start, end) + ("…" if end < len(text) else "")
