"""The copy diff: paragraphs aligned on their normalised form, changes and changed figures marked."""

from __future__ import annotations

from archive.copydiff import diff, summary

KEPT = [(1, "各位领导、同志们："), (2, "全年新开工亿元以上项目63个，完成投资120亿元。"),
        (3, "坚持以人民为中心的发展思想，扎实推进乡村振兴。"), (4, "以上报告，请予评议。")]


def test_a_changed_figure_pairs_with_its_paragraph_and_stands_out():
    copy = ["各位领导、同志们：", "全年新开工亿元以上项目68个，完成投资120亿元。",
            "坚持以人民为中心的发展思想，扎实推进乡村振兴。", "以上报告，请予评议。"]
    rows = diff(KEPT, copy)
    assert [r.kind for r in rows] == ["same", "changed", "same", "same"]
    changed = rows[1]
    assert (changed.kept_no, changed.copy_no) == (2, 2)
    assert [(p.text, p.op, p.figure) for p in changed.pieces if p.op != "same"] == [("3", "removed", True),
                                                                                  ("8", "added", True)]
    assert summary(rows)["figures_changed"] == 1


def test_paragraphs_only_in_one_side_are_listed_where_they_stand():
    copy = ["各位领导、同志们：", "来源：某某网 2023-01-05", "坚持以人民为中心的发展思想，扎实推进乡村振兴。",
            "下面是小编整理的范文，仅供参考。"]
    rows = diff(KEPT, copy)
    kinds = [(r.kind, r.kept_no, r.copy_no) for r in rows]
    assert ("kept_only", 2, None) in kinds and ("copy_only", None, 2) in kinds
    assert ("kept_only", 4, None) in kinds and ("copy_only", None, 4) in kinds
    assert sum(1 for r in rows if r.kind == "same") == 2
