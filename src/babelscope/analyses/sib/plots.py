"""Figures of a :class:`SibResult`: accuracy per language and per-layer curves, with chance."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from babelscope.analyses.sib.settings import CHANCE, LINEAR_PROTOCOLS, PROTOCOL_LABELS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from babelscope.analyses.sib.result import SibResult


def plot_languages(result: SibResult, protocol: str = "in_language") -> Figure:
    """Horizontal bars of ``protocol`` accuracy per language (95 % whiskers), coloured by
    resource level when given, else script; a dashed line at chance (1/7)."""
    from babelscope.plotting.bars import plot_ranking

    table = result.summary
    colour = "resource_level" if "resource_level" in table.columns else "script"
    layer = "" if protocol.startswith("prompted") else f", layer {result.selected_layer}"
    figure = plot_ranking(
        table,
        value=protocol,
        label="name",
        color_by=colour,
        lower=f"{protocol}_lo",
        upper=f"{protocol}_hi",
        title=f"SIB-200 {PROTOCOL_LABELS.get(protocol, protocol)}: {result.model_name}{layer}",
        xlabel="accuracy",
    )
    figure.axes[0].axvline(CHANCE, color="#aa3333", lw=0.8, ls="--", label="chance")
    return figure


def plot_layers(result: SibResult) -> Figure:
    """Per layer, the mean accuracy over languages of each linear protocol (band: the 10–90 %
    range over languages), the pivot's cross-validated accuracy, and chance."""
    from babelscope.plotting.curves import plot_layer_curves

    scores = result.layer_scores
    grouped = scores.groupby(["protocol", "layer"])["accuracy"]
    frame = pd.DataFrame(
        {
            "mean": grouped.mean(),
            "lower": grouped.quantile(0.1),
            "upper": grouped.quantile(0.9),
        }
    ).reset_index()
    cv = result.layer_choice.rename(columns={"cv_accuracy": "mean"})
    cv = cv.assign(protocol=f"{result.pivot} train CV (layer choice)", lower=cv["mean"])
    cv["upper"] = cv["mean"]
    frame = pd.concat([frame, cv[["protocol", "layer", "mean", "lower", "upper"]]])
    frame["model"] = result.model_name
    order = [p for p in LINEAR_PROTOCOLS if p in set(frame["protocol"])]
    order.append(f"{result.pivot} train CV (layer choice)")
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
        ax.axvline(result.selected_layer, color="#888888", lw=0.6, ls=":")
    return figure
