"""The archive on disk: SQLite (via sqlite-utils) plus content-addressed source bytes.

SQLite is the single source of truth. Writes happen one report (or copy) per
transaction, so a crash or ``kill -9`` leaves either the whole file imported
or nothing of it. WAL mode lets the web process read while an import writes.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from . import authorship
from .errors import ArchiveError, Busy, NotFound
from .model import ParsedReport

SCHEMA_VERSION = 1

#: The passages: a report's own text (copy_id 0), and the paragraphs found only in one of its near copies
#: (copy_id: that copy; passage_no: the paragraph's number in the copy), so a search finds text a repost
#: changed or added and leads to the report (archive/copytext.py).
_PASSAGES = """
CREATE TABLE IF NOT EXISTS {name} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id TEXT NOT NULL REFERENCES reports(report_id),
    passage_no INTEGER NOT NULL,
    section_no INTEGER,
    section_type TEXT NOT NULL,
    heading TEXT NOT NULL,
    is_heading INTEGER NOT NULL,
    text TEXT NOT NULL,
    copy_id INTEGER NOT NULL DEFAULT 0,
    UNIQUE (report_id, copy_id, passage_no)
);"""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    title_derived INTEGER NOT NULL DEFAULT 0,
    year INTEGER,
    kind TEXT NOT NULL,
    content_hash TEXT NOT NULL UNIQUE,
    chars INTEGER NOT NULL,
    minhash BLOB,
    created_at TEXT NOT NULL,
    role TEXT,    -- who wrote it (archive/authorship.py): 职务, 层级 and 地区, or NULL when the text does not say
    level TEXT,
    region TEXT
);
CREATE TABLE IF NOT EXISTS copies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id TEXT NOT NULL REFERENCES reports(report_id),
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    encoding TEXT NOT NULL,
    replaced INTEGER NOT NULL DEFAULT 0,
    relation TEXT NOT NULL CHECK (relation IN ('original', 'exact', 'near')),
    similarity REAL NOT NULL,
    title TEXT,
    source_url TEXT,
    imported_at TEXT NOT NULL,
    truncated INTEGER NOT NULL DEFAULT 0,  -- the page hid part of the report (a paywall note was removed)
    UNIQUE (path, sha256)
);
CREATE INDEX IF NOT EXISTS copies_sha256 ON copies(sha256);
CREATE INDEX IF NOT EXISTS copies_report ON copies(report_id);
CREATE TABLE IF NOT EXISTS sections (
    report_id TEXT NOT NULL REFERENCES reports(report_id),
    section_no INTEGER NOT NULL,
    heading TEXT NOT NULL,
    level INTEGER NOT NULL,
    section_type TEXT NOT NULL,
    passage_no INTEGER NOT NULL,
    PRIMARY KEY (report_id, section_no)
);
""" + _PASSAGES.format(name="passages") + """
CREATE INDEX IF NOT EXISTS passages_type ON passages(section_type);
-- Passage reuse (archive/reused.py): each passage's MinHash signature, and pairs of passages of different
-- reports that are the same or near-identical, stored in both directions.
CREATE TABLE IF NOT EXISTS reuse_signatures (
    passage_id INTEGER PRIMARY KEY REFERENCES passages(id),
    signature BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS passage_reuse (
    passage_id INTEGER NOT NULL REFERENCES passages(id),
    other_passage_id INTEGER NOT NULL REFERENCES passages(id),
    similarity REAL NOT NULL,
    PRIMARY KEY (passage_id, other_passage_id)
) WITHOUT ROWID;
-- How many other reports hold each passage (kept with the pairs: reading it back for facets costs a scan
-- of this table, not a count over every pair).
CREATE TABLE IF NOT EXISTS reuse_counts (
    passage_id INTEGER PRIMARY KEY REFERENCES passages(id),
    reports INTEGER NOT NULL
);
-- Where a report's title, year or kind came from when not derived from its text: a manifest beside the
-- files, or a correction (archive set). A correction outlives re-imports, reindexing and reclassifying.
CREATE TABLE IF NOT EXISTS report_fields (
    report_id TEXT NOT NULL REFERENCES reports(report_id),
    field TEXT NOT NULL CHECK (field IN ('title', 'year', 'kind', 'role', 'level', 'region')),
    source TEXT NOT NULL CHECK (source IN ('manifest', 'corrected')),
    derived TEXT,  -- the value the text gave, kept so a correction can be seen beside it
    set_at TEXT NOT NULL,
    PRIMARY KEY (report_id, field)
);
-- Browsing by section type reads (type, report) pairs from this index alone, not the passages.
CREATE INDEX IF NOT EXISTS passages_type_report ON passages(section_type, report_id);
-- The section types each report has: browsing by type reads a few thousand of these, not every passage
-- of the type (34 → 2 ms at 10k reports).
CREATE TABLE IF NOT EXISTS report_types (
    section_type TEXT NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports(report_id),
    PRIMARY KEY (section_type, report_id)
) WITHOUT ROWID;
-- Reports whose stored values changed in place (a correction, reclassifying), in order: a search engine that
-- copies them into documents of its own re-sends the reports edited since the last one it saw.
CREATE TABLE IF NOT EXISTS report_edits (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id TEXT NOT NULL REFERENCES reports(report_id)
);
"""


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def data_dir(path: str | os.PathLike | None) -> Path:
    """--data, else $ARCHIVE_DATA, else ./data."""
    return Path(path or os.environ.get("ARCHIVE_DATA") or "data")


