"""What the server must do while it shares its data directory with writers.

``load_under_import``: many clients, an import of a few hundred reports,
then a backup, all at once; no request may fail, and the new reports must
be found through the same server. ``concurrent_imports``: a second import
beside the first refuses (``--wait 0``) or waits, and never interleaves.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import corpus, procs
from .serving import Clients, Server, Targets, failed, percentile, q

@dataclass
class LoadReport:
    clients: int = 0
    seconds: float = 0.0
    import_seconds: float = 0.0
    import_exit: int | None = None
    requests: int = 0  # all requests
    under_import: int = 0
    failed: int = 0  # of all requests
    failures: list[str] = field(default_factory=list)
    p50: float = 0.0
    p95: float = 0.0  # under import
    new_reports: int = 0
    new_found: int = 0
    problems: list[str] = field(default_factory=list)
    backup: list[str] = field(default_factory=list)  # problems with the backup taken while serving
    backup_seconds: float = 0.0
    kinds: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.problems or self.backup) and self.new_found == self.new_reports


def new_report_codes(source: Path) -> dict[str, str]:
    """check phrase → file name, for the originals of a corpus written by ``corpus.write_reports``."""
    out = {}
    for path in sorted(source.rglob("r*.txt")):
        m = re.fullmatch(r"r(\d{6})\.txt", path.name)
        if m:
            out[corpus.check_code(int(m.group(1)))] = path.name
    return out


def wait_until_found(server: Server, phrase: str, timeout: float = 30.0) -> dict | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = server.json("/api/search?" + q(f'"{phrase}"'))
        if out["total"]:
            return out
        time.sleep(0.3)
    return None


def load_under_import(server: Server, data: Path, source: Path, *, clients: int = 20, seconds: float = 30.0,
                      cap: float = 300.0, backup_to: Path | None = None, seed: int = 1,
                      log=print) -> LoadReport:
    """``clients`` threads ask the server while ``archive import SOURCE`` writes into the same data dir;
    they go on for at least ``seconds`` and until the import ends (at most ``cap``). Then a backup is
    taken while they still ask, and the new reports must be found through the server without a restart."""
    report = LoadReport(clients=clients)
    targets = Targets.load(data)
    pool = Clients(server, targets, clients, seed).start()
    imp = procs.Background(data, "import", "--json", str(source))
    import_started = time.monotonic() - pool.started
    while time.monotonic() - pool.started < cap:
        if imp.poll() is not None and time.monotonic() - pool.started >= seconds:
            break
        time.sleep(0.2)
    if imp.poll() is None:
        report.problems.append(f"the import did not finish within {cap:.0f} s under load")
    ran = imp.wait(timeout=0 if imp.poll() is None else None)
    out = ran.stdout
    report.import_exit = ran.returncode
    import_ended = import_started + ran.seconds
    report.import_seconds = ran.seconds
    if ran.returncode != 0 or ran.traceback:
        report.problems.append(f"the import under load: exit {ran.returncode}: {ran.stderr[-300:]}")
    if backup_to is not None:
        started = time.monotonic()
        ran = procs.run(data, "backup", str(backup_to), timeout=600)
        report.backup_seconds = time.monotonic() - started
        if ran.returncode != 0 or ran.traceback:
            report.backup.append(f"archive backup while served: exit {ran.returncode}: {ran.stderr[-300:]}")
        else:
            check = procs.run(backup_to, "check", timeout=600)
            if check.returncode != 0:
                report.backup.append("the backup fails archive check: " + check.stdout[-300:])
            if procs.digest(backup_to) != procs.digest(data):
                report.backup.append("the backup holds other reports than the archive it copies")
    pool.stop()
    report.seconds = time.monotonic() - pool.started
    everything = pool.between(0, float("inf"))
    during = pool.between(import_started, import_ended)
    report.requests = len(everything)
    report.under_import = len(during)
    bad = failed(everything)
    report.failed = len(bad)
    report.failures = [f"{s.kind} at {s.at:.1f} s: {s.status or s.error}" for s in bad[:10]]
    latencies = [s.seconds for s in during if s.status == 200]
    report.p50, report.p95 = percentile(latencies, 50), percentile(latencies, 95)
    kinds: dict[str, int] = {}
    for s in everything:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    report.kinds = kinds
    # the new reports, through the same server: no restart
    try:
        summary = json.loads(out) if out.strip() else {"added": []}
    except json.JSONDecodeError:
        summary = {"added": []}
        report.problems.append("the import under load printed no JSON summary")
    added = {a["report_id"] for a in summary.get("added", [])}
    codes = new_report_codes(source)
    rng = random.Random(f"found:{seed}")
    sample = rng.sample(sorted(codes), min(20, len(codes)))
    report.new_reports = len(sample)
    for code in sample:
        found = wait_until_found(server, code, timeout=30 if code == sample[0] else 5)
        if found and found["total"] == 1 and found["hits"][0]["report_id"] in added:
            report.new_found += 1
        else:
            report.problems.append(f"a new report is not found through the server: {code} "
                                   f"(total {found and found['total']})")
    listed = server.json("/api/reports?limit=1")["total"]
    conn = sqlite3.connect(f"file:{data / 'archive.db'}?mode=ro", uri=True)
    try:
        in_db = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    finally:
        conn.close()
    if listed != in_db:
        report.problems.append(f"the server lists {listed} reports, the archive holds {in_db}")
    return report


@dataclass
class ConcurrentImports:
    """Two imports at once: the second waits (or, with --wait 0, refuses) and never interleaves."""

    refused_clearly: bool = False
    refusal: str = ""
    waited: bool = False
    interleaved: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.refused_clearly and self.waited and not self.interleaved and not self.problems


def concurrent_imports(data: Path, first: Path, second: Path, timeout: float = 600.0) -> ConcurrentImports:
    """Start importing ``first``; once it writes, try ``second`` with --wait 0 (must refuse, clearly),
    then with the default wait (must wait, then import after the first: no interleaved rows)."""
    out = ConcurrentImports()
    before = procs.counts(data).get("copies", 0)
    one = procs.Background(data, "import", "--json", str(first))
    deadline = time.monotonic() + timeout
    while procs.counts(data).get("copies", 0) <= before and one.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    if one.poll() is not None:
        out.problems.append("the first import ended before a second could be started beside it (use more files)")
    refused = procs.run(data, "import", "--wait", "0", "--json", str(second), timeout=120)
    out.refusal = refused.stderr.strip().splitlines()[-1] if refused.stderr.strip() else ""
    out.refused_clearly = (refused.returncode == 1 and "another 'archive import' is writing" in refused.stderr
                           and not refused.traceback and not refused.stdout.strip())
    two = procs.Background(data, "import", "--json", str(second))
    r1, r2 = one.wait(timeout), two.wait(timeout)
    out.waited = "waiting" in r2.stderr and r2.returncode == 0
    if r1.returncode != 0 or r2.returncode != 0 or r1.traceback or r2.traceback:
        out.problems.append(f"exit codes {r1.returncode} and {r2.returncode}: {r1.stderr[-200:]} {r2.stderr[-200:]}")
    conn = sqlite3.connect(f"file:{data / 'archive.db'}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT id, path FROM copies WHERE id > ? ORDER BY id", (0,)).fetchall()
    finally:
        conn.close()
    a = [i for i, p in rows if p.startswith(str(first.resolve()) + "/")]
    b = [i for i, p in rows if p.startswith(str(second.resolve()) + "/")]
    if not a or not b:
        out.problems.append(f"the imports wrote {len(a)} and {len(b)} copies")
    else:
        out.interleaved = not (max(a) < min(b) or max(b) < min(a))
    return out
