"""``make soak``: the long reliability runs, bounded in time and count, and one table of what they found.

    python -m tests.soak [--files 1000] [--kills 24] [--clients 20] [--seconds 30] [--only hostile,kills,serve]

Parts: a hostile corpus imported and every input accounted for; kill -9
trials across the import's stages compared with an uninterrupted import;
a server (127.0.0.1 only) crawled with hostile requests, sharing its data
directory with concurrent imports and, under many clients, with an import
of a few hundred reports; a backup taken while it serves. Progress goes to
stderr; the table to stdout. Exit status 1 on any failure.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from . import accounting, corpus, crawl, hostile, kills, load, procs, serving, tree

PARTS = ("hostile", "kills", "serve")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def show(problems: list[str], limit: int = 12) -> None:
    for p in problems[:limit]:
        log(f"    ✗ {p}")
    if len(problems) > limit:
        log(f"    … and {len(problems) - limit} more")


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, list[tuple[str, str]], bool]] = []

    def add(self, part: str, figures: list[tuple[str, object]], ok: bool) -> None:
        self.rows.append((part, [(name, _fmt(v)) for name, v in figures], ok))

    def render(self) -> str:
        head = ["part", "figures", "verdict"]
        lines = [(part, " · ".join(f"{name} {value}" for name, value in figures), "ok" if ok else "FAILED")
                 for part, figures, ok in self.rows]
        widths = [max(len(r[i]) for r in [tuple(head)] + lines) for i in range(3)]
        rule = "─" * (sum(widths) + 6)
        out = ["", "述职报告档案 — reliability (make soak)", rule,
               "  ".join(h.ljust(w) for h, w in zip(head, widths)), rule]
        out += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in lines]
        out.append(rule)
        return "\n".join(out)

    @property
    def ok(self) -> bool:
        return all(ok for _, _, ok in self.rows)


def _fmt(v: object) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v * 1000:.0f} ms" if v < 10 else f"{v:.0f} s"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def run_hostile(work: Path, args, table: Table) -> None:
    log(f"hostile files: writing at least {args.files} inputs …")
    c = hostile.build(work / "hostile-in", args.files, args.seed, big_line_mb=args.big_line_mb)
    log(f"hostile files: importing {len(c.entries)} inputs (files change and vanish meanwhile) …")
    acc = accounting.run_import(c, work / "hostile-data", timeout=args.import_timeout)
    log(f"  {acc.seconds:.0f} s; outcomes {dict(acc.outcomes)}; changed while read: {dict(acc.mutations)}")
    log("  failure and skip reasons: " + "; ".join(f"{k} ×{v}" for k, v in acc.reasons.most_common()))
    show(acc.crashes + acc.unaccounted + acc.misfiled)
    table.add("hostile files", [("files tried", acc.tried), ("crashes", len(acc.crashes)),
                                ("unaccounted", len(acc.unaccounted)), ("misfiled", len(acc.misfiled))], acc.ok)
    if not args.keep:
        tree.remove(work / "hostile-in")
        shutil.rmtree(work / "hostile-data", ignore_errors=True)


def run_kills(work: Path, args, table: Table) -> None:
    log(f"kill -9: {args.kills} trials on a corpus of {args.kill_reports} reports …")
    r = kills.run_trials(work / "kills", args.kills, args.kill_reports, args.seed, log=log)
    stages = ", ".join(f"{k} {v}" for k, v in sorted(r.stages.items()))
    log(f"  kills landed in: {stages}; index repairs announced: {r.repairs}")
    show(r.reference_errors)
    for t in r.trials:
        if not t.ok:
            show([f"trial {t.number}: " + "; ".join(
                t.integrity + t.errors + [f"left behind: {', '.join(t.leftovers[:3])}"] * bool(t.leftovers)
                + [f"workers outlived the import: {t.leaked}"] * bool(t.leaked) + ["differs from the reference"]
                * t.differs + ([t.repaired] if t.repaired not in ("", "said so") else []))])
    table.add("kill -9 during import", [("kills", r.kills), ("integrity failures", r.integrity_failures),
                                        ("archives differing", r.differing), ("workers left", r.leaked)], r.ok)


def run_serve(work: Path, args, table: Table) -> None:
    root = work / "serve"
    data = root / "data"
    base = root / "base"
    corpus.write_reports(base, 60, args.seed, start=100_000)
    (base / "xss.txt").write_text("2024年<script>alert(1)</script>述职报告\n" + corpus.compose(
        __import__("random").Random(7), 100_999) + "<img src=x onerror=alert(1)>", encoding="utf-8")
    ran = procs.run(data, "import", str(base), timeout=args.import_timeout)
    if ran.returncode != 0:
        table.add("serving", [("base import exit", ran.returncode)], False)
        show([ran.stderr[-500:]])
        return
    log("serving: archive serve (no --host: it must bind 127.0.0.1 only) …")
    server = serving.Server(data, threads=args.threads, host=None)
    try:
        bound = server.bound_addresses()
        local_only = bound == ["127.0.0.1"] and server.printed_host == "127.0.0.1"
        log(f"  listening on {server.url}; bound to {bound}")
        # hostile requests: over waitress, and through the Flask test client on the same data
        conn = sqlite3.connect(f"file:{data / 'archive.db'}?mode=ro", uri=True)
        rid, cid = conn.execute("SELECT report_id, id FROM copies WHERE relation = 'original' "
                                "ORDER BY id LIMIT 1").fetchone()
        conn.close()
        target = crawl.Target(rid, cid, 3)
        over_http = crawl.crawl(crawl.via_http(server.host, server.port), target)
        from webui import create_app

        in_process = crawl.crawl(crawl.via_test_client(create_app({"DATA_DIR": str(data)}).test_client()), target)
        both = over_http.merge(in_process)
        log(f"  hostile requests: {both.sent} sent (waitress and test client); statuses {both.statuses}; "
            f"slowest {both.slowest * 1000:.0f} ms")
        show(both.problems)
        table.add("hostile requests", [("requests", both.sent), ("5xx", both.server_errors),
                                       ("other problems", len(both.problems)), ("slowest", both.slowest)],
                  not both.problems and not both.server_errors)
        # two imports at once, while serving
        conc_a, conc_b = root / "conc-a", root / "conc-b"
        corpus.write_reports(conc_a, 120, args.seed, start=110_000)
        corpus.write_reports(conc_b, 30, args.seed, start=120_000)
        conc = load.concurrent_imports(data, conc_a, conc_b)
        log(f"  concurrent imports: --wait 0 said {conc.refusal!r}; the other waited: {conc.waited}; "
            f"interleaved: {conc.interleaved}")
        show(conc.problems)
        table.add("second import at once", [("refused clearly", conc.refused_clearly), ("waited", conc.waited),
                                            ("interleaved", conc.interleaved)], conc.ok)
        table.add("serve without --host", [("listens on", ", ".join(bound) or "nothing")], local_only)
        # load under import, then a backup while still served
        incoming = root / "load"
        corpus.write_reports(incoming, args.soak_reports, args.seed, start=200_000, paragraphs=5)
        log(f"soak: {args.clients} clients for at least {args.seconds:.0f} s while {args.soak_reports} reports "
            f"are imported …")
        r = load.load_under_import(server, data, incoming, clients=args.clients, seconds=args.seconds,
                                      cap=args.cap, backup_to=root / "backup", seed=args.seed)
        log(f"  {r.requests} requests in {r.seconds:.0f} s ({dict(r.kinds)}); the import took "
            f"{r.import_seconds:.0f} s; {r.under_import} requests during it; new reports found through the "
            f"server: {r.new_found}/{r.new_reports}; backup while served: {r.backup_seconds:.1f} s")
        show(r.failures + r.problems + r.backup)
        table.add("requests under import", [("clients", r.clients), ("requests", r.under_import),
                                            ("failed", r.failed), ("p50", r.p50), ("p95", r.p95),
                                            ("new reports found", f"{r.new_found}/{r.new_reports}")],
                  not (r.failed or r.problems) and r.new_found == r.new_reports and r.under_import > 0)
        table.add("backup while served", [("copy passes archive check", not r.backup),
                                          ("seconds", f"{r.backup_seconds:.1f}")], not r.backup)
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=1000, help="hostile inputs (at least)")
    ap.add_argument("--big-line-mb", type=float, default=5.0, help="size of the single-line file")
    ap.add_argument("--kills", type=int, default=24, help="kill -9 trials")
    ap.add_argument("--kill-reports", type=int, default=240, help="reports in the kill corpus")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0, help="least time under load")
    ap.add_argument("--cap", type=float, default=300.0, help="most time under load")
    ap.add_argument("--soak-reports", type=int, default=400, help="reports imported under load")
    ap.add_argument("--threads", type=int, default=4, help="server threads")
    ap.add_argument("--import-timeout", type=float, default=1200.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default=",".join(PARTS), help="parts to run: " + ",".join(PARTS))
    ap.add_argument("--work", type=Path, default=None, help="working folder (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the working folder")
    args = ap.parse_args(argv)
    parts = [p for p in args.only.split(",") if p]
    unknown = set(parts) - set(PARTS)
    if unknown:
        ap.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    work = args.work or Path(tempfile.mkdtemp(prefix="soak-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    table = Table()
    try:
        for part in parts:
            try:
                {"hostile": run_hostile, "kills": run_kills, "serve": run_serve}[part](work, args, table)
            except Exception as exc:  # noqa: BLE001 — a harness failure is a failed part, shown, never hidden
                import traceback

                log(traceback.format_exc())
                table.add(part, [("harness error", f"{type(exc).__name__}: {exc}")], False)
    finally:
        if not args.keep:
            tree.remove(work)
    print(table.render())
    print(f"{'all passed' if table.ok else 'FAILED'} in {time.monotonic() - started:.0f} s")
    return 0 if table.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
