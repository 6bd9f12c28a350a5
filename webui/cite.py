"""Citations of one passage (GB/T 7714-2015, BibTeX, RIS, CSL-JSON): pure functions of plain data."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

AUTHOR = "佚名"  # reports reposted online rarely name an author we can trust
SITE = "述职报告档案"


@dataclass(frozen=True)
class Cited:
    """What a citation needs: the report, the passage and where and when it was read."""

    report_id: str
    title: str
    year: int | None
    kind: str
    passage_no: int
    url: str  # the absolute passage permalink
    accessed: date


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def gbt7714(c: Cited) -> str:
    """GB/T 7714-2015, electronic resource, with the report's year and the passage as the locator:
    佚名. 题名[EB/OL]. 述职报告档案, 2019: 第2段. [引用日期]. 网址."""
    year = f", {c.year}" if c.year else ""
    return (f"{AUTHOR}. {_one_line(c.title)}[EB/OL]. {SITE}{year}: 第{c.passage_no}段. "
            f"[{c.accessed.isoformat()}]. {c.url}.")


_BIBTEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&", "$": r"\$",
                   "#": r"\#", "_": r"\_", "^": r"\^{}", "~": r"\~{}"}


def _bib(text: str) -> str:
    return "".join(_BIBTEX_SPECIAL.get(ch, ch) for ch in _one_line(text))


def _bib_url(url: str) -> str:
    return re.sub(r"[\s{}\\]", "", url)


def bibtex_key(c: Cited) -> str:
    return "shuzhi-" + re.sub(r"[^A-Za-z0-9]", "", c.report_id) + f"-p{c.passage_no}"


def bibtex(c: Cited) -> str:
    fields = [("author", "{" + AUTHOR + "}"), ("title", _bib(c.title))]
    if c.year:
        fields.append(("year", str(c.year)))
    fields += [("howpublished", SITE), ("note", _bib(f"{c.kind}，第 {c.passage_no} 段")),
               ("url", _bib_url(c.url)), ("urldate", c.accessed.isoformat())]
    body = ",\n".join(f"  {name:<12} = {{{value}}}" for name, value in fields)
    return f"@misc{{{bibtex_key(c)},\n{body}\n}}\n"


def ris(c: Cited) -> str:
    lines = [("TY", "ELEC"), ("AU", AUTHOR), ("TI", _one_line(c.title))]
    if c.year:
        lines.append(("PY", str(c.year)))
    lines += [("M3", _one_line(c.kind)), ("N1", f"第 {c.passage_no} 段"), ("DB", SITE), ("UR", _one_line(c.url)),
              ("Y2", c.accessed.strftime("%Y/%m/%d")), ("ER", "")]
    return "".join(f"{tag}  - {value}\r\n" for tag, value in lines)


def csl_json(c: Cited) -> str:
    item = {"id": f"{c.report_id}-p{c.passage_no}", "type": "webpage", "title": _one_line(c.title),
            "author": [{"literal": AUTHOR}], "genre": c.kind, "container-title": SITE, "URL": c.url,
            "accessed": {"date-parts": [[c.accessed.year, c.accessed.month, c.accessed.day]]},
            "locator": str(c.passage_no), "label": "paragraph"}
    if c.year:
        item["issued"] = {"date-parts": [[c.year]]}
    return json.dumps([item], ensure_ascii=False, indent=2) + "\n"


#: format name → (render, Content-Type, file name suffix)
FORMATS = {
    "gbt7714": (gbt7714, "text/plain; charset=utf-8", ".txt"),
    "bibtex": (bibtex, "application/x-bibtex; charset=utf-8", ".bib"),
    "ris": (ris, "application/x-research-info-systems; charset=utf-8", ".ris"),
    "csl-json": (csl_json, "application/vnd.citationstyles.csl+json", ".json"),
}


def file_name(c: Cited, fmt: str) -> str:
    """What a downloaded citation is saved as: the report and passage, not the URL's last segment."""
    return f"{bibtex_key(c)}{FORMATS[fmt][2]}"
