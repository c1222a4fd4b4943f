"""Heatmaps from long frames: numeric (colour bar) or categorical (a colour per category).

Part of the :mod:`babelscope.plotting` leaf (tidy frame in, Figure out).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from babelscope.plotting._style import (
    category_colors,
    new_figure,
    ordered,
    plain,
    require_columns,
    styled,
)


def _pivot(frame: pd.DataFrame, row: str, col: str, value: str, *, rows: list, cols: list) -> Any:
    try:
        table = frame.pivot(index=row, columns=col, values=value)
    except ValueError as error:
        raise ValueError(
            f"plot_heatmap: several rows share the same ({row!r}, {col!r}); aggregate first"
        ) from error
    return table.reindex(index=rows, columns=cols)


def _ticks(ax: Any, rows: list, cols: list) -> None:
    """Label every row (small font when there are many) and thin the column labels."""
    ax.set_yticks(range(len(rows)))
    points_per_row = 72.0 * ax.figure.get_size_inches()[1] / max(1, len(rows))
    ax.set_yticklabels([plain(r) for r in rows], fontsize=max(3.0, min(9.0, 0.55 * points_per_row)))
    step = max(1, math.ceil(len(cols) / 40))
    ax.set_xticks(range(0, len(cols), step))
    ax.set_xticklabels([plain(c) for c in cols[::step]], fontsize=8)


def _luminance(rgb: Sequence[float]) -> float:
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]


@styled
def plot_heatmap(
    frame: pd.DataFrame,
    *,
    row: str,
    col: str,
    value: str,
    title: str | None = None,
    alpha: str | None = None,
    text: str | None = None,
    row_order: Sequence[Hashable] | None = None,
    col_order: Sequence[Hashable] | None = None,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    colorbar_label: str | None = None,
    palette: Mapping[Hashable, str] | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Figure:
    """A row × column grid from a long frame (one row per cell), e.g. language × layer.

    A numeric ``value`` is drawn with ``cmap`` and a colour bar. A categorical ``value`` (e.g.
    the language a layer's top token belongs to, for generated token × layer) gets one colour
    per category with a legend, and the optional ``alpha`` column (a probability in [0, 1])
    sets each cell's opacity. ``text`` names a column written into the cells (e.g. the decoded
    token). Rows and columns keep the order of first appearance unless orders are given;
    missing cells stay blank.
    """
    caller = "plot_heatmap"
    require_columns(frame, [row, col, value, alpha, text], caller)
    rows, cols = ordered(frame[row], row_order), ordered(frame[col], col_order)
    height = min(60.0, max(3.0, 0.17 * len(rows) + 1.6))
    figure = new_figure(min(30.0, max(5.0, 0.32 * len(cols) + 3.0)), height)
    ax = figure.subplots()
    values = _pivot(frame, row, col, value, rows=rows, cols=cols)
    categorical = not all(pd.api.types.is_numeric_dtype(t) for t in values.dtypes) or (
        pd.api.types.is_bool_dtype(frame[value])
    )
    if categorical:
        categories = ordered(frame[value], None)
        colors = category_colors(categories, palette)
        opacity = (
            _pivot(frame, row, col, alpha, rows=rows, cols=cols).to_numpy(dtype=float)
            if alpha is not None
            else np.ones(values.shape)
        )
        opacity = np.clip(np.nan_to_num(opacity, nan=1.0), 0.0, 1.0)
        image = np.zeros((*values.shape, 4))
        for (i, j), category in np.ndenumerate(values.to_numpy(dtype=object)):
            if not pd.isna(category):
                image[i, j] = (*to_rgb(colors[category]), opacity[i, j])
        ax.imshow(image, aspect="auto", interpolation="nearest")
        handles = [Patch(color=colors[c], label=plain(c)) for c in categories]
        figure.legend(handles=handles, loc="outside right upper", frameon=False, title=plain(value))
        shown = image[..., :3] * image[..., 3:] + (1 - image[..., 3:])  # blended over white
    else:
        colormap = mpl.colormaps[cmap].with_extremes(bad="#f0f0f0")
        data = np.ma.masked_invalid(values.to_numpy(dtype=float))
        mappable = ax.imshow(data, aspect="auto", interpolation="nearest", cmap=colormap)
        mappable.set_clim(vmin, vmax)
        # A 200-language heatmap is ~35 inches tall: keep the colour bar a readable ~6 inches.
        bar = figure.colorbar(mappable, ax=ax, shrink=min(0.8, 6.0 / height), anchor=(0.0, 1.0))
        bar.set_label(plain(colorbar_label or value))
        shown = mappable.to_rgba(data)[..., :3]
    if text is not None:
        labels = _pivot(frame, row, col, text, rows=rows, cols=cols).to_numpy(dtype=object)
        for (i, j), label in np.ndenumerate(labels):
            if pd.isna(label):
                continue
            ink = "white" if _luminance(shown[i, j]) < 0.5 else "black"
            ax.text(j, i, plain(label), ha="center", va="center", fontsize=6, color=ink)
    _ticks(ax, rows, cols)
    ax.set_xlabel(plain(xlabel or col))
    ax.set_ylabel(plain(ylabel or row))
    if title:
        ax.set_title(plain(title), fontsize=12)
    return figure
