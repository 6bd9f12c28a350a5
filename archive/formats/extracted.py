"""What every format reader returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Extracted:
    """A file's text, how it was read, and the headings the document marks itself.

    ``headings`` are (line text, level 1-3) for lines a Word style or outline
    level makes a heading; numbered headings (一、（一）1.) need no mark.
    """

    text: str
    encoding: str
    headings: tuple[tuple[str, int], ...] = ()
    source_url: str | None = None
    replaced: int = 0
