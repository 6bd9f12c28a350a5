"""Text found only in a near copy, on every engine: found, marked with its copy, left out of trends."""

from __future__ import annotations

REPOST_ONLY = '"亿元以上项目68个"'  # the sample repost says 68 where the kept text says 63


def test_text_only_in_a_near_copy_is_found_and_marked(backend_for, sample_archive, db):
    backend = backend_for(sample_archive)
    copy_id, report_id = db.execute("SELECT id, report_id FROM copies WHERE relation = 'near' AND path LIKE "
                                    "'%commerce_bureau_director_shuzhi_repost%'").fetchone()
    result = backend.search(REPOST_ONLY)
    assert [(h.report_id, h.copy_id) for h in result.hits] == [(report_id, copy_id)]
    (hit,) = result.hits
    assert hit.text[hit.marks[0][0]:hit.marks[0][1]] == "亿元以上项目68个"
    grouped = backend.search(REPOST_ONLY, group="report")
    assert [(r.report_id, r.hits_in_report, r.hits[0].copy_id) for r in grouped.reports] == [(report_id, 1, copy_id)]
    kept = backend.search('"亿元以上项目63个"')
    assert [(h.report_id, h.copy_id) for h in kept.hits] == [(report_id, 0)]
    assert backend.ids(REPOST_ONLY) == [pid for (pid,) in db.execute(
        "SELECT id FROM passages WHERE copy_id = ? AND text LIKE '%亿元以上项目68个%'", (copy_id,))]
    assert sum(backend.trend([REPOST_ONLY]).series[0].passages) == 0
