"""Prefix token sets: which token ids count as "the model started writing this word".

Wendler et al. (2024) score a language at a layer by summing the probability of every token
that is a prefix of the expected word, with or without the word-boundary marker. This
module generalises that rule to any tokenizer by working on the bytes each token writes:

* a token counts when its surface (bytes after the boundary space) is a non-empty prefix of
  the word's UTF-8 bytes, with or without a leading boundary space;
* prefixes ending inside a multi-byte character count too (a byte-level token holding
  ``书``'s first two bytes), but a *bare lead byte* never touches a character: ``\xd0``/
  ``\xd1`` open most of the Cyrillic alphabet and ``\xe4``…``\xe9`` thousands of Han
  characters, so a byte-fallback ``<0xD0>`` or ``<0xE4>`` says nothing about the word;
* a prefix must touch at least ``min_prefix_chars`` characters unless it is the whole word.
  By default that is 1 only for **logographic** first letters — Han, and precomposed Hangul
  syllables (one block is a whole syllable, closer to a Han character than to a letter) — and
  2 for every alphabetic script: Latin, Cyrillic, Greek, Armenian, Georgian, Arabic, Hebrew,
  the Indic abugidas, Thai, Ethiopic, kana (a kana is one mora; single-kana tokens such as
  ``の`` are particles that carry grammar, not the word), Hangul jamo and any other script.
  A one-letter prefix ("b" for "book", "к" for "книга") is shared by dozens of words and
  languages and inflates whichever language the word belongs to (Wendler et al.'s rule).

The index is a dict from token bytes to ids, built once per vocabulary (~0.1 s for 262k
tokens); a query does two dict look-ups per byte of the word.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from babelscope.languages.attribution._bytes import utf8_char_starts, utf8_touch_ends
from babelscope.languages.attribution._scripts import char_script
from babelscope.languages.attribution.vocabulary import Vocabulary

ALPHABETIC_MIN_PREFIX_CHARS = 2
"""Default minimum prefix length, in characters, for words whose first letter is alphabetic
(every script but Han and Hangul syllables)."""

LATIN_MIN_PREFIX_CHARS = ALPHABETIC_MIN_PREFIX_CHARS
"""Kept for callers of the Latin-only rule; the rule now covers every alphabetic script."""

LOGOGRAPHIC_MIN_PREFIX_CHARS = 1
"""Default minimum prefix length for Han characters and Hangul syllables."""

DEFAULT_MIN_PREFIX_CHARS = LOGOGRAPHIC_MIN_PREFIX_CHARS
"""Kept for callers of the old name (the logographic minimum)."""

PREFIX_RULE_VERSION = 2
"""Bumped when the default rule changes (2: every alphabetic script needs 2 characters; bare
lead bytes never count). Recorded in run settings."""

_HANGUL_SYLLABLES = range(0xAC00, 0xD7A4)


def is_logographic(char: str) -> bool:
    """Han, or a precomposed Hangul syllable: one character already names a word-sized unit."""
    script = char_script(char)
    return script == "Hani" or (script == "Hang" and ord(char) in _HANGUL_SYLLABLES)


@dataclass(frozen=True)
class PrefixRule:
    """Which prefixes of a word count.

    Attributes:
        min_prefix_chars: minimum characters a non-whole-word prefix must touch; ``None``
            means 1 when the word's first letter is logographic (Han, Hangul syllable) and 2
            for every other script.
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
            if char_script(char) is not None:
                if is_logographic(char):
                    return LOGOGRAPHIC_MIN_PREFIX_CHARS
                return ALPHABETIC_MIN_PREFIX_CHARS
        return ALPHABETIC_MIN_PREFIX_CHARS


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
        touch_ends = utf8_touch_ends(encoded)
        touched = 0
        for end in range(1, len(encoded) + 1):
            touched += touch_ends.count(end)
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
