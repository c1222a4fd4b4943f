"""The ``Lens`` interface: a hidden state at a layer → next-token logits.

Every lens is a small ``nn.Module`` that may translate the hidden state of a layer
(:meth:`Lens.transform_hidden`: identity for the logit lens, a trained per-layer affine map for a
tuned lens, Belrose et al. 2023) and then decodes it through the one shared
:class:`~babelscope.lens.unembed.Unembed` (after tuned-lens's ``Lens`` ABC).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import torch
from torch import nn

from babelscope.lens.unembed import Unembed


class Lens(nn.Module, ABC):
    """Decode ``hidden[..., D]`` read at ``layer`` (0..n_layers) into logits ``[..., V]``."""

    unembed: Unembed

    @abstractmethod
    def transform_hidden(self, hidden: torch.Tensor, layer: int) -> torch.Tensor:
        """Map a layer's state into the last layer's basis (``[..., D]`` → ``[..., D]``)."""

    def forward(self, hidden: torch.Tensor, layer: int) -> torch.Tensor:
        """Logits ``[..., V]`` float32."""
        logits: torch.Tensor = self.unembed(self.transform_hidden(hidden, layer))
        return logits

    def log_probs(self, hidden: torch.Tensor, layer: int) -> torch.Tensor:
        """Log-probabilities ``[..., V]`` float32."""
        return self.unembed.log_probs(self.transform_hidden(hidden, layer))

    def log_probs_stacked(self, hidden: torch.Tensor, layers: Sequence[int]) -> torch.Tensor:
        """``hidden[B, L, D]`` read at ``layers`` → log-probs ``[B, L, V]``: each layer's
        translator, then one unembedding over all ``B·L`` rows (one big product, not L)."""
        translated = torch.stack(
            [self.transform_hidden(hidden[:, i], layer) for i, layer in enumerate(layers)], dim=1
        )
        return self.unembed.log_probs(translated)
