"""Changing files under the importer's feet, at the moments that matter, told by inotify.

Once the importer has listed ``volatile/`` (the folder's IN_CLOSE_NOWRITE),
every name in it is an input: then some files vanish, some become FIFOs,
some are replaced. Files are truncated or rewritten the moment the importer
opens them (IN_OPEN), and some grow all the time.
"""

from __future__ import annotations

import ctypes
import os
import random
import select
import struct
import threading
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from . import corpus

if TYPE_CHECKING:
    from .hostile import Corpus

REPLACEMENT_SERIAL = 590_000  # the reports that replace files after the listing
_IN_OPEN, _IN_CLOSE_NOWRITE, _IN_ISDIR = 0x20, 0x10, 0x40000000
_EVENT = struct.Struct("iIII")


class Mutator(threading.Thread):
    """Changes ``volatile/`` under the importer's feet; inotify says when it lists the folder and opens a file."""

    def __init__(self, corpus_: Corpus):
        super().__init__(name="hostile-mutator", daemon=True)
        self.corpus = corpus_
        self.folder = corpus_.volatile_dir
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.done: Counter = Counter()
        self.errors: list[str] = []
        self.watching = False
        self.opened: set[str] = set()  # names the importer (or we) opened, as inotify told us
        self.raced: set[str] = set()  # names the importer opened before we could change them
        self.listed = False
        self.on_open: dict[str, str] = {}

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # noqa: BLE001 — reported as a failure of the harness, never hidden
            self.errors.append(f"mutator: {type(exc).__name__}: {exc}")
        finally:
            self.ready.set()

    def _run(self) -> None:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            self.errors.append("inotify is not available")
            return
        try:
            if libc.inotify_add_watch(fd, os.fsencode(self.folder), _IN_OPEN | _IN_CLOSE_NOWRITE) < 0:
                self.errors.append("cannot watch the volatile folder")
                return
            self.watching = True
            self.ready.set()
            self._loop(fd)
        finally:
            os.close(fd)

    def _loop(self, fd: int) -> None:
        v = self.corpus.volatile
        self.on_open = {name: action for action in ("truncate", "rewrite") for name in v.get(action, [])}
        growers = [open(self.folder / name, "ab") for name in v.get("grow", [])]  # noqa: SIM115 — closed below
        try:
            while not self.stop.is_set():
                for f in growers:  # grow all the time (one line longer): a read of these sees the size change
                    f.write("又增加了文字，".encode())
                    f.flush()
                self.done["grow"] += bool(growers)
                ready, _, _ = select.select([fd], [], [], 0.002)
                if ready:
                    self._drain(fd)
        finally:
            for f in growers:
                f.close()

    def _drain(self, fd: int) -> None:
        """Handle every event waiting (the fd does not block)."""
        try:
            buf = os.read(fd, 65536)
        except BlockingIOError:
            return
        events = list(_events(buf))
        self.opened.update(name for mask, name in events if mask & _IN_OPEN and name)  # before acting on any
        for mask, name in events:
            if not name and mask & _IN_ISDIR and mask & _IN_CLOSE_NOWRITE and not self.listed:
                self.listed = True  # the importer has listed the folder: every name in it is now an input
                self._after_listing(fd)
            elif mask & _IN_OPEN and name in self.on_open:
                self._on_open(self.on_open.pop(name), self.folder / name)

    def _change(self, fd: int, name: str, change) -> None:
        """Change a file unless the importer already opened it; one it opened meanwhile is marked raced."""
        self._drain(fd)
        if name not in self.opened:
            change(self.folder / name)
        self._drain(fd)
        if name in self.opened:
            self.raced.add(name)

    def _after_listing(self, fd: int) -> None:
        v = self.corpus.volatile

        def to_fifo(path: Path) -> None:
            path.unlink()
            os.mkfifo(path)

        def replace_with(i: int):
            def replace(path: Path) -> None:
                tmp = self.folder / f".{path.name}.new"
                tmp.write_bytes(corpus.compose(random.Random(f"replace:{i}"), REPLACEMENT_SERIAL + i).encode())
                os.replace(tmp, path)
            return replace

        for name in v.get("vanish", []):
            self._change(fd, name, Path.unlink)
            self.done["vanish"] += 1
        for name in v.get("to-fifo", []):
            self._change(fd, name, to_fifo)
            self.done["to-fifo"] += 1
        for i, name in enumerate(v.get("replace", [])):
            self._change(fd, name, replace_with(i))
            self.done["replace"] += 1

    def _on_open(self, action: str, path: Path) -> None:
        with open(path, "r+b") as f:
            if action == "truncate":
                f.truncate(0)
            else:
                data = f.read(4096)
                f.seek(0)
                f.write(bytes(reversed(data)))
        self.done[action] += 1


def _events(buf: bytes):
    pos = 0
    while pos + _EVENT.size <= len(buf):
        _wd, mask, _cookie, length = _EVENT.unpack_from(buf, pos)
        name = buf[pos + _EVENT.size: pos + _EVENT.size + length].rstrip(b"\0").decode("utf-8", "replace")
        yield mask, name
        pos += _EVENT.size + length
