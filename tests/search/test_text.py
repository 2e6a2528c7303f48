"""Token rules of `event` and the SQL regexes built from them: they must agree exactly."""

from __future__ import annotations

import random
from collections.abc import Callable

import duckdb
import pytest

from observability.search.text import phrase_regex, prefix_regex, tokens

ALPHABET = "ab1_ .':,;-/é"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Upstream TIMEOUT.", ["upstream", "timeout"]),
        ("db.timeout exceeded", ["db.timeout", "exceeded"]),
        ("user's card", ["user's", "card"]),
        ("key user:42", ["key", "user", "42"]),
        ("1,000 items at 12:30", ["1,000", "items", "at", "12", "30"]),
        ("a..b and a.1", ["a", "b", "and", "a", "1"]),
        ("v1.2.3 retry_count", ["v1.2.3", "retry_count"]),
        ("Élan naïve café", ["élan", "naïve", "café"]),
        ("--- / ---", []),
    ],
)
def test_tokens_follow_the_documented_rules(text: str, expected: list[str]) -> None:
    """Word characters join; . ' : , ; join only between the classes the rules name."""
    assert tokens(text) == expected


def _corpus() -> list[str]:
    """Every text of up to 3 characters over the alphabet, and 3,000 longer random ones."""
    texts = ["", *ALPHABET]
    texts += [a + b for a in ALPHABET for b in ALPHABET]
    texts += [a + b + c for a in ALPHABET for b in ALPHABET for c in ALPHABET]
    rng = random.Random(4)
    texts += ["".join(rng.choices(ALPHABET, k=rng.randint(4, 14))) for _ in range(3000)]
    return texts


PROBES = [["a"], ["1"], ["ab"], ["a.b"], ["1,1"], ["a", "b"], ["1", "a"], ["b", "1"], ["é"]]


@pytest.fixture(scope="module")
def matches() -> Callable[[str], dict[str, bool]]:
    """Run one regex over the whole corpus in DuckDB (RE2, as the embedded backend does)."""
    duck = duckdb.connect()
    texts = _corpus()
    duck.execute("CREATE TABLE corpus AS SELECT unnest($1::VARCHAR[]) AS t", [texts])

    def run(pattern: str) -> dict[str, bool]:
        rows = duck.execute("SELECT t, regexp_matches(lower(t), $1) FROM corpus", [pattern])
        return {text: bool(hit) for text, hit in rows.fetchall()}

    return run


@pytest.mark.parametrize("words", PROBES, ids=" ".join)
def test_term_and_phrase_regexes_agree_with_the_tokenizer(
    matches: Callable[[str], dict[str, bool]], words: list[str]
) -> None:
    """A term or phrase regex matches a text exactly when its tokens occur consecutively."""
    n = len(words)
    for text, hit in matches(phrase_regex(words)).items():
        found = tokens(text)
        expected = any(found[i : i + n] == words for i in range(len(found) - n + 1))
        assert hit == expected, (text, words)


@pytest.mark.parametrize("prefix", ["a", "ab", "1", "_", "é"])
def test_prefix_regex_agrees_with_the_tokenizer(
    matches: Callable[[str], dict[str, bool]], prefix: str
) -> None:
    """A prefix regex matches a text exactly when one of its tokens starts with the prefix."""
    for text, hit in matches(prefix_regex(prefix)).items():
        expected = any(token.startswith(prefix) for token in tokens(text))
        assert hit == expected, (text, prefix)
