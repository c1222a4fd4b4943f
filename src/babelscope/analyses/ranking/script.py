"""Script barrier (after TransliCo, Liu et al. 2024): the same sentences in their native script
and romanised, each compared with the pivot and with each other.

If a language's romanised sentences align with English better than its native ones, part of
its low score is the script (tokenisation, unseen characters) rather than the language.
Romanisation uses ``anyascii`` (always available) or ICU's ``Any-Latin; Latin-ASCII``
transliterator when PyICU is installed and asked for.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from babelscope.analyses.geometry import (
    baseline_adjusted_cosine,
    bidirectional_retrieval_accuracy,
    mexa_alignment,
)
from babelscope.errors import ConfigError

ROMAN_SUFFIX = "@latn"
ROMANIZERS = ("anyascii", "icu")
SCRIPT_METRICS = ("mexa", "adjusted_cosine", "retrieval")
PAIRS = ("native-pivot", "roman-pivot", "native-roman")


def code_script(code: str) -> str:
    """The ISO 15924 script of a FLORES code (``rus_Cyrl`` → ``Cyrl``), via the registry when
    it knows the code, else the code's suffix."""
    try:
        from babelscope.languages.registry import get_language

        return get_language(code).script
    except Exception:
        return code.rpartition("_")[2] or "Zyyy"


def needs_romanising(code: str) -> bool:
    """Languages written in a script other than Latin get a romanised twin."""
    return code_script(code) != "Latn"


def romanize(texts: Sequence[str], method: str = "anyascii") -> list[str]:
    """Romanise every text (ASCII output). Raises when ``method`` is unavailable."""
    if method == "anyascii":
        from anyascii import anyascii

        return [" ".join(anyascii(text).split()) for text in texts]
    if method == "icu":
        import importlib

        try:
            icu = importlib.import_module("icu")
        except ImportError as exc:
            raise ConfigError(
                "ICU romanisation needs PyICU", fix="pip install PyICU, or use --romanizer anyascii"
            ) from exc
        transliterator = icu.Transliterator.createInstance("Any-Latin; Latin-ASCII")
        return [" ".join(str(transliterator.transliterate(text)).split()) for text in texts]
    raise ConfigError(f"unknown romanizer {method!r}", fix=f"use one of {', '.join(ROMANIZERS)}")


def script_rows(
    pivot: torch.Tensor, native: torch.Tensor, roman: torch.Tensor
) -> list[dict[str, object]]:
    """Alignment of native↔pivot, romanised↔pivot and native↔romanised, ``[N, D]`` each.

    Returns rows ``{"pair", "metric", "value"}`` for MEXA, baseline-adjusted cosine and
    bidirectional retrieval."""
    rows: list[dict[str, object]] = []
    for pair, (a, b) in zip(PAIRS, ((pivot, native), (pivot, roman), (native, roman)), strict=True):
        rows.append({"pair": pair, "metric": "mexa", "value": mexa_alignment(a, b)})
        rows.append(
            {"pair": pair, "metric": "adjusted_cosine", "value": baseline_adjusted_cosine(a, b)}
        )
        rows.append(
            {"pair": pair, "metric": "retrieval", "value": bidirectional_retrieval_accuracy(a, b)}
        )
    return rows
