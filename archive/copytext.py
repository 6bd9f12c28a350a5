"""Text found only in a near copy, kept as passages of the report so a search finds it.

A repost that says 68 projects where the kept text says 63 is one report
(dedupe links it as a near copy), but a reader searching for "亿元以上项目68个"
must still be led to it. So each paragraph of a near copy that the kept text
does not hold (changed or added, as the copy diff aligns them) is stored as a
passage with the copy's id and its number in the copy. Those passages are
indexed and searched like any other, and nothing else counts them as the
report's text: the report object, dedupe, reuse, trends and compare read the
report's own passages only.

The importer stores them with the copy, from the paragraphs it has just
read. ``sync`` reaches the rest from a high-water mark (``meta.copy_text_mark``,
the largest copy id looked at), one transaction per copy, after every import
and, looking at every copy again, in ``archive reindex``: an archive imported
before copies had passages, or a copy that could not be read again, gets them
then, and a killed run carries on.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from . import copydiff
from .errors import InputError, NotFound
from .sitetext import is_site_line
from .store import Store
from .text import fold, is_chrome_line

_NOT_WORDING = re.compile(r"[\W_]+")


@dataclass
class CopyTextSync:
    copies: int = 0  # near copies looked at
    passages: int = 0  # paragraphs found only in them, newly stored
    unreadable: list[str] = field(default_factory=list)  # copies whose bytes could not be read again here
    seconds: float = 0.0


def bare(text: str) -> str:
    """Text as a search sees it (folded), without punctuation or spaces: what is left is the wording."""
    return _NOT_WORDING.sub("", fold(text))


def only_in_copy(kept: list[dict], copy: list[str]) -> list[dict]:
    """The copy's paragraphs the kept passages lack, as passage rows: numbered as in the copy, placed in
    the section of the kept passage they stand beside (a changed paragraph: its original's; an added one:
    the kept passage before it).

    A paragraph whose wording the kept text holds anywhere is not new text, though the diff pairs it as
    changed: a heading with a stop added, two paragraphs a repost joined, one moved elsewhere. (All 916
    changed paragraphs of the 43 near copies in a corpus of real reposts were such; without this test a
    search would show each of them twice.) Nor is what the reposting site wrote around the text (its
    chrome and notes), which cleaning leaves when it stands mid-page."""
    by_no = {p["passage_no"]: p for p in kept}
    whole = bare("".join(p["text"] for p in kept))
    out: list[dict] = []
    beside = kept[0] if kept else None
    for row in copydiff.diff([(p["passage_no"], p["text"]) for p in kept], copy):
        if row.kept_no is not None:
            beside = by_no[row.kept_no]
        if row.kind not in ("changed", "copy_only") or not bare(row.copy) or bare(row.copy) in whole:
            continue
        if row.kind == "copy_only" and (is_chrome_line(row.copy) or is_site_line(row.copy)):
            continue  # the reposting site's words (打印本页, 责任编辑：…), not the author's
        place = beside or {"section_no": None, "section_type": "other", "heading": "", "is_heading": 0}
        out.append({"passage_no": row.copy_no, "section_no": place["section_no"],
                    "section_type": place["section_type"], "heading": place["heading"],
                    "is_heading": int(bool(place["is_heading"]) and row.kind == "changed"), "text": row.copy})
    return out


def sync(store: Store, *, again: bool = False) -> CopyTextSync:
    """Store what every near copy above the mark holds that its report does not; with ``again``, look at
    every near copy (``archive reindex``: a copy that could not be read before, a converter installed
    since). The caller holds the writer lock."""
    from .importer import reread  # (the importer calls only_in_copy as it adds a near copy)

    started = time.monotonic()
    done = CopyTextSync()
    if again:
        store.forget_copy_text_mark()
    for copy in store.near_copies_after(store.copy_text_mark()):
        try:
            paragraphs = reread(store, copy)
        except (InputError, NotFound) as exc:  # a converter missing here, say: the copy stays linked
            done.unreadable.append(f"{copy['path']}: {exc}")
            paragraphs = []
        found = only_in_copy(store.own_passages(copy["report_id"]), paragraphs) if paragraphs else []
        done.passages += store.add_copy_passages(copy["report_id"], copy["id"], found, mark=copy["id"])
        done.copies += 1
    done.seconds = time.monotonic() - started
    return done
