"""Plotting primitives for the report, all working from tidy pandas frames.

Each function returns a :class:`matplotlib.figure.Figure` drawn by Agg (see
:mod:`babelscope.report._figures`); nothing is shown or saved as a side effect. Analyses call
these from their ``Result.plot()`` and the report embeds the figures with ``add_figure``.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from babelscope.atomic import atomic_write_bytes
from babelscope.report._figures import (
    category_colors,
    new_figure,
    ordered,
    plain,
    require_columns,
    styled,
    tidy_axes,
)
from babelscope.report._heatmap import plot_heatmap
from babelscope.report._scatter import plot_scatter

__all__ = [
    "figure_to_png_bytes",
    "plot_entropy",
    "plot_heatmap",
    "plot_layer_curves",
    "plot_ranking",
    "plot_scatter",
    "save_figure",
]

_SAVE_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


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
) -> Figure:
    """Per-layer mean curves with shaded intervals, one panel per ``facet`` value.

    This is the "P(language) per layer" plot of Wendler et al. (2024): one row per
    (facet, hue, x) with the mean in ``y`` and the interval in ``lower``/``upper`` (pass
    ``None`` for no band). Colours are fixed per hue value across panels; panels share the
    y axis so models compare at a glance, and wrap after ``ncols``. Each panel's title is its
    facet value, which is how :func:`plot_entropy` finds the panel to overlay. The x axes are
    not shared by default, because models of different depth are compared side by side.
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
        for hue_value in hues:
            line = panel[panel[hue] == hue_value].sort_values(x)
            if line.empty:
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


@styled
def plot_ranking(
    frame: pd.DataFrame,
    *,
    value: str,
    label: str,
    color_by: str | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ascending: bool = False,
    lower: str | None = None,
    upper: str | None = None,
    palette: Mapping[Hashable, str] | None = None,
    top: int | None = None,
    fontsize: float = 7.5,
) -> Figure:
    """Horizontal bars, best first at the top, for up to a few hundred items (languages).

    The figure grows with the number of bars (about 0.16 inch each) so every label stays
    legible; ``color_by`` colours bars by a category (script, resource level) with a legend.
    ``lower``/``upper`` add interval whiskers. ``ascending=True`` puts the smallest first
    (for losses or ranks).
    """
    caller = "plot_ranking"
    require_columns(frame, [value, label, color_by, lower, upper], caller)
    data = frame.dropna(subset=[value]).sort_values(value, ascending=ascending, kind="stable")
    if top is not None:
        data = data.head(top)
    count = len(data)
    figure = new_figure(7.5, max(2.5, 0.16 * count + 1.2))
    ax = figure.subplots()
    positions = np.arange(count)[::-1]  # first item at the top
    if color_by is not None:
        categories = ordered(data[color_by], None)
        colors = category_colors(categories, palette)
        bar_colors = [colors.get(c, "#999999") for c in data[color_by]]
    else:
        bar_colors = ["#4c78a8"] * count
    error = None
    if lower is not None and upper is not None:
        error = np.vstack([data[value] - data[lower], data[upper] - data[value]])
    ax.barh(
        positions,
        data[value],
        color=bar_colors,
        height=0.78,
        xerr=error,
        error_kw={"elinewidth": 0.6, "ecolor": "#444444", "capsize": 0},
    )
    ax.set_yticks(positions)
    ax.set_yticklabels([plain(v) for v in data[label]], fontsize=fontsize)
    ax.set_ylim(-0.7, count - 0.3)
    ax.margins(y=0)
    tidy_axes(ax)
    ax.grid(False, axis="y")
    ax.tick_params(axis="y", length=0)
    ax.tick_params(
        axis="x", top=True, labeltop=count > 40
    )  # a tall chart needs its scale on top too
    ax.set_xlabel(plain(xlabel or value))
    if color_by is not None:
        from matplotlib.patches import Patch

        handles = [Patch(color=colors[c], label=plain(c)) for c in categories]
        ax.legend(
            handles=handles,
            title=plain(color_by),
            fontsize=8,
            title_fontsize=8,
            loc="lower right",
            frameon=True,
            framealpha=0.9,
        )
    if title:
        ax.set_title(plain(title), fontsize=11)
    return figure


# Drawing happens here, not when the figure was built: tick labels are created lazily at draw
# time and take the fonts in effect *now*, so rasterise under the report's fonts as well
# (otherwise a CJK token on a tick comes out as a box).
@styled
def figure_to_png_bytes(figure: Figure, *, dpi: int = 150) -> bytes:
    """Rasterise a figure to PNG bytes (white background, tight bounding box)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    return buffer.getvalue()


@styled
def save_figure(figure: Figure, path: str | os.PathLike[str], *, dpi: int = 150) -> Path:
    """Save atomically as PNG, SVG or PDF (chosen by the suffix); return the path written."""
    target = Path(path)
    fmt = _SAVE_FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise ValueError(f"save_figure: use one of {sorted(_SAVE_FORMATS)}, not {target.name!r}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=dpi, bbox_inches="tight", facecolor="white")
    return atomic_write_bytes(target, buffer.getvalue())
