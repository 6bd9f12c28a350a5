"""A hostile corpus, an import of it, and an account of every input.

``build(root, size, seed)`` writes at least ``size`` inputs: empty,
whitespace-only, NUL-filled and random binary files; truncated UTF-8 and
GBK; stray invalid bytes; UTF-16/32 with and without BOM; Big5; a single
line of many megabytes; thousands of headings; nested and out-of-order
heading numbers; HTML pasted as text (also malformed); file names with
spaces, a leading ``-``, non-ASCII, bytes that are not UTF-8, newlines,
255 bytes; folders named ``*.txt``; broken symlinks, loops and links to
devices; FIFOs and sockets; a folder tree deeper than Python's recursion
limit and one longer than PATH_MAX; inputs known to cost quadratic time in
naive code; and valid reports with exact and near duplicates. Each input
is recorded with the outcomes allowed for it.

Files in ``volatile/`` are changed while the import runs, by a thread that
watches the folder with inotify: once the importer has listed it, some
files vanish, some become FIFOs, some are replaced; files are truncated or
rewritten the moment the importer opens them; some grow all the time.

``run_import`` imports the corpus (a subprocess with a timeout) and
``account`` checks that every input appears exactly once in added,
duplicates, failed or skipped, with a plain reason.
"""

from __future__ import annotations

import ctypes
import gzip
import json
import os
import random
import select
import socket
import struct
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import corpus, procs

ADDED, DUPLICATES, FAILED, SKIPPED = "added", "duplicates", "failed", "skipped"
REPORT = frozenset({ADDED, DUPLICATES})
FAIL = frozenset({FAILED})
SKIP = frozenset({SKIPPED})
ANY = frozenset({ADDED, DUPLICATES, FAILED, SKIPPED})
PATH_MAX = 4096
SERIAL_BASE = 500_000  # check codes of hostile reports never clash with other corpora


def shown(path: bytes) -> str:
    """The path as ``archive import`` reports it (the importer's own rule for names that are not UTF-8)."""
    return path.decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class Entry:
    label: str
    category: str
    expect: frozenset


@dataclass
class Corpus:
    root: Path
    entries: dict[str, Entry] = field(default_factory=dict)
    volatile: dict[str, list[str]] = field(default_factory=dict)  # action → file names in root/volatile

    @property
    def volatile_dir(self) -> Path:
        return self.root / "volatile"


