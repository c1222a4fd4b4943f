"""Per language × layer metrics against the pivot, and identity versus meaning per layer.

Everything is computed one layer at a time from the store (:class:`StoreReader`), so memory
holds one layer's states of the pivot and of one language (plus the probe's sample), however
many sentences and languages a run has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import torch

from babelscope.analyses.geometry import (
    baseline_adjusted_cosine,
    bidirectional_retrieval_accuracy,
    language_ranker_score,
    linear_cka,
    mexa_alignment,
    svcca,
)
from babelscope.analyses.ranking.collect import StoreReader
from babelscope.analyses.ranking.forward import state_name
from babelscope.analyses.ranking.identity import language_id_probe
from babelscope.analyses.ranking.script import ROMAN_SUFFIX, script_rows
from babelscope.analyses.ranking.settings import METRICS, RankSettings

Transform = Callable[[torch.Tensor], torch.Tensor]


def pair_metrics(x: torch.Tensor, y: torch.Tensor, metric: str, *, svcca_keep: int) -> float:
    """One representation metric of ``y`` ``[N, D]`` against the pivot's ``x`` ``[N, D]``."""
    if metric == "ranker":
        return language_ranker_score(x, y)
    if metric == "adjusted_cosine":
        return baseline_adjusted_cosine(x, y)
    if metric == "mexa":
        return mexa_alignment(x, y)
    if metric == "cka":
        return linear_cka(x, y)
    if metric == "svcca":
        return svcca(x, y, keep=svcca_keep)
    if metric == "retrieval":
        return bidirectional_retrieval_accuracy(x, y)
    raise ValueError(f"unknown metric {metric!r}")


@dataclass
class LayerTables:
    """Tidy outputs of :func:`compute_layer_tables`."""

    metrics: pd.DataFrame  # language, layer, metric, value
    identity: pd.DataFrame  # layer, probe_accuracy, retrieval_accuracy, chance columns
    script: pd.DataFrame  # language, script, layer, pair, metric, value


def _standardizer(reader: StoreReader, groups: Sequence[str], name: str) -> Transform:
    """Z-score with the mean and spread of ``name`` over all ``groups`` (streamed, float64)."""
    count, total, squares = 0, None, None
    for group in groups:
        states = reader.get(group, name).double()
        count += states.shape[0]
        total = states.sum(0) if total is None else total + states.sum(0)
        sq = states.square().sum(0)
        squares = sq if squares is None else squares + sq
    assert total is not None and squares is not None
    mean = total / count
    std = ((squares / count - mean.square()).clamp(min=0) * count / max(count - 1, 1)).sqrt()
    scale = torch.where(std > 1e-8, std, torch.ones_like(std))

    def transform(states: torch.Tensor) -> torch.Tensor:
        return (states.double() - mean) / scale

    return transform


def _identity(states: torch.Tensor) -> torch.Tensor:
    return states.double()


def compute_layer_tables(
    reader: StoreReader,
    languages: Sequence[str],
    pivot: str,
    layers: Sequence[int],
    settings: RankSettings,
    *,
    script_languages: Sequence[str] = (),
    scripts: dict[str, str] | None = None,
    on_layer: Callable[[int], None] | None = None,
) -> LayerTables:
    """Metrics of every language in ``languages`` (the pivot excluded) at every layer.

    ``script_languages`` have a romanised group (``<code>@latn``) in the store; for them the
    script-barrier rows are computed too."""
    others = [lang for lang in languages if lang != pivot]
    everyone = [pivot, *others]
    n = reader.get(pivot, "n_tokens").shape[0]
    keep = settings.svcca_directions(n)
    probe_n = min(n, settings.probe_sentences)
    metric_rows: list[dict[str, object]] = []
    identity_rows: list[dict[str, object]] = []
    script_out: list[dict[str, object]] = []
    poolings = sorted({settings.poolings[m] for m in (*METRICS, "identity", "script")})
    for layer in layers:
        transforms: dict[str, Transform] = {}
        pivot_states: dict[str, torch.Tensor] = {}
        for pooling in poolings:
            name = state_name(pooling, layer)
            transforms[pooling] = (
                _standardizer(reader, everyone, name) if settings.standardize else _identity
            )
            pivot_states[pooling] = transforms[pooling](reader.get(pivot, name))
        id_pooling = settings.poolings["identity"]
        probe_states = {pivot: reader.get(pivot, state_name(id_pooling, layer))[:probe_n]}
        retrievals = []
        for lang in others:
            states = {p: transforms[p](reader.get(lang, state_name(p, layer))) for p in poolings}
            for metric in METRICS:
                pooling = settings.poolings[metric]
                value = pair_metrics(
                    pivot_states[pooling], states[pooling], metric, svcca_keep=keep
                )
                metric_rows.append(
                    {"language": lang, "layer": layer, "metric": metric, "value": value}
                )
            retrieval = bidirectional_retrieval_accuracy(
                pivot_states[id_pooling], states[id_pooling]
            )
            retrievals.append(retrieval)
            metric_rows.append(
                {"language": lang, "layer": layer, "metric": "retrieval", "value": retrieval}
            )
            probe_states[lang] = reader.get(lang, state_name(id_pooling, layer))[:probe_n]
            if lang in script_languages:
                sp = settings.poolings["script"]
                roman = transforms[sp](reader.get(f"{lang}{ROMAN_SUFFIX}", state_name(sp, layer)))
                for row in script_rows(pivot_states[sp], states[sp], roman):
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
    return LayerTables(
        metrics=pd.DataFrame(metric_rows, columns=["language", "layer", "metric", "value"]),
        identity=pd.DataFrame(identity_rows),
        script=pd.DataFrame(script_out, columns=script_columns),
    )


def math_nan() -> float:
    return float("nan")
