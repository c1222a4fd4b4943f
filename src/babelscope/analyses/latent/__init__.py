"""Latent language: which language does the model think in? (Wendler et al. 2024; Zhong et
al. 2024).

Besides the experiment, this namespace is the public API other analyses build on: the
translation / repetition / cloze prompt builder, the token-set rule and prefix index, the
lexicon resolution and the interval statistics (activation patching uses them).
"""

from __future__ import annotations

from babelscope.analyses.latent.api import Pair, latent_language, resolve_lexicon
from babelscope.analyses.latent.prompts import LatentPrompt, build_prompts
from babelscope.analyses.latent.result import LatentResult, PairRun
from babelscope.analyses.latent.stats import SUBSTANTIAL, mean_interval
from babelscope.analyses.latent.token_sets import DEFAULT_RULE, prefix_index

__all__ = [
    "DEFAULT_RULE",
    "SUBSTANTIAL",
    "LatentPrompt",
    "LatentResult",
    "Pair",
    "PairRun",
    "build_prompts",
    "latent_language",
    "mean_interval",
    "prefix_index",
    "resolve_lexicon",
]
