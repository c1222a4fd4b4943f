"""One self-contained HTML report, composed from results and run manifests.

- :mod:`~babelscope.report.html`: :class:`Report` -> one offline HTML file (inline CSS,
  embedded PNGs, no JavaScript), assembled from autoescaped Jinja2 templates
  (:mod:`~babelscope.report.templating`, ``templates/``) with prose through markdown-it-py,
  raw HTML disabled (:mod:`~babelscope.report.text`).
- :mod:`~babelscope.report.tables`: tables that read (column kinds, numbers by meaning,
  language names beside codes, long text collapsed).
- :mod:`~babelscope.report.sections`: the sections of each analysis, built from its Result.
- :mod:`~babelscope.report.latent_run`, :mod:`~babelscope.report.combined`: a run folder's
  report, and one report from several finished run folders.
- :mod:`~babelscope.report.browser`: :func:`check_in_chromium`, which loads a report in
  headless Chromium (Selenium and the system ChromeDriver) and returns its console errors,
  network requests, dialogs, sections and a screenshot.

Figures come from the results' ``.plot()`` (drawn with :mod:`babelscope.plotting`, a leaf the
report uses but does not own). Names are imported on first use so that ``import
babelscope.report`` does not load matplotlib.
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
}

if TYPE_CHECKING:
    from babelscope.report.browser import BrowserCheck, ChromiumNotFoundError, check_in_chromium
    from babelscope.report.html import Column, Report, Section

__all__ = [
    "BrowserCheck",
    "ChromiumNotFoundError",
    "Column",
    "Report",
    "Section",
    "check_in_chromium",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'babelscope.report' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
