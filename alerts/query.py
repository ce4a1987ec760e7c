"""What a subscription searches for: keyword phrases and full-text queries.

A *term* is a phrase, optionally limited to fields: ``transformation publique``
(title, employer, organisation, domain, missions or profile), ``title:design de
services`` (title only). Its words must follow each other, after folding (see
:mod:`storage.french`).

A *query* combines terms: ``transformation AND (publique OR numérique) NOT
stage``; words side by side are ANDed; ``"…"`` is a phrase; ``-word`` and
``NOT word`` exclude; ``field:word`` and ``field:"a phrase"`` limit to a
field. ET / OU / SAUF work like AND / OR / NOT. Operators are upper case, so
the words "et" and "ou" stay words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from storage.french import tokens

# Searched when a term names no field: what the offer is about, not where.
DEFAULT_FIELDS = ("title", "employer", "organisation", "domain", "missions", "profile")
FIELDS = (*DEFAULT_FIELDS, "location", "contract")
_FIELD_PREFIX = re.compile(r"^\s*([A-Za-z_]+)\s*:\s*(?=\S)(.*)$", re.S)


class Evaluator(Protocol):
    """What a query needs from the offers it runs on (see matching.OfferIndex)."""

    everything: int

    def term_bits(self, term: Term) -> int: ...


@dataclass(frozen=True)
class Term:
    """A phrase of match keys, searched in ``fields``; ``text`` as the user wrote it."""

    text: str
    words: tuple[str, ...]
    fields: tuple[str, ...] = DEFAULT_FIELDS

    def bits(self, index: Evaluator) -> int:
        return index.term_bits(self)

    def terms(self) -> list[Term]:
        return [self]

    @property
    def label(self) -> str:
        """The phrase without its field prefix or quotes."""
        match = _FIELD_PREFIX.match(self.text)
        text = match.group(2) if match and match.group(1).lower() in FIELDS else self.text
        return text.strip().strip('"')

    def __str__(self) -> str:
        return self.text


@lru_cache(maxsize=65536)
def parse_term(text: str, fields: tuple[str, ...] | None = None) -> Term:
    """``"title:chargé de mission"`` -> a Term on the title; ValueError worded for the user."""
    raw = text.strip()
    match = _FIELD_PREFIX.match(raw)
    if match and fields is None:
        name = match.group(1).lower()
        if name not in FIELDS:
            raise ValueError(f"unknown field {name!r} in {raw!r}; fields: {', '.join(FIELDS)}")
        fields, raw = (name,), match.group(2).strip()
    words = tuple(tokens(raw))
    if not words:
        raise ValueError(f"{text.strip()!r} has no word to search for")
    return Term(text.strip(), words, fields or DEFAULT_FIELDS)


@dataclass(frozen=True)
class And:
    parts: tuple

    def bits(self, index: Evaluator) -> int:
        result = index.everything
        for part in self.parts:
            result &= part.bits(index)
            if not result:
                break
        return result

    def terms(self) -> list[Term]:
        return [term for part in self.parts for term in part.terms()]


@dataclass(frozen=True)
class Or:
    parts: tuple

    def bits(self, index: Evaluator) -> int:
        result = 0
        for part in self.parts:
            result |= part.bits(index)
        return result

    def terms(self) -> list[Term]:
        return [term for part in self.parts for term in part.terms()]


@dataclass(frozen=True)
class Not:
    part: object

    def bits(self, index: Evaluator) -> int:
        return index.everything & ~self.part.bits(index)

    def terms(self) -> list[Term]:
        return []  # an excluded word is never a reason to match


_QUERY_TOKEN = re.compile(
    r"""\s*(?:(?P<open>\()|(?P<close>\))|(?P<field>[A-Za-z_]+):(?=["\w])|"(?P<phrase>[^"]*)"|(?P<minus>-)(?=["(\w])|(?P<word>[^\s()"]+))"""
)
_AND, _OR, _NOT = {"AND", "ET"}, {"OR", "OU"}, {"NOT", "SAUF"}


def _lex(text: str) -> list[tuple[str, str]]:
    items, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _QUERY_TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ValueError(f"cannot read the query from {text[position:].strip()[:20]!r} on (unbalanced quote?)")
        position = match.end()
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "word" and value in _AND | _OR | _NOT:
            kind = value if value in ("AND", "OR", "NOT") else {"ET": "AND", "OU": "OR", "SAUF": "NOT"}[value]
        items.append((kind, value))
    return items


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.items = _lex(text)
        self.position = 0

    def peek(self) -> str | None:
        return self.items[self.position][0] if self.position < len(self.items) else None

    def take(self) -> tuple[str, str]:
        item = self.items[self.position]
        self.position += 1
        return item

    def parse(self):
        if not self.items:
            raise ValueError("the query is empty")
        node = self.disjunction()
        if self.peek() is not None:
            raise ValueError(f"unexpected {self.items[self.position][1]!r} in the query")
        return node

    def disjunction(self):
        parts = [self.conjunction()]
        while self.peek() == "OR":
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def conjunction(self):
        parts = [self.unary()]
        while self.peek() not in (None, "OR", "close"):
            if self.peek() == "AND":
                self.take()
            parts.append(self.unary())
        parts = [part for part in parts if part is not None]
        if not parts:
            raise ValueError(f"the query {self.text!r} has no word to search for")
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self):
        if self.peek() in ("NOT", "minus"):
            self.take()
            part = self.unary()
            return Not(part) if part is not None else None
        return self.atom()

    def atom(self):
        kind = self.peek()
        if kind is None:
            raise ValueError("the query ends where a word was expected")
        if kind == "open":
            self.take()
            node = self.disjunction()
            if self.peek() != "close":
                raise ValueError("a '(' is not closed in the query")
            self.take()
            return node
        fields = None
        if kind == "field":
            name = self.take()[1].lower()
            if name not in FIELDS:
                raise ValueError(f"unknown field {name!r} in the query; fields: {', '.join(FIELDS)}")
            fields = (name,)
            kind = self.peek()
        if kind in ("word", "phrase"):
            value = self.take()[1]
            if kind == "word" and not tokens(value):
                return None  # "de", "la": ignored like in a phrase
            term = parse_term(value, fields or DEFAULT_FIELDS)
            prefix = f"{fields[0]}:" if fields else ""
            shown = f'{prefix}"{value}"' if kind == "phrase" else f"{prefix}{value}"
            return Term(shown, term.words, term.fields)
        raise ValueError(
            f"unexpected {self.items[self.position][1] if self.position < len(self.items) else 'end'!r} in the query"
        )


# -- narrowing a search with SQLite's full-text index ------------------------------------------


def _fts_prefix(key: str) -> str | None:
    """A prefix of every word whose match key is ``key``, as the full-text index holds words
    (lower case, accents off, ligatures kept): the key without the letters the stemmer may have
    changed ("territoriaux" -> "territorial") and cut before a spelt-out ligature ("oeuvr" may be
    "œuvre"). None when too little is left to narrow anything."""
    prefix = key[:-1] if key.endswith("l") and len(key) > 3 else key
    for ligature in ("oe", "ae"):
        if ligature in prefix:
            prefix = prefix[: prefix.index(ligature)]
    return prefix if len(prefix) >= 2 else None


def query_fields(node) -> set[str]:
    """Every field the query reads, excluded words included."""
    if isinstance(node, Term):
        return set(node.fields)
    if isinstance(node, Not):
        return query_fields(node.part)
    return set().union(*(query_fields(part) for part in node.parts))


def fts_query(node, columns: tuple[str, ...]) -> str | None:
    """An FTS5 expression matching every offer the query may match (more, never fewer), for the
    index's ``columns``; None when it cannot narrow the search (a NOT alone, a field the index
    lacks). The query itself then decides, with the same code as subscriptions."""
    if isinstance(node, Term):
        if not set(node.fields) <= set(columns):
            return None
        prefixes = [prefix for prefix in dict.fromkeys(map(_fts_prefix, node.words)) if prefix]
        if not prefixes:
            return None
        words = " AND ".join(f'"{prefix}"*' for prefix in prefixes)
        return f"{{{' '.join(node.fields)}}} : ({words})"
    if isinstance(node, And):
        parts = [part for part in (fts_query(child, columns) for child in node.parts) if part]
        return " AND ".join(f"({part})" for part in parts) if parts else None
    if isinstance(node, Or):
        parts = [fts_query(child, columns) for child in node.parts]
        return None if None in parts else " OR ".join(f"({part})" for part in parts)
    return None  # Not: everything but ... cannot be narrowed


@lru_cache(maxsize=4096)
def parse_query(text: str):
    """A query's tree of Term/And/Or/Not; ValueError worded for the user.

    Cached, like parse_term: subscriptions sharing a phrase share its Term, which
    the offer index then evaluates once.
    """
    return _Parser(text).parse()