#: Descriptors of the writer locks this process holds. A forked child (an index worker) closes its copies
#: at once: the lock lives as long as any copy is open, so a child that outlived its parent would
#: otherwise keep the archive locked against every later writer.
_HELD_LOCKS: set[int] = set()


def _drop_inherited_locks() -> None:
    for fd in _HELD_LOCKS:
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_drop_inherited_locks)


class Store:
    """One archive: ``archive.db`` and ``sources/`` under a data directory."""

    def __init__(self, root: str | os.PathLike, *, readonly: bool = False):
        self.root = Path(root)
        self.readonly = readonly
        self.db_path = self.root / "archive.db"
        self.sources = self.root / "sources"
        if readonly:
            if not self.db_path.exists():
                raise NotFound(f"no archive at {self.root}: run 'archive import PATH' first")
            conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, check_same_thread=False)
            if not _current(conn):  # written by an earlier version: bring it up to date once, if we may
                conn.close()
                try:
                    Store(root).close()
                except (sqlite3.Error, OSError) as exc:
                    raise ArchiveError(f"the archive in {self.root} was written by an earlier version and cannot "
                                       f"be updated here ({exc}); run 'archive reindex' where it can be written") from exc
                conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, check_same_thread=False)
        else:
            self.root.mkdir(parents=True, exist_ok=True)
            self.sources.mkdir(exist_ok=True)
            conn = sqlite3.connect(self.db_path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.executescript(_SCHEMA)
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        self.db = sqlite_utils.Database(conn)
        self.conn = conn
        if not readonly:
            self._upgrade()

    def _upgrade(self) -> None:
        """Bring an archive written by an earlier version up to date: passages that can belong to a copy,
        copies' truncated flag, the report_types table filled, and reports' role, level and region (derived
        from the stored text)."""
        self._add_copy_column()
        if "truncated" not in {r[1] for r in self.conn.execute("PRAGMA table_info(copies)")}:
            self.conn.execute("ALTER TABLE copies ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0")
        if self.conn.execute("SELECT meta.value FROM meta WHERE key = 'report_types'").fetchone() is None:
            with self.transaction():
                self.conn.execute("INSERT OR IGNORE INTO report_types SELECT DISTINCT section_type, report_id "
                                  "FROM passages WHERE copy_id = 0")
                self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('report_types', '1')")
        if "role" in {r[1] for r in self.conn.execute("PRAGMA table_info(reports)")}:
            return
        with self.transaction():
            for column in ("role", "level", "region"):
                self.conn.execute(f"ALTER TABLE reports ADD COLUMN {column} TEXT")
            for report_id, title, title_derived in self.conn.execute(
                    "SELECT report_id, title, title_derived FROM reports").fetchall():
                texts = [t for (t,) in self.conn.execute(
                    "SELECT text FROM passages WHERE report_id = ? AND copy_id = 0 ORDER BY passage_no",
                    (report_id,))]
                who = authorship.derive("" if title_derived else title, "\n".join(texts[:10])[:2000],
                                        "\n".join(texts[-4:]))
                self.conn.execute("UPDATE reports SET role = ?, level = ?, region = ? WHERE report_id = ?",
                                  (who.role, who.level, who.region, report_id))

    def _add_copy_column(self) -> None:
        """Passages made before copies could hold any: rebuilt with ``copy_id`` (its uniqueness takes it in,
        which SQLite cannot alter in place), keeping every id, so the index and the reuse data stay valid."""
        if "copy_id" in {r[1] for r in self.conn.execute("PRAGMA table_info(passages)")}:
            return
        self.conn.execute("PRAGMA foreign_keys = OFF")  # the reuse tables point at passages while it is swapped
        try:
            with self.transaction():
                seq = self.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'passages'").fetchone()
                self.conn.execute(_PASSAGES.format(name="passages_with_copies"))
                self.conn.execute("INSERT INTO passages_with_copies (id, report_id, passage_no, section_no, "
                                  "section_type, heading, is_heading, text) SELECT id, report_id, passage_no, "
                                  "section_no, section_type, heading, is_heading, text FROM passages")
                self.conn.execute("DROP TABLE passages")
                self.conn.execute("ALTER TABLE passages_with_copies RENAME TO passages")
                if seq:
                    self.conn.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'passages'", seq)
                self.conn.execute("CREATE INDEX IF NOT EXISTS passages_type ON passages(section_type)")
                self.conn.execute("CREATE INDEX IF NOT EXISTS passages_type_report ON passages(section_type, report_id)")
        finally:
            self.conn.execute("PRAGMA foreign_keys = ON")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # -- writing -----------------------------------------------------------

    @contextmanager
    def transaction(self):
        """BEGIN IMMEDIATE … COMMIT: all of one file, or none of it."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    @contextmanager
    def writer_lock(self, wait: float = 0.0, on_wait=None):
        """One writer per data directory; a second import waits or says why it cannot."""
        lock_path = self.root / ".write.lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        _HELD_LOCKS.add(fd)
        deadline = time.monotonic() + wait
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if on_wait is not None:
                        on_wait()
                        on_wait = None
                    if time.monotonic() >= deadline:
                        raise Busy(f"another 'archive import' is writing to {self.root}; "
                                   "wait for it to finish (or pass --wait SECONDS)") from None
                    time.sleep(0.2)
            self._drop_partial_sources()
            yield
        finally:
            if fd in _HELD_LOCKS:  # not in a forked child, which closed it already
                _HELD_LOCKS.discard(fd)
                os.close(fd)

    def _drop_partial_sources(self) -> None:
        """Remove the temporary files of a writer killed inside ``save_source``: only the lock holder writes
        them, so with the lock held they are all stale (otherwise each kill leaves one behind for good)."""
        for tmp in self.sources.glob("*/.*.tmp"):
            tmp.unlink(missing_ok=True)

    def save_source(self, data: bytes, sha256: str) -> None:
        """Keep the original bytes, content-addressed; atomic, so never half-written."""
        target = self.source_path(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)

    def source_path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise NotFound("no such source")
        return self.sources / sha256[:2] / sha256

    def add_report(self, parsed: ParsedReport, *, report_id: str, content_hash: str,
                   minhash: bytes, copy: dict, given: dict | None = None) -> None:
        """``given``: title, year or kind from a manifest, which win over what the text gives (kept, with
        the derived value, in ``report_fields``)."""
        who = authorship.derive_report(parsed)
        given = given or {}
        derived = {"title": parsed.title, "year": parsed.year, "kind": parsed.kind}
        with self.transaction() as db:
            db["reports"].insert({
                "report_id": report_id, "title": given.get("title", parsed.title),
                "title_derived": int(parsed.title_derived and "title" not in given),
                "year": given.get("year", parsed.year), "kind": given.get("kind", parsed.kind),
                "content_hash": content_hash, "chars": parsed.chars, "minhash": minhash, "created_at": now(),
                "role": who.role, "level": who.level, "region": who.region,
            })
            for field, value in given.items():
                db["report_fields"].insert({"report_id": report_id, "field": field, "source": "manifest",
                                            "derived": None if derived[field] is None else str(derived[field]),
                                            "set_at": now()})
            db["sections"].insert_all(
                {"report_id": report_id, "section_no": s.section_no, "heading": s.heading, "level": s.level,
                 "section_type": s.section_type, "passage_no": s.passage_no} for s in parsed.sections
            )
            db["passages"].insert_all(
                {"report_id": report_id, "passage_no": p.passage_no, "section_no": p.section_no,
                 "section_type": p.section_type, "heading": p.heading, "is_heading": int(p.is_heading),
                 "text": p.text} for p in parsed.passages
            )
            db["copies"].insert({**copy, "report_id": report_id, "relation": "original", "similarity": 1.0})
            self.conn.executemany("INSERT OR IGNORE INTO report_types VALUES (?, ?)",
                                  [(t, report_id) for t in {p.section_type for p in parsed.passages}])

    def add_copy(self, report_id: str, copy: dict, *, relation: str, similarity: float,
                 only_here: list[dict] | None = None) -> None:
        """A copy of a report; for a near copy, with ``only_here``, the paragraphs only it holds
        (``copytext.only_in_copy``), stored in the same transaction. The copy text mark moves past it when
        every earlier near copy has been looked at; otherwise ``copytext.sync`` reaches it in turn."""
        with self.transaction() as db:
            copy_id = db["copies"].insert({**copy, "report_id": report_id, "relation": relation,
                                           "similarity": round(similarity, 4)}).last_pk
            if only_here is None:
                return
            db["passages"].insert_all({**p, "report_id": report_id, "copy_id": copy_id} for p in only_here)
            (earlier,) = self.conn.execute("SELECT coalesce(max(id), 0) FROM copies WHERE relation = 'near' "
                                           "AND id < ?", (copy_id,)).fetchone()
            if self.copy_text_mark() >= earlier:
                self.set_meta_number("copy_text_mark", copy_id)

    def near_copies_after(self, mark: int) -> list[dict]:
        """Near copies with ids above ``mark``, in id order (whose own text ``copytext`` has yet to look at)."""
        return list(self.db.query("SELECT * FROM copies WHERE relation = 'near' AND id > ? ORDER BY id", [mark]))

    def own_passages(self, report_id: str) -> list[dict]:
        """The report's own passages (not its copies'), in order, as stored."""
        return list(self.db.query("SELECT passage_no, section_no, section_type, heading, is_heading, text "
                                  "FROM passages WHERE report_id = ? AND copy_id = 0 ORDER BY passage_no",
                                  [report_id]))

    def add_copy_passages(self, report_id: str, copy_id: int, passages: list[dict], mark: int) -> int:
        """Store the paragraphs found only in one copy, and move the mark past it, in one transaction; how
        many were new (a copy looked at again keeps what it had)."""
        held = "SELECT count(*) FROM passages WHERE report_id = ? AND copy_id = ?"  # (its unique index)
        with self.transaction() as db:
            (before,) = self.conn.execute(held, (report_id, copy_id)).fetchone()
            db["passages"].insert_all(({**p, "report_id": report_id, "copy_id": copy_id} for p in passages),
                                      ignore=True)
            self.set_meta_number("copy_text_mark", mark)
            return self.conn.execute(held, (report_id, copy_id)).fetchone()[0] - before

    def forget_copy_text_mark(self) -> None:
        """Look at every near copy again at the next ``copytext.sync`` (what it found stays)."""
        with self.transaction():
            self.conn.execute("DELETE FROM meta WHERE key = 'copy_text_mark'")

    def copy_text_mark(self) -> int:
        return self.meta_number("copy_text_mark")

    # -- lookups used by the importer ---------------------------------------

    def known_copy(self, path: str, sha256: str) -> dict | None:
        rows = list(self.db.query("SELECT * FROM copies WHERE path = ? AND sha256 = ?", [path, sha256]))
        return rows[0] if rows else None

    def copy_with_bytes(self, sha256: str) -> dict | None:
        rows = list(self.db.query("SELECT * FROM copies WHERE sha256 = ? ORDER BY id LIMIT 1", [sha256]))
        return rows[0] if rows else None

    def report_with_hash(self, content_hash: str) -> str | None:
        rows = list(self.db.query("SELECT report_id FROM reports WHERE content_hash = ?", [content_hash]))
        return rows[0]["report_id"] if rows else None

    def minhashes(self):
        return self.conn.execute("SELECT report_id, minhash FROM reports WHERE minhash IS NOT NULL")

    def body_text(self, report_id: str) -> str:
        """The passages joined as they were shingled (for verifying a near duplicate)."""
        rows = self.conn.execute("SELECT text FROM passages WHERE report_id = ? AND copy_id = 0 ORDER BY passage_no",
                                 [report_id])
        return "\n".join(r[0] for r in rows)

    # -- reading -----------------------------------------------------------

    # -- passages, for the index -----------------------------------------------
    #
    # Passages are append-only and never change, so the index keeps a high-water
    # mark (the largest passage id it holds) and asks for what lies above it.

    #: One passage as the index needs it: (id, text, report_id, section_type, year, kind).
    _INDEX_ROWS = ("SELECT p.id, p.text, p.report_id, p.section_type, r.year, r.kind FROM passages p "
                   "JOIN reports r ON r.report_id = p.report_id ")
    #: One passage as a search hit shows it: (id, report_id, title, year, kind, section_type, heading,
    #: passage_no, text, role, level, region, copy_id: 0 for the report's own text, else the copy holding it).
    _HIT_ROWS = ("SELECT p.id, p.report_id, r.title, r.year, r.kind, p.section_type, p.heading, p.passage_no, "
                 "p.text, r.role, r.level, r.region, p.copy_id FROM passages p "
                 "JOIN reports r ON r.report_id = p.report_id ")

    def max_passage_id(self) -> int:
        return self.conn.execute("SELECT coalesce(max(id), 0) FROM passages").fetchone()[0]

    def passage_count(self, after: int = 0, upto: int | None = None) -> int:
        """Passages with ids in (after, upto]; all of them by default."""
        if upto is None:
            return self.conn.execute("SELECT count(*) FROM passages WHERE id > ?", (after,)).fetchone()[0]
        return self.conn.execute("SELECT count(*) FROM passages WHERE id > ? AND id <= ?",
                                 (after, upto)).fetchone()[0]

    def passage_ids(self) -> set[int]:
        return {r[0] for r in self.conn.execute("SELECT id FROM passages")}

    def passages_after(self, mark: int, limit: int) -> list[tuple]:
        """Up to ``limit`` index rows with ids above ``mark``, in id order."""
        return self.conn.execute(self._INDEX_ROWS + "WHERE p.id > ? ORDER BY p.id LIMIT ?", (mark, limit)).fetchall()

    def passages_by_id(self, ids: list[int]) -> list[tuple]:
        """Index rows of the given ids, in id order (ids the archive lacks are absent)."""
        return self._in(self._INDEX_ROWS, ids, " ORDER BY p.id")

    def passage_texts(self, ids: list[int]) -> dict[int, str]:
        return dict(self._in("SELECT id, text FROM passages p ", ids))

    def hit_rows(self, ids: list[int]) -> dict[int, tuple]:
        """Hit rows by passage id: what a result page shows of each passage and its report."""
        return {r[0]: r for r in self._in(self._HIT_ROWS, ids)}

    _FACET_ROWS = ("SELECT p.id, p.section_type, coalesce(r.year, 0), r.kind, r.id, length(p.text), r.role, r.level, "
                   "r.region, p.copy_id FROM passages p JOIN reports r ON r.report_id = p.report_id ")

    def facet_rows(self, after: int, upto: int) -> list[tuple]:
        """(id, section_type, year or 0, kind, the report's row number, characters, role, level, region,
        copy_id) of passages with ids in (after, upto]."""
        return self.conn.execute(self._FACET_ROWS + "WHERE p.id > ? AND p.id <= ?", (after, upto)).fetchall()

    def facet_rows_of(self, ids: list[int]) -> list[tuple]:
        """``facet_rows`` of the given ids, however far apart (ids the archive lacks are absent)."""
        return self._in(self._FACET_ROWS, ids)

    def report_passage_ids(self, report_ids: list[str]) -> list[int]:
        """The passage ids of the given reports (their own text and their copies'), ascending."""
        return [pid for (pid,) in self.conn.execute(
            "SELECT id FROM passages WHERE report_id IN (SELECT value FROM json_each(?)) ORDER BY id",
            (json.dumps(list(report_ids)),))]

    def _in(self, select: str, ids: list[int], tail: str = "") -> list[tuple]:
        """``select`` for a list of passage ids of any length (one JSON array, not a bound parameter each)."""
        if not ids:
            return []
        if len(ids) <= 500:
            return self.conn.execute(select + f"WHERE p.id IN ({','.join('?' * len(ids))})" + tail,
                                     [int(i) for i in ids]).fetchall()
        return self.conn.execute(select + "WHERE p.id IN (SELECT value FROM json_each(?))" + tail,
                                 (json.dumps([int(i) for i in ids]),)).fetchall()

    # -- reports -----------------------------------------------------------------

    def report_count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM reports").fetchone()[0]

    def report_row(self, report_id: str) -> dict:
        rows = list(self.db.query(
            "SELECT report_id, title, year, kind, role, level, region, chars, created_at FROM reports "
            "WHERE report_id = ?", [report_id]))
        if not rows:
            raise NotFound(f"no report with id {report_id!r}")
        return rows[0]

    def report(self, report_id: str) -> dict:
        """The report object of ``show --json`` and ``/api/reports/<id>`` (the README gives its fields)."""
        obj = self.report_row(report_id)
        obj.pop("created_at")
        obj["chars"] = obj.pop("chars")
        obj["copies"] = [
            {"copy_id": r["id"], "path": r["path"], "encoding": r["encoding"], "sha256": r["sha256"],
             "imported_at": r["imported_at"], "source_url": r["source_url"], "relation": r["relation"],
             "similarity": r["similarity"], "size": r["size"], "title": r["title"],
             "truncated": bool(r["truncated"])}
            for r in self.db.query("SELECT * FROM copies WHERE report_id = ? ORDER BY id", [report_id])
        ]
        obj["sections"] = list(self.db.query(
            "SELECT section_no, heading, level, section_type, passage_no FROM sections "
            "WHERE report_id = ? ORDER BY section_no", [report_id]))
        obj["passages"] = [
            {**r, "is_heading": bool(r["is_heading"])}
            for r in self.db.query(
                "SELECT passage_no, section_type, heading, is_heading, text FROM passages "
                "WHERE report_id = ? AND copy_id = 0 ORDER BY passage_no", [report_id])
        ]
        # What only its near copies say (archive/copytext.py): not the report's text, but searchable and shown.
        obj["copy_passages"] = list(self.db.query(
            "SELECT copy_id, passage_no, section_type, text FROM passages WHERE report_id = ? AND copy_id != 0 "
            "ORDER BY copy_id, passage_no", [report_id]))
        for c in obj["copies"]:
            c["passages_only_here"] = sum(1 for p in obj["copy_passages"] if p["copy_id"] == c["copy_id"])
        obj["provenance"] = self.provenance(report_id)
        reuse = self.passage_reuse(report_id)
        for p in obj["passages"]:
            p["reuse"] = reuse.get(p["passage_no"])
        chars = sum(len(p["text"]) for p in obj["passages"])
        obj["reuse_ratio"] = round(sum(len(p["text"]) for p in obj["passages"] if p["reuse"]) / chars, 4) if chars else 0.0
        return obj

    def passage_reuse(self, report_id: str) -> dict[int, dict]:
        """passage_no → {"reports": how many other reports hold the passage (or a near-identical one),
        "earliest_year": the earliest of their years} for the report's passages found elsewhere."""
        rows = self.conn.execute(
            "SELECT p.passage_no, count(DISTINCT op.report_id), min(orep.year) FROM passages p "
            "JOIN passage_reuse r ON r.passage_id = p.id JOIN passages op ON op.id = r.other_passage_id "
            "JOIN reports orep ON orep.report_id = op.report_id "
            "WHERE p.report_id = ? AND op.report_id != p.report_id GROUP BY p.passage_no", (report_id,)).fetchall()
        return {no: {"reports": n, "earliest_year": year} for no, n, year in rows}

    def provenance(self, report_id: str) -> dict[str, dict]:
        """For each of title, year and kind not derived from the text: {"source": "manifest"|"corrected",
        "derived": what the text gave, "set_at"}."""
        rows = self.conn.execute("SELECT field, source, derived, set_at FROM report_fields WHERE report_id = ?",
                                 (report_id,)).fetchall()
        return {f: {"source": s, "derived": d, "set_at": t} for f, s, d, t in rows}

    # -- corrections ---------------------------------------------------------------

    def correct(self, report_id: str, values: dict, *, source: str = "corrected") -> dict:
        """Set title, year (an int or None) or kind of a report, remembering the derived value and where the
        new one came from; returns the report row as it now stands. Facet data readers hold is refreshed
        through ``facets_generation``."""
        unknown = set(values) - {"title", "year", "kind", "role", "level", "region"}
        if unknown:
            raise ArchiveError(f"cannot set {', '.join(sorted(unknown))}: only title, year, kind, role, level, region")
        with self.transaction():
            row = self.report_row(report_id)
            for field, value in values.items():
                had = self.conn.execute("SELECT derived FROM report_fields WHERE report_id = ? AND field = ?",
                                        (report_id, field)).fetchone()
                derived = had[0] if had else (None if row[field] is None else str(row[field]))
                self.conn.execute("INSERT OR REPLACE INTO report_fields VALUES (?, ?, ?, ?, ?)",
                                  (report_id, field, source, derived, now()))
                self.conn.execute(f"UPDATE reports SET {field} = ? WHERE report_id = ?", (value, report_id))
            self.note_edit(report_id)
            self.bump_facets_generation()
        return self.report_row(report_id)

    def note_edit(self, report_id: str) -> None:
        """Within a write: a report's stored values changed in place (``edited_reports`` lists it)."""
        self.conn.execute("INSERT INTO report_edits (report_id) VALUES (?)", (report_id,))

    def edited_reports(self, after: int = 0) -> tuple[int, list[str]]:
        """(the last edit's number, the reports edited after edit ``after``, in the order first edited): what a
        copy of report values kept elsewhere must read again."""
        rows = self.conn.execute("SELECT seq, report_id FROM report_edits WHERE seq > ? ORDER BY seq",
                                 (after,)).fetchall()
        return (rows[-1][0] if rows else self.last_edit()), list(dict.fromkeys(rid for _, rid in rows))

    def last_edit(self) -> int:
        return self.conn.execute("SELECT coalesce(max(seq), 0) FROM report_edits").fetchone()[0]

    # -- marks and generations in meta: numbers, 0 until first set --------------------

    def meta_number(self, key: str) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def set_meta_number(self, key: str, value: int) -> None:
        """Within a write (a mark goes in the transaction of the data it marks)."""
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, str(value)))

    def count_up(self, key: str) -> None:
        """Within a write: move a generation on by one."""
        self.conn.execute("INSERT INTO meta VALUES (?, '1') ON CONFLICT(key) "
                          "DO UPDATE SET value = CAST(value AS INTEGER) + 1", (key,))

    def bump_facets_generation(self) -> None:
        """Within a write: tell warm readers that stored facet data changed in place."""
        self.count_up("facets_generation")

    def facets_generation(self) -> int:
        """Bumped whenever a stored report's year, kind or passages' types change in place (corrections,
        reclassifying): readers that keep facet data warm reload it when it moves."""
        return self.meta_number("facets_generation")

    def copy(self, report_id: str, copy_id: int | None = None) -> dict:
        sql = "SELECT * FROM copies WHERE report_id = ?"
        args: list = [report_id]
        if copy_id is not None:
            if not 0 < copy_id < 1 << 63:  # no row has it, and SQLite cannot even bind it
                raise NotFound(f"no copy {copy_id} of report {report_id!r}")
            sql += " AND id = ?"
            args.append(copy_id)
        rows = list(self.db.query(sql + " ORDER BY id LIMIT 1", args))
        if not rows:
            raise NotFound(f"no copy {copy_id} of report {report_id!r}")
        return rows[0]

    def source_bytes(self, sha256: str) -> bytes:
        path = self.source_path(sha256)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"the original bytes {sha256[:12]}… are missing from {self.sources}") from None

    #: How a list of reports may be sorted; unknown years sort last either way.
    REPORT_ORDERS = {
        "-year": "year IS NULL, year DESC, id",
        "year": "year IS NULL, year, id",
        "title": "title, id",
    }

    def reports(self, offset: int = 0, limit: int = 50, *, years=(), kinds=(), sections=(), roles=(), levels=(),
                regions=(), sort: str = "-year") -> dict:
        """A page of reports, filtered (OR within a filter, AND across) and sorted; ``years`` may hold
        ``None`` for reports whose year is not known; ``sections`` keeps reports with a passage of that type."""
        where, args = [], []
        if years:
            known = [int(y) for y in years if y is not None]
            parts = ([f"year IN ({','.join('?' * len(known))})"] if known else []) + \
                    (["year IS NULL"] if None in years else [])
            where.append("(" + " OR ".join(parts) + ")")
            args += known
        for column, values in (("kind", kinds), ("role", roles), ("level", levels), ("region", regions)):
            if values:
                where.append(f"{column} IN ({','.join('?' * len(values))})")
                args += list(values)
        if sections:
            where.append("report_id IN (SELECT report_id FROM report_types WHERE section_type IN "
                         f"({','.join('?' * len(sections))}))")
            args += list(sections)
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        total = self.conn.execute("SELECT count(*) FROM reports" + clause, args).fetchone()[0]
        rows = list(self.db.query(
            f"SELECT report_id, title, year, kind, role, level, region FROM reports{clause} "
            f"ORDER BY {self.REPORT_ORDERS[sort]} "
            "LIMIT ? OFFSET ?", [*args, limit, offset]))
        return {"total": total, "offset": offset, "reports": rows}

    def stats(self) -> dict:
        one = lambda sql: self.conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "reports": one("SELECT count(*) FROM reports"),
            "copies": one("SELECT count(*) FROM copies"),
            "copies_exact": one("SELECT count(*) FROM copies WHERE relation = 'exact'"),
            "copies_near": one("SELECT count(*) FROM copies WHERE relation = 'near'"),
            "sections": one("SELECT count(*) FROM sections"),
            "passages": one("SELECT count(*) FROM passages"),  # what the index holds: both kinds
            "copy_passages": one("SELECT count(*) FROM passages WHERE copy_id != 0"),
            "characters": one("SELECT coalesce(sum(chars), 0) FROM reports"),
            "db_bytes": self.db_path.stat().st_size if self.db_path.exists() else 0,
        }

    def backup_to(self, dest: str | os.PathLike) -> Path:
        """A consistent copy: SQLite's online backup API, then the (immutable) source files."""
        dest = Path(dest)
        if (dest / "archive.db").exists():
            raise ArchiveError(f"{dest} already holds an archive; choose an empty folder")
        dest.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(dest / "archive.db")
        try:
            self.conn.backup(target)
        finally:
            target.close()
        copy = sqlite3.connect(dest / "archive.db")
        try:
            shas = [r[0] for r in copy.execute("SELECT DISTINCT sha256 FROM copies")]
        finally:
            copy.close()
        for sha in shas:
            src = self.source_path(sha)
            out = dest / "sources" / sha[:2] / sha
            if not out.exists():
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(src.read_bytes())
        return dest

    def integrity(self) -> list[str]:
        """Problems SQLite itself and our foreign keys report; empty when sound."""
        problems = [r[0] for r in self.conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        problems += [f"foreign key: {tuple(r)}" for r in self.conn.execute("PRAGMA foreign_key_check")]
        for (sha,) in self.conn.execute("SELECT DISTINCT sha256 FROM copies"):
            path = self.source_path(sha)
            if not path.exists():
                problems.append(f"source bytes missing: {sha}")
            elif hashlib.sha256(path.read_bytes()).hexdigest() != sha:
                problems.append(f"source bytes changed on disk: {sha}")
        return problems


def _current(conn: sqlite3.Connection) -> bool:
    """Whether an archive holds every table and column this version reads."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    columns = {r[1] for r in conn.execute("PRAGMA table_info(reports)")}
    columns |= {"passages." + r[1] for r in conn.execute("PRAGMA table_info(passages)")}
    copies = {r[1] for r in conn.execute("PRAGMA table_info(copies)")}
    typed = conn.execute("SELECT 1 FROM meta WHERE key = 'report_types'").fetchone() if "meta" in tables else None
    return ({"passage_reuse", "reuse_signatures", "reuse_counts", "report_fields", "report_types", "report_edits"}
            <= tables
            and "role" in columns and "passages.copy_id" in columns and "truncated" in copies and typed is not None)


def open_store(root: str | os.PathLike | None, *, readonly: bool = False) -> Store:
    try:
        return Store(data_dir(root), readonly=readonly)
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"cannot open the archive in {data_dir(root)}: {exc}") from exc
