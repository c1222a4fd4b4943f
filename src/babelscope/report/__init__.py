"""Plots and one self-contained HTML report, assembled from results and manifests.

- :mod:`~babelscope.report.plots`: matplotlib figures from tidy frames (layer curves,
  entropy, heatmaps, rankings, scatter plots) and PNG/SVG/PDF export.
- :mod:`~babelscope.report.html`: :class:`Report` -> one offline HTML file (inline CSS,
  embedded PNGs, no JavaScript, everything escaped).
- :mod:`~babelscope.report.browser`: :func:`check_in_chromium`, which loads a report in
  headless Chromium and returns its console errors, sections and a screenshot.

Names are imported on first use so that ``import babelscope.report`` does not load matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "Report": "babelscope.report.html",
    "Section": "babelscope.report.html",
    "Column": "babelscope.report.html",
    "BrowserCheck": "babelscope.report.browser",
    "ChromiumNotFoundError": "babelscope.report.browser",
    "check_in_chromium": "babelscope.report.browser",
    "figure_to_png_bytes": "babelscope.report.plots",
    "plot_entropy": "babelscope.report.plots",
    "plot_heatmap": "babelscope.report.plots",
    "plot_layer_curves": "babelscope.report.plots",
    "plot_ranking": "babelscope.report.plots",
    "plot_scatter": "babelscope.report.plots",
    "save_figure": "babelscope.report.plots",
}

if TYPE_CHECKING:
    from babelscope.report.browser import BrowserCheck, ChromiumNotFoundError, check_in_chromium
    from babelscope.report.html import Column, Report, Section
    from babelscope.report.plots import (
        figure_to_png_bytes,
        plot_entropy,
        plot_heatmap,
        plot_layer_curves,
        plot_ranking,
        plot_scatter,
        save_figure,
    )

__all__ = [
    "BrowserCheck",
    "ChromiumNotFoundError",
    "Column",
    "Report",
    "Section",
    "check_in_chromium",
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
        raise AttributeError(f"module 'babelscope.report' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
