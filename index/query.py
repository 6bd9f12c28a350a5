"""The query language: words, "exact phrases", OR, NOT/-, parentheses.

    两个维护            words (jieba-segmented, all required, ranked)
    "两个维护"          exact phrase (also “…” and ＂…＂)
    A OR B   A -B   A NOT B   (A OR B) C

Parsing is pure and bounded: a query longer than ``MAX_CHARS``, with more
than ``MAX_TERMS`` terms or nested deeper than ``MAX_DEPTH`` is refused with
a message that says so, before any index is touched.

The tree is prepared: each leaf carries its folded text and, for words,
jieba's segmentation, computed once here. Searching, judging nearness and
highlighting all read them from the leaf, whatever engine answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archive.text import fold

from .analysis import query_words
from .messages import QueryError

MAX_CHARS = 500
MAX_TERMS = 32
MAX_DEPTH = 8


@dataclass(frozen=True)
class Words:
    """Unquoted words: all of jieba's words of the folded text are required."""

    text: str
    folded: str = ""
    words: tuple[str, ...] = ()

    @classmethod
    def of(cls, text: str) -> Words:
        return cls(text, fold(text), query_words(text))


@dataclass(frozen=True)
class Phrase:
    """A quoted phrase: passages whose folded text contains ``folded``."""

    text: str
    folded: str = ""

    @classmethod
    def of(cls, text: str) -> Phrase:
        return cls(text, fold(text))


@dataclass(frozen=True)
class Not:
    child: "Node"


@dataclass(frozen=True)
class And:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    children: tuple["Node", ...]


Node = Words | Phrase | Not | And | Or

_TOKEN = re.compile(r'\s+|[()（）]|"[^"]*"?|“[^”]*”?|＂[^＂]*＂?|[^\s()（）"“＂]+')
_CLOSE = {'"': '"', "“": "”", "＂": "＂"}


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if tok.isspace():
            continue
        if tok in "(（":
            out.append(("(", tok))
        elif tok in ")）":
            out.append((")", tok))
        elif tok[0] in _CLOSE:
            if len(tok) < 2 or tok[-1] != _CLOSE[tok[0]]:
                raise QueryError("unclosed_quote", text=tok[:20])
            inner = tok[1:-1].strip()
            if inner:
                out.append(("phrase", inner))
        elif tok in ("OR", "|", "或"):
            out.append(("or", tok))
        elif tok in ("AND", "&"):
            continue
        elif tok in ("NOT", "-"):
            out.append(("not", tok))
        elif tok.startswith("-") and len(tok) > 1:
            out.append(("not", "-"))
            out.append(("word", tok[1:]))
        else:
            out.append(("word", tok))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.i = 0
        self.terms = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def parse(self) -> Node:
        node = self.or_expr(0)
        if self.i < len(self.tokens):
            raise QueryError("unopened_paren")
        return node

    def or_expr(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise QueryError("too_deep", max=MAX_DEPTH)
        parts = [self.and_expr(depth)]
        while self.peek() == "or":
            self.i += 1
            parts.append(self.and_expr(depth))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self, depth: int) -> Node:
        parts: list[Node] = []
        while self.peek() not in (None, "or", ")"):
            parts.append(self.unary(depth))
        if not parts:
            raise QueryError("or_needs_terms" if self.peek() == "or" or self.i else "empty")
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self, depth: int) -> Node:
        kind, value = self.tokens[self.i]
        if kind == "not":
            self.i += 1
            if self.peek() in (None, "or", ")"):
                raise QueryError("not_needs_term")
            return Not(self.unary(depth))
        if kind == "(":
            self.i += 1
            node = self.or_expr(depth + 1)
            if self.peek() != ")":
                raise QueryError("unclosed_paren")
            self.i += 1
            return node
        self.i += 1
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise QueryError("too_many_terms", max=MAX_TERMS)
        return Phrase.of(value) if kind == "phrase" else Words.of(value)


def parse(text: str) -> Node:
    """Query text → tree; QueryError for anything that cannot be run."""
    if text is None or not text.strip():
        raise QueryError("empty")
    if "\x00" in text:
        raise QueryError("nul")
    if len(text) > MAX_CHARS:
        raise QueryError("too_long", chars=len(text), max=MAX_CHARS)
    node = _Parser(_tokens(text)).parse()
    _check_negation(node)
    return node


def _check_negation(node: Node) -> None:
    """Exclusion narrows something: a query (or an OR branch) of exclusions alone cannot run."""
    if isinstance(node, Not):
        raise QueryError("only_exclusion")
    if isinstance(node, And):
        if all(isinstance(c, Not) for c in node.children):
            raise QueryError("only_exclusion")
        for c in node.children:
            _check_negation(c.child if isinstance(c, Not) else c)
    if isinstance(node, Or):
        for c in node.children:
            _check_negation(c)


def leaves(node: Node, negated: bool = False):
    """(leaf, negated) pairs: what to highlight is every leaf not under a NOT."""
    if isinstance(node, (Words, Phrase)):
        yield node, negated
    elif isinstance(node, Not):
        yield from leaves(node.child, not negated)
    else:
        for c in node.children:
            yield from leaves(c, negated)


def highlight_terms(tree: Node) -> list[str]:
    """What to mark in a hit: phrases whole, words as jieba cut them; nothing under a NOT."""
    out: list[str] = []
    for leaf, negated in leaves(tree):
        if negated:
            continue
        out.extend([leaf.text] if isinstance(leaf, Phrase) else (leaf.words or [leaf.text]))
    return list(dict.fromkeys(out))
