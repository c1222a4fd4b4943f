"""How well is each language represented? Rank languages with several metrics over parallel text.

- :func:`~babelscope.analyses.ranking.pipeline.rank` / :func:`run_rank`: the pipeline
  (activation store → per language × layer metrics → summary, ranking, agreement).
- :class:`~babelscope.analyses.ranking.result.RankResult`: the typed result (``.to_frame()``,
  ``.plot()``, ``.save()``, ``RankResult.load()``).
- :class:`~babelscope.analyses.ranking.settings.RankSettings`: every knob, recorded in manifests.

Metrics: Language Ranker (raw last-token cosine, Li et al. 2024), baseline-adjusted cosine
(Wu et al. 2024), MEXA alignment (Kargaran et al. 2024), linear CKA, SVCCA; identity versus
meaning per layer (Zhong et al. 2024); script barrier (TransliCo); text-side token premium
(Petrov et al. 2023) and bits per byte / character / sentence.

This package's namespace is its public API for the other analyses (SIB-200's correlations read
the ranking's column names; its summary names languages like the ranking's). Names load on first
use, so reading a constant does not import the pipeline (torch, the metrics).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> module that defines it
_LAZY = {
    "METRICS": "babelscope.analyses.ranking.settings",
    "RAW_SUFFIX": "babelscope.analyses.ranking.settings",
    "RankSettings": "babelscope.analyses.ranking.settings",
    "RankResult": "babelscope.analyses.ranking.result",
    "RankRun": "babelscope.analyses.ranking.pipeline",
    "rank": "babelscope.analyses.ranking.pipeline",
    "run_rank": "babelscope.analyses.ranking.pipeline",
    "TEXT_COLUMNS": "babelscope.analyses.ranking.text",
    "language_info": "babelscope.analyses.ranking.summary",
}

if TYPE_CHECKING:
    from babelscope.analyses.ranking.pipeline import RankRun, rank, run_rank
    from babelscope.analyses.ranking.result import RankResult
    from babelscope.analyses.ranking.settings import METRICS, RAW_SUFFIX, RankSettings
    from babelscope.analyses.ranking.summary import language_info
    from babelscope.analyses.ranking.text import TEXT_COLUMNS

__all__ = [
    "METRICS",
    "RAW_SUFFIX",
    "TEXT_COLUMNS",
    "RankResult",
    "RankRun",
    "RankSettings",
    "language_info",
    "rank",
    "run_rank",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
