"""The per-token rules behind :func:`soft_language_matrix` (see ``soft.py`` for the rules).

Rows are plain tuples of floats, memoised by a token's core text: a 262k vocabulary has
~200k distinct cores, so per-row numpy work would dominate the build time.
"""

from __future__ import annotations

import gzip
import importlib
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from babelscope.languages.attribution._codes import LanguageSpec
from babelscope.languages.attribution._scripts import (
    HAN,
    KANA,
    char_script,
    incomplete_tail,
    partial_char_script,
)

Row = tuple[float, ...]
"""One row of the soft matrix: ``L`` language probabilities then "other"."""


class RowScorer:
    """Applies the soft-attribution rules to one token at a time.

    ``score_text`` / ``score_partial`` return a row, or ``None`` meaning all mass on "other".
    """

    def __init__(
        self,
        specs: Sequence[LanguageSpec],
        *,
        other_weight: float,
        script_only_weight: float,
        decisive_scripts: frozenset[str],
        wordlist: str,
    ) -> None:
        import wordfreq
        from wordfreq.preprocess import preprocess_text

        self.specs = list(specs)
        self.other_weight = other_weight
        self.script_only_weight = script_only_weight
        self.decisive_scripts = decisive_scripts
        self._preprocess: Callable[[str, Any], str] = preprocess_text
        self._freqs: dict[str, Mapping[str, float]] = {}
        for spec in specs:
            if spec.wordfreq is not None and spec.wordfreq not in self._freqs:
                self._freqs[spec.wordfreq] = wordfreq.get_frequency_dict(spec.wordfreq, wordlist)
        self._memo: dict[str, Row | None] = {}
        self._candidates: dict[str, tuple[int, ...]] = {}

    def score_text(self, text: str) -> Row | None:
        """The row for a complete token text."""
        core = _core(text)
        if not core:
            return None
        if core in self._memo:
            return self._memo[core]
        row = self._score_core(core)
        self._memo[core] = row
        return row

    def score_partial(self, data: bytes) -> Row | None:
        """The row for a token that is not valid UTF-8 on its own."""
        text = data.decode("utf-8", errors="ignore")
        if _core(text):
            return self.score_text(text)
        tail = incomplete_tail(data)
        script = partial_char_script(tail) if tail else None
        return self._script_only(script) if script is not None else None

    def candidates(self, script: str) -> tuple[int, ...]:
        """Indices of the languages written in ``script``."""
        found = self._candidates.get(script)
        if found is None:
            found = tuple(j for j, spec in enumerate(self.specs) if script in spec.accepts)
            self._candidates[script] = found
        return found

    def _decisive(self, script: str, candidates: tuple[int, ...]) -> Row | None:
        if script in self.decisive_scripts and len(candidates) == 1:
            return tuple(1.0 if j == candidates[0] else 0.0 for j in range(len(self.specs) + 1))
        return None

    def _normalised(self, scores: list[float]) -> Row | None:
        language_total = sum(scores)
        if language_total <= 0.0:
            return None
        total = language_total + self.other_weight
        return (*(score / total for score in scores), self.other_weight / total)

    def _script_only(self, script: str) -> Row | None:
        candidates = self.candidates(script)
        if not candidates:
            return None
        decided = self._decisive(script, candidates)
        if decided is not None:
            return decided
        scores = [0.0] * len(self.specs)
        for j in candidates:
            scores[j] = self.script_only_weight
        return self._normalised(scores)

    def _score_core(self, core: str) -> Row | None:
        script = _token_script(core)
        if script is None:
            return None
        candidates = self.candidates(script)
        if not candidates:
            return None
        decided = self._decisive(script, candidates)
        if decided is not None:
            return decided
        scores = [0.0] * len(self.specs)
        for j in candidates:
            code = self.specs[j].wordfreq
            scores[j] = self.script_only_weight if code is None else self._frequency(core, code)
        return self._normalised(scores)

    def _frequency(self, core: str, code: str) -> float:
        key = self._preprocess(core, code)
        if code == "zh":
            key = key.translate(_simplified_map())
        return self._freqs[code].get(key, 0.0)


def _token_script(core: str) -> str | None:
    """The one script of a token's letters; kana with Han counts as kana; mixed -> ``None``."""
    scripts = {char_script(char) for char in core}
    scripts.discard(None)
    if KANA in scripts and scripts <= {KANA, HAN}:
        return KANA
    if len(scripts) != 1:
        return None
    return scripts.pop()


@cache
def _is_core_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LM"


def _core(text: str) -> str:
    """``text`` without leading/trailing characters that are neither letters nor marks."""
    start, end = 0, len(text)
    while start < end and not _is_core_char(text[start]):
        start += 1
    while end > start and not _is_core_char(text[end - 1]):
        end -= 1
    return text[start:end]


@cache
def _simplified_map() -> dict[int, str]:
    """wordfreq's Traditional -> Simplified character table (its zh list is Simplified).

    wordfreq's own ``simplify_chinese`` imports jieba, which is not a dependency, so the
    table is read directly; without it Traditional characters simply go unsimplified."""
    try:
        msgpack = importlib.import_module("msgpack")
        from wordfreq.util import data_path

        with gzip.open(data_path("_chinese_mapping.msgpack.gz")) as handle:
            table = msgpack.load(handle, raw=False, strict_map_key=False)
    except (ImportError, OSError, ValueError):
        return {}
    return {int(k): str(v) for k, v in table.items()}
