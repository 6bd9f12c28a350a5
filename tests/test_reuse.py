"""Passage reuse: precision and recall against planted copies, and the hard cases one by one."""

from __future__ import annotations

import numpy as np
import pytest

from archive.reuse import (
    MIN_CHARS,
    SIGNATURE_BYTES,
    THRESHOLD,
    Match,
    ReuseIndex,
    from_bytes,
    normalise,
    prepare,
    signature_bytes,
    signatures,
    similarity,
)
from tests.bench.reuse_corpus import build, pair_key, score

# A paragraph as reports write them: figures, a name, several clauses.
SOURCE = ("2021年，在张建国同志带领下，我们紧紧围绕县委县政府中心工作，新建高标准农田5.2万亩，"
          "完成固定资产投资38.6亿元，同比增长12.5%，引进招商引资项目17个，到位资金9.8亿元。"
          "全面推行河长制，整治入河排污口46个，县域水质优良率达到100%，群众满意度明显提升。")
OTHER = ("坚持把安全生产放在突出位置，全年开展隐患排查整治行动，排查各类企业326家，督促整改问题隐患。"
         "建立健全应急预案体系，组织开展综合应急演练，全县未发生较大以上安全生产事故，社会大局保持和谐稳定。")
STOCK = "深入学习贯彻习近平新时代中国特色社会主义思想，坚决做到两个维护。"


def only_match(index: ReuseIndex, report_id: str, text: str) -> list[Match]:
    return index.add(report_id, [(1, text)])


@pytest.fixture
def seeded() -> ReuseIndex:
    index = ReuseIndex()
    assert index.add("a", [(1, SOURCE), (2, OTHER)]) == []
    return index


@pytest.fixture(scope="module")
def corpus_run():
    """300 planted reports added one by one: (corpus, found pairs)."""
    corpus = build(300, seed=3)
    index = ReuseIndex()
    found = set()
    for report_id, passages in corpus.reports():
        for m in index.add(report_id, passages):
            found.add(pair_key((report_id, m.passage_no), (m.other_report_id, m.other_passage_no)))
    return corpus, found


def test_reuse_planted_corpus_precision_and_recall(corpus_run):
    corpus, found = corpus_run
    s = score(corpus, found)
    assert s.pairs_true > 300 and len(corpus.decoy_pairs) > 100
    assert s.pair_precision >= 0.95 and s.pair_recall >= 0.95, s
    assert s.passage_precision >= 0.95 and s.passage_recall >= 0.95, s
    assert s.decoys_matched == 0


def test_reuse_planted_corpus_covers_every_variant(corpus_run):
    corpus, _ = corpus_run
    variants = {corpus.variant_of(pair) for pair in corpus.truth}
    assert variants >= {"verbatim", "edit", "mask", "numbers", "reorder", "mixed", "copy×copy"}


def test_reuse_corpus_is_deterministic():
    a, b = build(40, seed=9), build(40, seed=9)
    assert list(a.reports()) == list(b.reports()) and a.truth == b.truth
    assert list(build(40, seed=10).reports()) != list(a.reports())


@pytest.mark.parametrize("copy", [
    SOURCE,
    SOURCE.replace("张建国", "张某"),
    SOURCE.replace("张建国", "**"),
    SOURCE.replace("张建国", "XX"),
    SOURCE.replace("张建国", "某某"),
    SOURCE.replace("5.2", "6.8").replace("38.6", "41.2").replace("17", "23").replace("2021", "2022"),
    SOURCE.replace("17个", "**个").replace("46个", "xx个"),
    SOURCE.replace("紧紧围绕", "始终围绕").replace("明显提升", "持续提升"),
    SOURCE.replace("全面推行河长制，", "全面推行河长制，切实"),
    SOURCE.replace("同比增长12.5%，", ""),
    SOURCE.replace("，", ",").replace("。", ". "),
    "全面推行河长制，整治入河排污口46个，县域水质优良率达到100%，群众满意度明显提升。" + SOURCE.split("。")[0] + "。",
], ids=["verbatim", "masked-surname", "masked-stars", "masked-XX", "masked-moumou", "numbers", "masked-numbers",
        "two-words", "inserted-adverb", "deleted-clause", "ascii-punctuation", "reordered"])
def test_reuse_copy_with_small_changes_is_reuse(seeded, copy):
    matches = only_match(seeded, "b", copy)
    assert [(m.passage_no, m.other_report_id, m.other_passage_no) for m in matches] == [(1, "a", 1)]
    assert matches[0].similarity >= THRESHOLD


def test_reuse_shared_stock_phrases_are_not_reuse(seeded):
    a = STOCK + "坚持把安全生产放在突出位置，全年开展隐患排查整治行动，督促整改问题隐患326处。"
    b = STOCK + "围绕乡村振兴战略，新建村级活动场所12个，培育农民专业合作社35家，带动群众增收。"
    index = ReuseIndex()
    assert index.add("x", [(1, a)]) == []
    assert index.add("y", [(1, b)]) == []
    assert similarity(a, b) < THRESHOLD


