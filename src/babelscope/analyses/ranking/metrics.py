"""Per language × layer metrics against the pivot (with nulls and bootstrap intervals), and
identity versus meaning per layer.

Everything is computed one layer at a time from the store (:class:`StoreReader`), so memory
holds one layer's states of the pivot and of one language (plus the probe's sample and the
pivot's resampled Gram matrices, ``[B, N, N]``), however many languages a run has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from torch import Tensor

from babelscope.analyses.geometry import (
    baseline_adjusted_cosine,
    bidirectional_retrieval_accuracy,
    debiased_linear_cka,
    language_ranker_score,
    linear_cka,
    mexa_alignment,
    svcca,
)
from babelscope.analyses.geometry.resampling import percentile_interval
from babelscope.analyses.ranking.identity import language_id_probe
from babelscope.analyses.ranking.normalize import Transform, layer_transform
from babelscope.analyses.ranking.script import ROMAN_SUFFIX, script_rows
from babelscope.analyses.ranking.settings import METRICS, RAW_SUFFIX, RankSettings
from babelscope.analyses.ranking.uncertainty import Draw, PivotLayer, Resamples, language_layer
from babelscope.collect.reader import StoreReader
from babelscope.collect.spec import state_name

_DIRECT: dict[str, Callable[[Tensor, Tensor], float]] = {
    "ranker": language_ranker_score,
    "adjusted_cosine": baseline_adjusted_cosine,
    "mexa": mexa_alignment,
    "cka": linear_cka,
    "cka_debiased": debiased_linear_cka,
    "retrieval": bidirectional_retrieval_accuracy,
}


def pair_metrics(x: Tensor, y: Tensor, metric: str, *, svcca_keep: int) -> float:
    """One representation metric of ``y`` ``[N, D]`` against the pivot's ``x`` ``[N, D]``
    (the direct definition; :func:`compute_layer_tables` gets the same values from cached
    similarity and Gram matrices)."""
    if metric == "svcca":
        return svcca(x, y, keep=svcca_keep)
    if metric not in _DIRECT:
        raise ValueError(f"unknown metric {metric!r}")
    return _DIRECT[metric](x, y)


@dataclass
class LayerTables:
    """Tidy outputs of :func:`compute_layer_tables`."""

    metrics: pd.DataFrame  # language, layer, metric, value, null, lo, hi
    identity: pd.DataFrame  # layer, probe_accuracy, retrieval_accuracy, chance columns
    script: pd.DataFrame  # language, script, layer, pair, metric, value
    #: metric -> ``[languages, B]`` bootstrap replicates of the mean over the summary layers,
    #: rows in ``replicate_languages`` order (empty without summary layers or replicates).
    replicates: dict[str, np.ndarray] = field(default_factory=dict)
    replicate_languages: list[str] = field(default_factory=list)


METRIC_COLUMNS = ["language", "layer", "metric", "value", "null", "lo", "hi"]


def _layer_draws(
    reader: StoreReader,
    *,
    pivot: str,
    others: Sequence[str],
    transforms: dict[str, Transform],
    metric_poolings: dict[str, str],
    layer: int,
    keep: int,
    resamples: Resamples,
) -> dict[str, dict[str, Draw]]:
    """language -> metric -> :class:`Draw` at one layer under one normalisation."""
    states = {p: transforms[p](reader.get(pivot, state_name(p, layer))) for p in transforms}
    cache = PivotLayer.build(
        states, metric_poolings["cka"], keep, resamples, svcca_pooling=metric_poolings["svcca"]
    )
    out = {}
    for lang in others:
        mine = {p: transforms[p](reader.get(lang, state_name(p, layer))) for p in transforms}
        out[lang] = language_layer(cache, mine, metric_poolings, keep, resamples)
    return out


def compute_layer_tables(
    reader: StoreReader,
    languages: Sequence[str],
    pivot: str,
    layers: Sequence[int],
    settings: RankSettings,
    *,
    summary_layers: Sequence[int] = (),
    script_languages: Sequence[str] = (),
    scripts: dict[str, str] | None = None,
    on_layer: Callable[[int], None] | None = None,
) -> LayerTables:
    """Metrics of every language in ``languages`` (the pivot excluded) at every layer, each
    with its shuffled-pair null and 95 % bootstrap interval, under ``settings.normalization``;
    when that is not ``raw``, the raw values too (metric ``<name>_raw``).

    ``summary_layers``: the layers whose mean the bootstrap replicates are accumulated over
    (for the intervals of the summary). ``script_languages`` have a romanised group
    (``<code>@latn``) in the store; for them the script-barrier rows are computed too."""
    others = [lang for lang in languages if lang != pivot]
    everyone = [pivot, *others]
    n = reader.get(pivot, "n_tokens").shape[0]
    keep = settings.svcca_directions(n)
    probe_n = min(n, settings.probe_sentences)
    resamples = Resamples.draw(
        n, settings.bootstrap, settings.null_pairings, settings.resample_seed
    )
    plain = Resamples.draw(n, 0, settings.null_pairings, settings.resample_seed)
    metric_poolings = settings.metric_poolings()
    mode = settings.normalization
    metric_rows: list[dict[str, object]] = []
    identity_rows: list[dict[str, object]] = []
    script_out: list[dict[str, object]] = []
    sums = {m: np.zeros((len(others), resamples.replicates)) for m in (*METRICS, "retrieval")}
    counted = 0
    poolings = sorted({*metric_poolings.values(), settings.poolings["script"]})
    for layer in layers:
        variants = [(mode, resamples)] + ([("raw", plain)] if mode != "raw" else [])
        results: list[dict[str, dict[str, Draw]]] = []
        chosen: dict[str, Transform] = {}
        for variant, drawn in variants:
            transforms = {
                p: layer_transform(reader, variant, pivot, everyone, state_name(p, layer))
                for p in poolings
            }
            chosen = chosen or transforms
            results.append(
                _layer_draws(
                    reader,
                    pivot=pivot,
                    others=others,
                    transforms=transforms,
                    metric_poolings=metric_poolings,
                    layer=layer,
                    keep=keep,
                    resamples=drawn,
                )
            )
        draws, raw = results[0], (results[1] if len(results) > 1 else {})
        transforms = chosen
        in_summary = layer in summary_layers
        counted += int(in_summary)
        for index, lang in enumerate(others):
            for metric, draw in draws[lang].items():
                lo, hi = percentile_interval(draw.replicates.numpy(), settings.interval_level)
                metric_rows.append(
                    {
                        "language": lang,
                        "layer": layer,
                        "metric": metric,
                        "value": draw.value,
                        "null": draw.null,
                        "lo": float(lo),
                        "hi": float(hi),
                    }
                )
                if in_summary:
                    sums[metric][index] += draw.replicates.numpy()
            for metric, draw in raw.get(lang, {}).items():
                metric_rows.append(
                    {
                        "language": lang,
                        "layer": layer,
                        "metric": f"{metric}{RAW_SUFFIX}",
                        "value": draw.value,
                        "null": draw.null,
                        "lo": math_nan(),
                        "hi": math_nan(),
                    }
                )
        retrievals = [draws[lang]["retrieval"].value for lang in others]
        id_pooling = settings.poolings["identity"]
        probe_states = {
            lang: reader.get(lang, state_name(id_pooling, layer))[:probe_n] for lang in everyone
        }
        sp = settings.poolings["script"]
        for lang in [lang for lang in others if lang in script_languages]:
            name = state_name(sp, layer)
            roman = transforms[sp](reader.get(f"{lang}{ROMAN_SUFFIX}", name))
            native = transforms[sp](reader.get(lang, name))
            for row in script_rows(transforms[sp](reader.get(pivot, name)), native, roman):
                script_out.append(
                    {
                        "language": lang,
                        "script": (scripts or {}).get(lang, ""),
                        "layer": layer,
                        **row,
                    }
                )
        probe = math_nan()
        if len(probe_states) >= 2:
            probe = language_id_probe(
                probe_states,
                seed=settings.probe_seed,
                test_fraction=settings.probe_test_fraction,
                max_iter=settings.probe_max_iter,
            )
        identity_rows.append(
            {
                "layer": layer,
                "probe_accuracy": probe,
                "retrieval_accuracy": float(sum(retrievals) / len(retrievals))
                if retrievals
                else math_nan(),
                "probe_chance": 1.0 / len(probe_states),
                "retrieval_chance": 1.0 / n,
                "languages": len(probe_states),
                "probe_sentences": probe_n,
            }
        )
        if on_layer is not None:
            on_layer(layer)
    script_columns = ["language", "script", "layer", "pair", "metric", "value"]
    replicates = {m: v / counted for m, v in sums.items()} if counted else {}
    return LayerTables(
        metrics=pd.DataFrame(metric_rows, columns=METRIC_COLUMNS),
        identity=pd.DataFrame(identity_rows),
        script=pd.DataFrame(script_out, columns=script_columns),
        replicates=replicates,
        replicate_languages=list(others),
    )


def math_nan() -> float:
    return float("nan")
