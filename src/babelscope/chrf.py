"""chrF and chrF++ through sacrebleu: the one place the package builds its ``CHRF`` objects.

Used by steering (sentence chrF++ of a steered output against its reference) and translation
(corpus chrF++/chrF with bootstrap intervals, copy detection). chrF++ is
``CHRF(word_order=2)``; plain chrF is ``CHRF()`` (word order 0, what lm-evaluation-harness's
``chrf`` really computes, its issue #2256). A corpus score takes the references in an *outer*
list (``corpus_score(hyps, [refs])``) and is not the mean of sentence scores: it sums the
character and word n-gram statistics over sentences first. Scripts written without spaces
(zho, jpn, tha, lao, khm, mya, bod) have no word boundaries for the word half of chrF++, which
therefore runs systematically low there: report chrF beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

#: ISO 639-3 codes (FLORES prefix) of languages whose script writes no spaces between words.
NO_SPACE_LANGUAGES = frozenset({"zho", "jpn", "tha", "lao", "khm", "mya", "bod"})


@cache
def metric(word_order: int = 2) -> Any:
    """sacrebleu's ``CHRF`` with ``word_order`` (2: chrF++, 0: chrF); cached, stateless use."""
    from sacrebleu.metrics.chrf import CHRF

    return CHRF(word_order=word_order)


def chrf_pp(hypothesis: str, reference: str) -> float:
    """Sentence-level chrF++ (0–100) of ``hypothesis`` against one ``reference``; 0 for an
    empty hypothesis."""
    return sentence(hypothesis, reference, word_order=2)


def sentence(hypothesis: str, reference: str, *, word_order: int = 2) -> float:
    """Sentence-level chrF (``word_order`` 0) or chrF++ (2), 0–100; 0 for an empty hypothesis."""
    if not hypothesis.strip():
        return 0.0
    return float(metric(word_order).sentence_score(hypothesis, [reference]).score)


def corpus(hypotheses: Sequence[str], references: Sequence[str], *, word_order: int = 2) -> float:
    """Corpus chrF (``word_order`` 0) or chrF++ (2), 0–100, of aligned ``hypotheses`` and
    ``references`` (one reference each); NaN for no sentences."""
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")
    if not hypotheses:
        return float("nan")
    return float(metric(word_order).corpus_score(list(hypotheses), [list(references)]).score)


def statistics(
    hypotheses: Sequence[str], references: Sequence[str], *, word_order: int = 2
) -> np.ndarray:
    """``[N, S]`` sacrebleu sufficient statistics, one row per (hypothesis, reference) pair:
    summed over any subset of rows they give that subset's corpus score
    (:func:`from_statistics`), so a bootstrap resamples sentences without re-tokenising."""
    import numpy as np

    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")
    if not hypotheses:
        return np.zeros((0, 0), dtype=np.int64)
    rows = metric(word_order)._extract_corpus_statistics(list(hypotheses), [list(references)])
    return np.asarray(rows, dtype=np.int64)


def from_statistics(summed: Sequence[int] | np.ndarray, *, word_order: int = 2) -> float:
    """The corpus score (0–100) of :func:`statistics` rows summed over sentences (``[S]``)."""
    values = [int(v) for v in summed]
    return float(metric(word_order)._compute_score_from_stats(values).score)


def signature(word_order: int = 2) -> str:
    """sacrebleu's signature string of the metric (recorded in manifests). sacrebleu only
    knows the reference count after scoring, so a fresh object scores one pair first."""
    from sacrebleu.metrics.chrf import CHRF

    fresh = CHRF(word_order=word_order)
    fresh.corpus_score(["a"], [["a"]])
    return str(fresh.get_signature())
