"""What the figures were measured on: a result is only comparable with one from the same kind of machine."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
from importlib import metadata
from pathlib import Path

from .vocab import ROOT


def git_commit(root: Path = ROOT) -> str | None:
    """HEAD's commit, read from .git's files (the benchmark runs no git command)."""
    git = root / ".git"
    if git.is_file():  # a worktree: "gitdir: …"
        git = (root / git.read_text().split(":", 1)[1].strip()).resolve()
    try:
        head = (git / "HEAD").read_text().strip()
    except OSError:
        return None
    if not head.startswith("ref:"):
        return head
    ref = head.split(":", 1)[1].strip()
    bases = [git]
    if (git / "commondir").exists():
        bases.append((git / (git / "commondir").read_text().strip()).resolve())
    for base in bases:
        path = base / ref
        if path.exists():
            return path.read_text().strip()
        packed = base / "packed-refs"
        if packed.exists():
            for line in packed.read_text().splitlines():
                if line.endswith(" " + ref):
                    return line.split()[0]
    return None


def _meminfo_total() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def describe() -> dict:
    return {
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": _cpu_model(),
        "ram_bytes": _meminfo_total(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "git_commit": git_commit(),
        "packages": {d: _version(d) for d in ("jieba", "Whoosh-Reloaded", "sqlite-utils", "numpy",
                                               "waitress", "Flask")},
        "load_at_start": load(),
    }
