"""Ranked horizontal bars for up to a few hundred items (languages)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

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
