"""The one unembedding: the model's final norm, its LM head and final-logit softcapping.

The logit lens, a tuned lens (after its translator) and bits-per-byte all decode hidden states
through this module, so there is one place where "hidden state → logits" is defined. Two
copies of it is how TransformerLens's logit lens came to normalise every layer with the final
layer's cached scale (its issue #1076): here the norm is the model's own module applied to each
state it is given, so the scale is recomputed for every layer's own state.

Reductions are chunked over positions (at most ``[chunk, V]`` logits exist at once — a
262k-token vocabulary makes ``[B, T, V]`` gigabytes), and the head can run in another dtype (a
bfloat16 copy is ~3x faster on CPUs with AVX512-BF16). Logits come out in float32 whatever the
dtypes.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from babelscope.models.handle import ModelHandle


class Unembed(nn.Module):
    """``hidden[..., D]`` → ``logits[..., V]`` (float32): final norm, head, softcap.

    ``dtype`` runs the head in that dtype (a cast copy of the model's head; inputs are cast
    in after the norm, which stays in the model's dtype); None or the model's dtype uses the
    model's own head. ``chunk`` bounds the positions decoded at once by the reductions
    (:meth:`logsumexp_and_target`), which never hold more than ``[chunk, V]`` logits.
    """

    def __init__(
        self, handle: ModelHandle, *, dtype: torch.dtype | str | None = None, chunk: int = 128
    ) -> None:
        super().__init__()
        wanted = getattr(torch, dtype) if isinstance(dtype, str) else dtype
        self.norm = handle.final_norm
        self.head_dtype: torch.dtype | None = None
        if wanted is None or wanted == handle.dtype:
            self.head = handle.unembed
        else:
            self.head = copy.deepcopy(handle.unembed).to(wanted)
            self.head_dtype = wanted
        self.softcap = handle.softcap
        self.chunk = chunk

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """Logits ``[..., V]`` float32 for ``hidden[..., D]`` (not chunked)."""
        normed = self.norm(hidden)
        if self.head_dtype is not None:
            normed = normed.to(self.head_dtype)
        return self.softcapped(self.head(normed).float())

    def softcapped(self, logits: torch.Tensor) -> torch.Tensor:
        """``logits`` after final-logit softcapping (``c·tanh(z / c)``; unchanged without a
        softcap): the one place the softcap is applied."""
        if self.softcap:
            logits = torch.tanh(logits / self.softcap) * self.softcap
        return logits

    def logits_for_rows(
        self, hidden: torch.Tensor, token_ids: torch.Tensor, *, chunk: int | None = None
    ) -> torch.Tensor:
        """Logits ``[P, len(token_ids)]`` float32 for ``hidden[P, D]`` in some vocabulary
        columns only: what :meth:`forward` gives in those columns (the model's own final norm
        on each state, the matching rows of the head and its bias, softcapping) without the
        other ``V − len(token_ids)`` rows — the tuned lens's coarse loss needs ``|C| + m`` of
        262k. Differentiable in ``hidden``. The product runs in float32 whatever the head's
        dtype (the rows are cast up; a loss wants the precision). By default one product
        for all positions; ``chunk`` bounds it to ``[chunk, len(token_ids)]`` at a time."""
        weight: torch.Tensor = self.head.weight[token_ids].float()  # type: ignore[index]
        bias: torch.Tensor | None = getattr(self.head, "bias", None)
        rows_bias = bias[token_ids].float() if bias is not None else None

        def part(states: torch.Tensor) -> torch.Tensor:
            logits = self.norm(states).float() @ weight.T
            if rows_bias is not None:
                logits = logits + rows_bias
            return self.softcapped(logits)

        if chunk is None or hidden.shape[0] <= chunk:
            return part(hidden)
        return torch.cat([part(hidden[i : i + chunk]) for i in range(0, hidden.shape[0], chunk)])

    def log_probs(self, hidden: torch.Tensor, *, chunk: int | None = None) -> torch.Tensor:
        """Log-probabilities ``[..., V]`` float32. The result is ``[..., V]`` anyway, so by
        default one product decodes every position (chunks cost ~5% on the latent lens);
        ``chunk`` bounds the intermediates to ``[chunk, V]`` when memory is tight."""
        flat = hidden.reshape(-1, hidden.shape[-1])
        if chunk is None or flat.shape[0] <= chunk:
            out = torch.log_softmax(self.forward(flat), dim=-1)
        else:
            parts = [
                torch.log_softmax(self.forward(flat[start : start + chunk]), dim=-1)
                for start in range(0, flat.shape[0], chunk)
            ]
            out = torch.cat(parts)
        return out.reshape(*hidden.shape[:-1], out.shape[-1])

    def logsumexp_and_target(
        self, hidden: torch.Tensor, targets: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """For ``hidden[M, D]`` and ``targets[M]`` (token ids): ``(logsumexp[M], logit[M])``
        float32, so that ``−log p(target) = logsumexp − logit`` — all bits-per-byte needs,
        without ever holding more than ``[chunk, V]`` logits."""
        lse = torch.empty(hidden.shape[0], dtype=torch.float32, device=hidden.device)
        picked = torch.empty_like(lse)
        for start in range(0, hidden.shape[0], self.chunk):
            part = slice(start, start + self.chunk)
            logits = self.forward(hidden[part])  # [c, V]
            lse[part] = torch.logsumexp(logits, dim=-1)
            picked[part] = logits.gather(1, targets[part].unsqueeze(1)).squeeze(1)
        return lse, picked
