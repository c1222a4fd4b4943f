"""Input checking shared by the geometry metrics.

Every metric converts its inputs to float64 once, here: cosines of 1000 parallel sentences and
the CKA/SVCCA traces differ in the third decimal between float16/bfloat16 captures and float64,
and the metrics are compared across models and layers.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import torch
from torch import Tensor

from babelscope.errors import DataError

Array: TypeAlias = Tensor | np.ndarray
"""A torch tensor or a NumPy array; any float dtype, any device."""


def as_matrix(x: Array, name: str = "x") -> Tensor:
    """``x`` as a float64 CPU tensor of shape ``[N, D]``; N rows are sentences, D features."""
    tensor = torch.as_tensor(x).detach().to(device="cpu", dtype=torch.float64)
    if tensor.ndim != 2:
        raise DataError(
            f"{name} has shape {tuple(tensor.shape)}, expected [N sentences, D features]",
            fix="pool token states to one vector per sentence before computing geometry",
        )
    if not torch.isfinite(tensor).all():
        raise DataError(
            f"{name} contains NaN or infinite values",
            fix="check the capture (overflow in float16?) and drop or recompute those rows",
        )
    return tensor


def paired(
    x: Array, y: Array, *, same_width: bool, names: tuple[str, str] = ("x", "y")
) -> tuple[Tensor, Tensor]:
    """Both inputs as float64 ``[N, D]`` with the same N (row *i* of each is sentence *i*);
    ``same_width`` also requires the same D (needed for cosines, not for CKA/SVCCA)."""
    a, b = as_matrix(x, names[0]), as_matrix(y, names[1])
    if a.shape[0] != b.shape[0]:
        raise DataError(
            f"{names[0]} has {a.shape[0]} rows but {names[1]} has {b.shape[0]}",
            fix="parallel sets need one row per sentence, in the same order, on both sides",
        )
    if same_width:
        check_width(a, b, names)
    return a, b


def check_width(a: Tensor, b: Tensor, names: tuple[str, str] = ("x", "y")) -> None:
    """Refuse feature counts that differ where vectors are compared directly."""
    if a.shape[1] != b.shape[1]:
        raise DataError(
            f"{names[0]} has {a.shape[1]} features but {names[1]} has {b.shape[1]}",
            fix="cosine metrics compare states of one model; use linear_cka or svcca across models",
        )


def require_rows(x: Tensor, minimum: int, metric: str) -> None:
    """Refuse inputs too small for ``metric`` to mean anything."""
    if x.shape[0] < minimum:
        raise DataError(
            f"{metric} needs at least {minimum} sentences, got {x.shape[0]}",
            fix="use more parallel sentences",
        )


def unit_rows(x: Tensor) -> Tensor:
    """Rows scaled to unit L2 norm; all-zero rows stay zero (their cosine with anything is 0)."""
    norms = torch.linalg.vector_norm(x, dim=1, keepdim=True)
    return x / torch.where(norms > 0, norms, torch.ones_like(norms))


def centred(x: Tensor) -> Tensor:
    """Columns shifted to zero mean (over sentences)."""
    return x - x.mean(dim=0, keepdim=True)