class _Writer:
    def __init__(self, root: Path, seed: int, heavy: bool):
        self.root = root
        self.heavy = heavy
        self.rng = random.Random(f"hostile:{seed}")
        self.corpus = Corpus(root)
        self.serial = SERIAL_BASE
        self.texts: list[str] = []

    # -- helpers ------------------------------------------------------------------

    def folder(self, *parts: str) -> bytes:
        path = os.path.join(os.fsencode(self.root), *(os.fsencode(p) for p in parts))
        os.makedirs(path, exist_ok=True)
        return path

    def record(self, path: bytes, category: str, expect: frozenset) -> None:
        label = shown(os.path.abspath(path))
        assert label not in self.corpus.entries, label
        self.corpus.entries[label] = Entry(label, category, expect)

    def put(self, category: str, name: str | bytes, data: bytes, expect: frozenset, sub: str = "") -> bytes:
        path = os.path.join(self.folder(category, sub) if sub else self.folder(category), os.fsencode(name))
        with open(path, "wb") as f:
            f.write(data)
        self.record(path, category, expect)
        return path

    def report(self) -> str:
        paragraphs = 3 if self.heavy else 1
        self.serial += 1
        text = corpus.compose(random.Random(f"hostile-report:{self.serial}"), self.serial, paragraphs=paragraphs)
        self.texts.append(text)
        return text

    def sentences(self, chars: int) -> str:
        """Report prose of about ``chars`` characters, on one line."""
        out, size = [], 0
        while size < chars:
            para = corpus._paragraph(self.rng, self.rng.choice(["political", "performance", "integrity"]))
            out.append(para)
            size += len(para)
        return "".join(out)

    # -- categories ---------------------------------------------------------------

    def empty_and_blank(self) -> None:
        for i in range(10):
            self.put("empty", f"empty-{i}.txt", b"", FAIL)
        blanks = [b" ", b"\n", b"\n\n\n", b"\t \r\n", "\u3000\u3000\n".encode(), b"\x0b\x0c\r", "\xa0".encode() * 10,
                  b" " * 100_000, "\u3000".encode("utf-16"), b"\r\n" * 5000, "\u200b\ufeff".encode() * 50,
                  " \n".encode("gb18030") * 30]
        for i, data in enumerate(blanks):
            self.put("blank", f"blank-{i}.txt", data, FAIL)
        for i, size in enumerate([1, 2, 3, 100, 4096, 65_537, 1 << 20]):
            self.put("nul", f"nul-{i}.txt", b"\x00" * size, FAIL)
        self.put("nul", "nul-spaces.txt", b"\x00 \n\x00\t" * 1000, FAIL)
        self.put("nul", "nul-utf16-spaces.txt", " \n".encode("utf-16-le") * 1000, FAIL)

    def binary(self, count: int) -> None:
        heads = [b"\x89PNG\r\n\x1a\n", b"PK\x03\x04", b"%PDF-1.7\n", b"\x7fELF\x02\x01\x01", b"\xd0\xcf\x11\xe0",
                 b"\x1f\x8b\x08", b"GIF89a", b"\xff\xd8\xff\xe0"]
        for i in range(count):
            size = int(10 ** self.rng.uniform(0, 5.5))
            data = self.rng.randbytes(size)
            if i % 3 == 0:
                data = self.rng.choice(heads) + data
            self.put("binary", f"binary-{i:04d}.txt", data, FAIL)
        self.put("binary", "gzipped-report.txt", gzip.compress(self.report().encode("utf-8"), mtime=0), FAIL)
        self.put("binary", "control-chars.txt", bytes(self.rng.randrange(1, 32) for _ in range(20_000)), FAIL)
        text = self.report()
        noisy = "".join(c + ("\x01" if self.rng.random() < 0.3 else "") for c in text)
        self.put("binary", "report-in-control-chars.txt", noisy.encode("utf-8"), FAIL)

    def truncated(self, count: int) -> None:
        for i in range(count):
            data = self.report().encode("utf-8")
            cut = self.rng.randrange(len(data) // 3, len(data) - 4)
            while 0x80 <= data[cut] < 0xC0 and cut > 0:  # land just after a lead byte
                cut -= 1
            self.put("truncated-utf8", f"cut-{i:03d}.txt", data[: cut + 1 + (i % 2)], REPORT)
        for i in range(count):
            data = self.report().encode("gb18030")
            cut = self.rng.randrange(len(data) // 3, len(data) - 4)
            if data[cut] < 0x80:
                cut += 1
            self.put("truncated-gbk", f"cut-gbk-{i:03d}.txt", data[: cut + 1], REPORT)

    def invalid_bytes(self, count: int) -> None:
        for i in range(count):
            codec = "utf-8" if i % 3 else "gb18030"
            chars = list(self.report())
            for _ in range(1 + i % 3):  # between characters: each stray byte is one bad character
                chars.insert(self.rng.randrange(len(chars)), self.rng.choice(["\udcff", "\udcfe", "\udc80"]))
            data = "".join(chars).encode(codec, "surrogateescape")
            self.put("invalid-bytes", f"invalid-{i:03d}-{codec}.txt", data, REPORT)
        data = bytearray(self.report().encode())
        for _ in range(40):  # stray bytes inside characters too: more damage than "a few"
            data.insert(self.rng.randrange(len(data)), 0xFF)
        self.put("invalid-bytes", "many-invalid.txt", bytes(data), ANY)
        cesu = self.report().encode("utf-8") + b"\xed\xa0\x80\xed\xb0\x80"  # a surrogate pair written as CESU-8
        self.put("invalid-bytes", "cesu8-surrogates.txt", cesu, REPORT)
        text = self.report()
        self.put("invalid-bytes", "nul-in-text.txt", text[:300].encode() + b"\x00" + text[300:].encode(), ANY)
        half = len(text) // 2
        self.put("invalid-bytes", "half-gbk-half-utf8.txt", text[:half].encode("gb18030") + text[half:].encode(), ANY)

    def wide_encodings(self, count: int) -> None:
        for i in range(count):
            text = self.report()
            for codec, data in [("utf16-bom", text.encode("utf-16")),
                                ("utf16be-bom", b"\xfe\xff" + text.encode("utf-16-be")),
                                ("utf16le-nobom", text.encode("utf-16-le")),
                                ("utf16be-nobom", text.encode("utf-16-be")),
                                ("utf32-bom", text.encode("utf-32")),
                                ("utf8-bom", b"\xef\xbb\xbf" + text.encode())]:
                self.put("wide", f"{codec}-{i:03d}.txt", data, REPORT)
        bad = self.report().encode("utf-16")
        self.put("wide", "utf16-odd-length.txt", bad[:-1], REPORT)
        self.put("wide", "utf16-bom-then-binary.txt", b"\xff\xfe" + self.rng.randbytes(5000), FAIL)

    def big5(self, count: int) -> None:
        import opencc

        s2t = opencc.OpenCC("s2t")
        for i in range(count):
            data = s2t.convert(self.report()).encode("big5", errors="ignore")
            self.put("big5", f"big5-{i:03d}.txt", data, REPORT)

    def big_line(self, megabytes: float) -> None:
        line = self.sentences(int(megabytes * 1024 * 1024 / 3))
        self.put("big-line", "one-line.txt", line.encode(), REPORT)
        self.put("big-line", "one-line-ascii.txt", b"a" * int(megabytes * 1024 * 1024), FAIL)

    def headings(self, many: int) -> None:
        lines = ["2023年某局局长述职报告"]
        for i in range(many):
            level = i % 3
            mark = [f"{corpus.cjk_number(i % 99 + 1)}、", f"（{corpus.cjk_number(i % 99 + 1)}）", f"{i % 99 + 1}."][level]
            lines.append(f"{mark}{self.rng.choice(corpus.TOPICS)}")
            if i % 4 == 0:
                lines.append(self.sentences(60))
        self.put("headings", "thousands-of-headings.txt", "\n".join(lines).encode(), REPORT)
        self.put("headings", "only-headings.txt",
                 "\n".join(f"{corpus.cjk_number(i % 99 + 1)}、{self.rng.choice(corpus.TOPICS)}"
                           for i in range(many)).encode(), REPORT)
        self.put("headings", "only-markers.txt", "\n".join(["一、", "（一）", "1.", "①"] * (many // 4)).encode(), ANY)
        pool = ["十、", "三、", "一、", "九十九、", "一百二十、", "（九）", "（一）", "(二)", "（一百）", "12.", "1、", "0.",
                "99.", "（3）", "(88)", "第五部分", "第一百章", "①", "⑳", "1.1.1", "1.2.3.4.5", "一、（一）1.", "（）", "、"]
        for i in range(20):
            lines = [f"{2000 + i}年度述职报告"]
            for _ in range(self.rng.randint(20, 200)):
                lines.append(self.rng.choice(pool) + self.rng.choice(corpus.TOPICS))
                if self.rng.random() < 0.5:
                    lines.append(self.sentences(self.rng.randint(10, 200)))
            self.put("headings", f"out-of-order-{i:02d}.txt", "\n".join(lines).encode(), REPORT)
        nested = ["深层嵌套的述职报告"] + ["（一）" * d + self.sentences(30) for d in range(1, 300 if self.heavy else 60)]
        self.put("headings", "nested-markers.txt", "\n".join(nested).encode(), REPORT)

    def html(self, count: int) -> None:
        from html import escape

        for i in range(count):
            body = "".join(f"<p>{escape(ln)}</p>\n" for ln in self.report().split("\n"))
            page = (f"<!DOCTYPE html><html><head><title>报告</title><style>p{{color:red}}</style>"
                    f"<script>var s = '<p>' + 1 < 2;</script></head><body><div id=main>{body}</div>"
                    f"<!-- 注释 --></body></html>")
            self.put("html", f"page-{i:03d}.txt", page.encode(), REPORT)
        soup = "\n".join(f"<div><span>{escape(ln)}</span><br/></div>" for ln in self.report().split("\n"))
        self.put("html", "tag-soup.txt", soup.encode(), REPORT)
        text = self.report()
        self.put("html", "unterminated-comment.txt", f"<html><body>{text}<!-- ".encode() + b"<!--" * 20_000, ANY)
        self.put("html", "unterminated-tags.txt", f"<html><body>{text}".encode() + b"<a" * 20_000, ANY)
        self.put("html", "unterminated-script.txt", f"<html><body>{text}<script>".encode() + b"x<" * 20_000, ANY)
        self.put("html", "escaped-html.txt", escape(f"<html><body><p>{self.report()}</p></body></html>").encode(),
                 ANY)
        self.put("html", "entities.txt", ("&#x4e2d;&#25991;&amp;&lt;&gt;&nbsp;" * (2000 if self.heavy else 100)
                                          + self.report()).encode(), ANY)
        self.put("html", "script-injection.txt",
                 ("2024年<script>alert(1)</script>述职报告\n" + self.report() +
                  '<img src=x onerror=alert(1)>"><svg onload=alert(1)>').encode(), REPORT)

    def quadratic(self, scale: float) -> None:
        """Inputs that naive scanning code handles in quadratic time (at scale 1, each took 10-40 s to prepare)."""
        cjk = "两个维护工作落实情况良好，全面从严治党。"

        def n(count: int) -> int:
            return max(10, int(count * scale))

        self.put("quadratic", "escaped-tag-runs.txt", (cjk * 5 + "&lt;" * n(60_000)).encode(), ANY)
        self.put("quadratic", "open-book-lines.txt", (cjk + "\n" + "\n".join(["《好"] * n(100_000))).encode(), ANY)
        self.put("quadratic", "closer-lines.txt", (cjk + "\n" + "\n".join(["，好"] * n(100_000))).encode(), ANY)
        self.put("quadratic", "open-paren-lines.txt", (cjk + "\n" + "\n".join(["（好"] * n(100_000))).encode(), ANY)
        self.put("quadratic", "comment-runs.txt", ("<html><body>" + cjk * 3 + "<!--" * n(50_000)).encode(), ANY)
        self.put("quadratic", "tag-runs.txt", ("<html><body>" + cjk * 3 + "<a" * n(50_000)).encode(), ANY)
        self.put("quadratic", "short-lines.txt", "\n".join([cjk + "很长的一行没有句号结尾", "短"] * n(10_000)).encode(), ANY)
        self.put("quadratic", "marker-lines.txt", (cjk + "\n" + "\n".join(["一、"] * n(50_000))).encode(), ANY)
        self.put("quadratic", "hash-runs.txt", (cjk * 5 + "## a" * n(100_000)).encode(), ANY)

    def unicode_edges(self) -> None:
        text = self.report()
        edges = {
            "zero-width.txt": "\u200b".join(text),
            "combining.txt": "".join(c + "\u0301" for c in text),
            "rtl-override.txt": "\u202e" + text.replace("。", "。\u202d"),
            "emoji.txt": text.replace("，", "😀，"),
            "private-use.txt": text + "\ue000\uf8ff" * 100,
            "replacement-char.txt": text.replace("。", "\ufffd"),
            "noncharacters.txt": text + "\ufffe\uffff" * 10,
            "cr-only.txt": text.replace("\n", "\r"),
            "crlf.txt": text.replace("\n", "\r\n"),
            "line-separators.txt": text.replace("\n", "\u2028"),
            "nel.txt": text.replace("\n", "\u0085"),
            "form-feeds.txt": text.replace("\n", "\f"),
            "fullwidth.txt": text.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}),
            "markers-only.txt": "##paidbegin##\n##paidend##\n下载\n打印\n关闭窗口",
            "chrome-only.txt": "首页 > 工作动态\n【字号：大 中 小】\n打印本页\n关闭窗口\n来源：某网站",
            "masked.txt": text.replace("市", "**").replace("县", "某").replace("局", "x"),
            "tiny-cjk.txt": "报告",
        }
        expect = {"markers-only.txt": FAIL, "chrome-only.txt": FAIL, "tiny-cjk.txt": FAIL}
        for name, body in edges.items():
            self.put("unicode", name, body.encode("utf-8", "surrogatepass"), expect.get(name, ANY))
        self.put("unicode", "markdown.md", ("# 标题\n\n" + text.replace("\n", "\n\n")).encode(), REPORT)

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
        for name in ["report.pdf", "report.docx", "report.doc", "report.txt.bak", "README", "报告", "x.TXT~",
                     "notes.markdown", "data.csv"]:
            self.put("names", name, self.report().encode(), SKIP)

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

    def valid(self, count: int) -> None:
        originals: list[str] = []
        for i in range(count):
            r = self.rng.random()
            if originals and r < 0.1:
                how = self.rng.choice(corpus.EXACT_KINDS)
                self.put("valid", f"exact-{i:04d}-{how}.txt", corpus.exact_variant(self.rng.choice(originals), how),
                         REPORT)
            elif originals and r < 0.2:
                self.put("valid", f"near-{i:04d}.txt", corpus.near_variant(self.rng, self.rng.choice(originals)).encode(),
                         REPORT)
            else:
                text = self.report()
                originals.append(text)
                self.put("valid", f"report-{i:04d}.txt", text.encode(), REPORT)
        for name, data in corpus.samples():
            self.put("valid", f"sample-{name}", data, REPORT)

    def volatile(self, megabytes: float) -> None:
        plan = {"vanish": (4, FAIL), "to-fifo": (2, SKIP), "replace": (2, REPORT), "truncate": (3, ANY),
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


def build(root: Path, size: int = 1000, seed: int = 1, *, big_line_mb: float = 5.0,
          heavy: bool = True) -> Corpus:
    """Write the hostile corpus under ``root`` (created); at least ``size`` inputs.

    ``heavy=False`` keeps every case but makes the large ones smaller (for ``make test``).
    """
    w = _Writer(root, seed, heavy)
    small = size < 500
    w.empty_and_blank()
    w.truncated(5 if small else 40)
    w.invalid_bytes(5 if small else 30)
    w.wide_encodings(2 if small else 10)
    w.big5(3 if small else 20)
    w.big_line(big_line_mb)
    w.headings(5000 if heavy else 600)
    w.html(3 if small else 20)
    w.quadratic(1.0 if heavy else 0.03)
    w.unicode_edges()
    w.names()
    w.folders()
    w.links_and_specials(6 if small else 16)
    w.volatile(1.0 if heavy else 0.02)
    rest = size - len(w.corpus.entries)
    w.binary(max(10, rest // 4))
    w.valid(max(10, size - len(w.corpus.entries)))
    return w.corpus


# -- changing files while the import reads them ------------------------------------------

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
        on_open = {name: action for action in ("truncate", "rewrite") for name in v.get(action, [])}
        growers = [open(self.folder / name, "ab") for name in v.get("grow", [])]
        listed = False
        try:
            while not self.stop.is_set():
                for f in growers:  # grow all the time (one line longer): a read of these sees the size change
                    f.write("又增加了文字，".encode())
                    f.flush()
                self.done["grow"] += bool(growers)
                ready, _, _ = select.select([fd], [], [], 0.002)
                if not ready:
                    continue
                for mask, name in _events(os.read(fd, 65536)):
                    if not name and mask & _IN_ISDIR and mask & _IN_CLOSE_NOWRITE and not listed:
                        listed = True  # the importer has listed the folder: every name in it is now an input
                        self._after_listing()
                    elif mask & _IN_OPEN and name in on_open:
                        self._on_open(on_open.pop(name), self.folder / name)
        finally:
            for f in growers:
                f.close()

    def _after_listing(self) -> None:
        v = self.corpus.volatile
        for name in v.get("vanish", []):
            (self.folder / name).unlink()
            self.done["vanish"] += 1
        for name in v.get("to-fifo", []):
            (self.folder / name).unlink()
            os.mkfifo(self.folder / name)
            self.done["to-fifo"] += 1
        for i, name in enumerate(v.get("replace", [])):
            tmp = self.folder / f".{name}.new"
            tmp.write_bytes(corpus.compose(random.Random(f"replace:{i}"), SERIAL_BASE + 90_000 + i).encode())
            os.replace(tmp, self.folder / name)
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


# -- import and account ------------------------------------------------------------------

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
    acc = account(c, ran, strict_volatile=mutator.watching)
    acc.mutations = mutator.done
    acc.crashes += mutator.errors
    if ran.returncode in (0, 1):
        check = procs.run(data, "check", timeout=300)
        if check.returncode != 0 or check.traceback:
            acc.crashes.append(f"archive check after the import: exit {check.returncode}: "
                               f"{(check.stdout + check.stderr).strip()[-500:]}")
    return acc


def account(c: Corpus, ran: procs.Ran, *, strict_volatile: bool = True) -> Account:
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
    for key in (ADDED, DUPLICATES, FAILED, SKIPPED):
        for item in summary.get(key, []):
            path = item.get("path", "")
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
        if n != 1 and not (lenient and n == 0):
            acc.unaccounted.append(f"{label!r} ({entry.category}) listed {n} times")
        elif n == 1 and outcome[label] not in entry.expect:
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
