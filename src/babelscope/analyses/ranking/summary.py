"""One score per metric per language, a ranking, Spearman agreement, and a written summary.

Layers are combined by the **mean over the summary layers** (default: every block output
1..L; see :class:`~babelscope.analyses.ranking.settings.RankSettings`). MEXA's own default is
the mean over layers, and the Language Ranker paper reads similarity across the layers; a mean
is also far less noisy at 50–100 sentences than a best-layer maximum. The overall order is the
**mean rank** over the five representation metrics (rank 1 = best, ties share the lower
rank), so no single metric's scale dominates.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from babelscope.analyses.geometry import spearman_table
from babelscope.analyses.ranking.settings import METRIC_LABELS, METRICS
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
) -> pd.DataFrame:
    """The ranking table: one row per language (pivot excluded), best first.

    Columns: ``overall_rank``, ``language``, ``name``, ``script``, ``score`` (mean percentile
    over the metrics, 1 = first on every one), ``mean_rank``, one summary
    column per metric (mean over ``summary_layers``), ``retrieval``, ``rank_<metric>`` per
    metric, ``peak_layer_mexa`` (the layer of highest MEXA alignment; missing where MEXA is 0
    at every layer), then the text metrics."""
    chosen = metrics[metrics["layer"].isin(list(summary_layers))]
    wide = chosen.pivot_table(index="language", columns="metric", values="value", aggfunc="mean")
    wide = wide.reindex(columns=[*METRICS, "retrieval"])
    ranks = wide[list(METRICS)].rank(ascending=False, method="min")
    table = wide.copy()
    for metric in METRICS:
        table[f"rank_{metric}"] = ranks[metric]
    table["mean_rank"] = ranks.mean(axis=1)
    count = len(table)
    percentile = (count - ranks) / (count - 1) if count > 1 else ranks * 0 + 1.0
    table["score"] = percentile.mean(axis=1)
    table["overall_rank"] = table["mean_rank"].rank(method="min").astype(int)
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
    first = ["overall_rank", "language", "name", "script", "score", "mean_rank"]
    return table[first + [c for c in table.columns if c not in first]]


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
        f"Best represented (mean rank over {len(METRICS)} metrics): {names(summary.head(k))}. "
        f"Worst: {names(summary.tail(k).iloc[::-1])}."
    ]
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


def _label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric)
