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
        # Ids are hex digests: quoting them is needed only for ids that are not (a percent of an export's time).
        return f"{self.base}/r/{report_id if report_id.isalnum() and report_id.isascii() else quote(report_id, safe='')}"

    def passage(self, report_id: str, passage_no: int, copy_id: int = 0) -> str:
        """A passage of the report's text; or, with ``copy_id``, a paragraph found only in that near copy
        (shown where the copy diff sets it beside the kept text)."""
        if copy_id:
            return f"{self.report(report_id)}/copies/{int(copy_id)}/diff#c{int(passage_no)}"
        return f"{self.report(report_id)}#p{int(passage_no)}"
