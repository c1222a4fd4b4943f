"""LAPE language-specific neurons (Tang et al., ACL 2024) and steering with them.

Selection, per Tang et al.: for every MLP neuron, the activation probability ``p[g]`` (share of
language g's tokens where it is > 0) is normalised over languages and its entropy taken; a
neuron that fires for one language only has entropy 0. Neurons whose probability exceeds the
``filter_quantile`` (0.95) of all probabilities in no language are dropped first (rarely active
neurons would look specific by chance); the ``top_rate`` (1%) lowest-entropy neurons remain,
and each is assigned to every language whose probability exceeds the ``bar_quantile`` (0.95)
of all probabilities (a neuron can belong to two related languages).

Steering towards a target: each target neuron moves towards the target's mean activation,
``new = act + α · (mean_target − act)`` (:class:`~babelscope.capture.editors.BlendNeurons`:
α = 0 identity, α = 1 sets it to the mean, as Tang et al. "activate" a language). With
``deactivate_others`` the other languages' neurons (not shared with the target) are scaled by
``1 − α`` (α = 1 switches them off, Tang et al.'s deactivation). Default off; recorded.

A neuron is a unit of the MLP's intermediate activation. "Active" is counted as Tang et al. do:
``act(gate(x)) > 0`` for gated MLPs (Llama, Gemma, Qwen, Mistral, Phi-3, OLMo-2), the
activation itself for ungated ones (GPT-2, BLOOM, GPT-NeoX). Tokens are counted with a leading
BOS skipped (it is the same token in every language).

Deviations: Tang et al. set the gate activation ``act(gate)`` to the target's mean, which is
then still multiplied by ``up(x)``; we set the down projection's *input* ``act(gate) · up`` to
its target mean (where babelscope's neuron editors act), i.e. the neuron's whole contribution
to the residual. For ungated MLPs the two are the same.

Layers: like Tang et al., the selection runs over every block's neurons and the steerer acts at
every block holding target neurons, whatever ``layers`` the fit is given (a sweep's handful of
depths would otherwise hide most language neurons); ``restrict_layers=True`` selects only among
the blocks in ``layers``.
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
)
from babelscope.capture.editors import BlendNeurons, ScaleNeurons

if TYPE_CHECKING:
    from babelscope.capture.editors import Editor, Positions
    from babelscope.models.handle import ModelHandle


def entropy_over_languages(prob: torch.Tensor) -> torch.Tensor:
    """``prob[G, ...]`` → entropy (nats) of each neuron's probabilities normalised over the G
    languages, shape ``[...]``; a neuron never active anywhere gets +inf (never selected)."""
    total = prob.sum(0, keepdim=True)
    norm = torch.where(total > 0, prob / total.clamp_min(1e-30), torch.zeros_like(prob))
    logs = torch.where(norm > 0, norm.log(), torch.zeros_like(norm))
    entropy = -(norm * logs).sum(0)
    return torch.where(total[0] > 0, entropy, torch.full_like(entropy, float("inf")))


def _quantile(values: torch.Tensor, q: float) -> float:
    """The ``q`` quantile as Tang et al. take it: the k-th smallest value, k = round(n·q)."""
    flat = values.flatten().float()
    k = min(max(1, round(flat.numel() * q)), flat.numel())
    return float(flat.kthvalue(k).values)


def select_neurons(
    prob: torch.Tensor,
    *,
    top_rate: float = 0.01,
    filter_quantile: float = 0.95,
    bar_quantile: float = 0.95,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Language-specific neurons from ``prob[G, L, I]`` (G languages, L layers, I neurons).

    Returns ``(chosen [K, 2] long: (layer row, neuron) of the K lowest-entropy kept neurons,
    member [G, K] bool: the languages each belongs to)``."""
    width = prob.shape[-1]
    entropy = entropy_over_languages(prob)  # [L, I]
    strong = prob > _quantile(prob, filter_quantile)
    entropy = torch.where(strong.any(0), entropy, torch.full_like(entropy, float("inf")))
    flat = entropy.flatten()
    k = min(max(1, round(flat.numel() * top_rate)), int(torch.isfinite(flat).sum()))
    order = torch.sort(flat, stable=True).indices[:k]  # stable: ties keep neuron order
    chosen = torch.stack([order // width, order % width], dim=1)
    picked = prob[:, chosen[:, 0], chosen[:, 1]]  # [G, K]
    return chosen, picked > _quantile(prob, bar_quantile)


class NeuronSteerer(Steerer):
    """LAPE steering: ``neurons[K, 2]`` (babelscope layer 1..n, neuron index) move towards
    ``values[K]``; ``others[M, 2]`` (other languages' neurons) are scaled by ``1 − α`` when
    ``deactivate_others``."""

    method = "lape"

    def __init__(
        self,
        target: str,
        neurons: torch.Tensor,
        values: torch.Tensor,
        others: torch.Tensor,
        *,
        deactivate_others: bool,
        provenance: dict[str, Any],
        extra: Mapping[str, torch.Tensor] | None = None,
    ) -> None:
        self.target = target
        self.neurons = neurons.long().reshape(-1, 2)
        self.values = values.float().reshape(-1)
        self.others = others.long().reshape(-1, 2)
        self.deactivate_others = deactivate_others
        self.provenance = provenance
        self.extra = dict(extra or {})
        self.layers = tuple(sorted({int(k) for k in self.neurons[:, 0].tolist()}))

    def default_layer(self) -> int | None:
        return None  # Tang et al. intervene on a language's neurons in every layer at once

    def editors(
        self, *, layer: int | None, alpha: float, positions: Positions = "all"
    ) -> list[Editor]:
        chosen = self.check_layer(layer)
        out: list[Editor] = []
        for k in self.layers if chosen is None else (chosen,):
            mine = self.neurons[:, 0] == k
            out.append(
                BlendNeurons(
                    k, self.neurons[mine, 1], self.values[mine], alpha=alpha, positions=positions
                )
            )
            theirs = self.others[self.others[:, 0] == k, 1]
            if self.deactivate_others and theirs.numel():
                out.append(
                    ScaleNeurons(k, theirs.tolist(), factor=1.0 - alpha, positions=positions)
                )
        return out

    def tensors(self) -> dict[str, torch.Tensor]:
        return {"neurons": self.neurons, "values": self.values, "others": self.others, **self.extra}

    def settings(self) -> dict[str, Any]:
        return {
            "layers": list(self.layers),
            "default_layer": None,
            "deactivate_others": self.deactivate_others,
            "neurons": int(self.neurons.shape[0]),
        }

    @classmethod
    def rebuild(
        cls,
        method: str,
        target: str,
        tensors: Mapping[str, torch.Tensor],
        settings: Mapping[str, Any],
        provenance: dict[str, Any],
    ) -> NeuronSteerer:
        core = ("neurons", "values", "others")
        return cls(
            target,
            tensors["neurons"],
            tensors["values"],
            tensors["others"],
            deactivate_others=bool(settings.get("deactivate_others", False)),
            provenance=provenance,
            extra={k: v for k, v in tensors.items() if k not in core},
        )


class Lape(SteeringMethod):
    """Hyper-parameters of LAPE selection and steering (defaults: Tang et al.'s)."""

    name = "lape"

    def __init__(
        self,
        *,
        top_rate: float = 0.01,
        filter_quantile: float = 0.95,
        bar_quantile: float = 0.95,
        deactivate_others: bool = False,
        restrict_layers: bool = False,
        batch_size: int = 16,
    ) -> None:
        self.top_rate, self.filter_quantile, self.bar_quantile = (
            top_rate,
            filter_quantile,
            bar_quantile,
        )
        self.deactivate_others, self.batch_size = deactivate_others, batch_size
        self.restrict_layers = restrict_layers

    def fit(
        self,
        handle: ModelHandle,
        texts: Mapping[str, Sequence[str]],
        *,
        target: str,
        layers: Sequence[int],
        store_dir: Path | None = None,
        progress: bool = False,
    ) -> NeuronSteerer:
        from babelscope.analyses.steering.activations import cached_mlp_statistics
        from babelscope.analyses.steering.artefact import fit_provenance

        n = check_texts(texts, target)
        wanted = list(range(1, handle.n_layers + 1))
        if self.restrict_layers:
            wanted = [k for k in layers if k != 0] or [0]  # [0] alone: refused just below
        blocks = check_layers(wanted, handle.n_layers, lowest=1)
        stats = cached_mlp_statistics(
            handle, texts, store_dir=store_dir, batch_size=self.batch_size, progress=progress
        )
        languages = list(texts)
        rows = torch.tensor([k - 1 for k in blocks], dtype=torch.long)
        prob = torch.stack([stats.prob[g][rows] for g in languages])  # [G, L', I]
        chosen, member = select_neurons(
            prob,
            top_rate=self.top_rate,
            filter_quantile=self.filter_quantile,
            bar_quantile=self.bar_quantile,
        )
        layer_of = rows[chosen[:, 0]] + 1  # babelscope block index
        located = torch.stack([layer_of, chosen[:, 1]], dim=1)
        own = member[languages.index(target)]
        theirs = member.any(0) & ~own
        mean = stats.mean[target]
        values = mean[located[own, 0] - 1, located[own, 1]]
        counts = {g: int(member[i].sum()) for i, g in enumerate(languages)}
        provenance = fit_provenance(handle, texts, self, target=target, sentences=n)
        provenance["neurons_per_language"] = counts
        provenance["tokens_per_language"] = stats.tokens
        provenance["activation_counted"] = stats.measured
        return NeuronSteerer(
            target,
            located[own],
            values,
            located[theirs],
            deactivate_others=self.deactivate_others,
            provenance=provenance,
            extra={"activation_prob": prob, "member": member.to(torch.uint8)},
        )
