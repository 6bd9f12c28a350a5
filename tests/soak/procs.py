"""Running ``archive`` as a user would (a subprocess), and reading what it left behind.

Every command runs in a session of its own, so a timeout ends it and its
workers together, and after a ``kill -9`` the workers it started can be
found by their process group (they keep it when their parent dies).
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.procs import archive_argv, group_members  # noqa: F401  (soak modules use them from here)

ROOT = Path(__file__).resolve().parents[2]


def env() -> dict[str, str]:
    out = dict(os.environ)
    out.pop("ARCHIVE_DATA", None)
    out["PYTHONUNBUFFERED"] = "1"
    return out


@dataclass
class Ran:
    argv: list[str]
    returncode: int | None  # None: it timed out and was killed
    stdout: str
    stderr: str
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.returncode is None

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.stderr or "Traceback (most recent call last)" in self.stdout


def start(data: Path, *args: str, stdout=subprocess.PIPE, stderr=subprocess.PIPE) -> subprocess.Popen:
    """``archive --data DATA ARGS…`` in a new session (its own process group)."""
    return subprocess.Popen(archive_argv() + ["--data", str(data), *args], stdout=stdout, stderr=stderr,
                            stdin=subprocess.DEVNULL, env=env(), cwd=str(ROOT), start_new_session=True,
                            text=True, encoding="utf-8", errors="backslashreplace")


class Background:
    """``archive`` running while the caller does other things. Its output goes to files: a pipe nobody
    reads fills up (64 kB: the JSON summary of a few hundred files) and blocks the command for good."""

    def __init__(self, data: Path, *args: str):
        self._out = tempfile.TemporaryFile()
        self._err = tempfile.TemporaryFile()
        self.started = time.monotonic()
        self.proc = start(data, *args, stdout=self._out, stderr=self._err)
        self.pid = self.proc.pid

    def poll(self) -> int | None:
        return self.proc.poll()

    def wait(self, timeout: float | None = None) -> Ran:
        """Wait for the end (killing the group after ``timeout``) and read what it printed."""
        try:
            code: int | None = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(self.pid)
            self.proc.wait()
            code = None
        out, err = (self._read(f) for f in (self._out, self._err))
        return Ran(self.proc.args, code, out, err, time.monotonic() - self.started)

    @staticmethod
    def _read(f) -> str:
        f.seek(0)
        text = f.read().decode("utf-8", "backslashreplace")
        f.close()
        return text


def run(data: Path, *args: str, timeout: float = 300.0) -> Ran:
    """Run to the end, or kill the whole group after ``timeout`` seconds (a hang is a failure, never a wait)."""
    started = time.monotonic()
    proc = start(data, *args)
    try:
        out, err = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        kill_group(proc.pid)
        out, err = proc.communicate()
        code = None
    return Ran(proc.args, code, out, err, time.monotonic() - started)


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def survivors(pgid: int, grace: float = 5.0) -> list[int]:
    """Processes of the group still alive after ``grace`` seconds (workers that outlived their parent)."""
    deadline = time.monotonic() + grace
    while True:
        alive = group_members(pgid)
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.05)


# -- what an archive holds --------------------------------------------------------

def connect(data: Path) -> sqlite3.Connection | None:
    db = data / "archive.db"
    if not db.exists():
        return None
    conn = sqlite3.connect(db, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def integrity(data: Path) -> list[str]:
    """SQLite's own verdict (integrity and foreign keys); empty when sound or when there is no archive yet."""
    conn = connect(data)
    if conn is None:
        return []
    try:
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        problems += [f"foreign key: {tuple(r)}" for r in conn.execute("PRAGMA foreign_key_check")]
        return problems
    except sqlite3.DatabaseError as exc:
        return [f"cannot read the database: {exc}"]
    finally:
        conn.close()


def digest(data: Path) -> str:
    """What an archive holds, without timestamps: reports, copies and passages, in a stable order."""
    conn = connect(data)
    if conn is None:
        return "no archive"
    h = hashlib.sha256()
    queries = [
        "SELECT report_id, title, year, kind, content_hash, chars FROM reports ORDER BY report_id",
        "SELECT report_id, path, sha256, relation, round(similarity, 4) FROM copies ORDER BY path, sha256",
        "SELECT report_id, section_no, heading, level, section_type, passage_no FROM sections "
        "ORDER BY report_id, section_no",
        "SELECT report_id, passage_no, section_type, heading, is_heading, text FROM passages "
        "ORDER BY report_id, passage_no",
    ]
    try:
        for sql in queries:
            h.update(sql.encode())
            for row in conn.execute(sql):
                h.update(repr(row).encode("utf-8", "backslashreplace"))
    finally:
        conn.close()
    return h.hexdigest()


def counts(data: Path) -> dict[str, int]:
    """Rows per table and the index marks: where an interrupted import had got to."""
    conn = connect(data)
    if conn is None:
        return {}
    out: dict[str, int] = {}
    try:
        for table in ("reports", "copies", "passages"):
            try:
                out[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            except sqlite3.OperationalError:
                out[table] = 0
        try:
            out["phrase_mark"] = conn.execute("SELECT coalesce(max(rowid), 0) FROM phrase_grams").fetchone()[0]
        except sqlite3.OperationalError:
            out["phrase_mark"] = -1
        out["top"] = conn.execute("SELECT coalesce(max(id), 0) FROM passages").fetchone()[0] if out["passages"] else 0
    finally:
        conn.close()
    return out
