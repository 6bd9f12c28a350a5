"""The printed table: each figure beside its performance target, marked met / NOT MET.

Rows are plain data (label, value, target, status) built from the result
dict, so the same dict is what goes to JSON and what is printed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .stats import growth_exponent

GB = 1 << 30
MB = 1 << 20

#: The performance targets the table judges against.
IMPORT_VS_JIEBA = 0.5
RSS_LIMIT = 1 * GB
RSS_GROWTH = 1.5
REIMPORT_SPEEDUP = 20.0
ADD_VS_ALONE = 2.0
P95_IN_PROCESS_MS = 50.0
P95_HTTP_MS = 100.0
WIDTH = (46, 44, 18, 8)


@dataclass
class Row:
    label: str
    value: str = ""
    target: str = ""
    status: str = ""  # met | NOT MET | n/a | ""

    def line(self) -> str:
        a, b, c, _ = WIDTH
        return f"{_fit(self.label, a)} {_fit(self.value, b)} {_fit(self.target, c)} {self.status}".rstrip()


def _width(s: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def _fit(s: str, width: int) -> str:
    return s + " " * max(0, width - _width(s))


def status(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "NOT MET")


def mb(n: float) -> str:
    return f"{n / MB:,.0f} MB" if n else "n/a"


def per_s(x: float) -> str:
    if not x or math.isnan(x):
        return "n/a"
    return f"{x / 1e6:.2f} M" if x >= 1e6 else f"{x / 1e3:.0f}k"


def secs(x: float | None) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1f} s"


def ms(x: float | None) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x:.1f}"


def latency(stats: dict | None) -> str:
    if not stats or not stats.get("n"):
        return "n/a" + (f" ({stats['errors']} errors)" if stats and stats.get("errors") else "")
    s = f"{ms(stats['p50'])} / {ms(stats['p95'])} / {ms(stats['p99'])} ms"
    s += f"  n={stats['n']} hits≈{stats['mean_total']:,.0f}"
    if stats.get("errors"):
        s += f" ERR {stats['errors']}"
    return s


def targets(r: dict) -> list[dict]:
    """Every target with its value and whether it is met; also written to JSON."""
    out = []

    def add(name: str, value, limit: str, ok: bool | None) -> None:
        out.append({"target": name, "value": value, "limit": limit, "met": ok})

    ratio = r.get("ratio_import_jieba")
    add("import ÷ raw jieba", ratio, f"≥ {IMPORT_VS_JIEBA}", None if ratio is None else ratio >= IMPORT_VS_JIEBA)
    rss = r["import"].get("tree_pss")
    add("peak RSS of import", rss, "< 1 GB", None if not rss else rss < RSS_LIMIT)
    speed = r.get("reimport", {}).get("speedup")
    add("re-import speed-up", speed, f"≥ {REIMPORT_SPEEDUP:.0f}×", None if speed is None else speed >= REIMPORT_SPEEDUP)
    add_ratio = r.get("add100", {}).get("ratio")
    add("+100 reports ÷ 100 alone", add_ratio, f"< {ADD_VS_ALONE}×", None if add_ratio is None else add_ratio < ADD_VS_ALONE)
    for where, limit in (("in_process", P95_IN_PROCESS_MS), ("http_8", P95_HTTP_MS)):
        for name, st in (r.get("queries", {}).get(where) or {}).items():
            p95 = st.get("p95") if st.get("n") else None
            ok = None if p95 is None else (p95 < limit and not st.get("errors"))
            add(f"p95 {where} {name}", p95, f"< {limit:.0f} ms", ok)
    g = r.get("guarantee") or {}
    add("exact-phrase recall/precision", [g.get("recall"), g.get("precision")], "1.000 / 1.000",
        None if not g else g["recall"] == 1.0 and g["precision"] == 1.0)
    return out


def rows(r: dict) -> list[Row]:
    """One size's table."""
    met = {t["target"]: status(t["met"]) for t in r["targets"]}
    c, imp, st = r["corpus"], r["import"], r.get("stages", {})
    chars = c["characters"]
    out = [
        Row("Corpus (originals + exact + near dup.)",
            f"{c['original']:,} + {c['exact']} + {c['near']} files · {chars / 1e6:.1f} M chars · "
            f"{r.get('passages', 0):,} passages"),
        Row(f"Import end to end ({imp.get('workers')} workers, real CLI)",
            f"{secs(imp['seconds'])} · {per_s(imp['chars_per_s'])} chars/s · {imp['reports_per_s']:.1f} rep/s"),
        Row("  raw jieba.lcut, 1 process (anchor)", f"{secs(r['jieba']['seconds'])} · {per_s(r['jieba']['chars_per_s'])} chars/s"),
        Row("  import ÷ jieba (headline)", f"{r['ratio_import_jieba']:.3f} ×" if r.get("ratio_import_jieba") else "n/a",
            f"≥ {IMPORT_VS_JIEBA} ×", met["import ÷ raw jieba"]),
        Row("  peak memory, process tree PSS sum", f"{mb(imp['tree_pss'])} ({imp['max_procs']} procs, /proc poll)",
            "< 1 GB", met["peak RSS of import"]),
        Row("  … RSS sum (upper bound) / one process max", f"{mb(imp['tree_rss'])} / {mb(imp['max_rss'])} (wait4 = time -v)"),
        Row("  dedupe vs ground truth", _truth(r.get("dedupe_truth"))),
        Row("  Jaccard of distinct originals", _similarity(c.get("similarity"))),
    ]
    if st:
        one = st.get("single_core_total") or 0
        out.append(Row("Stages, in-process, 1 core (index: as CLI)", f"sum {secs(one)}  (time · share · chars/s)"))
        for label, key in (("  prepare: decode+clean+parse+minhash", "prepare"), ("    decode", "decode"),
                           ("    clean", "clean"), ("    parse (structure+classify)", "parse"),
                           ("    hash + minhash", "hash+minhash"), ("  dedupe (hash, LSH, Jaccard)", "dedupe"),
                           ("  SQLite writes", "sqlite_writes"), ("  source files (fsync each)", "source_files"),
                           ("  walk/read/sha/bytes lookups", "other"),
                           ("  index: fold + phrase rows + jieba words", "index_analysis"),
                           ("  index: FTS5 phrase inserts", "fts_insert"),
                           ("  index: Whoosh segments built", "segment_build"),
                           ("  index sync wall, in parallel (archive reindex)", "index_sync")):
            v = st.get(key)
            if v is None:
                continue
            share = f"{100 * v / one:.0f} %" if one and key != "index_sync" else "wall"
            out.append(Row(label, f"{secs(v)} · {share} · {per_s(chars / v) if v else 'n/a'}"))
    d = r.get("disk", {})
    out += [
        Row("Disk per M chars: archive.db / index/", f"{mb(d.get('db_per_mchar', 0))} / {mb(d.get('index_per_mchar', 0))}",
            f"(sources {mb(d.get('sources_bytes', 0))})"),
    ]
    re_ = r.get("reimport", {})
    out.append(Row("Re-import unchanged folder", f"{secs(re_.get('seconds'))} · {re_.get('speedup', 0):.1f} × faster",
                   f"≥ {REIMPORT_SPEEDUP:.0f} × faster", met["re-import speed-up"]))
    a = r.get("add100", {})
    out.append(Row("+100 new reports into this archive", f"{secs(a.get('seconds'))} vs {secs(a.get('alone_seconds'))} alone"
                   f" = {a.get('ratio', 0):.2f} ×", f"< {ADD_VS_ALONE:.0f} × alone", met["+100 reports ÷ 100 alone"]))
    ri, ck = r.get("reindex", {}), r.get("check", {})
    out.append(Row("archive reindex / archive check", f"{secs(ri.get('seconds'))} (peak PSS {mb(ri.get('tree_pss', 0))}) / "
                   f"{secs(ck.get('seconds'))} (exit {ck.get('exit')})"))
    q = r.get("queries", {})
    for where, title, limit in (("in_process", "Query p50/p95/p99, in-process", P95_IN_PROCESS_MS),
                                ("http_1", "Query over HTTP, 1 client", None),
                                ("http_8", "Query over HTTP, 8 clients", P95_HTTP_MS)):
        classes = q.get(where)
        if not classes:
            reason = q.get("http_error", "not run") if where != "in_process" else "not run"
            out.append(Row(title, " ".join(reason.split())[:90]))
            continue
        out.append(Row(title))
        for name, stats in classes.items():
            key = f"p95 {where} {name}"
            out.append(Row(f"  {name}", latency(stats), f"p95 < {limit:.0f} ms" if limit else "",
                           met.get(key, "") if limit else ""))
    for e in q.get("export", []):
        out.append(Row(f"Export /api/export {e['format']} of {e['query']!r}",
                       f"{e['rows']:,} rows in {secs(e['seconds'])} = {e['rows_per_s']:,.0f} rows/s · server RSS "
                       f"{mb(e['server_rss_before'])} → {mb(e['server_rss_peak'])}", "≥ 50,000 rows/s, flat memory"))
    scan = r.get("scan", {})
    if scan:
        out.append(Row("Anchor: Python scan of all passages p50/p95"))
        for name, stats in scan.items():
            out.append(Row(f"  {name}", f"{ms(stats['p50'])} / {ms(stats['p95'])} ms"))
    g = r.get("guarantee")
    if g:
        out.append(Row(f"Exact phrases: {g['phrases']} random substrings (2–10)",
                       f"recall {g['recall']:.3f} · precision {g['precision']:.3f} · {g['phrases_wrong']} wrong",
                       "1.000 / 1.000", met["exact-phrase recall/precision"]))
    return out


