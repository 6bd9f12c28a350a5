"""Cursors for paging past any depth: the sort key of the last hit shown, made opaque.

An offset costs the whole prefix on every page and is capped; a cursor says
"after this hit" and costs the same on page 1 and page 10,000. It carries the
values of the order's keys (``Searcher._keys``) for the last hit, and the
sort and grouping it belongs to, so it cannot be replayed against another.
"""

from __future__ import annotations

import base64
import json

import numpy as np

from .messages import QueryError

#: A cursor is short; anything longer is not one of ours.
MAX_CHARS = 400


def encode(values, sort: str, group: str) -> str:
    plain = [float(v) if isinstance(v, (float, np.floating)) else int(v) for v in values]
    raw = json.dumps([1, sort, group, plain], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(text: str, sort: str, group: str) -> list:
    """The key values of a cursor; QueryError unless it is well-formed and for this sort and grouping."""
    try:
        if len(text) > MAX_CHARS:
            raise ValueError("too long")
        version, c_sort, c_group, values = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if version != 1 or c_sort != sort or c_group != group or not isinstance(values, list):
            raise ValueError("another search")
        if len(values) != (3 if sort == "relevance" else 4) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise ValueError("bad values")
        return values
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise QueryError("bad_cursor") from exc


def after(keys: list[np.ndarray], cut: list) -> np.ndarray:
    """Which hits come strictly after the cursor in the order the keys define (lexicographic)."""
    n = len(keys[0]) if keys else 0
    later = np.zeros(n, dtype=bool)
    same = np.ones(n, dtype=bool)
    for key, value in zip(keys, cut):
        later |= same & (key > value)
        same &= key == value
    return later
