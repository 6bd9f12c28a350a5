"""Run a command as a subprocess and measure it: wall time and peak memory of its whole process tree.

Three memory figures, because a process pool makes any one alone misleading:

* ``tree_pss``: the peak over time of the *sum* of PSS over the process and
  all its descendants (/proc/PID/smaps_rollup, polled every 50 ms): pages a
  forked worker shares with its parent are divided among them, so this is
  the memory the import actually holds. The targets are judged on it.
* ``tree_rss``: the same with VmRSS, where shared pages count once per
  process: an upper bound.
* ``max_rss``: the largest resident set of any single process of the tree,
  from ``wait4``'s rusage (what ``/usr/bin/time -v`` prints as "Maximum
  resident set size"): exact, but blind to how many workers ran at once.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.procs import tree

POLL = 0.05
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Measured:
    argv: list[str]
    returncode: int
    seconds: float
    stdout: str
    stderr: str
    tree_rss: int = 0  # bytes
    tree_pss: int = 0  # bytes
    max_rss: int = 0  # bytes
    max_procs: int = 1

    def check(self, allowed: tuple[int, ...] = (0,)) -> Measured:
        """Raise with the command's own words when it failed."""
        if self.returncode not in allowed:
            raise RuntimeError(f"{' '.join(self.argv)} exited {self.returncode}:\n{self.stderr[-3000:] or self.stdout[-3000:]}")
        return self


def rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0


def pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def run(argv: list[str], *, cwd: Path | None = None, env: dict | None = None, timeout: float = 7200,
        poll: float = POLL) -> Measured:
    """Run to completion, polling the tree's memory; output is captured to files (no pipe can fill up)."""
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{os.getpid()}-{time.monotonic_ns()}"
    with open(f"{out_path}.out", "w+b") as out, open(f"{out_path}.err", "w+b") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        peak = peak_pss = 0
        procs, status, usage = 1, None, None
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                members = tree(proc.pid)
                procs = max(procs, len(members))
                peak = max(peak, sum(rss(p) for p in members))
                peak_pss = max(peak_pss, sum(pss(p) for p in members))
                if time.perf_counter() - started > timeout:
                    proc.kill()
                time.sleep(poll)
        finally:
            if status is None:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    for suffix in (".out", ".err"):
        os.unlink(f"{out_path}{suffix}")
    return Measured(argv, proc.returncode, seconds, stdout, stderr, tree_rss=peak, tree_pss=peak_pss,
                    max_rss=usage.ru_maxrss * 1024 if usage else 0, max_procs=procs)