def _similarity(s: dict | None) -> str:
    if not s:
        return "n/a"
    return f"mean {s['mean']:.2f} · max {s['max']:.2f} ({s['pairs']} pairs; LSH 0.5, near ≥ 0.7)"


def _truth(t: dict | None) -> str:
    if not t:
        return "n/a"
    s = f"exact {t['exact_found']}/{t['exact_expected']} · near {t['near_found']}/{t['near_expected']}"
    if t["false_duplicates"]:
        s += f" · {t['false_duplicates']} FALSE"
    if t["wrong_original"]:
        s += f" · {t['wrong_original']} wrong target"
    return s


def render(r: dict) -> str:
    m = r.get("machine", {})
    head = (f"== {r['size']:,} reports · seed {r['seed']} · {m.get('cores')} cores · "
            f"load {m.get('load_at_start')} → {r.get('load_at_end')} ==")
    a, b, c, d = WIDTH
    header = Row("figure", "value", "target", "status").line()
    return "\n".join([head, header, "-" * (a + b + c + d + 3)] + [row.line() for row in rows(r)])


def growth(results: list[dict]) -> list[Row]:
    """Between consecutive sizes: exponents of import time and query p95, and the RSS ratio."""
    out: list[Row] = []
    ordered = sorted(results, key=lambda r: r["size"])
    for small, big in zip(ordered, ordered[1:]):
        n1, n2 = small["corpus"]["characters"], big["corpus"]["characters"]
        out.append(Row(f"Growth {small['size']:,} → {big['size']:,} reports", "k in t ∝ chars^k"))
        k = growth_exponent(n1, small["import"]["seconds"], n2, big["import"]["seconds"])
        out.append(Row("  import time", f"k = {k:.2f}", "≈ 1 (linear)"))
        r1, r2 = small["import"].get("tree_pss", 0), big["import"].get("tree_pss", 0)
        ratio = r2 / r1 if r1 else math.nan
        ok = None if math.isnan(ratio) else ratio <= RSS_GROWTH
        out.append(Row("  peak memory (PSS) ratio", f"{ratio:.2f} × ({mb(r1)} → {mb(r2)})", f"≤ {RSS_GROWTH} ×", status(ok)))
        for where in ("in_process", "http_8"):
            a, b = small.get("queries", {}).get(where) or {}, big.get("queries", {}).get(where) or {}
            for name in a:
                if name in b and a[name].get("n") and b[name].get("n"):
                    k = growth_exponent(n1, a[name]["p95"], n2, b[name]["p95"])
                    out.append(Row(f"  p95 {where} {name}", f"k = {k:.2f}"))
    return out
