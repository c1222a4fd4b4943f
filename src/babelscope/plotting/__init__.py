"""Plotting primitives: a tidy pandas frame in, a matplotlib :class:`~matplotlib.figure.Figure`
out. A leaf package: it imports nothing of babelscope above it (only :mod:`babelscope.atomic`),
so analyses draw their ``Result.plot()`` with it and the report embeds the figures, and neither
needs the other (``tests/unit/test_layering.py`` enforces this).

- :func:`plot_layer_curves`, :func:`plot_entropy` (:mod:`.curves`): per-layer means with bands.
- :func:`plot_heatmap` (:mod:`.heatmap`): row × column grids, numeric or categorical.
- :func:`plot_ranking` (:mod:`.bars`): ranked bars for a few hundred languages.
- :func:`plot_scatter` (:mod:`.scatter`): one value against another, diagonal, labels.
- :func:`figure_to_png_bytes`, :func:`save_figure` (:mod:`.export`): PNG bytes, PNG/SVG/PDF.

Every figure is drawn under the fonts of :func:`~babelscope.plotting.fonts.font_families`
(DejaVu Sans plus installed Noto Sans families, registered explicitly because matplotlib's font
cache never rescans). Names load on first use: ``import babelscope.plotting`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "figure_to_png_bytes": "babelscope.plotting.export",
    "save_figure": "babelscope.plotting.export",
    "plot_entropy": "babelscope.plotting.curves",
    "plot_layer_curves": "babelscope.plotting.curves",
    "plot_heatmap": "babelscope.plotting.heatmap",
    "plot_ranking": "babelscope.plotting.bars",
    "plot_scatter": "babelscope.plotting.scatter",
}

if TYPE_CHECKING:
    from babelscope.plotting.bars import plot_ranking
    from babelscope.plotting.curves import plot_entropy, plot_layer_curves
    from babelscope.plotting.export import figure_to_png_bytes, save_figure
    from babelscope.plotting.heatmap import plot_heatmap
    from babelscope.plotting.scatter import plot_scatter

__all__ = [
    "figure_to_png_bytes",
    "plot_entropy",
    "plot_heatmap",
    "plot_layer_curves",
    "plot_ranking",
    "plot_scatter",
    "save_figure",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'babelscope.plotting' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
