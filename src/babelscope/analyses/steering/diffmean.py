"""DiffMean language vectors: the target's mean residual minus the other languages'.

For each layer, ``v = mean(target) − mean over the other languages of mean(language)`` (method
``diffmean``), or ``v = mean(target) − mean(English)`` (``diffmean_en``), where a language's
mean is the mean over its sentences of each sentence's mean-pooled state (BOS skipped).
CLaS-Bench (Gurgurov et al., arXiv 2601.08331) found these the strongest language steering
vectors among probes, LAPE neurons, PCA/LDA and SAE features.

Steering adds ``α · v`` to the residual at one layer: **α = 1 adds the full raw mean
difference** (no normalisation), so α is in units of "one language shift" at that layer and
α = 0 is the identity.

The method's own layer pick (:meth:`VectorSteerer.default_layer`) is the layer of the middle
half of the stack (:func:`~babelscope.analyses.steering.method.middle_layers`) where the
sentences of the target and the other languages separate best along ``v`` (Fisher ratio
``(m_t − m_o)² / (var_t + var_o)`` of the projections on ``v/‖v‖``; all layers' ratios are
saved as ``separation``). It is a fallback for one-off use; the sweep chooses layers by
measured success.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from babelscope.analyses.steering.method import (
    Steerer,
    SteeringMethod,
    check_layers,
    check_texts,
    middle_layers,
)
from babelscope.capture.editors import AddVector
from babelscope.errors import ConfigError

if TYPE_CHECKING:
    from babelscope.capture.editors import Editor, Positions
    from babelscope.models.handle import ModelHandle


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


def diff_mean_vectors(
    means: Mapping[str, torch.Tensor], target: str, *, against: Sequence[str]
) -> torch.Tensor:
    """``[L, D]``: ``means[target]`` minus the mean of ``means[lang]`` over ``against``
    (each ``means[lang]`` is ``[L, D]``; every language weighs the same, whatever its size)."""
    others = [lang for lang in against if lang != target]
    if not others:
        raise ConfigError("DiffMean needs a language other than the target", fix="add one")
    base = torch.stack([means[lang] for lang in others]).mean(0)
    return means[target] - base


def separation(
    states: Mapping[str, torch.Tensor], target: str, others: Sequence[str], vectors: torch.Tensor
) -> torch.Tensor:
    """``[L]`` Fisher ratio of sentence projections on ``vectors[l]/‖vectors[l]‖``: target
    (``states[target]`` ``[L, N, D]``) against the pooled sentences of ``others``."""
    unit = vectors / vectors.norm(dim=-1, keepdim=True).clamp_min(1e-12)  # [L, D]
    on_target = torch.einsum("lnd,ld->ln", states[target], unit)
    on_others = torch.cat([torch.einsum("lnd,ld->ln", states[o], unit) for o in others], dim=1)
    gap = on_target.mean(1) - on_others.mean(1)
    spread = on_target.var(1, unbiased=False) + on_others.var(1, unbiased=False)
    return gap.square() / spread.clamp_min(1e-12)


class DiffMean(SteeringMethod):
    """``against="others"``: target − mean of the other languages (``diffmean``);
    ``against="pivot"``: target − ``pivot`` (``diffmean_en`` with the default English)."""

    def __init__(self, *, against: str = "others", pivot: str = "eng_Latn") -> None:
        if against not in ("others", "pivot"):
            raise ConfigError(f"unknown DiffMean baseline {against!r}", fix="use others or pivot")
        self.against, self.pivot = against, pivot
        self.name = "diffmean" if against == "others" else "diffmean_en"

    def fit(
        self,
        handle: ModelHandle,
        texts: Mapping[str, Sequence[str]],
        *,
        target: str,
        layers: Sequence[int],
        store_dir: Path | None = None,
        progress: bool = False,
    ) -> VectorSteerer:
        from babelscope.analyses.steering.activations import pooled_states
        from babelscope.analyses.steering.artefact import fit_provenance

        n = check_texts(texts, target)
        against = [lang for lang in texts if lang != target]
        if self.against == "pivot":
            if target == self.pivot or self.pivot not in texts:
                raise ConfigError(
                    f"diffmean_en needs {self.pivot} sentences and another target",
                    fix=f"add {self.pivot} to the languages, or use diffmean",
                )
            against = [self.pivot]
        fitted = check_layers(layers, handle.n_layers)
        pooled = pooled_states(handle, texts, fitted, store_dir=store_dir, progress=progress)
        means = {lang: s.mean(1) for lang, s in pooled.states.items()}
        vectors = diff_mean_vectors(means, target, against=against)
        fisher = separation(pooled.states, target, against, vectors)
        window = middle_layers(pooled.layers, handle.n_layers)
        default = max(window, key=lambda k: float(fisher[pooled.layers.index(k)]))
        provenance = fit_provenance(
            handle, texts, self, target=target, sentences=n, store=pooled.store
        )
        return VectorSteerer(
            self.name,
            target,
            pooled.layers,
            vectors,
            default=default,
            provenance=provenance,
            extra={"separation": fisher},
            info={"against": against},
        )
