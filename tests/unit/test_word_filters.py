"""Cognate/loan filters with known answers."""

from __future__ import annotations

import pytest

from babelscope.data.word_filters import cognate_reason, normalise, shared_prefix, skeleton


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Ajá", "aja"),
        ("банан", "banan"),
        ("バナナ", "banana"),
        ("i-seal", "iseal"),
        ("Œuf", "oeuf"),
    ],
)
def test_normalise(word: str, expected: str) -> None:
    assert normalise(word) == expected


def test_skeleton_and_prefix() -> None:
    assert skeleton("purinsu") == "prns" and skeleton("prince") == "prnk"
    assert shared_prefix("tomato", "tomate") == 5 and shared_prefix("dog", "hund") == 0


@pytest.mark.parametrize(
    ("english", "word", "reason"),
    [
        ("tomato", "tomate", "prefix"),  # cognate: shared prefix "tomat"
        ("banana", "банан", "prefix"),  # loan in another script
        ("ox", "o", "prefix"),  # prefix as long as the shorter word
        ("seal", "i-seal", "contains"),  # Zulu loan with a class prefix
        ("banana", "ubhanana", "similar"),  # first letter moved
        ("banana", "panana", "similar"),
        ("prince", "プリンス", "skeleton"),  # katakana loan with epenthetic vowels
        ("dog", "Hund", None),  # not cognate
        ("cat", "chat", None),  # short words are not compared by similarity
        ("horse", "马", None),
        ("mouse", "Maus", None),  # shares only "m"
        ("dog", "!?", "unreadable"),  # nothing left to compare
    ],
)
def test_cognate_reason(english: str, word: str, reason: str | None) -> None:
    assert cognate_reason(english, word) == reason
