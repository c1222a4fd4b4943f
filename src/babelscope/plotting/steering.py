"""The steering Pareto plot: language forcing success against meaning kept, one point per
setting, the chosen setting of each method ringed, the baselines as labelled markers and the
Pareto front (no other point is better on both axes) as a step line.

Part of the :mod:`babelscope.plotting` leaf (tidy frame in, Figure out).
"""

from __future__ import annotations

from collections.abc import Sequence

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

#: Marker per baseline (anything else in ``baselines`` gets "P").
_BASELINE_MARKERS = {"none": "X", "prompting": "*"}


def pareto_front(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of the non-dominated points (maximising both), sorted by ``x``: a point is kept
    unless another is at least as good on both axes and better on one. NaN points are never
    on the front."""
    keep = []
    finite = np.isfinite(x) & np.isfinite(y)
    for i in np.flatnonzero(finite):
        better = finite & (x >= x[i]) & (y >= y[i]) & ((x > x[i]) | (y > y[i]))
        if not better.any():
            keep.append(i)
    return np.array(sorted(keep, key=lambda i: (x[i], -y[i])), dtype=int)


@styled
def plot_pareto(
    frame: pd.DataFrame,
    *,
    x: str = "lfs",
    y: str = "chrf",
    hue: str = "method",
    chosen: str | None = "chosen",
    baselines: Sequence[str] = ("none", "prompting"),
    title: str | None = None,
    xlabel: str = "language forcing success (LFS)",
    ylabel: str = "chrF++ vs target reference",
) -> Figure:
    """``y`` against ``x`` for every row, coloured by ``hue``; rows whose ``hue`` is in
    ``baselines`` are drawn with their own marker and labelled; rows where the boolean
    column ``chosen`` is true are ringed in black. Rows missing ``x`` or ``y`` are left out
    (a target without a language-ID label has no LFS)."""
    require_columns(frame, [x, y, hue, chosen], "plot_pareto")
    data = frame.dropna(subset=[x, y])
    figure = new_figure(7.5, 5.0)
    ax = figure.subplots()
    if data.empty:
        ax.text(0.5, 0.5, f"no setting has both {x} and {y}", ha="center", transform=ax.transAxes)
    methods = [m for m in ordered(data[hue], None) if m not in baselines]
    colors = category_colors([*methods, *baselines])  # one colour per method in every figure
    for method in methods:
        part = data[data[hue] == method]
        ax.scatter(part[x], part[y], s=26, color=colors[method], alpha=0.8, label=plain(method))
    for name in baselines:
        part = data[data[hue] == name]
        if part.empty:
            continue
        marker = _BASELINE_MARKERS.get(name, "P")
        ax.scatter(part[x], part[y], s=90, marker=marker, color=colors[name], label=plain(name))
        for px, py in zip(part[x], part[y], strict=True):
            ax.annotate(plain(name), (px, py), xytext=(5, -10), textcoords="offset points")
    if chosen is not None and not data.empty:
        picked = data[data[chosen].astype(bool)]
        ax.scatter(
            picked[x], picked[y], s=160, facecolors="none", edgecolors="black", lw=1.4,
            label="chosen (best headline, choose half)",
        )  # fmt: skip
    if len(data):
        xs, ys = data[x].to_numpy(float), data[y].to_numpy(float)
        front = pareto_front(xs, ys)
        ax.step(xs[front], ys[front], where="post", color="#888888", lw=0.9, ls="--", zorder=0)
    ax.set_xlim(-0.04, 1.04)
    tidy_axes(ax)
    ax.set_xlabel(plain(xlabel))
    ax.set_ylabel(plain(ylabel))
    if ax.get_legend_handles_labels()[0]:  # nothing labelled when no setting has an LFS
        ax.legend(loc="best", frameon=False, fontsize=8)
    if title:
        ax.set_title(plain(title), fontsize=11)
    return figure
