"""KL(final distribution ‖ lens distribution): the exact one, and a coarsened one that is cheap
enough to train on two CPU cores.

Why a reduction is needed: on gemma-3-270m one position costs ``2·V·D ≈ 0.34`` GFLOP per layer
for the full 262,144-token unembedding, forward and again backward, for 18 layers.

The reduction (a proper KL, not a heuristic loss): pick a candidate set ``C`` = the union of the
final distribution's top-``k`` tokens over the positions of a step, and lump every other token
into one ``rest`` bucket. Both distributions are coarsened the same way, onto ``C ∪ {rest}``;
with the exact rest mass, the data-processing inequality makes the coarse KL a lower bound of
the full KL, equal to it when ``p`` and ``q`` agree in shape inside the rest bucket. The final
distribution's rest mass is exact (``1 − Σ_C p``, computed once per position with no gradient).
The lens's rest mass needs the lens's log-partition over the rest of the vocabulary; it is
estimated from ``m`` tokens drawn uniformly without replacement from ``V \\ C``: ``log Σ_rest
e^z ≈ log(|V \\ C| / m) + logsumexp (z_sample)`` (a consistent estimate of the rest sum, exact
at ``m = |V \\ C|``). So each step and layer costs ``(|C| + m)·D`` per position instead of
``V·D``. A test shows the coarse loss tracks the full KL across training checkpoints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from babelscope.lens.unembed import Unembed

LN2 = math.log(2.0)


def kl_full(target_log_probs: torch.Tensor, lens_logits: torch.Tensor) -> torch.Tensor:
    """``KL(p ‖ q)`` in nats per position: ``target_log_probs`` ``[P, V]`` (log p),
    ``lens_logits`` ``[P, V]`` (unnormalised log q). Returns ``[P]``."""
    log_q = torch.log_softmax(lens_logits.float(), dim=-1)
    p = target_log_probs.exp()
    return (p * (target_log_probs - log_q)).sum(-1)


@dataclass
class CoarseTarget:
    """The final distribution coarsened onto ``candidates ∪ {rest}`` for one step.

    ``candidates`` ``[C]`` token ids; ``log_p`` ``[P, C + 1]`` (last column = rest bucket);
    ``rest_ids`` ``[V − C]`` the tokens lumped into the rest bucket.
    """

    candidates: torch.Tensor
    log_p: torch.Tensor
    rest_ids: torch.Tensor


def coarse_target(target_log_probs: torch.Tensor, top_k: int) -> CoarseTarget:
    """Coarsen ``log p`` ``[P, V]`` onto the union of its per-position top-``top_k`` tokens."""
    vocab = target_log_probs.shape[-1]
    k = min(top_k, vocab)
    candidates = torch.unique(target_log_probs.topk(k, dim=-1).indices)
    picked = target_log_probs[:, candidates]
    # log(1 − Σ_C p), computed stably; clamp so a rest bucket holding ~0 mass stays finite.
    inside = torch.logsumexp(picked, dim=-1)
    rest = torch.log(-torch.expm1(inside.clamp(max=-1e-7)))
    keep = torch.ones(vocab, dtype=torch.bool, device=target_log_probs.device)
    keep[candidates] = False
    rest_ids = keep.nonzero()[:, 0]
    if not rest_ids.numel():  # nothing lumped: the coarse KL is the full KL
        return CoarseTarget(candidates, picked, rest_ids)
    return CoarseTarget(candidates, torch.cat([picked, rest[:, None]], dim=-1), rest_ids)


def kl_coarse(
    unembed: Unembed,
    hidden: torch.Tensor,
    target: CoarseTarget,
    *,
    rest_samples: int,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Coarse ``KL(p̃ ‖ q̃)`` in nats per position ``[P]`` for translated states ``hidden``
    ``[P, D]`` (see the module docstring). Differentiable in ``hidden``."""
    n_rest = int(target.rest_ids.numel())
    z = unembed.logits_for_rows(hidden, target.candidates)
    if n_rest:
        m = min(rest_samples, n_rest)
        draw = torch.randperm(n_rest, generator=generator, device="cpu")[:m]
        sample = target.rest_ids[draw.to(target.rest_ids.device)]
        z_rest = torch.logsumexp(unembed.logits_for_rows(hidden, sample), dim=-1)
        z_rest = z_rest + math.log(n_rest / m)
        z = torch.cat([z, z_rest[:, None]], dim=-1)
    log_q = torch.log_softmax(z, dim=-1)
    p = target.log_p.exp()
    terms = p * (target.log_p - log_q)
    return torch.nan_to_num(terms, nan=0.0).sum(-1)
