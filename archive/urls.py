"""The archive's web addresses, built in one place (the CLI, the API and the pages all link to them).

A passage permalink survives re-imports: the report id derives from the
normalized text, the passage number from its order. ``base`` is the public
address of the server ("" gives paths, for links within a page).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

DEFAULT_BASE = "http://127.0.0.1:5000"


@dataclass(frozen=True)
class Urls:
    base: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", self.base.rstrip("/"))

    def report(self, report_id: str) -> str:
        return f"{self.base}/r/{quote(report_id, safe='')}"

    def passage(self, report_id: str, passage_no: int) -> str:
        return f"{self.report(report_id)}#p{int(passage_no)}"
