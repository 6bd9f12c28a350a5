"""Importing the hostile corpus, and accounting for every input.

``run_import`` imports it (a subprocess with a timeout: a hang is a
failure) while ``mutator`` changes ``volatile/``; ``account`` checks that
every input appears exactly once in added, duplicates, failed or skipped,
with a plain reason, where its category allows, and that nothing else does.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import procs
from .hostile import ADDED, ANY, DUPLICATES, FAILED, SKIPPED, Corpus
from .mutator import Mutator


@dataclass
class Account:
    tried: int = 0
    crashes: list[str] = field(default_factory=list)
    unaccounted: list[str] = field(default_factory=list)
    misfiled: list[str] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    mutations: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.crashes or self.unaccounted or self.misfiled)


#: Failure reasons that mean the importer met an internal error (a defect), not a bad file.
INTERNAL = ("could not be processed", "Traceback", "Error:", "errno", "[Errno")


def run_import(c: Corpus, data: Path, *, timeout: float = 900.0, workers: int | None = None) -> Account:
    """Import the corpus while the mutator changes ``volatile/``; then account for every input."""
    mutator = Mutator(c)
    mutator.start()
    mutator.ready.wait(10)
    args = ["import", "--json", str(c.root)] + (["--workers", str(workers)] if workers else [])
    try:
        ran = procs.run(data, *args, timeout=timeout)
    finally:
        mutator.stop.set()
        mutator.join(10)
    acc = account(c, ran, strict_volatile=mutator.watching, raced=mutator.raced)
    acc.mutations = mutator.done + Counter(raced=len(mutator.raced))
    acc.crashes += mutator.errors
    if ran.returncode in (0, 1):
        check = procs.run(data, "check", timeout=300)
        if check.returncode != 0 or check.traceback:
            acc.crashes.append(f"archive check after the import: exit {check.returncode}: "
                               f"{(check.stdout + check.stderr).strip()[-500:]}")
    return acc


def account(c: Corpus, ran: procs.Ran, *, strict_volatile: bool = True, raced: set[str] = frozenset()) -> Account:
    """``raced``: names in volatile/ the importer opened before the mutator could change them (any outcome)."""
    acc = Account(tried=len(c.entries), seconds=ran.seconds)
    if ran.timed_out:
        acc.crashes.append(f"the import did not finish in time (a hang): killed after {ran.seconds:.0f} s")
        acc.unaccounted = sorted(c.entries)
        return acc
    if ran.traceback:
        acc.crashes.append("traceback on stderr: " + ran.stderr.strip()[-1500:])
    if ran.returncode not in (0, 1):
        acc.crashes.append(f"exit code {ran.returncode}: {ran.stderr.strip()[-500:]}")
    try:
        summary = json.loads(ran.stdout)
    except json.JSONDecodeError as exc:
        acc.crashes.append(f"the import printed no JSON summary ({exc})")
        acc.unaccounted = sorted(c.entries)
        return acc
    seen: Counter = Counter()
    outcome: dict[str, str] = {}
    parts: set[str] = set()  # pages of several reports are listed once per part (page.txt#1, #2 …)
    for key in (ADDED, DUPLICATES, FAILED, SKIPPED):
        for item in summary.get(key, []):
            path = item.get("path", "")
            page = re.sub(r"#\d+$", "", path)
            if page != path:
                path = page
                if path in parts:
                    acc.outcomes[key] += 1
                    continue
                parts.add(path)
            seen[path] += 1
            outcome[path] = key
            acc.outcomes[key] += 1
            reason = item.get("error") or item.get("reason") or ""
            if key in (FAILED, SKIPPED):
                if not reason.strip():
                    acc.crashes.append(f"{path!r}: {key} without a reason")
                elif any(mark in reason for mark in INTERNAL):
                    acc.crashes.append(f"{path!r}: internal error: {reason}")
                acc.reasons[_reason_kind(reason)] += 1
    if summary.get("unchanged"):
        acc.outcomes["unchanged"] += len(summary["unchanged"])
    for label, entry in c.entries.items():
        n = seen.get(label, 0)
        lenient = entry.category == "volatile" and not strict_volatile
        expect = ANY if entry.category == "volatile" and label.rsplit("/", 1)[-1] in raced else entry.expect
        if n != 1 and not (lenient and n == 0):
            acc.unaccounted.append(f"{label!r} ({entry.category}) listed {n} times")
        elif n == 1 and outcome[label] not in expect:
            acc.misfiled.append(f"{label!r} ({entry.category}): {outcome[label]}, expected "
                                f"{' or '.join(sorted(entry.expect))}")
    for path in seen:
        if path not in c.entries:
            acc.unaccounted.append(f"{path!r}: reported but not an input of the corpus")
    return acc


def _reason_kind(reason: str) -> str:
    """A reason without its figures: for the tally of how inputs failed."""
    head = reason.split(":")[0].split("(")[0].strip()
    return "".join("#" if ch.isdigit() else ch for ch in head)[:60]
