"""Architecture registry: where each model family keeps the parts the lens and capture need.

Architectures are data (STYLE.md §1): one :class:`ArchSpec` per ``config.model_type``, a
guessing fallback that warns, and a user override (``load_model(..., arch=ArchSpec(...))`` or
:func:`register_architecture`). Nothing else in babelscope branches on the model family.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True)
class ArchSpec:
    """Dotted module paths (relative to the ``*ForCausalLM`` model) and lens settings.

    ``layers`` is the ``ModuleList`` of decoder blocks, ``final_norm`` the norm applied to the
    last block's output before the unembedding ``unembed``. ``softcap_attr`` names the config
    attribute holding final-logit softcapping (Gemma 2 uses 30.0; Gemma 3 leaves it unset), read
    from the text config at load time — never assumed. ``mlp_down`` is the MLP's down
    projection *relative to one block*: its input is the MLP's intermediate activation (the
    "neurons" that :class:`~babelscope.capture.editors.ScaleNeurons` edits); None = unknown.
    """

    layers: str
    final_norm: str
    unembed: str = "lm_head"
    softcap_attr: str | None = "final_logit_softcapping"
    mlp_down: str | None = "mlp.down_proj"


_DECODER = ArchSpec(layers="model.layers", final_norm="model.norm")

ARCHITECTURES: dict[str, ArchSpec] = {
    "llama": _DECODER,
    "mistral": _DECODER,
    "qwen2": _DECODER,
    "qwen3": _DECODER,
    "gemma": _DECODER,
    "gemma2": _DECODER,
    "gemma3_text": _DECODER,
    "gemma3": ArchSpec(
        layers="model.language_model.layers", final_norm="model.language_model.norm"
    ),
    "phi3": _DECODER,
    "olmo2": _DECODER,
    "gpt2": ArchSpec(layers="transformer.h", final_norm="transformer.ln_f", mlp_down="mlp.c_proj"),
    "bloom": ArchSpec(
        layers="transformer.h", final_norm="transformer.ln_f", mlp_down="mlp.dense_4h_to_h"
    ),
    "gpt_neox": ArchSpec(
        layers="gpt_neox.layers",
        final_norm="gpt_neox.final_layer_norm",
        mlp_down="mlp.dense_4h_to_h",
    ),
    "xglm": ArchSpec(layers="model.layers", final_norm="model.layer_norm", mlp_down="fc2"),
}


def register_architecture(model_type: str, spec: ArchSpec, *, overwrite: bool = False) -> None:
    """Teach babelscope a new family (or replace one with ``overwrite=True``)."""
    if model_type in ARCHITECTURES and not overwrite:
        raise ValueError(f"architecture {model_type!r} is already registered; pass overwrite=True")
    ARCHITECTURES[model_type] = spec


def get_submodule(model: nn.Module, path: str) -> nn.Module:
    """``model.get_submodule`` with an error that says which path of which spec failed."""
    try:
        return model.get_submodule(path)
    except AttributeError as exc:
        raise AttributeError(
            f"{type(model).__name__} has no submodule {path!r}; "
            "pass arch=ArchSpec(...) to load_model to say where it lives"
        ) from exc


def resolve_arch(model: nn.Module, override: ArchSpec | None = None) -> ArchSpec:
    """The spec for ``model``: the override, the registry entry, or a guess (with a warning)."""
    if override is not None:
        spec = override
    else:
        model_type = str(getattr(getattr(model, "config", None), "model_type", ""))
        registered = ARCHITECTURES.get(model_type)
        if registered is None:
            spec = guess_arch(model)
            warnings.warn(
                f"model_type {model_type!r} is not registered; guessed {spec}. "
                "Check it, then register it with babelscope.models.register_architecture.",
                stacklevel=2,
            )
        else:
            spec = registered
    for path in (spec.layers, spec.final_norm, spec.unembed):
        get_submodule(model, path)
    return spec


def guess_arch(model: nn.Module) -> ArchSpec:
    """Guess the parts of an unknown family from the module tree.

    Layers: the longest ``ModuleList``. Final norm: the last module whose name contains "norm"
    or "ln" that is not inside the layers. Unembedding: ``get_output_embeddings()``. MLP down
    projection: the first of the known names found inside the first block.
    """
    from torch import nn

    lists = [(name, mod) for name, mod in model.named_modules() if isinstance(mod, nn.ModuleList)]
    if not lists:
        raise ValueError(f"cannot find decoder layers in {type(model).__name__}")
    layers_name = max(lists, key=lambda item: len(item[1]))[0]
    norm_name = None
    for name, _ in model.named_modules():
        leaf = name.rsplit(".", 1)[-1].lower()
        inside_layers = name.startswith(layers_name + ".")
        if not inside_layers and ("norm" in leaf or leaf.startswith("ln")):
            norm_name = name
    if norm_name is None:
        raise ValueError(f"cannot find the final norm of {type(model).__name__}")
    unembed_name = "lm_head"
    get_output: Any = getattr(model, "get_output_embeddings", None)
    head = get_output() if callable(get_output) else None
    if head is not None:
        for name, mod in model.named_modules():
            if mod is head:
                unembed_name = name
                break
    block = model.get_submodule(layers_name)[0]  # type: ignore[index]
    names = {name for name, _ in block.named_modules()}
    mlp_down = next((path for path in _MLP_DOWN_GUESSES if path in names), None)
    return ArchSpec(
        layers=layers_name, final_norm=norm_name, unembed=unembed_name, mlp_down=mlp_down
    )


# Where the known families keep the MLP down projection inside a block, most common first.
_MLP_DOWN_GUESSES = ("mlp.down_proj", "mlp.c_proj", "mlp.dense_4h_to_h", "mlp.fc2", "fc2")
