"""A report laid out for reading: passages with their marks, heading leads and citations."""

from __future__ import annotations

from datetime import date
from html import escape

from markupsafe import Markup

from archive.urls import Urls
from index.highlight import clipped, mark, snippet_html, spans, window

from . import cite

LEAD_MAX = 40  # a heading's title ends within this many characters
_RUN_ON = "。．.：:；;，,"


def heading_split(text: str, heading: str | None) -> int:
    """Where a heading line's title ends and its run-on text (if any) begins.

    "（一）招商引资成效明显。坚持……" is one paragraph in the source: the title is
    shown as a heading, the rest as text, both under the same anchor.
    """
    if heading and text.startswith(heading) and len(heading) < len(text):
        cut = len(heading)
    elif "。" in text[:LEAD_MAX] and text.index("。") < len(text) - 1:
        cut = text.index("。")
    else:
        return len(text)
    while cut < len(text) and text[cut] in _RUN_ON:
        cut += 1
    return cut


def outline_label(heading: str) -> str:
    """An outline entry: the heading's title, not the paragraph it runs on into."""
    cut = heading_split(heading, None)
    label = heading[:cut].rstrip(_RUN_ON)
    return label if len(label) <= LEAD_MAX else label[:LEAD_MAX] + "…"


def _part(text: str, found: list[tuple[int, int]], start: int, end: int, first_id: int) -> tuple[str | Markup, int]:
    """Plain text (Jinja escapes it) or, when the query matched, index.highlight's escaped HTML with its
    marks numbered from ``first_id``; and how many marks it holds."""
    inside = len(clipped(found, start, end))
    if not inside:
        return text[start:end], 0
    return Markup(mark(text, found, start, end, first_id)), inside


def diff_row(row, terms: list[str]) -> Markup:
    """One row of a copy diff as HTML: removed text in <del>, the copy's own in <ins> (changed figures
    classed apart), and the query's matches marked in the copy's text, across the pieces they span."""
    if row.kind == "kept_only":
        return Markup(f"<del>{escape(row.kept)}</del>")
    text = row.copy if row.kind != "same" else row.kept
    found = spans(text, terms) if terms else []
    if row.kind == "same":
        return Markup(mark(text, found))
    if row.kind == "copy_only":
        return Markup(f"<ins>{mark(text, found)}</ins>")
    out, at = [], 0
    for piece in row.pieces:
        figure = ' class="figure"' if piece.figure else ""
        if piece.op == "removed":
            out.append(f"<del{figure}>{escape(piece.text)}</del>")
            continue
        html = mark(text, found, at, at + len(piece.text))
        at += len(piece.text)
        out.append(html if piece.op == "same" else f"<ins{figure}>{html}</ins>")
    return Markup("".join(out))


def copy_matches(report: dict, terms: list[str]) -> list[dict]:
    """The paragraphs only the report's near copies hold that the query matches, each with its marked
    window of text (the report page lists them: its own marks cannot show them)."""
    out = []
    for p in report.get("copy_passages", []) if terms else []:
        found = spans(p["text"], terms)
        if found:
            start, end = window(p["text"], found)
            out.append({**p, "snippet": Markup(snippet_html(p["text"], found, start, end))})
    return out


def passages(report: dict, terms: list[str], urls: Urls, today: date) -> list[dict]:
    """Each passage with: level, head/body parts (marked when terms match, the marks numbered through the
    report as ``#m1``, ``#m2`` …), its citation and permalink."""
    by_passage = {s["passage_no"]: s for s in report["sections"]}
    out = []
    marks = 0
    for p in report["passages"]:
        text = p["text"]
        section = by_passage.get(p["passage_no"])
        cut = heading_split(text, section["heading"] if section else None) if p["is_heading"] else 0
        found = spans(text, terms) if terms else []
        cited = cite.Cited(report["report_id"], report["title"], report["year"], report["kind"], p["passage_no"],
                           urls.passage(report["report_id"], p["passage_no"]), today)
        head, in_head = _part(text, found, 0, cut, marks + 1)
        body, in_body = _part(text, found, cut, len(text), marks + 1 + in_head)
        marks += in_head + in_body
        out.append({**p, "level": section["level"] if section else 1, "head": head, "body": body,
                    "marks": in_head + in_body, "citation": cite.gbt7714(cited), "permalink": cited.url})
    return out
