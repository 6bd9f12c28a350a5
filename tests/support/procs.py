"""Running ``archive`` as a user would, and finding the processes it started (from /proc)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def archive_argv() -> list[str]:
    """The installed ``archive`` script beside this interpreter, else the same entry point through ``-c``."""
    exe = Path(sys.executable).with_name("archive")
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from webui.cli import main; main()"]


def children(pid: int) -> list[int]:
    """The live children of a process (of all its threads)."""
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out.extend(int(c) for c in f.read().split())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return out


def tree(pid: int) -> list[int]:
    """The process and every descendant alive now."""
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo.extend(children(p))
    return seen


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes in a process group."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode("ascii", "replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()  # after "pid (comm) "
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state not in ("Z", "X"):
            found.append(int(entry))
    return found
