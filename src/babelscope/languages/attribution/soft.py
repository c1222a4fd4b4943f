"""Soft P(language | token) over a whole vocabulary, for attributing free-text predictions.

Prefix sets need a known answer word. For free text (what a layer's logit lens predicts in
general) every token instead gets a distribution over the studied languages plus "other":

1. Special tokens, and tokens without letters (punctuation, digits, whitespace, bare
   markers), go to "other". So do tokens mixing scripts or using a script no studied
   language writes.
2. A token's letters fix its script; only languages written in it are candidates (a Cyrillic
   token is never French; Han is Chinese or Japanese; kana is Japanese).
3. If the script belongs to a single language (kana, Hangul, Greek, Thai, …) and exactly one
   candidate writes it, that language gets everything.
4. Otherwise each candidate scores its wordfreq frequency of the token's core text (edges
   stripped of non-letters, normalised and case-folded the way wordfreq does for that
   language). Languages wordfreq lacks score ``script_only_weight`` instead, and "other"
   scores ``other_weight`` (both default 1e-7, Zipf 2: a common word of a language clearly
   beats "other", an unknown fragment does not). Scores are normalised to sum to 1; if no
   candidate scores anything the token is "other".
5. A token that ends in a partial UTF-8 character and has no letter before it is judged by
   the characters that byte prefix can still become (``\\xd0`` -> Cyrillic, ``\\xe4`` -> Han):
   rule 3, else script-only evidence for every candidate.

Rows are built once per (tokenizer, language list); see ``cache.py`` for the on-disk cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from babelscope.errors import ConfigError
from babelscope.languages.attribution._codes import language_spec
from babelscope.languages.attribution._scripts import KANA
from babelscope.languages.attribution._soft_rules import Row, RowScorer
from babelscope.languages.attribution.vocabulary import Vocabulary

SOFT_VERSION = "2"
"""Bump whenever the rules above change; it is part of the on-disk cache key.

2: letters come from the one script table in ``languages.scripts`` (Meetei Mayek and Buginese
became attributable; U+3006 〆 is Common, no longer Han)."""

OTHER = "other"
"""Name of the last column."""

SINGLE_LANGUAGE_SCRIPTS: frozenset[str] = frozenset(
    {
        KANA,
        "Hang",
        "Thai",
        "Grek",
        "Geor",
        "Armn",
        "Khmr",
        "Laoo",
        "Sinh",
        "Gujr",
        "Guru",
        "Orya",
        "Taml",
        "Telu",
        "Knda",
        "Mlym",
    }
)
"""Scripts written by essentially one language: a token in them needs no word evidence."""


@dataclass(frozen=True)
class SoftAttributionConfig:
    """Weights of the soft attribution rules (see the module docstring).

    Attributes:
        other_weight: pseudo-frequency of "other" for every letter token.
        script_only_weight: pseudo-frequency of a candidate language wordfreq does not know.
        wordlist: wordfreq list name (``"best"``, ``"large"``, ``"small"``).
        decisive_scripts: scripts for which rule 3 applies.
    """

    other_weight: float = 1e-7
    script_only_weight: float = 1e-7
    wordlist: str = "best"
    decisive_scripts: frozenset[str] = SINGLE_LANGUAGE_SCRIPTS

    def as_key(self) -> dict[str, object]:
        """A JSON-able description, for cache keys and manifests."""
        described = asdict(self)
        described["decisive_scripts"] = sorted(self.decisive_scripts)
        return described


@dataclass(frozen=True, eq=False)
class SoftAttribution:
    """P(language | token) for one vocabulary.

    Attributes:
        languages: the FLORES codes of the first ``L`` columns.
        matrix: ``[V, L+1]`` float32, rows sum to 1; column ``L`` is "other".
    """

    languages: tuple[str, ...]
    matrix: npt.NDArray[np.float32]

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names: the languages, then ``"other"``."""
        return (*self.languages, OTHER)

    def mass(self, probs: npt.NDArray[np.floating]) -> npt.NDArray[np.float32]:
        """Probability mass per language: ``[..., V]`` token probabilities -> ``[..., L+1]``.

        A model whose unembedding is wider than the tokenizer must pass a matrix built with
        ``n_rows`` equal to its width."""
        if probs.shape[-1] != self.matrix.shape[0]:
            raise ConfigError(
                f"probabilities cover {probs.shape[-1]} tokens, the attribution "
                f"{self.matrix.shape[0]}",
                fix="build the attribution with n_rows equal to the model's vocabulary size",
            )
        return np.asarray(probs @ self.matrix, dtype=np.float32)


def soft_language_matrix(
    vocab: Vocabulary,
    languages: Sequence[str],
    *,
    config: SoftAttributionConfig | None = None,
    n_rows: int | None = None,
) -> SoftAttribution:
    """Build the ``[n_rows, L+1]`` soft attribution of ``vocab`` over FLORES ``languages``.

    ``n_rows`` (default ``len(vocab)``) pads the matrix for models whose unembedding has more
    rows than the tokenizer has ids; padded rows are "other"."""
    config = config if config is not None else SoftAttributionConfig()
    specs = [language_spec(code) for code in languages]
    if len({spec.code for spec in specs}) != len(specs):
        raise ConfigError(f"duplicate languages in {list(languages)}", fix="list each once")
    rows = len(vocab) if n_rows is None else n_rows
    if rows < len(vocab):
        raise ConfigError(
            f"n_rows={rows} is smaller than the vocabulary ({len(vocab)})",
            fix="pass the model's unembedding size or leave n_rows unset",
        )
    scorer = RowScorer(
        specs,
        other_weight=config.other_weight,
        script_only_weight=config.script_only_weight,
        decisive_scripts=config.decisive_scripts,
        wordlist=config.wordlist,
    )
    special = vocab.special.tolist()
    complete = vocab.complete.tolist()
    ids: list[int] = []
    found: list[Row] = []
    for token_id, data in enumerate(vocab.data):
        if special[token_id]:
            continue
        if complete[token_id]:
            row = scorer.score_text(data.decode("utf-8"))
        else:
            row = scorer.score_partial(data)
        if row is not None:
            ids.append(token_id)
            found.append(row)
    matrix = np.zeros((rows, len(specs) + 1), dtype=np.float32)
    matrix[:, -1] = 1.0
    if ids:
        matrix[np.asarray(ids, dtype=np.int64)] = np.asarray(found, dtype=np.float32)
    return SoftAttribution(languages=tuple(spec.code for spec in specs), matrix=matrix)
