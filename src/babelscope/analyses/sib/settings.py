"""Settings of a SIB-200 run; every field lands in the run manifest."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from babelscope.capture.pooling import Pooling
from babelscope.errors import ConfigError

#: Linear protocols, in report order (the prompted ones are added by :data:`PROTOCOLS`).
LINEAR_PROTOCOLS = ("in_language", "in_language_full", "cross_lingual", "cross_lingual_full")
PROMPTED_PROTOCOLS = ("prompted", "prompted_norm", "prompted_calibrated")
PROTOCOLS = (*LINEAR_PROTOCOLS, *PROMPTED_PROTOCOLS)
PROTOCOL_LABELS = {
    "in_language": "in-language, 8 per label × 10 (MTEB)",
    "in_language_full": "in-language, all training sentences",
    "cross_lingual": "English → language, 8 per label × 10",
    "cross_lingual_full": "English → language, all training sentences",
    "prompted": "prompted k-shot (summed label log-prob)",
    "prompted_norm": "prompted k-shot (log-prob per label token)",
    "prompted_calibrated": "prompted k-shot, contextual calibration (Zhao et al. 2021)",
}
CHANCE = 1 / 7


@dataclass(frozen=True)
class SibSettings:
    """How :func:`~babelscope.analyses.sib.pipeline.run_sib` runs.

    ``split``: the evaluation split (``dev`` here; any split the data has, e.g. ``test``).
    ``train_per_label``: keep at most this many training sentences per label per language
    (stratified, seeded; ``None`` = all 701) — the compute knob. ``eval_sentences``: the
    first N rows of the evaluation split (``None`` = all; for smoke runs).
    ``prompted_sentences``: the first N evaluation sentences scored by the prompted
    protocol (``None`` = all; 0 = skip).
    ``shots``: labelled examples in the prompt (one per label in turn, from train, the same
    rows in every language). ``layer``: the headline layer; ``None`` picks it by
    cross-validation on the pivot's training states (never the evaluation split).
    """

    split: str = "dev"
    train_split: str = "train"
    pivot: str = "eng_Latn"
    pooling: Pooling = "weighted_mean"
    layers: tuple[int, ...] | None = None  # None: every layer 0..L
    train_per_label: int | None = None
    eval_sentences: int | None = None
    repeats: int = 10
    per_label: int = 8
    max_iter: int = 100
    seed: int = 0
    cv_folds: int = 5
    layer: int | None = None
    shots: int = 7
    prompted_sentences: int | None = None
    batch_size: int = 16
    max_batch_tokens: int = 4096
    shard_size: int = 64

    def __post_init__(self) -> None:
        if self.train_per_label is not None and self.train_per_label < self.per_label:
            raise ConfigError(
                f"--train-per-label {self.train_per_label} is below the {self.per_label} "
                "examples per label each repeat draws",
                fix=f"use --train-per-label {self.per_label} or more",
            )
        if self.repeats < 1 or self.per_label < 1 or self.max_iter < 1:
            raise ConfigError("repeats, per-label and max-iter must be ≥ 1", fix="use defaults")
        if self.eval_sentences is not None and self.eval_sentences < 1:
            raise ConfigError(f"--eval-sentences {self.eval_sentences}", fix="use 1 or more")
        if self.shots < 0 or (self.prompted_sentences or 0) < 0:
            raise ConfigError("--shots and --prompted-sentences must be ≥ 0", fix="use 0 or more")
        if self.shard_size < 1 or self.batch_size < 1:
            raise ConfigError("batch and shard sizes must be ≥ 1", fix="use the defaults")

    @property
    def prompted(self) -> bool:
        return self.prompted_sentences != 0

    def to_manifest(self) -> dict[str, Any]:
        data = asdict(self)
        data["layers"] = None if self.layers is None else list(self.layers)
        return data
