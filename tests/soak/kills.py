"""kill -9 during ``archive import``, at moments spread over its stages, and what is left afterwards.

A reference archive comes from one uninterrupted import of the kill
corpus, timed from outside (polling the database) to find where its stages
lie: start-up and decoding before the first commit, SQLite writes with
dedupe, then the index sync. Each trial imports the same corpus into a
fresh data directory, SIGKILLs the import process (only it: its workers
must die by themselves) at a delay drawn from one of those stages, and
then checks:

* no worker process of the killed import is still running;
* ``PRAGMA integrity_check`` is ok;
* ``archive check`` is clean, or reports only index entries that are
  missing (the index is derived and lags the archive), in which case the
  next command (``archive search``) repairs it, says so, and ``check`` is
  clean afterwards;
* after the import is run again to the end, the archive equals the
  reference (``procs.digest``: reports, copies, sections, passages) and
  ``check`` is clean.

Every fourth trial also kills the re-run once (a kill during recovery).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import corpus, procs

STAGES = ("decoding", "writing", "indexing")
SHARE = {"decoding": 0.25, "writing": 0.35, "indexing": 0.40}
LAG_PROBLEMS = ("passages missing from", "phrase tables are missing", "word index is missing")


@dataclass
class Timeline:
    """When, in seconds after start, an uninterrupted import reached each stage."""

    first_commit: float
    all_written: float
    end: float

    def window(self, stage: str) -> tuple[float, float]:
        return {"decoding": (0.2, self.first_commit), "writing": (self.first_commit, self.all_written),
                "indexing": (self.all_written, self.end)}[stage]


@dataclass
class Trial:
    number: int
    aimed_at: str
    delay: float
    kills: int = 0
    stage: str = ""
    integrity: list[str] = field(default_factory=list)
    check: list[str] = field(default_factory=list)
    repaired: str = ""  # "", "said so", or what went wrong
    differs: bool = False
    leaked: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)

    @property
    def sound(self) -> bool:
        """Database, check, repair and clean-up: everything but the comparison with the reference."""
        return not (self.integrity or self.errors or self.leftovers or self.repaired not in ("", "said so"))

    @property
    def ok(self) -> bool:
        return self.sound and not (self.differs or self.leaked)


@dataclass
class KillReport:
    trials: list[Trial] = field(default_factory=list)
    timeline: Timeline | None = None
    files: int = 0
    reference_errors: list[str] = field(default_factory=list)

    @property
    def kills(self) -> int:
        return sum(t.kills for t in self.trials)

    @property
    def integrity_failures(self) -> int:
        return sum(not t.sound for t in self.trials)

    @property
    def differing(self) -> int:
        return sum(t.differs for t in self.trials)

    @property
    def leaked(self) -> int:
        return sum(len(t.leaked) for t in self.trials)

    @property
    def repairs(self) -> int:
        return sum(t.repaired == "said so" for t in self.trials)

    @property
    def stages(self) -> Counter:
        return Counter(t.stage for t in self.trials)

    @property
    def ok(self) -> bool:
        return not self.reference_errors and all(t.ok for t in self.trials) and self.kills > 0


def timed_import(data: Path, source: Path, total: int, timeout: float = 900.0) -> tuple[Timeline, procs.Ran]:
    """Import while polling the database: when the first copy and the last copy were committed."""
    started = time.monotonic()
    proc = procs.Background(data, "import", "--json", str(source))
    first = written = None
    while proc.poll() is None and time.monotonic() - started < timeout:
        copies = procs.counts(data).get("copies", 0) if (data / "archive.db").exists() else 0
        now = time.monotonic() - started
        if copies and first is None:
            first = now
        if copies >= total and written is None:
            written = now
        time.sleep(0.05)
    ran = proc.wait(timeout=0 if proc.poll() is None else None)
    end = ran.seconds
    first = first or end * 0.2
    written = written or end * 0.5
    return Timeline(first, max(written, first), max(end, written)), ran


def plan(count: int, timeline: Timeline, seed: int) -> list[tuple[str, float]]:
    """(stage aimed at, delay): stratified, so every stage gets its share of kills."""
    rng = random.Random(f"kills:{seed}")
    out = []
    shares = [(s, max(1, round(count * SHARE[s]))) for s in STAGES]
    for stage, n in shares:
        lo, hi = timeline.window(stage)
        for k in range(n):
            out.append((stage, lo + (hi - lo) * (k + rng.random()) / n))
    rng.shuffle(out)
    return out[:count] if len(out) > count else out


def _kill(proc: subprocess.Popen) -> bool:
    """SIGKILL the import process itself (not its group); True when it was still running."""
    alive = proc.poll() is None
    if alive:
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            alive = False
    proc.wait()
    return alive


def _stage(data: Path, total: int, lagging: bool) -> str:
    c = procs.counts(data)
    if not c or not c.get("copies"):
        return "decoding"
    if c["copies"] < total:
        return "writing"
    return "indexing" if lagging else "after indexing"


def _problems(ran: procs.Ran) -> list[str]:
    return [ln[len("problem: "):] for ln in ran.stdout.splitlines() if ln.startswith("problem: ")]


def all_written(total: int) -> Callable[[Path], bool]:
    """A moment to kill at: every file committed, so the import is in its index sync."""
    return lambda data: (data / "archive.db").exists() and procs.counts(data).get("copies", 0) >= total


def kill_once(trial: Trial, data: Path, source: Path, delay: float, total: int, *, first: bool,
              after: Callable[[Path], bool] | None = None) -> None:
    """Start an import, kill it ``delay`` seconds after it starts (or after ``after(data)`` holds),
    and check what it left."""
    proc = procs.start(data, "import", "--json", str(source), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while after is not None and proc.poll() is None and not after(data):
        time.sleep(0.02)
    time.sleep(delay)
    if not _kill(proc):
        if first:
            trial.stage = "finished before the kill"
        return
    trial.kills += 1
    left = procs.survivors(proc.pid, grace=5.0)
    if left:
        trial.leaked += left
        procs.kill_group(proc.pid)
    trial.integrity += procs.integrity(data)
    if not (data / "archive.db").exists():
        if first:
            trial.stage = "decoding"
        return
    check = procs.run(data, "check", timeout=300)
    problems = _problems(check)
    if check.timed_out or check.traceback or (check.returncode != 0 and not problems):
        trial.errors.append(f"archive check after the kill: exit {check.returncode}: {check.stderr[-300:]}")
    unexpected = [p for p in problems if not any(mark in p for mark in LAG_PROBLEMS)]
    if unexpected:
        trial.errors.append("archive check found more than a lagging index: " + "; ".join(unexpected[:3]))
    trial.check += problems
    if first:
        trial.stage = _stage(data, total, bool(problems))
    if problems:
        search = procs.run(data, "search", "工作", "--limit", "1", timeout=600)
        again = procs.run(data, "check", timeout=300)
        if search.returncode != 0 or search.traceback:
            trial.repaired = f"search after the kill failed: exit {search.returncode}: {search.stderr[-300:]}"
        elif "behind the archive" not in search.stderr:
            trial.repaired = "the search repaired nothing or did not say so: " + search.stderr[-200:]
        elif again.returncode != 0:
            trial.repaired = "still inconsistent after the repair: " + "; ".join(_problems(again)[:3])
        else:
            trial.repaired = "said so"


def run_trial(number: int, aimed_at: str, delay: float, data: Path, source: Path, total: int,
              reference: str, second_delay: float | None, *, after: Callable[[Path], bool] | None = None) -> Trial:
    trial = Trial(number, aimed_at, delay)
    kill_once(trial, data, source, delay, total, first=True, after=after)
    if second_delay is not None:
        kill_once(trial, data, source, second_delay, total, first=False)
    final = procs.run(data, "import", "--json", str(source), timeout=900)
    if final.returncode != 0 or final.traceback:
        trial.errors.append(f"the import after the kill: exit {final.returncode}: {final.stderr[-300:]}")
    check = procs.run(data, "check", timeout=300)
    if check.returncode != 0:
        trial.errors.append("archive check after the final import: " + "; ".join(_problems(check)[:3]))
    trial.integrity += procs.integrity(data)
    trial.differs = procs.digest(data) != reference
    trial.leftovers = leftovers(data)
    return trial


def leftovers(data: Path) -> list[str]:
    """Temporary files a killed process left behind (kept after the archive was whole again)."""
    sources = data / "sources"
    found = [str(p.relative_to(data)) for p in sources.glob("*/.*.tmp")] if sources.exists() else []
    index = data / "index"
    if index.exists():
        found += [str(p.relative_to(data)) for p in index.iterdir() if p.name.endswith((".tmp", ".doclist"))]
    return found


def run_trials(work: Path, count: int = 24, reports: int = 240, seed: int = 1,
               log: Callable[[str], None] = print) -> KillReport:
    source = work / "kill-corpus"
    files = corpus.write_reports(source, reports, seed, paragraphs=6)
    report = KillReport(files=len(files))
    reference = work / "kill-reference"
    timeline, ran = timed_import(reference, source, len(files))
    report.timeline = timeline
    if ran.returncode != 0:
        report.reference_errors.append(f"the reference import: exit {ran.returncode}: {ran.stderr[-300:]}")
    check = procs.run(reference, "check", timeout=300)
    if check.returncode != 0:
        report.reference_errors.append("the reference archive fails its check: " + check.stdout[-300:])
    digest = procs.digest(reference)
    log(f"kill -9: {len(files)} files; an uninterrupted import commits its first file at "
        f"{timeline.first_commit:.1f} s, its last at {timeline.all_written:.1f} s, ends at {timeline.end:.1f} s")
    rng = random.Random(f"second-kill:{seed}")
    for n, (stage, delay) in enumerate(plan(count, timeline, seed), start=1):
        data = work / f"kill-{n:02d}"
        second = rng.uniform(0.3, max(0.6, timeline.end - delay)) if n % 4 == 0 else None  # the re-run is shorter
        trial = run_trial(n, stage, delay, data, source, len(files), digest, second)
        report.trials.append(trial)
        log(f"  kill {n:2d}: aimed at {stage:9} ({delay:5.2f} s{f', then {second:4.1f} s' if second else ''}): "
            f"landed in {trial.stage or '?'}; {trial.kills} kill(s); "
            f"{'repaired, said so' if trial.repaired == 'said so' else trial.repaired or 'index in step'}; "
            f"{'DIFFERS' if trial.differs else 'same as reference'}"
            + (f"; LEAKED {trial.leaked}" if trial.leaked else "")
            + (f"; LEFTOVERS {trial.leftovers[:3]}" if trial.leftovers else "")
            + (f"; ERRORS {trial.errors + trial.integrity}" if trial.errors or trial.integrity else ""))
        if trial.ok:
            _remove(data)
    return report


def _remove(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
