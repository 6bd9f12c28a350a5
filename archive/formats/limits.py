"""Bounds on converting untrusted files: sizes, pages, time, and external programs in a fenced subprocess."""

from __future__ import annotations

import io
import resource
import shutil
import subprocess
import time
import zipfile

from ..errors import InputError

#: A Word file's parts, decompressed, together; real reports stay far below.
MAX_UNZIPPED = 200 * 1024 * 1024
MAX_PART = 64 * 1024 * 1024
MAX_MEMBERS = 5000
#: External converters: wall-clock seconds and address space per run.
TOOL_SECONDS = 120
TOOL_MEMORY = 1536 * 1024 * 1024


class Deadline:
    """Seconds left for one conversion; checked between pages so a huge file stops in time."""

    def __init__(self, seconds: float, what: str):
        self.end = time.monotonic() + seconds
        self.seconds = seconds
        self.what = what

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise InputError(f"{self.what} took longer than {self.seconds:.0f} s: stopped")

    def left(self) -> float:
        return max(1.0, self.end - time.monotonic())


def checked_zip(data: bytes, what: str) -> zipfile.ZipFile:
    """A zip whose declared sizes are bounded (zipfile never inflates past a member's declared size)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InputError(f"not a valid {what} file (damaged or truncated zip)") from None
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise InputError(f"not a plausible {what} file: {len(infos)} parts")
    total = sum(i.file_size for i in infos)
    biggest = max((i.file_size for i in infos), default=0)
    if total > MAX_UNZIPPED or biggest > MAX_PART:
        raise InputError(f"refused: the {what} file unpacks to {total // 1048576} MB "
                         f"(limit {MAX_UNZIPPED // 1048576} MB; a zip bomb?)")
    return zf


def _fence() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (TOOL_MEMORY, TOOL_MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (TOOL_SECONDS, TOOL_SECONDS + 5))


def which(program: str, install: str, suffix: str) -> str:
    """The program's path, or an InputError telling the user what to install."""
    path = shutil.which(program)
    if path is None:
        raise InputError(f"cannot read {suffix} files: install {install} (apt-get install {install})")
    return path


def run_tool(argv: list[str], data: bytes | None, what: str, timeout: float = TOOL_SECONDS) -> bytes:
    """Run a converter on untrusted input with time and memory limits; its stdout, or an InputError."""
    try:
        done = subprocess.run(argv, input=data, capture_output=True, timeout=timeout, preexec_fn=_fence,
                              check=False)
    except subprocess.TimeoutExpired:
        raise InputError(f"{what} took longer than {timeout:.0f} s: stopped") from None
    except OSError as exc:
        raise InputError(f"{what} could not run: {exc.strerror}") from None
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"{what} failed: {(err[-1] if err else 'exit code ' + str(done.returncode))[:200]}")
    return done.stdout
