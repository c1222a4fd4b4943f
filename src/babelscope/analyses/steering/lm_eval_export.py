"""Export a steering vector for lm-evaluation-harness's ``steered`` model type.

``lm_eval --model steered --model_args pretrained=...,steer_path=FILE.pt`` reads (its
``lm_eval/models/hf_steered.py``) a ``torch.load(weights_only=True)`` dict mapping a
*hookpoint* — the name of a module inside ``model.base_model`` — to ``{"steering_vector",
"steering_coefficient", "action", "bias"}`` and, for ``action="add"``, adds ``coefficient ·
vector`` to that module's output (its first element for tuple outputs) at **every** position
of every forward pass.

Mapping: babelscope layer ℓ (1..n_layers) is the output of block ℓ, i.e. the module
``handle.blocks[ℓ-1]``; its hookpoint is that module's name relative to ``model.base_model``
(``layers.{ℓ-1}`` for Llama-style models; not ``model.layers.{ℓ-1}``: lm-eval searches
``base_model.named_modules()``). Layer 0 (the first block's input) has no module output to hook.

What the file cannot say, and so differs from babelscope's steering: lm-eval adds to every
position (``positions="all"``), never only to generated tokens; and it adds the tensor exactly
as stored, so dtype and device must match the model lm-eval loads (``dtype``/``device``
arguments; torch refuses to add a CPU ``[1, D]`` tensor to a CUDA activation). One hookpoint
per file: the lm-eval version we read builds its hooks with a loop closure, so with several
hookpoints every hook would add the last one's vector. LAPE edits neurons, not the residual,
and has no ``add`` form. A JSON file beside the ``.pt`` records the steerer's provenance.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from babelscope.analyses.steering.vector import VectorSteerer
from babelscope.atomic import atomic_write_bytes, atomic_write_text
from babelscope.errors import ConfigError

if TYPE_CHECKING:
    from babelscope.analyses.steering.method import Steerer
    from babelscope.models.handle import ModelHandle


def hookpoint(handle: ModelHandle, layer: int) -> str:
    """The lm-eval hookpoint of babelscope layer ``layer`` (the output of block ``layer``)."""
    if not 1 <= layer <= handle.n_layers:
        raise ConfigError(
            f"layer {layer} has no block output to hook in lm-eval",
            fix=f"export a layer in 1..{handle.n_layers}",
        )
    block = handle.blocks[layer - 1]
    base = handle.model.base_model
    for name, module in base.named_modules():
        if module is block:
            return str(name)
    raise ConfigError(
        f"block {layer - 1} of {handle.name} is not inside model.base_model",
        fix="lm-eval's steered model can only hook modules of the base model",
    )


def export_lm_eval(
    steerer: Steerer,
    path: str | Path,
    handle: ModelHandle,
    *,
    layer: int | None = None,
    alpha: float = 1.0,
    dtype: torch.dtype | None = None,
    device: str | torch.device = "cpu",
) -> Path:
    """Write ``steerer``'s vector at ``layer`` (default: its own pick) with coefficient
    ``alpha`` as an lm-eval steer file ``path`` (``.pt``) plus ``path.json`` (provenance).

    The vector is stored as ``[1, D]`` in ``dtype`` (default: the model's) on ``device``."""
    if not isinstance(steerer, VectorSteerer):
        raise ConfigError(
            f"{steerer.method} steering edits MLP neurons; lm-eval's steered model can only "
            "add a vector to a module output",
            fix="export a diffmean, diffmean_en or gact steerer",
        )
    chosen = steerer.check_layer(layer)
    if chosen is None:
        raise ConfigError("this steerer has no default layer", fix="pass layer=")
    target = Path(path).expanduser()
    if target.suffix not in (".pt", ".pth"):
        raise ConfigError(f"{target} does not end in .pt", fix="lm-eval reads .pt or .pth files")
    name = hookpoint(handle, chosen)
    vector = steerer.vector(chosen).to(dtype=dtype or handle.dtype, device=device)
    config: dict[str, dict[str, Any]] = {
        name: {
            "steering_vector": vector.reshape(1, -1).contiguous(),
            "steering_coefficient": float(alpha),
            "action": "add",
            "bias": None,
        }
    }
    buffer = io.BytesIO()
    torch.save(config, buffer)
    atomic_write_bytes(target, buffer.getvalue())
    sidecar = {
        "format": "lm-evaluation-harness steered model (steer_path)",
        "hookpoint": name,
        "babelscope_layer": chosen,
        "coefficient": float(alpha),
        "positions": "all (lm-eval steers every position)",
        "method": steerer.method,
        "target": steerer.target,
        "provenance": steerer.provenance,
    }
    atomic_write_text(
        target.with_name(target.name + ".json"),
        json.dumps(sidecar, indent=2, ensure_ascii=False, default=str),
    )
    return target
