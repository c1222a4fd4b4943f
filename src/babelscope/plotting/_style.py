"""Shared plumbing for :mod:`babelscope.plotting`: figures, fonts, colours, column checks.

Figures are created as bare :class:`~matplotlib.figure.Figure` objects with an Agg canvas
attached, never through ``pyplot``: no global figure registry to leak memory in a long batch
run, no dependence on (or change to) the user's interactive backend, nothing done at import.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import pandas as pd
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

_P = ParamSpec("_P")
_R = TypeVar("_R")

# Past ~10 categories tab10 repeats; tab20/b/c together give 60 distinguishable-enough colours.
_PALETTES = ("tab10", "tab20", "tab20b", "tab20c")


def new_figure(width: float, height: float) -> Figure:
    """A constrained-layout figure drawn by Agg (selected here, explicitly, per figure)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = Figure(figsize=(width, height), layout="constrained", facecolor="white")
    FigureCanvasAgg(figure)
    return figure


@functools.cache
def font_families() -> tuple[str, ...]:
    """DejaVu Sans, then every installed Noto Sans family as a per-glyph fallback.

    Tokens and language names come in ~200 languages; DejaVu alone draws CJK, Devanagari,
    Ethiopic … as empty boxes. Only installed families are listed (naming a missing one makes
    matplotlib warn); install e.g. Debian's fonts-noto-core and fonts-noto-cjk for coverage.
    """
    from matplotlib import font_manager

    # matplotlib caches its font list on first use and never rescans: fonts installed later
    # (`make fonts` after any earlier matplotlib run) would be invisible, and CJK tokens drawn
    # as boxes. Register system Noto Sans files the cache lacks (a few ms).
    known = {font.fname for font in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        name = Path(path).name
        if path not in known and name.startswith("NotoSans") and "Mono" not in name:
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                font_manager.fontManager.addfont(path)
    installed = {font.name for font in font_manager.fontManager.ttflist}
    noto = sorted(n for n in installed if n.startswith("Noto Sans") and "Mono" not in n)
    return ("DejaVu Sans", *noto)


def styled(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run a plotting function with the report's fonts; matplotlib's global rcParams stay as is."""

    @functools.wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        import matplotlib as mpl

        with mpl.rc_context({"font.family": list(font_families())}):
            return function(*args, **kwargs)

    return wrapper


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
    """A stable colour per category; ``palette`` entries win, the rest come from tab colours."""
    import matplotlib as mpl

    given = dict(palette or {})
    needed = [c for c in categories if c not in given]
    if len(needed) <= 10:
        names: tuple[str, ...] = _PALETTES[:1]
    else:
        names = _PALETTES[1:]
    pool: list[str] = []
    for name in names:
        listed = mpl.colormaps[name]  # qualitative maps: N distinct colours
        pool.extend(to_hex(listed(i)) for i in range(listed.N))
    colors = {c: given[c] for c in categories if c in given}
    for i, category in enumerate(needed):
        colors[category] = pool[i % len(pool)]
    return colors


def tidy_axes(ax: Any) -> None:
    """The house style: light grid behind the data, no top/right spines."""
    ax.grid(True, color="#e3e6ea", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
