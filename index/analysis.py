"""The jieba analyzer, as a Whoosh tokenizer → filter chain.

Folding (width, case, traditional → simplified) is the archive's own
``fold``, applied before segmentation at index and at query time alike, and
it keeps string length, so token offsets point into the text users read.
Whoosh pickles the schema with the index: these classes must stay at this
import path and hold no lambdas.
"""

from __future__ import annotations

import re
from functools import lru_cache

from whoosh.analysis import Filter, Token, Tokenizer

from archive.proc import die_with_parent
from archive.text import fold

_WORDLIKE = re.compile(r"[\w\u3400-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=1)
def _jieba():
    """jieba's dictionary loads on first use, once per process."""
    import logging

    import jieba

    die_with_parent()  # we may be one of Whoosh's indexing subprocesses
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def segment_for_search(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) in search mode: 招商引资 gives 招商, 引资 and 招商引资."""
    return [(w, s, e) for w, s, e in _jieba().tokenize(fold(text), mode="search") if _WORDLIKE.search(w)]


def index_words(folded: str) -> list[str]:
    """The ``body`` field's terms for already-folded text, as the analyzer yields them, without Token objects."""
    return [w for w in _jieba().lcut_for_search(folded)
            if (w[0].isalnum() or _WORDLIKE.search(w)) and not (len(w) == 1 and w.isascii())]


def query_words(text: str) -> tuple[str, ...]:
    """The words of an unquoted query: precise-mode segmentation of the folded text (``query.Words.of``
    calls it once per leaf; everything after reads the leaf)."""
    return tuple(w for w in _jieba().lcut(fold(text)) if _WORDLIKE.search(w))


class JiebaTokenizer(Tokenizer):
    """Folded, search-mode jieba tokens; a sub-word shares its compound's position."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = fold(value)
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        pos = start_pos - 1
        last_end = -1
        for word, start, end in segment_for_search(value):
            if start >= last_end:  # a new word, not a part of the previous compound
                pos += 1
            last_end = max(last_end, end)
            t.text = word
            t.boost = 1.0
            if keeporiginal:
                t.original = word
            t.stopped = False
            if positions:
                t.pos = pos
            if chars:
                t.startchar, t.endchar = start_char + start, start_char + end
            yield t


class DropSingleAsciiFilter(Filter):
    """Single ASCII letters and digits carry no meaning on their own in these reports."""

    def __call__(self, tokens):
        for t in tokens:
            if len(t.text) == 1 and t.text.isascii():
                continue
            yield t


def ChineseAnalyzer():
    """The analyzer of the ``body`` field: jieba tokens with folding."""
    return JiebaTokenizer() | DropSingleAsciiFilter()
