"""Shared fixtures for the ranking tests: a tiny saved model and a synthetic FLORES folder.

The sentences are generated here (never FLORES text): English-like word sequences, two
word-for-word "translations" through fixed ciphers, one unrelated language, and a Cyrillic
transliteration of the English so that the script barrier has a non-Latin language whose
romanisation is close to the pivot.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tiny_models import build_tiny, tiny_tokenizer

WORDS = [
    *("the", "cat", "dog", "sat", "ran", "on", "a", "mat", "by", "house", "river", "tree"),
    *("big", "small", "red", "blue", "old", "new", "city", "man", "woman", "child", "ate"),
    *("drank", "saw", "water", "bread", "book", "road", "car", "far", "near"),
]
_CYRILLIC = dict(
    zip(
        "abcdefghijklmnopqrstuvwxyz",
        "абцдефгхийклмнопярстуввхыз",
        strict=True,
    )
)
LANGUAGES = ("eng_Latn", "fra_Latn", "deu_Latn", "spa_Latn", "rus_Cyrl")


def _cipher(word: str, shift: int) -> str:
    return "".join(chr((ord(c) - 97 + shift) % 26 + 97) for c in word)


def synthetic_corpus(n: int, seed: int = 0) -> dict[str, list[str]]:
    """``n`` parallel synthetic sentences per language of :data:`LANGUAGES`."""
    rng = random.Random(seed)
    english = [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))).capitalize() + "."
        for _ in range(n)
    ]
    other = random.Random(seed + 1)
    unrelated = [
        " ".join(other.choice(WORDS)[::-1] for _ in range(other.randint(3, 9))) + "."
        for _ in range(n)
    ]

    def translate(shift: int) -> list[str]:
        return [
            " ".join(_cipher(w.lower().strip("."), shift) for w in s.split()) + "." for s in english
        ]

    return {
        "eng_Latn": english,
        "fra_Latn": translate(1),
        "deu_Latn": translate(3),
        "spa_Latn": unrelated,
        "rus_Cyrl": ["".join(_CYRILLIC.get(c, c) for c in s.lower()) for s in english],
    }


def write_flores(root: Path, n: int, split: str = "dev", seed: int = 0) -> Path:
    """A FLORES-layout folder ``root/flores200_dataset/<split>/<code>.<split>``."""
    folder = root / "flores200_dataset" / split
    folder.mkdir(parents=True, exist_ok=True)
    for code, lines in synthetic_corpus(n, seed).items():
        (folder / f"{code}.{split}").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root / "flores200_dataset"


def save_tiny_model(root: Path, family: str = "llama") -> Path:
    """A tiny random model and its tokenizer saved as a local HF folder."""
    model = build_tiny(family)
    folder = root / f"tiny-{family}"
    model.save_pretrained(folder)
    tiny_tokenizer().save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="session")
def flores_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_flores(tmp_path_factory.mktemp("flores"), 24)


def test_synthetic_corpus_is_parallel_and_not_flores() -> None:
    corpus = synthetic_corpus(10)
    assert {len(v) for v in corpus.values()} == {10}
    assert corpus["fra_Latn"][0] != corpus["eng_Latn"][0]
    assert all(set(s) <= {*_CYRILLIC.values(), " ", "."} for s in corpus["rus_Cyrl"])
