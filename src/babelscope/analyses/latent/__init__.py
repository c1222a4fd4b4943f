"""Latent language: which language does the model think in? (Wendler et al. 2024; Zhong et
al. 2024)."""

from __future__ import annotations

from babelscope.analyses.latent.api import Pair, latent_language
from babelscope.analyses.latent.result import LatentResult, PairRun

__all__ = ["LatentResult", "Pair", "PairRun", "latent_language"]
