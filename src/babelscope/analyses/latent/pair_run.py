"""One measured (model, task, source, target) of the latent-language analysis and what its
curves mean.

Roles say what a curve means in its experiment, and a role is only pooled across experiments
where it means the same thing: ``target`` (the answer's language), ``copy`` (the source
language: its word is in the prompt, so its mass is first of all the model attending to the
query), ``English`` (only where English is neither source nor target — absent from the prompt),
``candidate`` (another ``--latent`` language, absent from the prompt), ``shared`` (tokens two or
more measured languages share) and ``other`` (the rest of the vocabulary).

Below :mod:`~babelscope.analyses.latent.result` (which pools runs into tables) and
:mod:`~babelscope.analyses.latent.persist` (which reads runs back from a folder), so neither
needs the other's module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from babelscope.analyses.latent.stats import Z95, LatentCall, call_latent

ENGLISH = "eng_Latn"
SHARED = "shared"
OTHER = "other"
KEYS = ["model", "task", "source", "target"]


@dataclass
class PairRun:
    """Everything measured for one model on one (task, source, target)."""

    model: str
    task: str
    source: str
    target: str
    languages: list[str]  # measured; languages[0] is the target
    layers: list[int]
    n_layers: int
    vocab_size: int
    mass: np.ndarray  # [N, L, M] lens probability on each language's own (unshared) tokens
    entropy_bits: np.ndarray  # [N, L]
    correct: np.ndarray  # [N] bool: final top-1 = first token of the target word (or synonym)
    prompt_ids: list[int]  # ids (into ``prompts``) of the kept prompts, aligned with N
    prompts: pd.DataFrame  # every prompt built for the pair, with its status for this model
    shared: np.ndarray | None = None  # [N, L] mass on tokens shared by measured languages
    other: np.ndarray | None = None  # [N, L] mass on every other token
    counts: dict[str, int] = field(default_factory=dict)  # n_shots_changed, n_dropped_shots

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.model, self.task, self.source, self.target)

    @property
    def candidates(self) -> list[str]:
        """Measured languages absent from the prompt: neither source nor target."""
        return [lang for lang in self.languages if lang not in (self.source, self.target)]

    @property
    def copy(self) -> str | None:
        return self.source if self.source != self.target else None

    def series(self, subset: str = "all") -> dict[str, np.ndarray]:
        """Name -> ``[n, L]`` per-prompt masses: each language, ``shared`` and ``other``."""
        rows = self.correct.astype(bool) if subset == "correct" else slice(None)
        shared = self.shared if self.shared is not None else np.zeros(self.mass.shape[:2])
        other = self.other if self.other is not None else 1 - self.mass.sum(-1) - shared
        out = {lang: self.mass[rows, :, m] for m, lang in enumerate(self.languages)}
        out[SHARED], out[OTHER] = shared[rows], other[rows]
        return out

    def means(self, subset: str = "all") -> dict[str, np.ndarray]:
        return {name: v.mean(0) for name, v in self.series(subset).items()}

    def call(self) -> LatentCall:
        stats = {name: prompt_intervals(v) for name, v in self.series().items()}
        return call_latent(
            self.layers,
            {name: s[0] for name, s in stats.items()},
            {name: s[1] for name, s in stats.items()},
            target=self.target,
            candidates=self.candidates,
            n_layers=self.n_layers,
            copy=self.copy,
        )


def role(language: str, run: PairRun) -> str:
    """What ``language``'s curve means in ``run`` (see the module docstring). Source is tested
    before English: in eng→yor the English curve is the copied query, not a latent English."""
    if language in (SHARED, OTHER):
        return language
    if language == run.target:
        return "target"
    if language == run.source:
        return "copy"
    if language == ENGLISH:
        return "English"
    return "candidate"


def prompt_intervals(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Per-layer mean and normal 95% interval over prompts of ``values[n, L]``."""
    n = values.shape[0]
    mean = values.mean(0) if n else np.full(values.shape[1], math.nan)
    if n < 2:
        return mean, mean, mean, n
    half = Z95 * values.std(0, ddof=1) / math.sqrt(n)
    return mean, mean - half, mean + half, n
