"""Request arguments made safe: facet filters and bounded integers, or a 400 with a plain message."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from flask import abort
from werkzeug.datastructures import MultiDict

#: URL parameter → facet name in the search result.
FACETS = {"section": "section_type", "year": "year", "kind": "kind", "role": "role", "level": "level",
          "region": "region"}

_INT = re.compile(r"\d{1,9}")


def bounded_int(args: MultiDict, name: str, default: int, low: int, high: int, message: str | None = None) -> int:
    """An integer argument in [low, high]; anything else is the caller's mistake, answered with 400."""
    raw = args.get(name, "").strip()
    if not raw:
        return default
    if not _INT.fullmatch(raw) or not (low <= int(raw) <= high):
        abort(400, description=message or f"{name} must be an integer between {low} and {high}")
    return int(raw)


@dataclass(frozen=True)
class Filters:
    """The facet values a search is narrowed to (OR within a facet, AND across facets)."""

    section: tuple[str, ...] = ()
    year: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    role: tuple[str, ...] = ()
    level: tuple[str, ...] = ()
    region: tuple[str, ...] = ()

    @classmethod
    def from_args(cls, args: MultiDict) -> Filters:
        return cls(**{name: tuple(dict.fromkeys(v.strip() for v in args.getlist(name) if v.strip()))
                      for name in FACETS})

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in FACETS)

    def search_kwargs(self) -> dict:
        return {"sections": self.section, "years": self.year, "kinds": self.kind, "roles": self.role,
                "levels": self.level, "regions": self.region}

    def report_kwargs(self) -> dict:
        """The filters as ``Store.reports`` takes them (years as numbers, None for unknown)."""
        kwargs = self.search_kwargs()
        kwargs["years"] = [None if y == "unknown" else int(y) for y in self.year]
        return kwargs

    def params(self) -> dict[str, list[str]]:
        return {name: list(getattr(self, name)) for name in FACETS if getattr(self, name)}

    def has(self, name: str, value: str) -> bool:
        return value in getattr(self, name)

    def adding(self, name: str, value: str) -> Filters:
        return self if self.has(name, value) else replace(self, **{name: getattr(self, name) + (value,)})

    def removing(self, name: str, value: str) -> Filters:
        return replace(self, **{name: tuple(v for v in getattr(self, name) if v != value)})

    def applied(self):
        """(url name, value) for every applied filter, in facet order."""
        return [(name, v) for name in FACETS for v in getattr(self, name)]
