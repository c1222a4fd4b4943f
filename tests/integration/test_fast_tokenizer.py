"""The cached-load tokenizer fast path equals ``from_pretrained`` on small saved tokenizers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from babelscope.models.fast_tokenizer import load_fast_tokenizer
from tokenizer_parity import assert_same_tokenizer

from tiny_models import tiny_tokenizer

pytestmark = pytest.mark.integration

TEXTS = ["hello world", "The Cat, sat: 42.", "", "  spaced  out ", "ünïcödé 中文 ok", "<s>x</s>"]


def _tiny_gemma_tokenizer() -> Any:
    # GemmaTokenizer has its own __init__ and pads on the left by default: the class whose
    # defaults the fast path must carry over.
    from transformers import GemmaTokenizer

    specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>"]
    pieces = ["▁", *"abcdefghijklmnopqrstuvwxyz", "▁t", "he", "▁the", "ll", "▁he"]
    vocab = {piece: i for i, piece in enumerate(specials + pieces)}
    merges = [("▁", "t"), ("h", "e"), ("▁t", "he"), ("l", "l"), ("▁", "he")]
    return GemmaTokenizer(vocab=vocab, merges=merges)


@pytest.mark.parametrize("build", [tiny_tokenizer, _tiny_gemma_tokenizer])
def test_fast_path_equals_from_pretrained(build: Any, tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    build().save_pretrained(tmp_path)
    fast = load_fast_tokenizer(tmp_path)
    assert fast is not None
    # It saves like the reference: what from_pretrained reads back is the same tokenizer. (Saved
    # before use: encoding with padding leaves padding settings in the backend, which are saved.)
    fast.save_pretrained(tmp_path / "again")
    reference = AutoTokenizer.from_pretrained(tmp_path)
    assert_same_tokenizer(fast, reference, TEXTS)
    again = AutoTokenizer.from_pretrained(tmp_path / "again")
    assert_same_tokenizer(again, AutoTokenizer.from_pretrained(tmp_path), TEXTS)


def test_gemma_class_defaults_are_kept(tmp_path: Path) -> None:
    _tiny_gemma_tokenizer().save_pretrained(tmp_path)
    fast = load_fast_tokenizer(tmp_path)
    assert fast is not None and fast.padding_side == "left"  # GemmaTokenizer's class default
    padded = fast(["the", "hello the"], padding=True)["input_ids"]
    assert padded[0][0] == fast.pad_token_id  # left padding, as from_pretrained gives


def test_folders_it_cannot_reproduce_fall_back(tmp_path: Path) -> None:
    tiny_tokenizer().save_pretrained(tmp_path)
    config_file = tmp_path / "tokenizer_config.json"
    config = json.loads(config_file.read_text())
    assert load_fast_tokenizer(tmp_path) is not None
    # keys from_pretrained converts before use: left to it
    for extra in (
        {"added_tokens_decoder": {"0": {"content": "<pad>", "special": True}}},
        {"extra_special_tokens": ["<extra90>"]},
        {"bos_token": {"content": "<s>", "lstrip": True}},
        {"auto_map": {"AutoTokenizer": ["x.Tok", None]}},
    ):
        config_file.write_text(json.dumps({**config, **extra}))
        assert load_fast_tokenizer(tmp_path) is None, extra
    config_file.write_text(json.dumps(config))
    (tmp_path / "special_tokens_map.json").write_text("{}")  # legacy settings we would drop
    assert load_fast_tokenizer(tmp_path) is None
    assert load_fast_tokenizer(tmp_path / "absent") is None


def test_classes_with_their_own_methods_are_left_to_from_pretrained(tmp_path: Path) -> None:
    # T5Tokenizer defines methods besides its __init__ (they may rely on state that __init__
    # sets), so the fast path, which skips that __init__, must not build it.
    tiny_tokenizer().save_pretrained(tmp_path)
    config_file = tmp_path / "tokenizer_config.json"
    config = json.loads(config_file.read_text())
    for name, usable in (("T5Tokenizer", False), ("GemmaTokenizer", True), ("NoSuchTok", False)):
        config_file.write_text(json.dumps({**config, "tokenizer_class": name}))
        assert (load_fast_tokenizer(tmp_path) is not None) is usable, name
