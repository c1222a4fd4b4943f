"""One check that two tokenizers behave identically (used for the cached-load fast path)."""

from __future__ import annotations

import json
from typing import Any


def assert_same_tokenizer(fast: Any, reference: Any, texts: list[str]) -> None:
    """Same ids (with and without special tokens, padded batches on both sides), same special
    and added tokens, same pad/bos/eos/unk ids, same vocabulary, pipeline and decoding, same
    class (run manifests hash the class name with the vocabulary)."""
    assert type(fast) is type(reference)
    assert json.loads(fast.backend_tokenizer.to_str()) == json.loads(
        reference.backend_tokenizer.to_str()
    )
    for attribute in (
        "special_tokens_map",
        "all_special_tokens",
        "all_special_ids",
        "pad_token_id",
        "bos_token_id",
        "eos_token_id",
        "unk_token_id",
        "padding_side",
        "truncation_side",
        "model_input_names",
        "model_max_length",
        "chat_template",
        "clean_up_tokenization_spaces",
        "split_special_tokens",
    ):
        assert getattr(fast, attribute) == getattr(reference, attribute), attribute
    assert _added(fast) == _added(reference)
    assert len(fast) == len(reference) and fast.get_vocab() == reference.get_vocab()
    for special in (True, False):
        ids = fast(texts, add_special_tokens=special)["input_ids"]
        assert ids == reference(texts, add_special_tokens=special)["input_ids"]
    for side in ("left", "right"):
        got = fast(texts, padding=True, padding_side=side)
        want = reference(texts, padding=True, padding_side=side)
        assert got["input_ids"] == want["input_ids"]
        assert got["attention_mask"] == want["attention_mask"]
    default_fast, default_reference = fast(texts, padding=True), reference(texts, padding=True)
    assert default_fast["input_ids"] == default_reference["input_ids"]  # default padding side
    ids = reference(texts)["input_ids"]
    for skip in (True, False):
        assert fast.batch_decode(ids, skip_special_tokens=skip) == reference.batch_decode(
            ids, skip_special_tokens=skip
        )


def _added(tokenizer: Any) -> dict[int, tuple[str, bool, bool, bool, bool, bool]]:
    return {
        index: (t.content, t.special, t.normalized, t.lstrip, t.rstrip, t.single_word)
        for index, t in tokenizer.added_tokens_decoder.items()
    }
