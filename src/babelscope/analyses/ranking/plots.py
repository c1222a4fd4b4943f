"""Figures of a ranking run, drawn with the leaf plotting primitives of :mod:`babelscope.plotting`.

Every function takes the tidy tables of a
:class:`~babelscope.analyses.ranking.result.RankResult` (``summary``, ``layer_metrics``,
``identity``, ``script``, ``text``) and plain values (model name, pivot), never the result itself:
the result's ``plot`` hands them in, so this module sits below it."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from babelscope.analyses.ranking.settings import COMPOSITE_METRICS, METRIC_LABELS, METRICS
from babelscope.analyses.ranking.summary import RESOURCE_LEVEL

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PLOT_KINDS = ("ranking", "layers", "heatmap", "identity", "script", "text")
_MAX_SCRIPTS = 9  # legend entries before the rest become "other"


def script_groups(scripts: pd.Series) -> pd.Series:
    """Scripts with the most languages keep their name; the tail becomes ``other``."""
    common = scripts.value_counts().index[:_MAX_SCRIPTS]
    return scripts.where(scripts.isin(common), "other")


def script_palette(scripts: pd.Series) -> dict[Hashable, str]:
    """One colour per script group, the same in every figure (most frequent script first),
    from a series of scripts (one per language, e.g. the summary's ``script`` column). The
    colours are :mod:`babelscope.plotting.colors`' (a script is the same colour in every report)."""
    from babelscope.plotting.palette import palette_for

    groups = script_groups(scripts).value_counts().index
    named: list[Hashable] = [g for g in groups if g != "other"]
    return palette_for([*named, "other"])


def plot_rank_chart(summary: pd.DataFrame, *, model: str, top: int | None = None) -> Figure:
    """All languages as bars of the overall score (mean percentile over the composite metrics),
    best at the top, coloured by resource level where the user supplied levels, else by
    script."""
    from babelscope.plotting.bars import plot_ranking

    frame = summary.copy()
    frame["label"] = frame["name"] + " (" + frame["language"] + ")"
    levels = frame.get(RESOURCE_LEVEL)
    if levels is not None and levels.notna().any():
        color_by, palette = "resource level", None
        frame[color_by] = levels.map(_level_label)
    else:
        color_by, palette = "script group", script_palette(summary["script"])
        frame[color_by] = script_groups(frame["script"])
    # Whiskers: the score's 95 % bootstrap interval over sentences, where the run has one.
    bounds = {"score_lo", "score_hi"} <= set(frame.columns) and frame["score_lo"].notna().any()
    return plot_ranking(
        frame,
        value="score",
        label="label",
        color_by=color_by,
        palette=palette,
        top=top,
        lower="score_lo" if bounds else None,
        upper="score_hi" if bounds else None,
        title=f"{model}: languages by mean percentile over {len(COMPOSITE_METRICS)} metrics",
        xlabel="score (1 = first on every metric)",
    )


def _level_label(level: object) -> str:
    if level is None or (isinstance(level, float) and math.isnan(level)):
        return "not given"
    if isinstance(level, float) and level.is_integer():
        return f"level {int(level)}"
    return f"level {level}" if isinstance(level, float) else str(level)


def chosen_languages(ranked: Sequence[str], count: int = 8) -> list[str]:
    """A spread for layer curves: the best, the worst and evenly spaced ones between, from
    languages in ranking order (best first)."""
    order = list(ranked)
    if len(order) <= count:
        return order
    step = (len(order) - 1) / (count - 1)
    return list(dict.fromkeys(order[round(i * step)] for i in range(count)))


def plot_layers(
    layer_metrics: pd.DataFrame,
    *,
    ranked: Sequence[str],
    pivot: str,
    model: str,
    languages: Sequence[str] | None = None,
    metrics: Sequence[str] = METRICS,
) -> Figure:
    """Per-layer curves of each metric (one panel per metric) for ``languages``, by default a
    spread of the ``ranked`` ones (ranking order, best first)."""
    from babelscope.plotting.curves import plot_layer_curves

    langs = list(languages) if languages is not None else chosen_languages(ranked)
    frame = layer_metrics
    frame = frame[frame["language"].isin(langs) & frame["metric"].isin(list(metrics))].copy()
    frame["metric"] = frame["metric"].map(lambda m: METRIC_LABELS.get(m, m))
    return plot_layer_curves(
        frame,
        y="value",
        lower="lo" if "lo" in frame.columns else None,  # 95 % bootstrap band, where present
        upper="hi" if "hi" in frame.columns else None,
        hue="language",
        facet="metric",
        hue_order=langs,
        facet_order=[METRIC_LABELS.get(m, m) for m in metrics],
        ylabel="score vs " + pivot,
        ncols=3,
        title=f"{model}: per-layer scores against {pivot}",
    )


def plot_metric_heatmap(
    layer_metrics: pd.DataFrame, *, ranked: Sequence[str], model: str, metric: str = "mexa"
) -> Figure:
    """Language × layer heatmap of one metric, languages in ``ranked`` order (best first)."""
    from babelscope.plotting.heatmap import plot_heatmap

    frame = layer_metrics[layer_metrics["metric"] == metric]
    order = list(ranked)
    return plot_heatmap(
        frame,
        row="language",
        col="layer",
        value="value",
        row_order=order,
        col_order=sorted(frame["layer"].unique()),
        colorbar_label=METRIC_LABELS.get(metric, metric),
        title=f"{model}: {METRIC_LABELS.get(metric, metric)} by layer",
    )


def plot_identity(identity: pd.DataFrame, *, pivot: str) -> Figure:
    """Language-ID probe accuracy next to translation retrieval, per layer."""
    from babelscope.plotting.curves import plot_layer_curves

    frame = identity.melt(
        id_vars="layer",
        value_vars=["probe_accuracy", "retrieval_accuracy"],
        var_name="measure",
        value_name="accuracy",
    )
    frame["measure"] = frame["measure"].map(
        {
            "probe_accuracy": "language identity (ID probe)",
            "retrieval_accuracy": f"meaning (retrieval vs {pivot})",
        }
    )
    return plot_layer_curves(
        frame,
        y="accuracy",
        lower=None,
        upper=None,
        hue="measure",
        facet=None,
        ylabel="held-out accuracy",
        ylim=(0.0, 1.02),
        title=None,  # one panel: the legend sits where a title would; captions say what it is
    )


def plot_script(script: pd.DataFrame, *, metric: str = "mexa") -> Figure:
    """Mean over non-Latin languages of native↔pivot, romanised↔pivot, native↔romanised."""
    from babelscope.plotting.curves import plot_layer_curves

    frame = script[script["metric"] == metric]
    stats = frame.groupby(["pair", "layer"])["value"].agg(["mean", "sem"]).reset_index()
    low, high = (0.0, 1.0) if metric in ("mexa", "retrieval") else (-1.0, 1.0)
    stats["lower"] = (stats["mean"] - 1.96 * stats["sem"].fillna(0)).clip(low, high)
    stats["upper"] = (stats["mean"] + 1.96 * stats["sem"].fillna(0)).clip(low, high)
    return plot_layer_curves(
        stats,
        y="mean",
        hue="pair",
        facet=None,
        ylabel=f"{METRIC_LABELS.get(metric, metric)}, {frame['language'].nunique()} languages",
        title=None,
    )


def plot_text(
    text: pd.DataFrame, *, summary: pd.DataFrame, model: str, column: str = "token_premium"
) -> Figure:
    """A text-side metric for every language as a ranked bar chart (lowest cost first),
    coloured by the script ``summary`` gives each language."""
    from babelscope.plotting.bars import plot_ranking

    frame = text.dropna(subset=[column]).copy()
    info = summary.set_index("language")
    frame["script"] = (
        frame["language"].map(info["script"]).fillna(frame["language"].str.rpartition("_")[2])
    )
    palette = script_palette(summary["script"])
    frame["script group"] = frame["script"].where(frame["script"].isin(palette), "other")
    return plot_ranking(
        frame,
        value=column,
        palette=palette,
        label="language",
        color_by="script group",
        ascending=True,
        title=f"{model}: {column.replace('_', ' ')}",
    )


def plot_rank_comparison(
    pairs: pd.DataFrame, model_a: str, model_b: str, *, metric: str = "score", annotate: int = 10
) -> Figure:
    """Each shared language's ``metric`` under model A (x) against model B (y), coloured by
    script, from :func:`~babelscope.analyses.ranking.compare.compare_rankings`. Points above the
    diagonal are better represented by B; the ``annotate`` furthest from it are labelled."""
    from babelscope.plotting.scatter import plot_scatter

    frame = pairs.copy()
    frame["script group"] = script_groups(frame["script"])
    palette = script_palette(frame["script"])
    label = "overall score" if metric == "score" else METRIC_LABELS.get(metric, metric)
    return plot_scatter(
        frame,
        x=f"{metric}_a",
        y=f"{metric}_b",
        label="language",
        color_by="script group",
        color_order=list(palette),
        palette=palette,
        annotate=annotate,
        title=f"{label[:1].upper()}{label[1:]} of the {len(frame)} languages both ranked",
        xlabel=f"{label}, {model_a}",
        ylabel=f"{label}, {model_b}",
    )
