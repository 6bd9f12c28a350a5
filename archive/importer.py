"""Folders of files in, one clean record of every distinct report out.

The work per file is split in two: ``prepare`` (read bytes → decode → clean →
parse → MinHash; pure and CPU-bound, so it runs in a process pool) and
``Importer.commit`` (dedupe against the archive and write; one writer, one
transaction per file). Every input ends in exactly one of added, duplicates,
failed or skipped, each with its path.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import stat
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable, Iterator

from . import dedupe
from .copytext import only_in_copy
from .errors import InputError
from .formats import SUFFIXES, Extracted, extract
from .model import KINDS, ImportSummary, ParsedReport
from .proc import die_with_parent
from .sitetext import Part, pages
from .store import Store, now
from .structure import parse
from .text import clean, hash_form

MAX_BYTES = 64 * 1024 * 1024
MIN_CJK = 10
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: A wiki tag saved instead of the page (&lt;pages …/&gt;). No &lt; inside, so a run of "&lt;" without
#: "&gt;" is scanned once (a lazy ".*?" made that quadratic: 40 s for a 240 kB file).
_ESCAPED_TAG = re.compile(r"&lt;(?:[^&]|&(?!lt;|gt;))*&gt;")


@dataclass(frozen=True)
class Candidate:
    """A file to read, found by walking the inputs."""

    path: str


@dataclass(frozen=True)
class Skip:
    path: str
    reason: str
    failed: bool = False


def walk(paths: Iterable[str]) -> Iterator[Candidate | Skip]:
    """Files and folders (recursive, sorted); never opens anything but regular files.

    Depth-first with an explicit stack, so a folder tree of any depth is walked
    (one recursive call per level overflowed Python's stack at about 1,000).
    """
    for top in paths:
        stack = [(os.path.abspath(top), True)]
        while stack:
            path, top_level = stack.pop()
            found = _visit(path, top_level)
            if isinstance(found, list):
                stack.extend((os.path.join(path, name), False) for name in reversed(found))
            else:
                yield found


def _visit(path: str, top_level: bool) -> Candidate | Skip | list[str]:
    """What one path is: a file to read, a skip with its reason, or a folder's sorted names."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        return Skip(path, f"cannot read: {exc.strerror}", failed=True)
    if stat.S_ISLNK(st.st_mode):
        try:
            st = os.stat(path)
        except OSError as exc:
            reason = "symlink loop" if exc.errno == 40 else "broken symlink: its target does not exist"
            return Skip(path, reason, failed=True)
        if stat.S_ISDIR(st.st_mode) and not top_level:
            return Skip(path, "symlink to a folder: not followed (import the folder itself)")
    if stat.S_ISDIR(st.st_mode):
        if not top_level and os.path.basename(path).startswith("."):
            return Skip(path, "hidden folder: not read")
        try:
            return sorted(os.listdir(path))
        except OSError as exc:
            return Skip(path, f"cannot list folder: {exc.strerror}", failed=True)
    if not stat.S_ISREG(st.st_mode):
        kind = "FIFO" if stat.S_ISFIFO(st.st_mode) else "socket" if stat.S_ISSOCK(st.st_mode) else "device"
        return Skip(path, f"not a regular file ({kind}): not opened")
    if not path.lower().endswith(SUFFIXES):
        return Skip(path, "not a file type the archive reads (" + " ".join(SUFFIXES) + ")")
    return Candidate(path)


def shown(path: str) -> str:
    """A path as the archive records and prints it: bytes that are not UTF-8 become \\xNN escapes.

    Linux file names are bytes; Python hands undecodable ones over as lone
    surrogates, which SQLite and any UTF-8 output refuse.
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def read_file(path: str) -> bytes:
    """Read a regular file whole, refusing anything that turns out not to be one or changes meanwhile."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise InputError("the file vanished before it could be read") from None
    except PermissionError:
        raise InputError("permission denied: the file is not readable") from None
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}") from None
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            raise InputError("not a regular file")
        if before.st_size > MAX_BYTES:
            raise InputError(f"too large to be a report ({before.st_size // 1048576} MB; the limit is "
                             f"{MAX_BYTES // 1048576} MB)")
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            if sum(map(len, chunks)) > MAX_BYTES:
                raise InputError("the file grew past the size limit while being read")
        after = os.fstat(fd)
    except OSError as exc:
        raise InputError(f"read error: {exc.strerror}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or len(data) != after.st_size:
        raise InputError("the file changed while being read; import it again when it is complete")
    return data


@dataclass(frozen=True)
class Prepared:
    """Everything about one file that does not need the archive."""

    path: str
    sha256: str
    size: int
    encoding: str
    replaced: int
    report: ParsedReport
    content_hash: str
    body: str
    minhash: bytes
    source_url: str | None
    truncated: bool = False  # the site hid part of the report behind a paywall note


def prepare(path: str, data: bytes, sha256: str) -> list[Prepared]:
    """bytes → one Prepared per report the file holds (a template-site page may hold several).

    Raises InputError with a plain reason. The parts of a page are recorded as
    copies named ``path#1``, ``path#2`` …, all pointing at the page's bytes.
    """
    extracted = extract(path, data)
    parts = pages(extracted.text)
    if len(parts) == 1:
        return [_prepare_part(path, data, sha256, extracted, parts[0])]
    out, errors = [], []
    for n, part in enumerate(parts, start=1):
        try:
            out.append(_prepare_part(f"{path}#{n}", data, sha256, extracted, part))
        except InputError as exc:  # a part that is only the site's words: nothing to keep
            errors.append(exc)
    if not out:
        raise errors[0]
    return out


def _prepare_part(path: str, data: bytes, sha256: str, extracted: Extracted, part: Part) -> Prepared:
    text = clean(part.text)
    cjk = len(_CJK.findall(_ESCAPED_TAG.sub("", text[:200000])))
    if cjk < MIN_CJK:
        raise InputError(f"no report text: {cjk} Chinese characters after cleaning (read as {extracted.encoding})")
    report = parse(text, os.path.basename(path.split("#")[0]), outline=outline_hints(extracted.headings))
    if not report.passages:  # one line, taken as the title: nothing to find or cite
        raise InputError(f"no report text: only a title line ({report.title[:40]})")
    body = "\n".join(p.text for p in report.passages)
    body_form = hash_form(body)
    return Prepared(
        path=path, sha256=sha256, size=len(data), encoding=extracted.encoding, replaced=extracted.replaced,
        report=report, content_hash=dedupe.content_hash(hash_form(text)), body=body,
        minhash=dedupe.minhash(body_form), source_url=extracted.source_url, truncated=part.truncated,
    )


def outline_hints(headings: tuple[tuple[str, int], ...]) -> dict[str, int]:
    """Word headings keyed by their cleaned text, so they still match after cleaning."""
    return {clean(text): level for text, level in headings if clean(text)}


def _prepare_job(job: tuple[str, bytes, str]) -> list[Prepared] | InputError:
    try:
        return prepare(*job)
    except InputError as exc:
        return exc
    except (ValueError, RecursionError, MemoryError) as exc:  # a defect, but never stop the run
        return InputError(f"could not be processed ({type(exc).__name__}: {exc})")


@lru_cache(maxsize=64)
@lru_cache(maxsize=64)
def _manifest(path: str, mtime: float) -> dict[str, dict]:
    """file → {source_url, title, year, kind} from a manifest.csv sidecar (columns ``file`` and any of
    ``source_url``/``url``, ``title``, ``year``, ``kind``); values that cannot be right are left out."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}
    base = os.path.dirname(path)
    out = {}
    for row in rows:
        name = (row.get("file") or "").strip()
        if not name:
            continue
        entry: dict = {}
        url = (row.get("source_url") or row.get("url") or "").strip()
        if url.startswith(("http://", "https://")):
            entry["source_url"] = url
        title = " ".join((row.get("title") or "").split())
        if 0 < len(title) <= 200:
            entry["title"] = title
        year = (row.get("year") or "").strip()
        if year.isdigit() and 1900 <= int(year) <= 2100:
            entry["year"] = int(year)
        kind = (row.get("kind") or "").strip()
        if kind in KINDS:
            entry["kind"] = kind
        out[os.path.normpath(os.path.join(base, name))] = entry
    return out


def manifest_entry(path: str) -> dict:
    """What a manifest.csv beside the file (or one folder up) says about it; a page part ``x#2`` is ``x``."""
    path = re.sub(r"#\d+$", "", path)
    folder = os.path.dirname(path)
    for d in (folder, os.path.dirname(folder)):
        m = os.path.join(d, "manifest.csv")
        if os.path.isfile(m):
            entry = _manifest(m, os.path.getmtime(m)).get(os.path.normpath(path))
            if entry:
                return entry
    return {}


def manifest_url(path: str) -> str | None:
    return manifest_entry(path).get("source_url")


class Importer:
    """Dedupe and write prepared files into one archive (the single writer)."""

    def __init__(self, store: Store):
        self.store = store
        self._near: dedupe.NearIndex | None = None

    @property
    def near(self) -> dedupe.NearIndex:
        """Built when the first new report needs it: a folder already imported needs none (4 s at 10k)."""
        if self._near is None:
            self._near = dedupe.NearIndex.build(self.store.minhashes())
        return self._near

    def run(self, paths: Iterable[str], *, workers: int = 1,
            progress: Callable[[str], None] | None = None) -> ImportSummary:
        summary = ImportSummary()
        jobs: list[tuple[str, bytes, str]] = []
        for item in walk(paths):
            label = shown(item.path)  # read by its own name, recorded by one that is valid text
            if isinstance(item, Skip):
                target = summary.failed if item.failed else summary.skipped
                target.append({"path": label, "error" if item.failed else "reason": item.reason})
                continue
            try:
                data = read_file(item.path)
            except InputError as exc:
                summary.failed.append({"path": label, "error": str(exc)})
                continue
            sha = hashlib.sha256(data).hexdigest()
            if self._known(label, sha, data, summary):
                if progress:
                    progress(label)
                continue
            jobs.append((label, data, sha))
            if len(jobs) >= 64:
                self._drain(jobs, workers, summary, progress)
                jobs = []
        self._drain(jobs, workers, summary, progress)
        return summary

    def _known(self, path: str, sha: str, data: bytes, summary: ImportSummary) -> bool:
        """Bytes seen before: unchanged at this path, or the same file under another name."""
        if self.store.known_copy(path, sha) or self.store.known_copy(f"{path}#1", sha):
            summary.unchanged.append({"path": path, "reason": "unchanged since the last import"})
            return True
        other = self.store.copy_with_bytes(sha)
        if other is None or re.search(r"#\d+$", other["path"]):  # a page of several reports: read it again
            return False
        copy = self._copy_meta(path, sha, len(data), other["encoding"], other["replaced"], other["title"],
                               manifest_url(path) or other["source_url"])
        self.store.add_copy(other["report_id"], copy, relation="exact", similarity=1.0)
        summary.duplicates.append({"path": path, "of": other["report_id"], "kind": "exact", "similarity": 1.0})
        return True

    def _drain(self, jobs, workers, summary, progress) -> None:
        if not jobs:
            return
        if workers > 1 and len(jobs) > 1:
            with ProcessPoolExecutor(max_workers=workers, initializer=die_with_parent) as pool:
                results = list(pool.map(_prepare_job, jobs, chunksize=4))
        else:
            results = [_prepare_job(job) for job in jobs]
        for (path, data, sha), result in zip(jobs, results):
            if isinstance(result, InputError):
                summary.failed.append({"path": path, "error": str(result)})
            elif self._known(path, sha, data, summary):  # the same bytes earlier in this batch
                pass
            else:
                self.store.save_source(data, sha)
                for prep in result:
                    self.commit(prep, summary)
            if progress:
                progress(path)

    @staticmethod
    def _copy_meta(path, sha, size, encoding, replaced, title, source_url) -> dict:
        return {"path": path, "sha256": sha, "size": size, "encoding": encoding, "replaced": replaced,
                "title": title, "source_url": source_url, "imported_at": now()}

    def commit(self, prep: Prepared, summary: ImportSummary) -> None:
        copy = self._copy_meta(prep.path, prep.sha256, prep.size, prep.encoding, prep.replaced,
                               prep.report.title, manifest_url(prep.path) or prep.source_url)
        copy["truncated"] = int(prep.truncated)
        same = self.store.report_with_hash(prep.content_hash)
        if same:
            self.store.add_copy(same, copy, relation="exact", similarity=1.0)
            summary.duplicates.append(_marked(prep, {"path": prep.path, "of": same, "kind": "exact", "similarity": 1.0}))
            return
        near = self._nearest(prep)
        if near:
            of, similarity = near
            # What only this copy says, from the paragraphs in hand (copytext.sync would parse it again).
            only_here = only_in_copy(self.store.own_passages(of), [p.text for p in prep.report.passages])
            self.store.add_copy(of, copy, relation="near", similarity=similarity, only_here=only_here)
            summary.duplicates.append(_marked(prep, {"path": prep.path, "of": of, "kind": "near",
                                                     "similarity": round(similarity, 4),
                                                     "paragraphs_only_here": len(only_here)}))
            return
        report_id = prep.content_hash[:16]
        given = {k: v for k, v in manifest_entry(prep.path).items() if k in ("title", "year", "kind")}
        self.store.add_report(prep.report, report_id=report_id, content_hash=prep.content_hash,
                              minhash=prep.minhash, copy=copy, given=given)
        self.near.add(report_id, prep.minhash)
        summary.added.append(_marked(prep, {"path": prep.path, "report_id": report_id, "title": prep.report.title}))

    def _nearest(self, prep: Prepared) -> tuple[str, float] | None:
        candidates = self.near.candidates(prep.minhash)
        if not candidates:
            return None
        mine = dedupe.shingles(hash_form(prep.body))
        scored = [(dedupe.jaccard(mine, dedupe.shingles(hash_form(self.store.body_text(c)))), c)
                  for c in sorted(candidates)]
        similarity, best = max(scored)
        return (best, similarity) if similarity >= dedupe.NEAR_THRESHOLD else None


def _marked(prep: Prepared, entry: dict) -> dict:
    """An import line, saying when the site hid part of the report (the archive keeps what was there)."""
    if prep.truncated:
        entry["truncated"] = True
    return entry


def reread(store: Store, copy: dict) -> list[str]:
    """A stored copy's paragraphs as today's reading of its original bytes gives them (for the copy diff).
    Raises InputError when they cannot be read here (a converter missing, say)."""
    data = store.source_bytes(copy["sha256"])
    base, _, part = copy["path"].rpartition("#") if re.search(r"#\d+$", copy["path"]) else (copy["path"], "", "")
    parts = prepare(base, data, copy["sha256"])
    chosen = parts[int(part) - 1] if part and int(part) <= len(parts) else parts[0]
    return [p.text for p in chosen.report.passages]