def test_reuse_short_stock_passage_is_not_indexed():
    index = ReuseIndex()
    assert len(normalise(STOCK)) < MIN_CHARS
    assert index.add("x", [(1, STOCK), (2, "以上报告，请予审议。")]) == []
    assert index.add("y", [(1, STOCK), (2, "以上报告，请予审议。")]) == []
    assert len(index) == 0 and index.reports == 2


def test_reuse_within_one_report_is_not_reuse():
    index = ReuseIndex()
    assert index.add("a", [(1, SOURCE), (2, SOURCE), (3, OTHER)]) == []
    matches = index.add("b", [(1, SOURCE)])
    assert sorted((m.other_report_id, m.other_passage_no) for m in matches) == [("a", 1), ("a", 2)]


def test_reuse_readding_a_report_does_not_match_itself(seeded):
    assert seeded.add("a", [(5, SOURCE)]) == []
    assert seeded.query([(1, SOURCE)], exclude="a") == []
    assert [m.other_report_id for m in seeded.query([(1, SOURCE)])] == ["a", "a"]


def test_reuse_unrelated_passage_is_not_reuse(seeded):
    assert only_match(seeded, "b", OTHER.replace("安全生产", "森林防火")[::-1]) == []


def test_reuse_normalise_folds_numbers_masks_punctuation_and_width():
    assert normalise("２０２１年，張某同志完成投资3.5亿元（增长12%）！") == "#年张#同志完成投资#亿元增长#"
    assert normalise("**同志") == normalise("XX同志") == normalise("某某同志") == "#同志"
    assert normalise("某些方面") == "某些方面"
    assert normalise("taxi fox") == "taxifox"


def test_reuse_signatures_round_trip_through_bytes(seeded):
    sigs = signatures([normalise(SOURCE), normalise(OTHER)])
    for sig in sigs:
        blob = signature_bytes(sig)
        assert len(blob) == SIGNATURE_BYTES
        assert (from_bytes(blob) == sig).all()
    with pytest.raises(ValueError, match="256 bytes"):
        from_bytes(b"\0" * 10)
    assert [no for no, _ in seeded.signatures_of("a")] == [1, 2]
    rebuilt = ReuseIndex.from_signatures([("a", no, blob) for no, blob in seeded.signatures_of("a")])
    assert rebuilt.signatures_of("a") == seeded.signatures_of("a")
    assert rebuilt.add("b", [(1, SOURCE)]) == seeded.add("b", [(1, SOURCE)])


def test_reuse_signature_of_a_passage_does_not_depend_on_its_neighbours():
    one = signatures([normalise(SOURCE)])[0]
    batch = signatures([normalise(OTHER), normalise(SOURCE), normalise(STOCK * 3)])
    assert (batch[1] == one).all()


def test_reuse_rebuilt_index_finds_what_the_incremental_one_found(corpus_run):
    corpus, _ = corpus_run
    index = ReuseIndex()
    rendered = list(corpus.reports())[:120]
    for report_id, passages in rendered[:100]:
        index.add(report_id, passages)
    rows = [(rid, no, blob) for rid, _ in rendered[:100] for no, blob in index.signatures_of(rid)]
    rebuilt = ReuseIndex.from_signatures(rows)
    assert len(rebuilt) == len(index) and rebuilt.reports == index.reports
    for report_id, passages in rendered[100:]:
        assert sorted(rebuilt.add(report_id, passages), key=repr) == sorted(index.add(report_id, passages), key=repr)


def test_reuse_index_of_the_wanted_keys_finds_what_the_full_one_finds(corpus_run):
    corpus, _ = corpus_run
    full = ReuseIndex()
    rendered = list(corpus.reports())
    for report_id, passages in rendered[:250]:
        full.add(report_id, passages)
    rows = [(rid, no, blob) for rid, _ in rendered[:250] for no, blob in full.signatures_of(rid)]
    coming = [(rid, *prepare(passages)) for rid, passages in rendered[250:]]
    narrow = ReuseIndex.from_signatures(rows, wanted=np.concatenate([sigs for _, _, sigs in coming]))
    assert 0 < sum(len(level.keys) for level in narrow._levels) < len(rows) * 32 / 4  # most keys left out
    found = 0
    for report_id, nos, sigs in coming:
        want = sorted(full.add_prepared(report_id, nos, sigs), key=repr)
        assert sorted(narrow.add_prepared(report_id, nos, sigs), key=repr) == want
        found += len(want)
    assert found > 50


