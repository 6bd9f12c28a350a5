"""A hostile corpus: every kind of input ``archive import`` must survive, and what may become of each.

``build(root, size, seed)`` writes at least ``size`` inputs: empty,
whitespace-only, NUL-filled and random binary files; truncated UTF-8 and
GBK; stray invalid bytes; UTF-16/32 with and without BOM; Big5; hostile
Word, PDF and web pages (``documents``); a single
line of many megabytes; thousands of headings; nested and out-of-order
heading numbers; HTML pasted as text (also malformed); file names with
spaces, a leading ``-``, non-ASCII, bytes that are not UTF-8, newlines,
255 bytes; folders named ``*.txt``; broken symlinks, loops and links to
devices; FIFOs and sockets; a folder tree deeper than Python's recursion
limit and one longer than PATH_MAX; inputs known to cost quadratic time in
naive code; and valid reports with exact and near duplicates. Each input
is recorded with the outcomes allowed for it.

File names, folders, links and special files are written by ``tree``;
the files of ``volatile/`` are changed during the import by ``mutator``;
``accounting`` imports the corpus and accounts for every input.
"""

from __future__ import annotations

import gzip
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

from . import corpus, documents
from .tree import ADDED, ANY, DUPLICATES, FAIL, FAILED, REPORT, SKIP, SKIPPED, FilesystemCases

__all__ = ["ADDED", "ANY", "DUPLICATES", "FAIL", "FAILED", "REPORT", "SKIP", "SKIPPED", "Corpus", "Entry", "build"]

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


class _Writer(FilesystemCases):
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
            number = corpus.cjk_number(i % 99 + 1)
            mark = [f"{number}、", f"（{number}）", f"{i % 99 + 1}."][level]
            lines.append(f"{mark}{self.rng.choice(corpus.TOPICS)}")
            if i % 4 == 0:
                lines.append(self.sentences(60))
        self.put("headings", "thousands-of-headings.txt", "\n".join(lines).encode(), REPORT)
        self.put("headings", "only-headings.txt",
                 "\n".join(f"{corpus.cjk_number(i % 99 + 1)}、{self.rng.choice(corpus.TOPICS)}"
                           for i in range(many)).encode(), REPORT)
        self.put("headings", "only-markers.txt", "\n".join(["一、", "（一）", "1.", "①"] * (many // 4)).encode(), ANY)
        pool = ["十、", "三、", "一、", "九十九、", "一百二十、", "（九）", "（一）", "(二)", "（一百）",
                "12.", "1、", "0.", "99.", "（3）", "(88)", "第五部分", "第一百章", "①", "⑳", "1.1.1",
                "1.2.3.4.5", "一、（一）1.", "（）", "、"]
        for i in range(20):
            lines = [f"{2000 + i}年度述职报告"]
            for _ in range(self.rng.randint(20, 200)):
                lines.append(self.rng.choice(pool) + self.rng.choice(corpus.TOPICS))
                if self.rng.random() < 0.5:
                    lines.append(self.sentences(self.rng.randint(10, 200)))
            self.put("headings", f"out-of-order-{i:02d}.txt", "\n".join(lines).encode(), REPORT)
        depth = 300 if self.heavy else 60
        nested = ["深层嵌套的述职报告"] + ["（一）" * d + self.sentences(30) for d in range(1, depth)]
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
        short = "\n".join([cjk + "很长的一行没有句号结尾", "短"] * n(10_000))
        self.put("quadratic", "short-lines.txt", short.encode(), ANY)
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

    def valid(self, count: int) -> None:
        originals: list[str] = []
        for i in range(count):
            r = self.rng.random()
            if originals and r < 0.1:
                how = self.rng.choice(corpus.EXACT_KINDS)
                self.put("valid", f"exact-{i:04d}-{how}.txt", corpus.exact_variant(self.rng.choice(originals), how),
                         REPORT)
            elif originals and r < 0.2:
                repost = corpus.near_variant(self.rng, self.rng.choice(originals))
                self.put("valid", f"near-{i:04d}.txt", repost.encode(), REPORT)
            else:
                text = self.report()
                originals.append(text)
                self.put("valid", f"report-{i:04d}.txt", text.encode(), REPORT)
        for name, data in corpus.samples():
            self.put("valid", f"sample-{name}", data, REPORT)

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
    documents.build(w.put, w.report(), heavy=heavy)
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
