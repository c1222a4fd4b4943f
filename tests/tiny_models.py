"""Tiny random-init models for every registered family, built from configs (no downloads).

Each config is a few thousand parameters; :func:`build_tiny` asserts a parameter-count guard so
nobody accidentally makes the unit tiers slow.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import AutoConfig, AutoModelForCausalLM, PreTrainedTokenizerFast

MAX_PARAMS = 200_000
VOCAB = 96

_DECODER: dict[str, Any] = dict(
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=3,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=8,
    vocab_size=VOCAB,
    max_position_embeddings=128,
    pad_token_id=0,
    bos_token_id=1,
    eos_token_id=2,
)

TINY_CONFIGS: dict[str, dict[str, Any]] = {
    "llama": _DECODER,
    "mistral": _DECODER,
    "qwen2": _DECODER,
    "qwen3": _DECODER,
    "gemma": _DECODER,
    "gemma2": {**_DECODER, "final_logit_softcapping": 30.0, "query_pre_attn_scalar": 8},
    "gemma3_text": {**_DECODER, "query_pre_attn_scalar": 8, "sliding_window": 4},
    "phi3": _DECODER,
    "olmo2": _DECODER,
    "gpt2": dict(
        n_embd=32,
        n_layer=3,
        n_head=4,
        vocab_size=VOCAB,
        n_positions=128,
        bos_token_id=1,
        eos_token_id=2,
    ),
    "gpt_neox": dict(
        hidden_size=32,
        num_hidden_layers=3,
        num_attention_heads=4,
        intermediate_size=64,
        vocab_size=VOCAB,
        max_position_embeddings=128,
        bos_token_id=1,
        eos_token_id=2,
    ),
    "bloom": dict(
        hidden_size=32,
        n_layer=3,
        n_head=4,
        vocab_size=VOCAB,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=0,
    ),
    "xglm": dict(
        d_model=32,
        num_layers=3,
        attention_heads=4,
        ffn_dim=64,
        vocab_size=VOCAB,
        max_position_embeddings=128,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=0,
    ),
}


def build_tiny(family: str, seed: int = 0) -> torch.nn.Module:
    if family == "gemma3":
        config = AutoConfig.for_model(
            "gemma3",
            text_config={**_DECODER, "query_pre_attn_scalar": 8, "sliding_window": 4},
            vision_config=dict(
                hidden_size=16,
                intermediate_size=32,
                num_hidden_layers=1,
                num_attention_heads=2,
                image_size=28,
                patch_size=14,
            ),
        )
    else:
        config = AutoConfig.for_model(family, **TINY_CONFIGS[family])
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params < MAX_PARAMS, f"{family} tiny model has {n_params} parameters"
    model.eval()
    return model


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    """A character-level tokenizer over a small alphabet, vocabulary size ``VOCAB``."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    specials = ["<pad>", "<s>", "</s>", "<unk>"]
    chars = list("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ.,:\"'-0123456789")
    vocab = {tok: i for i, tok in enumerate(specials + chars)}
    assert len(vocab) <= VOCAB
    for i in range(len(vocab), VOCAB):
        vocab[f"<extra{i}>"] = i
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    from tokenizers.processors import TemplateProcessing

    tokenizer.post_processor = TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
    )


ALL_FAMILIES = [*TINY_CONFIGS, "gemma3"]