def test_reuse_key_set_hits_exactly_its_keys():
    from archive.reuse_bands import KeySet, flat_keys

    sigs = np.random.default_rng(5).integers(0, 1 << 16, (2000, 128), dtype=np.uint16)
    wanted = KeySet.of(sigs[:300])
    keys, _ = flat_keys(sigs, np.arange(len(sigs), dtype=np.int32))
    assert (wanted.hits(keys) == np.isin(keys, wanted.keys)).all()
    assert wanted.hits(keys[: 300 * 32]).all() and wanted.hits(keys[1000 * 32:]).sum() < 10
    assert not KeySet.of(sigs[:0]).hits(keys).any()


def test_reuse_index_merges_levels_without_losing_keys():
    index = ReuseIndex(level0=64)  # two passages a level: 30 reports cascade through several levels
    texts = [(1, SOURCE), (2, OTHER)]
    for n in range(30):
        index.add(f"r{n}", texts)
    matches = index.query(texts, exclude="none")
    assert len({m.other_report_id for m in matches if m.passage_no == 1}) == 30


def test_reuse_from_signatures_rejects_a_blob_of_the_wrong_size():
    with pytest.raises(ValueError, match="report r1 passage 3"):
        ReuseIndex.from_signatures([("r1", 3, b"\0" * 100)])


def test_reuse_prepare_leaves_out_short_passages():
    nos, sigs = prepare([(1, "以上报告，请予审议。"), (2, SOURCE), (3, "")])
    assert nos == [2] and sigs.shape == (1, SIGNATURE_BYTES // 2)


def test_reuse_passage_in_many_reports_is_found_through_the_directory(corpus_run):
    corpus, _ = corpus_run
    index = ReuseIndex()
    for n, (report_id, passages) in enumerate(corpus.reports()):
        index.add(report_id, passages + ([(999, SOURCE)] if n % 5 == 0 else []))
    assert any(level.bounds is not None for level in index._levels)  # the bucket directory is in use
    found = {m.other_report_id for m in index.query([(1, SOURCE)]) if m.other_passage_no == 999}
    assert len(found) == 60


def test_reuse_level_find_equals_a_binary_search():
    import numpy as np

    from archive.reuse_bands import KEY_BITS, Level

    rng = np.random.default_rng(7)
    keys = np.sort(np.concatenate([rng.integers(0, 1 << KEY_BITS, 100_000, dtype=np.uint64),
                                   np.full(50, 12345, dtype=np.uint64)]))
    level = Level.of(keys, np.arange(len(keys), dtype=np.int32))
    assert level.bounds is not None
    queries = np.concatenate([keys[rng.integers(0, len(keys), 500)], rng.integers(0, 1 << KEY_BITS, 500, dtype=np.uint64),
                              np.array([12345, 0, (1 << KEY_BITS) - 1], dtype=np.uint64)])
    qi, rows = level.find(queries)
    got = sorted(zip(qi.tolist(), rows.tolist()))
    want = sorted((q, r) for q, k in enumerate(queries.tolist())
                  for r in range(np.searchsorted(keys, k, "left"), np.searchsorted(keys, k, "right")))
    assert got == want and sum(1 for q, _ in got if queries[q] == 12345) == 50


def test_reuse_rebuilt_index_keeps_its_smallest_level_small(corpus_run):
    corpus, _ = corpus_run
    index = ReuseIndex()
    rendered = list(corpus.reports())
    for report_id, passages in rendered:
        index.add(report_id, passages)
    rows = [(rid, no, blob) for rid, _ in rendered for no, blob in index.signatures_of(rid)]
    rebuilt = ReuseIndex.from_signatures(rows)
    assert len(rows) * 32 > ReuseIndex.LEVEL0 and len(rebuilt._levels[0].keys) == 0
    rebuilt.add("new", [(1, SOURCE)])
    assert len(rebuilt._levels[0].keys) == 32  # the new passage's keys, not a copy of the whole index


def test_reuse_signatures_of_a_report_added_twice_has_both_runs():
    index = ReuseIndex()
    index.add("a", [(1, SOURCE)])
    index.add("b", [(1, OTHER)])
    index.add("a", [(2, OTHER)])
    assert [no for no, _ in index.signatures_of("a")] == [1, 2]
    assert index.signatures_of("missing") == []


@pytest.mark.parametrize("masked, plain", [
    ("国家xxA级旅游景区", "国家4A级旅游景区"),
    ("国家XXA级旅游景区", "国家5A级旅游景区"),
    ("粮食产量达xxxx亿斤", "粮食产量达1300亿斤"),
    ("参训人员达**余人次", "参训人员达120余人次"),
    ("××同志", "某某同志"),
])
def test_reuse_masked_figure_normalises_like_the_figure(masked, plain):
    assert normalise(masked) == normalise(plain)


def test_reuse_signature_is_a_stable_format():
    """Stored signatures must match ones computed by a later version: a fixed passage's bytes are pinned."""
    import hashlib

    blob = signature_bytes(signatures([normalise(SOURCE)])[0])
    assert hashlib.sha256(blob).hexdigest()[:16] == "249d60e60dc0ca35"
