"""Server-drawn charts: gaps where a year has no text, year labels that never run together, escaped labels."""

from __future__ import annotations

import re
from itertools import pairwise

from webui.charts import LABEL_GAP, line_chart


def _labels(svg: str) -> list[tuple[float, str]]:
    return [(float(x), t) for x, t in re.findall(r'<text class="tick" x="([\d.]+)" y="[\d.]+" text-anchor="middle">'
                                                 r'(\d+)</text>', svg)]


def test_a_year_without_text_breaks_the_line_instead_of_falling_to_zero():
    svg = str(line_chart([2019, 2020, 2021, 2022], [("改革", [1.5, None, 3.0, 4.0])], unit="每万字段落数"))
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 3
    assert "2020年" not in svg  # no point, so no tooltip, for the year without a value
    lowest = max(float(y) for y in re.findall(r'cy="([\d.]+)"', svg))
    zero = float(re.search(r'y1="([\d.]+)" y2="[\d.]+"/><text class="tick" x="50" y="[\d.]+" text-anchor="end">0<', svg)
                 .group(1))
    assert lowest < zero  # every drawn point is above the zero line


def test_year_labels_keep_the_last_year_and_never_run_together():
    for first in range(1940, 2021, 3):
        years = list(range(first, 2027))
        labels = _labels(str(line_chart(years, [("a", [1.0] * len(years))], unit="段")))
        assert labels[0][1] == str(first) and labels[-1][1] == "2026"
        assert all(b[0] - a[0] >= LABEL_GAP for a, b in pairwise(labels)), (first, labels)


def test_labels_are_escaped():
    svg = str(line_chart([2020, 2021], [("<script>alert(1)</script>", [1.0, 2.0])], unit="段", title="<b>"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "<b>" not in svg
