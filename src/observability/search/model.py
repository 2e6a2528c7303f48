"""The search query language: a safe subset of Lucene's query_string, parsed into a small AST.

Both backends translate the same AST, so a query means the same thing on OpenSearch and
on the embedded store scan. Grammar (precedence NOT > AND > OR; adjacent clauses AND):

    query   := or
    or      := and (("OR" | "||") and)*
    and     := unary (("AND" | "&&")? unary)*
    unary   := ("NOT" | "!" | "-") unary | "+"? primary
    primary := "(" or ")" | FIELD ":" value | value
    value   := '"' phrase '"' | WORD | WORD "*"

A bare value searches `event` (see `text.py` for the matching rules); `FIELD:value` is
an exact, case-sensitive match on a keyword field (`level` values are normalised like the
schema does), `attributes.<key>:value` an exact match on one free-form attribute. Leading
or inner wildcards, `?`, fuzzy `~`, boosts `^`, ranges `[a TO b]` and regexes are refused
with a message; so is a query over `MAX_CLAUSES` clauses or `MAX_DEPTH` parentheses.

Predictions are searched by field only (they have no free text): `model`,
`model_version`, `prediction_id`, ... and `features.<name>:value`, an exact match on a
feature's value as JSON writes it (`features.country:DE`, `features.amount:12.5`,
`features.returning:true`), the way OpenSearch's `flat_object` matches a leaf.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from observability.core.errors import ObservabilityError, StoreError
from observability.core.fields import Kind
from observability.search.text import is_word, tokens

MAX_QUERY_CHARS: Final = 1024
MAX_CLAUSES: Final = 32
MAX_DEPTH: Final = 8
#: Words of one phrase: the embedded backend's regex for 150 one-letter words is too large
#: for DuckDB's RE2 to compile; 32 keeps every phrase the query length allows compilable.
MAX_PHRASE_WORDS: Final = 32
#: A prefix shorter than this would expand to most of the terms dictionary.
MIN_PREFIX_CHARS: Final = 2

#: The analysed free-text field.
TEXT_FIELD: Final = "event"
#: Exact-match (keyword) fields a query may name; the index maps each as `keyword`.
KEYWORD_FIELDS: Final = frozenset(
    {
        "service",
        "level",
        "env",
        "logger",
        "trace_id",
        "span_id",
        "request_id",
        "host",
        "version",
        "record_id",
        "exception.type",
    }
)
ATTRIBUTE_PREFIX: Final = "attributes."
FEATURE_PREFIX: Final = "features."
_ATTRIBUTE_KEY: Final = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*")

#: Exact-match fields of prediction records.
PREDICTION_KEYWORD_FIELDS: Final = frozenset(
    {"model", "model_version", "prediction_id", "service", "env", "trace_id", "record_id"}
)
#: Per searchable kind: its exact-match fields and its free-form maps (`<map>.<key>:value`).
SEARCHABLE: Final = {
    Kind.LOG: (KEYWORD_FIELDS, (ATTRIBUTE_PREFIX,)),
    Kind.PREDICTION: (PREDICTION_KEYWORD_FIELDS, (FEATURE_PREFIX, ATTRIBUTE_PREFIX)),
}

LEVELS: Final = ("debug", "info", "warning", "error", "critical")
_LEVEL_ALIASES: Final = {
    **{level: level for level in LEVELS},
    "warn": "warning",
    "exception": "error",
    "fatal": "critical",
}


class SearchError(ObservabilityError):
    """A search that cannot run as asked: a refused query, a bad filter or cursor (HTTP 400)."""


class SearchBackendError(StoreError):
    """The backend could not answer: OpenSearch unreachable or failing, the engine failed.

    A StoreError (the documents' store is unavailable), so the service answers 503.
    """


# --- AST --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    """Tokens of `event`: one token (a term), several (a phrase), or a token prefix."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Exact:
    """`field` equals `value` (or starts with it, for `value*`) on a keyword field."""

    field: str
    value: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class And:
    """Every child matches."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """At least one child matches."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """The child does not match (a missing field counts as not matching)."""

    child: Node


@dataclass(frozen=True, slots=True)
class MatchAll:
    """The empty query."""


Node = Text | Exact | And | Or | Not | MatchAll


def normalize_level(value: str) -> str:
    """The schema's level name for a level or alias (`WARN` -> `warning`)."""
    level = _LEVEL_ALIASES.get(value.lower())
    if level is None:
        raise SearchError(f"unknown level {value!r}: expected one of {', '.join(LEVELS)}")
    return level


# --- Lexer ------------------------------------------------------------------------------

_OPERATORS: Final = {"AND": "AND", "&&": "AND", "OR": "OR", "||": "OR", "NOT": "NOT"}
_REFUSED: Final = {
    "?": "single-character wildcards (?) are not supported",
    "~": "fuzzy and proximity searches (~) are not supported",
    "^": "boosts (^) are not supported",
    "[": "ranges are not supported: use the since/until filters",
    "]": "ranges are not supported: use the since/until filters",
    "{": "ranges are not supported: use the since/until filters",
    "}": "ranges are not supported: use the since/until filters",
    "/": "regular expressions are not supported (quote text containing '/')",
    "\\": "escapes are not supported: quote the text instead",
}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", "AND", "OR", "NOT", "+", "WORD", "PHRASE"
    text: str
    position: int
    #: The field of a `field:"phrase"`.
    field: str | None = None


def _lex(query: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            out.append(_Token(ch, ch, i))
            i += 1
        elif ch == '"':
            end = _phrase_end(query, i)
            out.append(_Token("PHRASE", query[i + 1 : end], i))
            i = end + 1
        elif query.startswith(("&&", "||"), i):
            out.append(_Token(_OPERATORS[query[i : i + 2]], query[i : i + 2], i))
            i += 2
        elif ch in "!-+" and i + 1 < n and not query[i + 1].isspace():
            out.append(_Token("+" if ch == "+" else "NOT", ch, i))
            i += 1
        else:
            token, i = _lex_word(query, i)
            out.append(token)
    return out


def _phrase_end(query: str, start: int) -> int:
    end = query.find('"', start + 1)
    if end < 0:
        raise SearchError(f"unterminated phrase starting at character {start + 1}")
    return end


def _lex_word(query: str, start: int) -> tuple[_Token, int]:
    """A word, an operator, or `field:"a phrase"`; returns the token and where it ends."""
    i, n = start, len(query)
    while i < n and not query[i].isspace() and query[i] not in '()"':
        i += 1
    word = query[start:i]
    if word in _OPERATORS:
        return _Token(_OPERATORS[word], word, start), i
    if word.endswith(":") and i < n and query[i] == '"':
        end = _phrase_end(query, i)
        return _Token("PHRASE", query[i + 1 : end], start, word[:-1]), end + 1
    return _Token("WORD", word, start), i


# --- Parser -----------------------------------------------------------------------------


class _Parser:
    def __init__(self, query: str, kind: Kind) -> None:
        self.kind = kind
        self.tokens = _lex(query)
        self.at = 0
        self.depth = 0
        self.clauses = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            return MatchAll()
        node = self.or_()
        extra = self.peek()
        if extra is not None:
            raise SearchError(f"unexpected {extra.text!r} at character {extra.position + 1}")
        return node

    def or_(self) -> Node:
        children = [self.and_()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            children.append(self.and_())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_(self) -> Node:
        children = [self.unary()]
        while (token := self.peek()) is not None and token.kind not in ("OR", ")"):
            if token.kind == "AND":
                self.take()
            children.append(self.unary())
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self) -> Node:
        token = self.peek()
        if token is None:
            raise SearchError("the query ends where a term was expected")
        if token.kind == "NOT":
            self.take()
            return Not(self.unary())
        if token.kind == "+":
            self.take()
        return self.primary()

    def primary(self) -> Node:
        if self.peek() is None:
            raise SearchError("the query ends where a term was expected")
        token = self.take()
        if token.kind == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise SearchError(f"parentheses nest deeper than {MAX_DEPTH}")
            node = self.or_()
            close = self.peek()
            if close is None or close.kind != ")":
                raise SearchError(f"unclosed '(' at character {token.position + 1}")
            self.take()
            self.depth -= 1
            return node
        if token.kind in ("WORD", "PHRASE"):
            self.clauses += 1
            if self.clauses > MAX_CLAUSES:
                raise SearchError(f"the query has more than {MAX_CLAUSES} clauses")
            return _clause(token, self.kind)
        raise SearchError(f"unexpected {token.text!r} at character {token.position + 1}")


def _clause(token: _Token, kind: Kind) -> Node:
    where = f"at character {token.position + 1}"
    if token.kind == "PHRASE":
        field, text, phrase = token.field, token.text, True
    else:
        for ch in token.text:
            if ch in _REFUSED:
                raise SearchError(f"{_REFUSED[ch]} ({where})")
        head, colon, rest = token.text.partition(":")
        field, text, phrase = (head, rest, False) if colon else (None, token.text, False)
    keywords, maps = SEARCHABLE[kind]
    if field is not None and not _known_field(field, kind):
        text_field = f"{TEXT_FIELD}, " if kind is Kind.LOG else ""
        raise SearchError(
            f"unknown field {field!r} ({where}): search {text_field}"
            f"{', '.join(sorted(keywords))} or {' or '.join(m + '<key>' for m in maps)} "
            '(quote text that contains ":")'
        )
    if not text:
        raise SearchError(f"empty value ({where})")
    prefix = not phrase and text.endswith("*")
    body = text[:-1] if prefix else text
    if not phrase and ("*" in body or (prefix and not body)):
        first = "leading" if body.startswith("*") or not body else "inner"
        raise SearchError(f"{first} wildcards are not allowed, only a trailing * ({where})")
    if field is None or field == TEXT_FIELD:
        if kind is not Kind.LOG:
            raise SearchError(
                f"{kind.plural} have no free text ({where}): name a field, as in "
                "model:fraud or features.country:DE"
            )
        return _text(body, prefix, where)
    if field.startswith(maps) and prefix:
        raise SearchError(f"{field.split('.', 1)[0]} match exactly, without wildcards ({where})")
    if prefix and len(body) < MIN_PREFIX_CHARS:
        raise SearchError(f"a prefix needs at least {MIN_PREFIX_CHARS} characters ({where})")
    if field == "level":
        return Exact(field, body.lower() if prefix else normalize_level(body), prefix)
    return Exact(field, body, prefix)


def _known_field(field: str, kind: Kind) -> bool:
    keywords, maps = SEARCHABLE[kind]
    if field in keywords or (kind is Kind.LOG and field == TEXT_FIELD):
        return True
    for prefix in maps:
        key = field.removeprefix(prefix)
        if key != field:
            return _ATTRIBUTE_KEY.fullmatch(key) is not None
    return False


def _text(body: str, prefix: bool, where: str) -> Text:
    if prefix:
        word = body.lower()
        if not is_word(word):
            raise SearchError(f"a prefix is letters, digits and _ only ({where})")
        if len(word) < MIN_PREFIX_CHARS:
            raise SearchError(f"a prefix needs at least {MIN_PREFIX_CHARS} characters ({where})")
        return Text((word,), prefix=True)
    words = tokens(body)
    if not words:
        raise SearchError(f"{body!r} has no searchable characters ({where})")
    if len(words) > MAX_PHRASE_WORDS:
        raise SearchError(f"a phrase has at most {MAX_PHRASE_WORDS} words ({where})")
    return Text(tuple(words))


def parse_query(query: str, kind: Kind = Kind.LOG) -> Node:
    """The AST of a query over records of `kind`; SearchError with a readable message
    when refused."""
    if kind not in SEARCHABLE:
        raise SearchError(f"{kind.plural} are not searched: search logs or predictions")
    if len(query) > MAX_QUERY_CHARS:
        raise SearchError(f"the query is longer than {MAX_QUERY_CHARS} characters")
    return _Parser(query, kind).parse()
