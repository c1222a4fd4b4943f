"""A loaded model together with everything babelscope knows about it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from babelscope.models.architectures import ArchSpec, get_submodule

if TYPE_CHECKING:
    import torch
    from torch import nn
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


@dataclass
class ModelHandle:
    """The unmodified HF model plus its tokenizer, architecture spec and provenance.

    Layer numbering used everywhere in babelscope: layer 0 is the input to the first block
    (the embeddings), layer ``i`` is the output of block ``i`` (``resid_post``), so there are
    ``n_layers + 1`` layers, as in HF's ``output_hidden_states``.
    """

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    name: str  # what the user asked for (alias, id, path)
    source: str  # "bundled", "gguf", "local", "hub" or "memory"
    arch: ArchSpec
    model_hash: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def blocks(self) -> nn.ModuleList:
        layers = get_submodule(self.model, self.arch.layers)
        return layers  # type: ignore[return-value]

    @property
    def final_norm(self) -> nn.Module:
        return get_submodule(self.model, self.arch.final_norm)

    @property
    def unembed(self) -> nn.Module:
        return get_submodule(self.model, self.arch.unembed)

    @property
    def n_layers(self) -> int:
        """Number of decoder blocks (the valid layer indices are 0..n_layers)."""
        return len(self.blocks)

    @property
    def text_config(self) -> Any:
        return self.model.config.get_text_config()

    @property
    def softcap(self) -> float | None:
        if self.arch.softcap_attr is None:
            return None
        value = getattr(self.text_config, self.arch.softcap_attr, None)
        return float(value) if value else None

    @property
    def hidden_size(self) -> int:
        return int(self.text_config.hidden_size)

    @property
    def vocab_size(self) -> int:
        weight = getattr(self.unembed, "weight", None)
        return int(weight.shape[0]) if weight is not None else int(self.text_config.vocab_size)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.model.parameters()).dtype

    @cached_property
    def tokenizer_hash(self) -> str:
        """sha256 over the tokenizer's vocabulary, special tokens and class."""
        tok = self.tokenizer
        payload = {
            "class": type(tok).__name__,
            "vocab": sorted(tok.get_vocab().items()),
            "special": sorted(str(t) for t in tok.all_special_tokens),
        }
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()

    def provenance(self) -> dict[str, Any]:
        """What a manifest records about the model."""
        return {
            "name": self.name,
            "source": self.source,
            "model_type": self.text_config.model_type,
            "model_sha256": self.model_hash,
            "tokenizer_sha256": self.tokenizer_hash,
            "n_layers": self.n_layers,
            "hidden_size": self.hidden_size,
            "vocab_size": self.vocab_size,
            "dtype": str(self.dtype).removeprefix("torch."),
            **self.extra,
        }
