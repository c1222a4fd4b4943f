"""Scatter plots of one value against another, e.g. a language's score under two models.

Part of the :mod:`babelscope.plotting` leaf (tidy frame in, Figure out).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

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
def plot_scatter(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    label: str | None = None,
    color_by: str | None = None,
    color_order: Sequence[Hashable] | None = None,
    palette: Mapping[Hashable, str] | None = None,
    annotate: int = 10,
    diagonal: bool = True,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    size: float = 6.0,
    fontsize: float = 7.0,
) -> Figure:
    """One point per row, ``y`` against ``x``; rows missing either value are left out.

    ``diagonal=True`` draws the line y = x on equal, shared axes (for the same quantity under
    two conditions, such as two models); with ``label``, the ``annotate`` points furthest from
    that diagonal (largest ``|y - x|``) are labelled. ``color_by`` colours points by a category
    with a legend (in ``color_order``, default first appearance), ``palette`` fixing chosen
    colours.
    """
    caller = "plot_scatter"
    require_columns(frame, [x, y, label, color_by], caller)
    data = frame.dropna(subset=[x, y])
    if data.empty:
        raise ValueError(f"plot_scatter: no row has both {x!r} and {y!r}")
    figure = new_figure(size + (1.8 if color_by else 0.0), size)
    ax = figure.subplots()
    if color_by is not None:
        categories = ordered(data[color_by], None)
        if color_order is not None:  # the given order first, then any category it lacks
            first = [c for c in color_order if c in categories]
            categories = first + [c for c in categories if c not in first]
        colors = category_colors(categories, palette)
        for category in categories:
            part = data[data[color_by] == category]
            ax.scatter(
                part[x], part[y], s=22, color=colors[category], alpha=0.85, label=plain(category)
            )
        figure.legend(loc="outside right upper", frameon=False, title=plain(color_by), fontsize=8)
    else:
        ax.scatter(data[x], data[y], s=22, color="#4c78a8", alpha=0.85)
    if diagonal:
        low = float(min(data[x].min(), data[y].min()))
        high = float(max(data[x].max(), data[y].max()))
        pad = 0.04 * (high - low or 1.0)
        ax.plot([low - pad, high + pad], [low - pad, high + pad], color="#888888", lw=0.8, ls="--")
        ax.set_xlim(low - pad, high + pad)
        ax.set_ylim(low - pad, high + pad)
        ax.set_aspect("equal", adjustable="box")
    if label is not None and annotate > 0:
        distance = (data[y] - data[x]).abs().to_numpy()
        order = np.argsort(-distance, kind="stable")[:annotate]
        chosen = data.iloc[order]
        for text, px, py in zip(chosen[label], chosen[x], chosen[y], strict=True):
            ax.annotate(
                plain(text),
                (px, py),
                xytext=(3, 3),
                textcoords="offset points",
                fontsize=fontsize,
            )
    tidy_axes(ax)
    ax.set_xlabel(plain(xlabel or x))
    ax.set_ylabel(plain(ylabel or y))
    if title:  # above the legend too, not clashing with it
        figure.suptitle(plain(title), fontsize=11)
    return figure
