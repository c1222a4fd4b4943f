"""One score per metric per language, a ranking, Spearman agreement, and a written summary.

Layers are combined by the **mean over the summary layers** (default: every block output
1..L; see :class:`~babelscope.analyses.ranking.settings.RankSettings`). MEXA's own default is
the mean over layers, and the Language Ranker paper reads similarity across the layers; a mean
is also far less noisy at 50–100 sentences than a best-layer maximum. The overall order is the
**mean rank** over the five representation metrics (rank 1 = best, ties share the lower
rank), so no single metric's scale dominates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from babelscope.analyses.geometry import spearman_table
from babelscope.analyses.geometry.resampling import percentile_interval
from babelscope.analyses.ranking.settings import (
    COMPOSITE_METRICS,
    METRIC_LABELS,
    METRICS,
    RAW_SUFFIX,
)
from babelscope.analyses.ranking.text import TEXT_COLUMNS


def language_info(codes: Sequence[str]) -> pd.DataFrame:
    """English name and script per code, from the language registry when it knows them."""
    from babelscope.analyses.ranking.script import code_script

    rows = []
    for code in codes:
        name = code
        try:
            from babelscope.languages.registry import get_language

            name = get_language(code).name
        except Exception:
            name = code
        rows.append({"language": code, "name": name, "script": code_script(code)})
    return pd.DataFrame(rows, columns=["language", "name", "script"])


def summarise(
    metrics: pd.DataFrame,
    text: pd.DataFrame,
    summary_layers: Sequence[int],
    pivot: str,
    *,
    replicates: Mapping[str, np.ndarray] | None = None,
    replicate_languages: Sequence[str] = (),
    level: float = 0.95,
) -> pd.DataFrame:
    """The ranking table: one row per language (pivot excluded), best first.

    Columns: ``overall_rank`` with its bootstrap interval ``rank_lo``/``rank_hi``,
    ``language``, ``name``, ``script``, ``score`` (mean percentile over
    :data:`COMPOSITE_METRICS`, 1 = first on every one) with ``score_lo``/``score_hi``,
    ``mean_rank``; per metric its mean over ``summary_layers``, ``<metric>_lo``/``_hi`` (the
    ``level`` percentile interval over bootstrap replicates), ``<metric>_null`` (the
    shuffled-pair null, same layers) and, when the run normalised states, ``<metric>_raw``;
    ``retrieval``, ``rank_<metric>`` per composite metric, ``peak_layer_mexa`` (the layer of
    highest MEXA alignment; missing where MEXA is 0 at every layer), then the text metrics.

    ``replicates`` maps a metric to ``[languages, B]`` replicate means over the summary
    layers, rows in ``replicate_languages`` order; without them the interval columns are
    left out."""
    chosen = metrics[metrics["layer"].isin(list(summary_layers))]
    wide = chosen.pivot_table(
        index="language", columns="metric", values="value", aggfunc="mean", dropna=False
    )
    names = [*METRICS, "retrieval"]
    table = wide.reindex(columns=names)
    table.columns.name = None
    if "null" in chosen.columns and chosen["null"].notna().any():
        nulls = chosen.pivot_table(index="language", columns="metric", values="null")
        for metric in names:
            if metric in nulls.columns:
                table[f"{metric}_null"] = nulls[metric]
    for metric in names:
        if f"{metric}{RAW_SUFFIX}" in wide.columns:
            table[f"{metric}{RAW_SUFFIX}"] = wide[f"{metric}{RAW_SUFFIX}"]
    ranks = table[list(COMPOSITE_METRICS)].rank(ascending=False, method="min")
    for metric in COMPOSITE_METRICS:
        table[f"rank_{metric}"] = ranks[metric]
    table["mean_rank"] = ranks.mean(axis=1)
    table["score"] = _percentile(ranks).mean(axis=1)
    table["overall_rank"] = table["mean_rank"].rank(method="min").astype(int)
    if replicates:
        _add_intervals(table, replicates, list(replicate_languages), level)
    mexa = metrics[metrics["metric"] == "mexa"]
    if not mexa.empty:
        best = mexa.loc[mexa.groupby("language")["value"].idxmax()].set_index("language")
        # A language no layer aligns (MEXA 0 everywhere) has no peak; idxmax would say layer 0.
        table["peak_layer_mexa"] = best["layer"].where(best["value"] > 0).astype("Int64")
    table = table.reset_index()
    info = language_info(table["language"].tolist())
    table = info.merge(table, on="language")
    text_columns = [c for c in text.columns if c in (*TEXT_COLUMNS, "tokens_per_sentence")]
    table = table.merge(text[["language", *text_columns]], on="language", how="left")
    table = table.sort_values(["overall_rank", "language"], kind="stable").reset_index(drop=True)
    first = ["overall_rank", "rank_lo", "rank_hi", "language", "name", "script"]
    first += ["score", "score_lo", "score_hi", "mean_rank"]
    first = [c for c in first if c in table.columns]
    rest = [c for c in table.columns if c not in first]
    grouped = [c for m in names for c in _metric_columns(m) if c in rest]
    return table[first + grouped + [c for c in rest if c not in grouped]]


def _metric_columns(metric: str) -> list[str]:
    return [metric, f"{metric}_lo", f"{metric}_hi", f"{metric}_null", f"{metric}{RAW_SUFFIX}"]


def _percentile(ranks: pd.DataFrame) -> pd.DataFrame:
    """Rank 1 → 1, last → 0 (per column; a single language scores 1)."""
    count = len(ranks)
    return (count - ranks) / (count - 1) if count > 1 else ranks * 0 + 1.0


def _add_intervals(
    table: pd.DataFrame,
    replicates: Mapping[str, np.ndarray],
    languages: list[str],
    level: float,
) -> None:
    """``<metric>_lo/_hi``, ``score_lo/_hi`` and ``rank_lo/_hi`` from bootstrap replicates:
    in every replicate the languages are re-ranked on each composite metric, so a rank's
    interval reflects how the *others* move on the same resampled sentences too."""
    order = [languages.index(lang) for lang in table.index]
    for metric, samples in replicates.items():
        if metric in table.columns and samples.shape[1] > 0:
            lo, hi = percentile_interval(samples[order], level)
            table[f"{metric}_lo"], table[f"{metric}_hi"] = lo, hi
    composite = [replicates[m][order] for m in COMPOSITE_METRICS if m in replicates]
    if len(composite) != len(COMPOSITE_METRICS) or composite[0].shape[1] == 0:
        return
    per_metric = [pd.DataFrame(s).rank(axis=0, ascending=False, method="min") for s in composite]
    mean_rank = sum(per_metric[1:], per_metric[0]) / len(per_metric)
    score = sum(_percentile(r) for r in per_metric[1:]) + _percentile(per_metric[0])
    score = score / len(per_metric)
    overall = mean_rank.rank(axis=0, method="min")
    table["score_lo"], table["score_hi"] = percentile_interval(score.to_numpy(), level)
    rank_lo, rank_hi = percentile_interval(overall.to_numpy(), level)
    table["rank_lo"], table["rank_hi"] = np.floor(rank_lo), np.ceil(rank_hi)


#: Text-side columns compared with the representation metrics (``tokens_per_sentence`` and
#: ``bits_premium`` would duplicate the rankings of ``token_premium`` and ``bits_per_sentence``).
AGREEMENT_TEXT = ("token_premium", "bits_per_byte", "bits_per_char", "bits_per_sentence")

#: Summary column of user-supplied resource levels (see ``languages.resource_levels``).
RESOURCE_LEVEL = "resource_level"


def agreement(summary: pd.DataFrame) -> pd.DataFrame:
    """Spearman ρ between every pair of summary metrics and text-side metrics, and with
    ``resource_level`` when the user supplied numeric (ordinal) levels."""
    candidates = [*METRICS, "retrieval", *AGREEMENT_TEXT]
    if RESOURCE_LEVEL in summary.columns and pd.api.types.is_numeric_dtype(summary[RESOURCE_LEVEL]):
        candidates.append(RESOURCE_LEVEL)
    columns = [c for c in candidates if c in summary.columns]
    columns = [c for c in columns if summary[c].notna().sum() >= 3]
    return spearman_table(summary, columns)


def written_summary(
    summary: pd.DataFrame,
    spearman: pd.DataFrame,
    script: pd.DataFrame,
    identity: pd.DataFrame,
    *,
    model: str,
    pivot: str,
    k: int = 5,
) -> str:
    """A short Markdown paragraph generated from the data (top/bottom languages, agreement)."""
    if summary.empty:
        return f"No language besides the pivot {pivot} was ranked."

    def names(frame: pd.DataFrame) -> str:
        return ", ".join(f"{r.name} ({r.language})" for r in frame.itertuples())

    k = min(k, max(1, len(summary) // 2))
    parts = [
        f"**{model}**, {len(summary)} languages against {pivot}. "
        f"Best represented (mean rank over {len(COMPOSITE_METRICS)} metrics): "
        f"{names(summary.head(k))}. "
        f"Worst: {names(summary.tail(k).iloc[::-1])}."
    ]
    variants = raw_agreement(summary)
    if not variants.empty:
        listed = ", ".join(
            f"{_label(str(m))} {rho:.2f}"
            for m, rho in zip(variants["metric"], variants["rho"], strict=True)
        )
        parts.append(
            "Normalised and raw states rank the languages alike where ρ between the two "
            f"is near 1: {listed} (the `_raw` columns hold the raw values)."
        )
    rep = spearman[spearman["metric_a"].isin(METRICS) & spearman["metric_b"].isin(METRICS)]
    rep = rep.dropna(subset=["rho"])
    if not rep.empty:
        ordered = rep.sort_values("rho", kind="stable")
        hi, lo = ordered.iloc[-1], ordered.iloc[0]
        parts.append(
            f"The representation metrics agree most between {_label(hi.metric_a)} and "
            f"{_label(hi.metric_b)} (ρ = {hi.rho:.2f}) and least between "
            f"{_label(lo.metric_a)} and {_label(lo.metric_b)} (ρ = {lo.rho:.2f}); "
            f"median ρ over all pairs {rep['rho'].median():.2f}."
        )
    text = spearman[spearman["metric_a"].isin(METRICS) & spearman["metric_b"].isin(TEXT_COLUMNS)]
    text = text.dropna(subset=["rho"])
    for column in ("token_premium", "bits_per_sentence"):
        rows = text[(text["metric_a"] == "mexa") & (text["metric_b"] == column)]
        if not rows.empty:
            parts.append(
                f"MEXA alignment vs {column.replace('_', ' ')}: ρ = {rows.iloc[0].rho:.2f}."
            )
    if not identity.empty and identity["probe_accuracy"].notna().any():
        low = identity.sort_values("probe_accuracy", kind="stable").iloc[0]
        high = identity.sort_values("retrieval_accuracy", kind="stable").iloc[-1]
        parts.append(
            f"Language identity is least decodable at layer {int(low.layer)} "
            f"(probe accuracy {low.probe_accuracy:.2f}); translation retrieval peaks at layer "
            f"{int(high.layer)} ({high.retrieval_accuracy:.2f})."
        )
    if not script.empty:
        mexa = script[script["metric"] == "mexa"]
        means = mexa.groupby("pair")["value"].mean()
        if {"native-pivot", "roman-pivot"} <= set(means.index):
            parts.append(
                f"Script barrier: averaged over layers and {mexa['language'].nunique()} "
                f"non-Latin languages, MEXA alignment with {pivot} is "
                f"{means['native-pivot']:.2f} in the native script and "
                f"{means['roman-pivot']:.2f} romanised."
            )
    return " ".join(parts)


def raw_agreement(summary: pd.DataFrame) -> pd.DataFrame:
    """Spearman ρ between each metric and its raw variant (``<metric>_raw``) over languages:
    columns ``metric``, ``rho``, ``n``; empty when the run did not normalise."""
    rows = []
    for metric in METRICS:
        raw = f"{metric}{RAW_SUFFIX}"
        if metric in summary.columns and raw in summary.columns:
            row = spearman_table(summary, [metric, raw]).iloc[0]
            if not math.isnan(row["rho"]):
                rows.append({"metric": metric, "rho": float(row["rho"]), "n": int(row["n"])})
    return pd.DataFrame(rows, columns=["metric", "rho", "n"])


def normalization_note(settings: dict[str, object]) -> str:
    """One sentence for the report on how states were normalised (runs before the setting
    existed were raw, or z-scored over all languages when ``standardize`` was set)."""
    mode = settings.get("normalization") or ("all" if settings.get("standardize") else "raw")
    notes = {
        "raw": " States were not normalised (raw cosines, as in the papers).",
        "pivot": " Every dimension was z-scored with the pivot's mean and spread at each layer "
        "first, so a few massive dimensions do not decide the cosines; columns ending in "
        "_raw hold the un-normalised values, _null the value of shuffled pairs, _lo/_hi "
        "95 % bootstrap intervals over sentences.",
        "massive": " The pivot's massive dimensions were zeroed first.",
        "all": " Every dimension was z-scored over all languages of the run first (a "
        "language's scores then depend on the other languages in the run).",
    }
    return notes.get(str(mode), f" Normalisation: {mode}.")


def _label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric)
