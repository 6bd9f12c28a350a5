"""The hostile corpus's file-system cases: names, folders, links, special files, files that will change.

A mix-in of ``hostile._Writer`` (it uses ``put``, ``record``, ``folder`` and
``report``), and ``remove``, which deletes what these cases make: folder
trees deeper than ``shutil.rmtree`` can recurse and longer than PATH_MAX.
"""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

ADDED, DUPLICATES, FAILED, SKIPPED = "added", "duplicates", "failed", "skipped"
REPORT = frozenset({ADDED, DUPLICATES})
FAIL = frozenset({FAILED})
SKIP = frozenset({SKIPPED})
ANY = frozenset({ADDED, DUPLICATES, FAILED, SKIPPED})
PATH_MAX = 4096


class FilesystemCases:
    def names(self) -> None:
        names: list[str | bytes] = [
            "with space.txt", "  leading spaces.txt", "trailing space .txt", "-leading-dash.txt", "--help.txt",
            "-n.txt", "-.txt", "中文名称报告.txt", "naïve café.txt", "emoji😀.txt", "new\nline.txt", "tab\tname.txt",
            "car\rriage.txt", "back\\slash.txt", "quote'\"name.txt", "star*?[].txt", ".hidden.txt", ".txt",
            "UPPER.TXT", "mixed.Txt", "shell $(rm -rf ~) `x`.txt", "a;b|c&d>e.txt", "<script>alert(1)<\u200b.txt",
            "..txt", "...txt", "CON.txt", "%s%n{0}.txt", "\u202eevil.txt", "zero\u200bwidth.txt", "#hash.txt",
            "a" * 251 + ".txt", "长" * 83 + ".txt", b"bad\xff\xfe.txt", b"latin1-\xe9t\xe9.txt",
            b"gbk-\xb1\xa8\xb8\xe6.txt", b"lone-continuation-\x80.txt", b"overlong-\xc0\xaf.txt",
        ]
        for name in names:
            self.put("names", name, self.report().encode(), REPORT)
        for name in ["report.txt.bak", "README", "报告", "x.TXT~", "notes.markdown", "data.csv"]:
            self.put("names", name, self.report().encode(), SKIP)
        for name in ["report.pdf", "report.docx", "report.doc"]:  # read by their format's reader: text is not one
            self.put("names", name, self.report().encode(), FAIL)

    def folders(self) -> None:
        for name in ["folder.txt", "nested.txt/deeper.md", "中文.txt", "-dash.txt"]:
            path = self.folder("folders", name)
            for k in range(2):
                self.put("folders", f"inner-{k}.txt", self.report().encode(), REPORT, sub=name)
        self.folder("folders", "empty.txt")
        self.folder("folders", "empty-tree.txt", "a", "b")
        hidden = self.folder("folders", ".hidden-folder")
        with open(os.path.join(hidden, b"never-read.txt"), "wb") as f:
            f.write(self.report().encode())
        self.record(hidden, "folders", SKIP)
        # deeper than Python's recursion limit
        fd = os.open(self.folder("deep"), os.O_RDONLY | os.O_DIRECTORY)
        path = self.folder("deep")
        try:
            for _ in range(1100):
                os.mkdir("d", dir_fd=fd)
                nfd = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
                os.close(fd)
                fd = nfd
                path = os.path.join(path, b"d")
            self._write_at(fd, b"bottom.txt", self.report().encode())
        finally:
            os.close(fd)
        self.record(os.path.join(path, b"bottom.txt"), "deep", REPORT)
        # longer than PATH_MAX: the first component past the limit is reported
        fd = os.open(self.folder("too-long"), os.O_RDONLY | os.O_DIRECTORY)
        path = os.path.abspath(self.folder("too-long"))
        first_too_long = None
        try:
            for _ in range(20):
                name = b"p" * 250
                os.mkdir(name, dir_fd=fd)
                nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
                os.close(fd)
                fd = nfd
                path = os.path.join(path, name)
                if first_too_long is None and len(path) >= PATH_MAX:
                    first_too_long = path
            self._write_at(fd, b"unreachable.txt", self.report().encode())
        finally:
            os.close(fd)
        self.record(first_too_long, "too-long", FAIL)

    @staticmethod
    def _write_at(dir_fd: int, name: bytes, data: bytes) -> None:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=dir_fd)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def links_and_specials(self, fifos: int) -> None:
        folder = self.folder("links")
        target = self.put("links", "target.txt", self.report().encode(), REPORT)

        def link(name: str, to: str | bytes, expect: frozenset) -> None:
            path = os.path.join(folder, name.encode())
            os.symlink(os.fsencode(to), path)
            self.record(path, "links", expect)

        link("broken.txt", "nowhere.txt", FAIL)
        link("broken-absolute.txt", "/nonexistent/dir/x.txt", FAIL)
        link("self-loop.txt", "self-loop.txt", FAIL)
        link("loop-a.txt", "loop-b.txt", FAIL)
        link("loop-b.txt", "loop-a.txt", FAIL)
        link("to-target.txt", target, REPORT)
        link("to-target-no-suffix", target, SKIP)
        link("to-folder.txt", os.fsencode(self.folder("folders", "folder.txt")), SKIP)
        link("to-parent.txt", b"..", SKIP)
        for dev in ("null", "zero", "urandom", "tty"):
            if os.path.exists(f"/dev/{dev}"):
                link(f"to-dev-{dev}.txt", f"/dev/{dev}", SKIP)
        chain = os.path.join(folder, b"chain-00.txt")
        os.symlink(target, chain)
        for k in range(1, 45):  # past the kernel's limit of 40 links: ELOOP
            nxt = os.path.join(folder, f"chain-{k:02d}.txt".encode())
            os.symlink(os.path.basename(chain), nxt)
            self.record(nxt, "links", REPORT if k < 40 else FAIL)
            chain = nxt
        self.record(os.path.join(folder, b"chain-00.txt"), "links", REPORT)
        specials = self.folder("specials")
        for i in range(fifos):
            path = os.path.join(specials, f"pipe-{i:02d}.{'md' if i % 4 == 0 else 'txt'}".encode())
            os.mkfifo(path)
            self.record(path, "specials", SKIP)
        link_to_fifo = os.path.join(folder, b"to-fifo.txt")
        os.symlink(os.path.join(specials, b"pipe-01.txt"), link_to_fifo)
        self.record(link_to_fifo, "links", SKIP)
        for i in range(max(1, fifos // 3)):
            self._socket(os.path.join(specials, f"socket-{i:02d}.txt".encode()))
        sparse = os.path.join(self.folder("specials"), b"sparse-100mb.txt")
        with open(sparse, "wb") as f:
            f.truncate(100 * 1024 * 1024)
        self.record(sparse, "specials", FAIL)

    def _socket(self, path: bytes) -> None:
        """A Unix socket file: bound in a short folder (sun_path holds 108 bytes), then moved into place."""
        short = tempfile.mkdtemp(prefix="sk", dir="/tmp")
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.bind(os.path.join(short, "s"))
            finally:
                s.close()
            try:
                os.rename(os.path.join(short, "s"), path)
            except OSError:  # another file system: no socket case in this corpus
                return
            self.record(path, "specials", SKIP)
        finally:
            for name in os.listdir(short):
                os.unlink(os.path.join(short, name))
            os.rmdir(short)

    def volatile(self, megabytes: float) -> None:
        plan = {"vanish": (4, FAIL), "to-fifo": (2, SKIP | FAIL), "replace": (2, REPORT), "truncate": (3, ANY),
                "rewrite": (3, ANY), "grow": (3, ANY)}
        for action, (n, expect) in plan.items():
            names = []
            for i in range(n):
                name = f"{action}-{i}.txt"
                big = action in ("grow", "rewrite", "truncate")  # large: reading them takes a while
                text = self.report() + (self.sentences(int(megabytes * 1024 * 1024 / 3)) if big else "")
                self.put("volatile", name, text.encode(), expect)
                names.append(name)
            self.corpus.volatile[action] = names


def remove(root: Path) -> None:
    """``rm -rf`` for this corpus: its folder trees are deeper than ``shutil.rmtree`` can recurse and
    longer than PATH_MAX, so walk them by file descriptor with two open at most."""
    root = Path(root)
    if not os.path.lexists(root):
        return
    if root.is_symlink() or not root.is_dir():
        root.unlink()
        return
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    fd = os.open(root, flags)
    names: list[str] = []  # the path from root down to fd
    try:
        while True:
            sub = None
            with os.scandir(fd) as entries:
                for e in entries:
                    if e.is_dir(follow_symlinks=False):
                        sub = e.name
                        break
                    os.unlink(e.name, dir_fd=fd)
            if sub is not None:
                child = os.open(sub, flags, dir_fd=fd)
                os.close(fd)
                fd = child
                names.append(sub)
                continue
            if not names:
                break
            parent = os.open("..", flags, dir_fd=fd)
            os.close(fd)
            fd = parent
            os.rmdir(names.pop(), dir_fd=fd)
    finally:
        os.close(fd)
    os.rmdir(root)
