"""Prefix token sets: which token ids count as "the model started writing this word".

Wendler et al. (2024) score a language at a layer by summing the probability of every token
that is a prefix of the expected word, with or without the word-boundary marker. This
module generalises that rule to any tokenizer by working on the bytes each token writes:

* a token counts when its surface (bytes after the boundary space) is a non-empty prefix of
  the word's UTF-8 bytes, with or without a leading boundary space;
* prefixes ending inside a multi-byte character count too (byte-fallback ``<0xE4>``, or a
  byte-level token holding half a character), so Chinese in a byte-split vocabulary still
  gets its first-byte token;
* a prefix must touch at least ``min_prefix_chars`` characters unless it is the whole word.
  By default that is 2 when the word's first letter is Latin and 1 otherwise: a one-letter
  Latin prefix ("b" for "book") is shared by dozens of languages and inflates whichever
  language the word belongs to, while one Han character or one kana already says a lot.
  A partial character counts as touching that character.

The index is a dict from token bytes to ids, built once per vocabulary (~0.1 s for 262k
tokens); a query does two dict look-ups per byte of the word.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from babelscope.languages.attribution._bytes import utf8_char_starts
from babelscope.languages.attribution._scripts import char_script
from babelscope.languages.attribution.vocabulary import Vocabulary

LATIN_MIN_PREFIX_CHARS = 2
"""Default minimum prefix length, in characters, for words whose first letter is Latin."""

DEFAULT_MIN_PREFIX_CHARS = 1
"""Default minimum prefix length for every other script."""


@dataclass(frozen=True)
class PrefixRule:
    """Which prefixes of a word count.

    Attributes:
        min_prefix_chars: minimum characters a non-whole-word prefix must touch; ``None``
            means 2 for Latin-script words and 1 otherwise.
        case_variants: also match the lower-cased and the capitalised word.
        with_boundary: match tokens that start a word (``▁li``, ``Ġli``, ``" li"``).
        without_boundary: match tokens that continue a word (``li``).
        partial_bytes: match tokens that end inside a multi-byte character.
    """

    min_prefix_chars: int | None = None
    case_variants: bool = False
    with_boundary: bool = True
    without_boundary: bool = True
    partial_bytes: bool = True

    def min_chars_for(self, word: str) -> int:
        """The minimum prefix length, in characters, that applies to ``word``."""
        if self.min_prefix_chars is not None:
            return self.min_prefix_chars
        for char in word:
            script = char_script(char)
            if script is not None:
                return LATIN_MIN_PREFIX_CHARS if script == "Latn" else DEFAULT_MIN_PREFIX_CHARS
        return DEFAULT_MIN_PREFIX_CHARS


@dataclass(frozen=True)
class PrefixMatch:
    """One token that matched one prefix of a word.

    Attributes:
        token_id: the matching token.
        prefix: the word's UTF-8 prefix the token writes (without boundary space).
        boundary: the token carries a word-boundary marker.
        whole_word: the prefix is the entire word.
        partial: the prefix ends inside a multi-byte character.
    """

    token_id: int
    prefix: bytes
    boundary: bool
    whole_word: bool
    partial: bool


class PrefixIndex:
    """Token bytes -> ids for one vocabulary, answering prefix-set queries.

    Special tokens and tokens with an empty surface (a bare ``▁``/``Ġ``) are not indexed.
    """

    def __init__(self, vocab: Vocabulary, rule: PrefixRule | None = None) -> None:
        self.vocab = vocab
        self.rule = rule if rule is not None else PrefixRule()
        index: dict[bytes, list[int]] = {}
        special = vocab.special.tolist()
        boundary = vocab.boundary.tolist()
        for token_id, data in enumerate(vocab.data):
            if special[token_id] or len(data) <= int(boundary[token_id]):
                continue
            index.setdefault(data, []).append(token_id)
        self._index = index

    def matches(self, word: str, *, rule: PrefixRule | None = None) -> list[PrefixMatch]:
        """Every token matching a prefix of ``word`` (or its case variants), shortest first."""
        rule = rule if rule is not None else self.rule
        found: dict[int, PrefixMatch] = {}
        for variant in _variants(word, rule.case_variants):
            for match in self._variant_matches(variant, rule):
                found.setdefault(match.token_id, match)
        return sorted(found.values(), key=lambda m: (len(m.prefix), m.boundary, m.token_id))

    def ids(self, words: str | Iterable[str], *, rule: PrefixRule | None = None) -> frozenset[int]:
        """Union of the prefix token ids of one word or of several synonyms."""
        if isinstance(words, str):
            words = (words,)
        result: set[int] = set()
        for word in words:
            result.update(m.token_id for m in self.matches(word, rule=rule))
        return frozenset(result)

    def _variant_matches(self, word: str, rule: PrefixRule) -> Iterable[PrefixMatch]:
        encoded = word.encode("utf-8")
        starts = utf8_char_starts(encoded)
        start_set = set(starts)
        min_chars = rule.min_chars_for(word)
        touched = 0
        for end in range(1, len(encoded) + 1):
            if end - 1 in start_set:
                touched += 1
            whole = end == len(encoded)
            partial = not whole and end not in start_set
            if (partial and not rule.partial_bytes) or (not whole and touched < min_chars):
                continue
            prefix = encoded[:end]
            if rule.without_boundary:
                for token_id in self._index.get(prefix, ()):
                    yield PrefixMatch(token_id, prefix, False, whole, partial)
            if rule.with_boundary:
                for token_id in self._index.get(b" " + prefix, ()):
                    yield PrefixMatch(token_id, prefix, True, whole, partial)


def _variants(word: str, case_variants: bool) -> list[str]:
    """The NFC-normalised, stripped word, plus its lower-case and capitalised forms."""
    base = unicodedata.normalize("NFC", word).strip()
    if not base:
        return []
    variants = [base]
    if case_variants:
        for variant in (base.lower(), base[:1].upper() + base[1:]):
            if variant not in variants:
                variants.append(variant)
    return variants
