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
"""

from __future__ import annotations

from babelscope.analyses.ranking.pipeline import RankRun, rank, run_rank
from babelscope.analyses.ranking.result import RankResult
from babelscope.analyses.ranking.settings import METRICS, RankSettings

__all__ = ["METRICS", "RankResult", "RankRun", "RankSettings", "rank", "run_rank"]
