"""Charts drawn on the server as SVG: they need no script, print, and pass the page's CSP (colours come
from classes in style.css, never from inline styles). Pure functions of plain numbers; every label is
escaped."""

from __future__ import annotations

import math
from html import escape

from markupsafe import Markup

#: Series colours are classes .series-0 … .series-4 in style.css.
SERIES = 5


def _nice_top(value: float) -> float:
    """A round number (1, 2, 2.5 or 5 times a power of ten) at or above the largest value, for the y axis."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 2.5, 5, 10) if value <= step * magnitude * (1 + 1e-9))


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 or float(value).is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


#: Year labels closer than this (in SVG units) would run together: the earlier one gives way to the last year.
LABEL_GAP = 40


def _labelled(n: int, x) -> list[int]:
    """Which of ``n`` years get a label: about 12 evenly spaced, and always the last."""
    every = max(1, -(-n // 12))
    shown = list(range(0, n, every))
    if shown[-1] != n - 1:
        if x(n - 1) - x(shown[-1]) < LABEL_GAP and len(shown) > 1:
            shown.pop()
        shown.append(n - 1)
    return shown


def _runs(values: list[float | None]) -> list[list[int]]:
    """Indexes of the unbroken runs of known values (a year with no value breaks the line)."""
    runs: list[list[int]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(i)
    return [r for r in runs if r]


def line_chart(years: list[int], series: list[tuple[str, list[float | None]]], *, unit: str, width: int = 720,
               height: int = 300, title: str = "") -> Markup:
    """A line per series over the years, with axes, gridlines, a legend and a tooltip per point. A value of
    None (a year the archive holds no text of) is a gap in the line, not a fall to zero."""
    left, right, top, bottom = 56, 24, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_top(max((v for _, values in series for v in values if v is not None), default=0))
    n = len(years)
    x = (lambda i: left + plot_w / 2) if n < 2 else (lambda i: left + plot_w * i / (n - 1))
    y = lambda v: top + plot_h * (1 - v / peak)
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title or unit)}">']
    if title:
        out.append(f"<title>{escape(title)}</title>")
    for k in range(5):
        v = peak * k / 4
        out.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}"/>')
        out.append(f'<text class="tick" x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{_number(v)}</text>')
    for i in _labelled(n, x) if n else []:
        out.append(f'<text class="tick" x="{x(i):.1f}" y="{height - 8}" text-anchor="middle">{years[i]}</text>')
    for s, (label, values) in enumerate(series[:SERIES]):
        out.append(f'<g class="series series-{s}">')
        for run in _runs(values):
            out.append(f'<polyline points="{" ".join(f"{x(i):.1f},{y(values[i]):.1f}" for i in run)}"/>')
        for i, v in enumerate(values):
            if v is None:
                continue
            out.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3"><title>{escape(label)} · {years[i]}年：'
                       f'{_number(v)} {escape(unit)}</title></circle>')
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


def sparkline(values: list[float], *, label: str, width: int = 120, height: int = 28) -> Markup:
    """A tiny line without axes, for beside a result count."""
    if len(values) < 2:
        return Markup("")
    peak = max(values) or 1.0
    step = (width - 4) / (len(values) - 1)
    points = " ".join(f"{2 + i * step:.1f},{height - 2 - (height - 4) * v / peak:.1f}" for i, v in enumerate(values))
    return Markup(f'<svg class="sparkline" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">'
                  f'<title>{escape(label)}</title><polyline points="{points}"/></svg>')
