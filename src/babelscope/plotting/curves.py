"""Per-layer curves: the "P(language) per layer" plot and its entropy overlay.

Tidy pandas frame in, :class:`matplotlib.figure.Figure` out (drawn by Agg, see
:mod:`babelscope.plotting._style`); nothing is shown or saved as a side effect.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from babelscope.plotting._style import (
    category_colors,
    new_figure,
    ordered,
    plain,
    require_columns,
    styled,
    tidy_axes,
)


@styled
def plot_layer_curves(
    frame: pd.DataFrame,
    *,
    x: str = "layer",
    y: str = "mean",
    lower: str | None = "lower",
    upper: str | None = "upper",
    hue: str = "language",
    facet: str | None = "model",
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str = "probability",
    hue_order: Sequence[Hashable] | None = None,
    facet_order: Sequence[Hashable] | None = None,
    palette: Mapping[Hashable, str] | None = None,
    ylim: tuple[float, float] | None = None,
    ncols: int = 4,
    sharex: bool = False,
    panel_size: tuple[float, float] = (4.6, 3.3),
    empty_notes: Mapping[Hashable, str] | None = None,
) -> Figure:
    """Per-layer mean curves with shaded intervals, one panel per ``facet`` value.

    This is the "P(language) per layer" plot of Wendler et al. (2024): one row per
    (facet, hue, x) with the mean in ``y`` and the interval in ``lower``/``upper`` (pass
    ``None`` for no band). Colours are fixed per hue value across panels; panels share the
    y axis so models compare at a glance, and wrap after ``ncols``. Each panel's title is its
    facet value, which is how :func:`plot_entropy` finds the panel to overlay. The x axes are
    not shared by default, because models of different depth are compared side by side.

    A panel with nothing to draw (a facet in ``facet_order`` without rows, or only NaN means)
    says so in words instead of showing blank axes: ``empty_notes[facet]`` (why, e.g. "0 of 40
    prompts measurable: no prefix tokens for kor_Hang"), else "no data for this panel".
    """
    caller = "plot_layer_curves"
    require_columns(frame, [x, y, lower, upper, hue, facet], caller)
    if (lower is None) != (upper is None):
        raise ValueError(f"{caller}: give both lower and upper, or neither")
    facets: list[Any] = ordered(frame[facet], facet_order) if facet else [None]
    hues = ordered(frame[hue], hue_order)
    colors = category_colors(hues, palette)

    columns = max(1, min(ncols, len(facets)))
    rows = math.ceil(len(facets) / columns)
    figure = new_figure(panel_size[0] * columns + 1.6, panel_size[1] * rows + 0.5)
    axes = figure.subplots(rows, columns, sharex=sharex, sharey=True, squeeze=False).ravel()
    for ax, facet_value in zip(axes, facets, strict=False):
        panel = frame if facet is None else frame[frame[facet] == facet_value]
        if not panel[y].notna().any():
            note = (empty_notes or {}).get(facet_value, "no data for this panel")
            _say_empty(ax, note)
        for hue_value in hues:
            line = panel[panel[hue] == hue_value].sort_values(x)
            if line.empty or not line[y].notna().any():
                continue
            color = colors[hue_value]
            ax.plot(line[x], line[y], color=color, linewidth=1.8, label=plain(hue_value))
            if lower is not None and upper is not None:
                ax.fill_between(line[x], line[lower], line[upper], color=color, alpha=0.2, lw=0)
        tidy_axes(ax)
        if facet is not None:
            ax.set_title(plain(facet_value), fontsize=10)
        if ylim is not None:
            ax.set_ylim(*ylim)
    for ax in axes[len(facets) :]:
        ax.set_visible(False)
    for ax in axes[: len(facets)]:
        if not sharex or ax.get_subplotspec().is_last_row():
            ax.set_xlabel(plain(xlabel or x))
        if pd.api.types.is_integer_dtype(frame[x]):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel(plain(ylabel))
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        figure.legend(handles, labels, loc="outside right upper", frameon=False, title=plain(hue))
    if title:
        figure.suptitle(plain(title), fontsize=12)
    return figure


def _say_empty(ax: Any, note: str) -> None:
    """Write why a panel is empty where its curves would be (wrapped to the panel)."""
    ax.text(
        0.5,
        0.5,
        plain(textwrap.fill(note, 34)),
        ha="center",
        va="center",
        transform=ax.transAxes,
        fontsize=9,
        color="#59636e",
    )
    ax.set_xticks([])
    ax.tick_params(axis="y", labelleft=ax.get_subplotspec().is_first_col())


@styled
def plot_entropy(
    frame: pd.DataFrame,
    *,
    x: str = "layer",
    y: str = "entropy",
    lower: str | None = None,
    upper: str | None = None,
    facet: str | None = "model",
    on: Figure | None = None,
    title: str | None = None,
    ylabel: str = "entropy (nats)",
    color: str = "#555555",
    panel_size: tuple[float, float] = (4.6, 3.3),
) -> Figure:
    """Next-token entropy per layer: standalone, or as a dashed overlay on a secondary axis.

    With ``on=plot_layer_curves(...)`` each facet's curve is drawn on a twin y axis of the
    panel titled with that facet value (the Wendler et al. layout); otherwise a new figure
    with one panel per facet is returned. Units follow the caller's data; say so in ``ylabel``.
    """
    caller = "plot_entropy"
    require_columns(frame, [x, y, lower, upper, facet], caller)
    if on is None:
        figure = plot_layer_curves(
            frame.assign(_series=ylabel),
            x=x,
            y=y,
            lower=lower,
            upper=upper,
            hue="_series",
            facet=facet,
            title=title,
            ylabel=ylabel,
            palette={ylabel: color},
            panel_size=panel_size,
        )
        for legend in figure.legends:
            legend.remove()
        return figure

    panels = {ax.get_title(): ax for ax in on.axes if ax.get_visible() and ax.get_title()}
    facets: list[Any] = ordered(frame[facet], None) if facet else [None]
    twins = []
    for facet_value in facets:
        if facet is None:
            axis = next(ax for ax in on.axes if ax.get_visible())
            line = frame
        else:
            key = plain(facet_value)
            if key not in panels:
                raise ValueError(f"{caller}: no panel titled {key!r} in the figure given as `on`")
            axis, line = panels[key], frame[frame[facet] == facet_value]
        line = line.sort_values(x)
        twin = axis.twinx()
        twins.append(twin)
        twin.plot(line[x], line[y], color=color, linestyle="--", linewidth=1.4)
        if lower is not None and upper is not None:
            twin.fill_between(line[x], line[lower], line[upper], color=color, alpha=0.12, lw=0)
        spec = axis.get_subplotspec()
        if spec is None or spec.is_last_col() or facet_value == facets[-1]:
            twin.set_ylabel(plain(ylabel), color=color)
        twin.tick_params(axis="y", colors=color)
        twin.spines["top"].set_visible(False)
    low = min(t.get_ylim()[0] for t in twins)
    high = max(t.get_ylim()[1] for t in twins)
    for twin in twins:  # one entropy scale across panels, like the probability axes
        twin.set_ylim(low, high)
    if title:
        on.suptitle(plain(title), fontsize=12)
    return on
