"""The steerer that adds one vector per layer to the residual: what DiffMean and G-ACT fit.

It knows only the interface of :mod:`~babelscope.analyses.steering.method`; the methods that
build it (:mod:`~babelscope.analyses.steering.diffmean`, :mod:`~babelscope.analyses.steering.gact`)
and the registry that rebuilds it from an artefact import it from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch

from babelscope.analyses.steering.method import Steerer
from babelscope.capture.editors import AddVector
from babelscope.errors import ConfigError

if TYPE_CHECKING:
    from babelscope.capture.editors import Editor, Positions


class VectorSteerer(Steerer):
    """Steering by adding one vector per layer to the residual (DiffMean, G-ACT).

    ``vectors`` is ``[len(layers), D]``; ``extra`` holds diagnostic tensors saved with it
    (G-ACT's probe accuracies and centroids), ``info`` JSON-ready settings."""

    def __init__(
        self,
        method: str,
        target: str,
        layers: Sequence[int],
        vectors: torch.Tensor,
        *,
        default: int | None,
        provenance: dict[str, Any],
        extra: Mapping[str, torch.Tensor] | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        if vectors.dim() != 2 or vectors.shape[0] != len(layers):
            raise ValueError(f"vectors {tuple(vectors.shape)} do not match layers {list(layers)}")
        self.method, self.target = method, target
        self.layers = tuple(int(k) for k in layers)
        self.vectors = vectors.detach().float().cpu().contiguous()
        self.default = default
        self.provenance = provenance
        self.extra = {k: v.detach().cpu().contiguous() for k, v in (extra or {}).items()}
        self.info = dict(info or {})

    def default_layer(self) -> int | None:
        return self.default

    def vector(self, layer: int) -> torch.Tensor:
        """``[D]`` float32: the vector added at ``layer`` (α = 1)."""
        return self.vectors[self.layers.index(layer)]

    def editors(
        self, *, layer: int | None, alpha: float, positions: Positions = "all"
    ) -> list[Editor]:
        chosen = self.check_layer(layer)
        if chosen is None:
            raise ConfigError(f"the {self.method} steerer has no default layer", fix="pass a layer")
        return [AddVector(chosen, self.vector(chosen), alpha=alpha, positions=positions)]

    def tensors(self) -> dict[str, torch.Tensor]:
        return {"vectors": self.vectors, **self.extra}

    def settings(self) -> dict[str, Any]:
        return {"layers": list(self.layers), "default_layer": self.default, **self.info}

    @classmethod
    def rebuild(
        cls,
        method: str,
        target: str,
        tensors: Mapping[str, torch.Tensor],
        settings: Mapping[str, Any],
        provenance: dict[str, Any],
    ) -> VectorSteerer:
        info = {k: v for k, v in settings.items() if k not in ("layers", "default_layer")}
        extra = {k: v for k, v in tensors.items() if k != "vectors"}
        default = settings.get("default_layer")
        return cls(
            method,
            target,
            [int(k) for k in settings["layers"]],
            tensors["vectors"],
            default=None if default is None else int(default),
            provenance=provenance,
            extra=extra,
            info=info,
        )
