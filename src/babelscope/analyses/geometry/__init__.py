"""Representation geometry across languages: pure functions on ``[N, D]`` sentence states.

Row *i* of every input is the same parallel sentence. Computation is float64 on CPU whatever the
input's dtype or device. Capturing and pooling the states is the capture side's job.
"""

from __future__ import annotations

from babelscope.analyses.geometry.cka import debiased_linear_cka, linear_cka, svcca
from babelscope.analyses.geometry.probes import language_id_probe_accuracy, sentence_split
from babelscope.analyses.geometry.retrieval import (
    bidirectional_retrieval_accuracy,
    cross_lingual_retrieval_accuracy,
    mexa_alignment,
    retrieval_accuracy,
)
from babelscope.analyses.geometry.similarity import (
    baseline_adjusted_cosine,
    cosine_matrix,
    cosine_pairs,
    language_ranker_score,
    standardize,
)
from babelscope.analyses.geometry.stats import spearman_table

__all__ = [
    "baseline_adjusted_cosine",
    "bidirectional_retrieval_accuracy",
    "cosine_matrix",
    "cosine_pairs",
    "cross_lingual_retrieval_accuracy",
    "debiased_linear_cka",
    "language_id_probe_accuracy",
    "language_ranker_score",
    "linear_cka",
    "mexa_alignment",
    "retrieval_accuracy",
    "sentence_split",
    "spearman_table",
    "standardize",
    "svcca",
]
