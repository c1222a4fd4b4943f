"""Figures of a SIB-200 run: accuracy per language and per-layer curves, with chance.

The functions take the tidy tables of a :class:`~babelscope.analyses.sib.result.SibResult` and
plain values (model name, pivot, selected layer), never the result itself: its ``plot`` hands
them in, so this module sits below it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from babelscope.analyses.sib.settings import CHANCE, LINEAR_PROTOCOLS, PROTOCOL_LABELS

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_languages(
    summary: pd.DataFrame, *, model: str, selected_layer: int, protocol: str = "in_language"
) -> Figure:
    """Horizontal bars of ``protocol`` accuracy per language of ``summary`` (95 % whiskers),
    coloured by resource level when given, else script; a dashed line at chance (1/7)."""
    from babelscope.plotting.bars import plot_ranking

    table = summary
    colour = "resource_level" if "resource_level" in table.columns else "script"
    layer = "" if protocol.startswith("prompted") else f", layer {selected_layer}"
    figure = plot_ranking(
        table,
        value=protocol,
        label="name",
        color_by=colour,
        lower=f"{protocol}_lo",
        upper=f"{protocol}_hi",
        title=f"SIB-200 {PROTOCOL_LABELS.get(protocol, protocol)}: {model}{layer}",
        xlabel="accuracy",
    )
    figure.axes[0].axvline(CHANCE, color="#aa3333", lw=0.8, ls="--", label="chance")
    return figure


def plot_layers(
    layer_scores: pd.DataFrame,
    layer_choice: pd.DataFrame,
    *,
    model: str,
    pivot: str,
    selected_layer: int,
) -> Figure:
    """Per layer, the mean accuracy over languages of each linear protocol in ``layer_scores``
    (band: the 10–90 % range over languages), the pivot's cross-validated accuracy
    (``layer_choice``), chance, and the ``selected_layer``."""
    from babelscope.plotting.curves import plot_layer_curves

    scores = layer_scores
    grouped = scores.groupby(["protocol", "layer"])["accuracy"]
    frame = pd.DataFrame(
        {
            "mean": grouped.mean(),
            "lower": grouped.quantile(0.1),
            "upper": grouped.quantile(0.9),
        }
    ).reset_index()
    cv = layer_choice.rename(columns={"cv_accuracy": "mean"})
    cv = cv.assign(protocol=f"{pivot} train CV (layer choice)", lower=cv["mean"])
    cv["upper"] = cv["mean"]
    frame = pd.concat([frame, cv[["protocol", "layer", "mean", "lower", "upper"]]])
    frame["model"] = model
    order = [p for p in LINEAR_PROTOCOLS if p in set(frame["protocol"])]
    order.append(f"{pivot} train CV (layer choice)")
    figure = plot_layer_curves(
        frame,
        hue="protocol",
        facet="model",
        hue_order=order,
        ylabel="accuracy",
        ylim=(0.0, 1.0),
        title="SIB-200 per layer (band: 10–90 % of languages)",
    )
    for ax in figure.axes:
        ax.axhline(CHANCE, color="#aa3333", lw=0.8, ls="--")
        ax.axvline(selected_layer, color="#888888", lw=0.6, ls=":")
    return figure
