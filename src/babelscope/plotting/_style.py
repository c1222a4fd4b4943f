"""Shared plumbing for :mod:`babelscope.plotting`: figures, colours, column checks (fonts:
:mod:`babelscope.plotting.fonts`; what each colour means: :mod:`babelscope.plotting.colors`).

Figures are created as bare :class:`~matplotlib.figure.Figure` objects with an Agg canvas
attached, never through ``pyplot``: no global figure registry to leak memory in a long batch
run, no dependence on (or change to) the user's interactive backend, nothing done at import.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from babelscope.plotting.colors import color_of
from babelscope.plotting.fonts import styled

__all__ = [
    "category_colors",
    "new_figure",
    "ordered",
    "plain",
    "require_columns",
    "styled",
    "tidy_axes",
]

# Past ~10 categories tab10 repeats; tab20/b/c together give 60 distinguishable-enough colours.
_PALETTES = ("tab10", "tab20", "tab20b", "tab20c")


def new_figure(width: float, height: float) -> Figure:
    """A constrained-layout figure drawn by Agg (selected here, explicitly, per figure)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = Figure(figsize=(width, height), layout="constrained", facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def plain(value: object) -> str:
    """Text shown literally by matplotlib: ``$`` would otherwise start mathtext (tokens do)."""
    return str(value).replace("$", r"\$")


def require_columns(frame: pd.DataFrame, columns: Iterable[str | None], caller: str) -> None:
    """Fail early with the names a caller can fix, instead of a KeyError deep in pandas."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{caller} expects a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c is not None and c not in frame.columns]
    if missing:
        raise ValueError(
            f"{caller}: column(s) {missing} not in the frame; it has {list(frame.columns)}"
        )
    if frame.empty:
        raise ValueError(f"{caller}: the frame is empty, nothing to plot")


def ordered(values: pd.Series, order: Sequence[Hashable] | None) -> list[Any]:
    """The given order, or the order of first appearance (callers sort frames on purpose)."""
    if order is not None:
        return list(order)
    return list(pd.unique(values.dropna()))


def category_colors(
    categories: Sequence[Hashable], palette: Mapping[Hashable, str] | None = None
) -> dict[Hashable, str]:
    """A stable colour per category: ``palette`` entries win, then the colour the category
    means everywhere (:mod:`babelscope.plotting.colors`: roles, methods, scripts), and the rest
    come from tab colours that no category of this figure already uses."""
    import matplotlib as mpl

    given = dict(palette or {})
    colors: dict[Hashable, str] = {}
    for category in categories:
        fixed = given.get(category) or color_of(category)
        if fixed is not None:
            colors[category] = fixed
    needed = [c for c in categories if c not in colors]
    if len(needed) <= 10:
        names: tuple[str, ...] = _PALETTES[:1]
    else:
        names = _PALETTES[1:]
    taken = {color.lower() for color in colors.values()}
    pool: list[str] = []
    for name in names:
        listed = mpl.colormaps[name]  # qualitative maps: N distinct colours
        pool.extend(to_hex(listed(i)) for i in range(listed.N))
    pool = [color for color in pool if color.lower() not in taken] or pool
    for i, category in enumerate(needed):
        colors[category] = pool[i % len(pool)]
    return {c: colors[c] for c in categories}


def tidy_axes(ax: Any) -> None:
    """The house style: light grid behind the data, no top/right spines."""
    ax.grid(True, color="#e3e6ea", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
