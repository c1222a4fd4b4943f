"""Does a sentence's nearest neighbour in another language turn out to be its translation?

``x`` and ``y`` are ``[N, D]`` states of one model for N parallel sentences (row *i* of each is
the same sentence). A sentence counts only when its translation is the **strict** maximum:
a tie (e.g. two identical states) is not a retrieval, so degenerate representations that map
everything to one point score 0, not 1.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from babelscope.analyses.geometry._arrays import Array, as_matrix, paired, require_rows, unit_rows
from babelscope.errors import DataError


def _strict_hits(sims: Tensor) -> tuple[Tensor, Tensor]:
    """For a square similarity matrix ``[N, N]``: whether each diagonal entry strictly beats
    every other entry of its row, and of its column. Two ``[N]`` bool tensors."""
    diagonal = sims.diagonal()
    others = sims.clone()
    others.fill_diagonal_(float("-inf"))
    return diagonal > others.max(dim=1).values, diagonal > others.max(dim=0).values


def _similarities(x: Array, y: Array, metric: str) -> Tensor:
    a, b = paired(x, y, same_width=True)
    require_rows(a, 2, metric)
    return unit_rows(a) @ unit_rows(b).T


def retrieval_accuracy(x: Array, y: Array) -> float:
    """Fraction of rows of ``x`` ``[N, D]`` whose strictly most cosine-similar row of ``y``
    ``[N, D]`` is their translation (x → y). Chance is 1/N."""
    by_row, _ = _strict_hits(_similarities(x, y, "retrieval_accuracy"))
    return float(by_row.double().mean())


def bidirectional_retrieval_accuracy(x: Array, y: Array) -> float:
    """Mean of x → y and y → x :func:`retrieval_accuracy` (``[N, D]`` each). Chance is 1/N."""
    by_row, by_column = _strict_hits(_similarities(x, y, "bidirectional_retrieval_accuracy"))
    return float((by_row.double().mean() + by_column.double().mean()) / 2)


def mexa_alignment(x: Array, y: Array) -> float:
    """MEXA alignment score (Kargaran et al. 2024) of ``x`` ``[N, D]`` and ``y`` ``[N, D]``.

    With ``C[i, j] = cos(x_i, y_j)``, sentence *i* counts when ``C[i, i]`` is strictly larger
    than every other entry of row *i* **and** of column *i* — retrieval must succeed in both
    directions at once, as in the paper's formula and its reference code (``compute_mexa.py``).
    Returns the fraction counted, in [0, 1]; ~1/N² for unrelated states (each direction alone
    is ~1/N; see :func:`bidirectional_retrieval_accuracy` for their mean).

    The paper pools states with a position-weighted mean over tokens (``embd_weighted``) or
    takes the last token; pooling is the capture side's choice, not this function's."""
    by_row, by_column = _strict_hits(_similarities(x, y, "mexa_alignment"))
    return float((by_row & by_column).double().mean())


def cross_lingual_retrieval_accuracy(
    states: Mapping[str, Array], *, pivot: str | None = None
) -> float:
    """Mean :func:`retrieval_accuracy` over ordered language pairs — the "meaning" axis of an
    identity-versus-meaning plot, beside :func:`language_id_probe_accuracy` as "identity".

    ``states`` maps each language to ``[N, D]`` states of the same N parallel sentences. With
    ``pivot`` only pairs to and from that language are used (L−1 pairs each way instead of
    L·(L−1), which matters for 200 languages). Chance is 1/N."""
    if len(states) < 2:
        raise DataError(
            f"cross-lingual retrieval needs at least 2 languages, got {len(states)}",
            fix="pass states for two or more languages",
        )
    if pivot is not None and pivot not in states:
        raise DataError(
            f"pivot language {pivot!r} has no states",
            fix=f"use one of: {', '.join(sorted(states))}",
        )
    langs = list(states)
    reference = as_matrix(states[langs[0]], langs[0])
    require_rows(reference, 2, "cross_lingual_retrieval_accuracy")
    units = {
        lang: unit_rows(paired(reference, states[lang], same_width=True, names=(langs[0], lang))[1])
        for lang in langs
    }
    scores: list[Tensor] = []
    # One similarity matrix per unordered pair gives both directions (rows and columns).
    for i, a in enumerate(langs):
        for b in langs[i + 1 :]:
            if pivot is None or pivot in (a, b):
                by_row, by_column = _strict_hits(units[a] @ units[b].T)
                scores += [by_row.double().mean(), by_column.double().mean()]
    return float(torch.stack(scores).mean())
