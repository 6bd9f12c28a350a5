"""Worker processes that never outlive the command that started them."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int | None = None) -> None:
    """In a child process, ask Linux to kill us when our parent dies (even by ``kill -9``).

    Without this a worker blocked on its job queue waits forever after its
    parent is killed mid-import. ``parent_pid`` is for children made by a
    bare ``os.fork()``; multiprocessing's children know their parent.
    """
    if parent_pid is None:
        parent = multiprocessing.parent_process()
        if parent is None:
            return
        parent_pid = parent.pid
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:  # not Linux/glibc: nothing to do
        return
    if os.getppid() != parent_pid:  # the parent died before we asked: nobody will send the signal
        os._exit(1)


#: Worker processes by default: one per core, at most this many (past it, SQLite's single writer and
#: memory, not the cores, set the pace on the machines this runs on).
MAX_DEFAULT_WORKERS = 4


def default_workers() -> int:
    return min(MAX_DEFAULT_WORKERS, os.cpu_count() or 1)
