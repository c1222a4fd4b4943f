"""Settings of a ranking run: which metrics, which pooling each uses, how layers are combined.

Every field lands in the run manifest; the subset that changes the stored states
(:meth:`RankSettings.forward_spec`) also keys the activation store.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from babelscope.capture.pooling import Pooling
from babelscope.collect.spec import ForwardSpec
from babelscope.errors import ConfigError

#: Representation metrics, in report order.
METRICS: tuple[str, ...] = ("ranker", "adjusted_cosine", "mexa", "cka", "cka_debiased", "svcca")

#: The metrics whose mean percentile is the overall score. Not the Language Ranker: its
#: last-token cosine measures the final token (on smollm2-135m a sentence whose translation
#: ends with "." like the English one scores 0.07 higher than one that does not, within the
#: same language — twice the spread between languages; docs/rank.md). Not the biased CKA:
#: at N ≪ D it is high for unrelated data; its debiased estimator replaces it.
COMPOSITE_METRICS: tuple[str, ...] = ("adjusted_cosine", "mexa", "cka_debiased", "svcca")

#: Suffix of the raw (un-normalised) variant of a metric when the run normalises states.
RAW_SUFFIX = "_raw"

#: Normalisations of the states before the metrics (see ``analyses/ranking/normalize.py``).
NORMALIZATIONS = ("raw", "pivot", "massive", "all")

#: Which pooling each metric reads. The Ranker uses the last token (Li et al. 2024); MEXA the
#: position-weighted mean (Kargaran et al. 2024, ``embd_weighted``); the others follow MEXA.
DEFAULT_POOLING: dict[str, Pooling] = {
    "ranker": "last",
    "adjusted_cosine": "weighted_mean",
    "mexa": "weighted_mean",
    "cka": "weighted_mean",
    "svcca": "weighted_mean",
    "identity": "weighted_mean",
    "script": "weighted_mean",
}

#: Higher is better for every representation metric.
METRIC_LABELS: dict[str, str] = {
    "ranker": "Language Ranker (last-token cosine)",
    "adjusted_cosine": "baseline-adjusted cosine",
    "mexa": "MEXA alignment",
    "cka": "linear CKA (biased)",
    "cka_debiased": "linear CKA (debiased)",
    "svcca": "SVCCA",
}


@dataclass(frozen=True)
class RankSettings:
    """How :func:`~babelscope.analyses.ranking.pipeline.rank` runs.

    ``summary_layers``: which layers the per-language summary averages — ``"blocks"`` (default:
    every block output 1..L, leaving out layer 0, the embeddings, which only reflect token
    overlap), ``"all"`` (0..L, as MEXA's mean over ``output_hidden_states``), ``"middle"``
    (the middle half of the blocks, where cross-lingual alignment peaks) or an explicit tuple.
    ``normalization``: how states are normalised before every metric (``normalize.py``):
    ``"pivot"`` (default) z-scores every dimension with the pivot's mean and spread at that
    layer and pooling, so a few massive dimensions no longer decide the cosines and a
    language's scores do not depend on the other languages in the run; ``"raw"`` is the
    papers' setting (its values are kept as ``<metric>_raw``); ``"massive"`` zeroes the
    massive dimensions; ``"all"`` z-scores over every language of the run (the old
    ``standardize=True``, which sets it). ``bootstrap``: replicates over sentences (0 = no
    intervals); ``null_pairings``: shuffled pairings averaged for each null; ``svcca_keep``:
    directions kept per side; ``None`` chooses ``min(20, (N - 1) // 4)`` so both kept
    subspaces fit well inside the N − 1 dimensions N centred sentences span.
    """

    pivot: str = "eng_Latn"
    sentences: int = 100
    split: str = "dev"
    layers: tuple[int, ...] | None = None  # None: all layers 0..L
    shard_size: int = 64
    batch_size: int = 16
    max_batch_tokens: int = 4096
    head_chunk: int = 128
    head_dtype: str = "float32"
    skip_bos: bool = True
    text_metrics: bool = True
    standardize: bool = False
    summary_layers: str | tuple[int, ...] = "blocks"
    script_barrier: bool = True
    romanizer: str = "anyascii"
    probe_sentences: int = 100
    probe_seed: int = 0
    probe_test_fraction: float = 0.25
    probe_max_iter: int = 100
    svcca_keep: int | None = None
    normalization: str = "pivot"
    bootstrap: int = 200
    null_pairings: int = 5
    resample_seed: int = 0
    interval_level: float = 0.95
    poolings: dict[str, Pooling] = field(default_factory=lambda: dict(DEFAULT_POOLING))

    def __post_init__(self) -> None:
        if self.sentences < 4:
            raise ConfigError(
                f"--sentences {self.sentences} is too few for retrieval and probes",
                fix="use at least 4 (50–100 is a good start)",
            )
        if self.shard_size < 1:
            raise ConfigError(f"shard size {self.shard_size}", fix="use ≥ 1 (default 64)")
        if self.batch_size < 1 or self.max_batch_tokens < 1 or self.head_chunk < 1:
            raise ConfigError("batch sizes must be ≥ 1", fix="use the defaults")
        if self.head_dtype not in ("float32", "bfloat16", "float16"):
            raise ConfigError(
                f"head dtype {self.head_dtype!r}", fix="use float32 (exact) or bfloat16 (fast)"
            )
        if self.standardize:  # the old flag: z-score over every language of the run
            object.__setattr__(self, "normalization", "all")
        if self.normalization not in NORMALIZATIONS:
            raise ConfigError(
                f"normalisation {self.normalization!r}",
                fix=f"use one of {', '.join(NORMALIZATIONS)}",
            )
        if self.bootstrap < 0 or self.null_pairings < 1:
            raise ConfigError(
                f"bootstrap {self.bootstrap} / null pairings {self.null_pairings}",
                fix="use bootstrap >= 0 (0 = no intervals) and null pairings >= 1",
            )
        if isinstance(self.summary_layers, str) and self.summary_layers not in (
            "blocks",
            "all",
            "middle",
        ):
            raise ConfigError(
                f"summary layers {self.summary_layers!r}",
                fix="use blocks, all, middle or a list of layer numbers",
            )

    def metric_poolings(self) -> dict[str, str]:
        """Metric -> pooling, for every metric the tables hold (debiased CKA reads CKA's
        states, retrieval the identity curve's)."""
        chosen = {m: str(self.poolings[m]) for m in METRICS if m in self.poolings}
        chosen["cka_debiased"] = chosen["cka"]
        chosen["retrieval"] = str(self.poolings["identity"])
        return chosen

    @property
    def normalised(self) -> bool:
        return self.normalization != "raw"

    def forward_spec(self, n_layers: int) -> ForwardSpec:
        layers = tuple(range(n_layers + 1)) if self.layers is None else tuple(self.layers)
        stored = tuple(sorted(set(self.poolings.values())))
        return ForwardSpec(
            layers=layers,
            poolings=stored,  # type: ignore[arg-type]
            batch_size=self.batch_size,
            max_batch_tokens=self.max_batch_tokens,
            skip_bos=self.skip_bos,
            head_chunk=self.head_chunk,
            head_dtype=self.head_dtype,
        )

    def summary_layer_list(self, layers: list[int], n_layers: int) -> list[int]:
        """The captured layers the per-language summary averages over."""
        if isinstance(self.summary_layers, tuple):
            chosen = [layer for layer in self.summary_layers if layer in layers]
        elif self.summary_layers == "all":
            chosen = list(layers)
        elif self.summary_layers == "middle":
            low, high = n_layers // 4, n_layers - n_layers // 4
            chosen = [layer for layer in layers if low < layer <= high]
        else:
            chosen = [layer for layer in layers if layer >= 1]
        if not chosen:
            raise ConfigError(
                f"no captured layer is among the summary layers {self.summary_layers!r}",
                fix="capture more layers or choose other summary layers",
            )
        return chosen

    def svcca_directions(self, n: int) -> int:
        return self.svcca_keep if self.svcca_keep is not None else max(1, min(20, (n - 1) // 4))

    def to_manifest(self) -> dict[str, Any]:
        data = asdict(self)
        data["summary_layers"] = (
            list(self.summary_layers)
            if isinstance(self.summary_layers, tuple)
            else self.summary_layers
        )
        data["layers"] = None if self.layers is None else list(self.layers)
        return data
