"""Generation under editors (:mod:`babelscope.capture.generate`) on tiny models: α = 0
identity, KV cache == recomputation, batching, hooks removed on error, EOS and newline cuts."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from babelscope import wrap_model
from babelscope.capture.edit_scope import edit
from babelscope.capture.editors import AddVector, Editor, Step
from babelscope.capture.generate import (
    GenerationSettings,
    eos_ids,
    finish,
    generate,
    generate_ids,
)
from babelscope.models.handle import ModelHandle

from tiny_models import build_tiny, tiny_tokenizer

pytestmark = pytest.mark.integration

PROMPTS = ["hello wor", "the cat sat on the", "xy", "a b c d e f g"]
SETTINGS = GenerationSettings(max_new_tokens=8, batch_size=3, stop_at_newline=False)


@pytest.fixture(scope="module", params=["llama", "gpt2", "gemma3_text"])
def handle(request: pytest.FixtureRequest) -> ModelHandle:
    return wrap_model(build_tiny(request.param), tiny_tokenizer(), name=request.param)


def _steer(handle: ModelHandle, alpha: float, positions: Any = "all") -> list[Editor]:
    vector = torch.randn(handle.hidden_size, generator=torch.Generator().manual_seed(1)) * 4.0
    return [AddVector(2, vector, alpha=alpha, positions=positions)]


def _recomputed(handle: ModelHandle, prompt: str, editors: list[Editor], n: int) -> list[int]:
    """Greedy decoding with a full forward of the whole sequence per token (no cache)."""
    ids = handle.tokenizer(prompt, return_tensors="pt")["input_ids"]
    new: list[int] = []
    with torch.no_grad(), edit(handle, editors):
        for _ in range(n):
            logits = handle.model(input_ids=ids, use_cache=False).logits
            token = int(logits[0, -1].argmax())
            new.append(token)
            if token == 2:  # EOS: generate stops this row too
                break
            ids = torch.cat([ids, torch.tensor([[token]])], dim=1)
    return new


def _trim(row: list[int]) -> list[int]:
    return row[: row.index(2) + 1] if 2 in row else row


def test_alpha_zero_is_token_identical_to_plain_generation(handle: ModelHandle) -> None:
    plain = generate_ids(handle, PROMPTS, [], SETTINGS)
    assert generate_ids(handle, PROMPTS, _steer(handle, 0.0), SETTINGS) == plain
    assert generate_ids(handle, PROMPTS, _steer(handle, 1.0), SETTINGS) != plain  # can fail


@pytest.mark.parametrize("positions", ["all", "generated"])
def test_cached_batched_generation_equals_full_recomputation(
    handle: ModelHandle, positions: str
) -> None:
    editors = _steer(handle, 1.0, positions)
    cached = generate_ids(handle, PROMPTS, editors, SETTINGS)
    for prompt, row in zip(PROMPTS, cached, strict=True):
        assert _trim(row) == _recomputed(handle, prompt, editors, SETTINGS.max_new_tokens)


def test_batched_equals_one_prompt_at_a_time(handle: ModelHandle) -> None:
    editors = _steer(handle, 1.0)
    batched = generate(handle, PROMPTS, editors, SETTINGS)
    alone = [generate(handle, [p], editors, SETTINGS)[0] for p in PROMPTS]
    assert batched == alone


class _Boom(Editor):
    layer = 1

    def apply(self, hidden: torch.Tensor, step: Step) -> torch.Tensor:
        raise RuntimeError("boom")


def test_hooks_are_removed_after_an_error_inside_generation(handle: ModelHandle) -> None:
    def count() -> int:
        return sum(
            len(m._forward_hooks) + len(m._forward_pre_hooks) for m in handle.model.modules()
        )

    before = count()
    with pytest.raises(RuntimeError, match="boom"):
        generate(handle, PROMPTS, [*_steer(handle, 1.0), _Boom()], SETTINGS)
    assert count() == before
    assert generate(handle, PROMPTS, [], SETTINGS) == generate(handle, PROMPTS, [], SETTINGS)


class _Chars:
    """A stub tokenizer: token id i is the i-th character of ``ALPHABET``."""

    ALPHABET = "ab\ncd"

    def decode(self, ids: list[int], skip_special_tokens: bool = False) -> str:
        return "".join(self.ALPHABET[i] for i in ids)


def test_finish_cuts_at_eos_and_newline() -> None:
    row = [0, 1, 2, 3, 9, 4]  # "ab\ncd", then EOS 9, then "d"
    assert finish(_Chars(), row, {9}, stop_at_newline=False) == "ab\nc"
    assert finish(_Chars(), row, {9}, stop_at_newline=True) == "ab"
    assert finish(_Chars(), [2, 0, 2, 1], set(), stop_at_newline=True) == "a"  # leading \n
    assert finish(_Chars(), [9, 0], {9}, stop_at_newline=False) == ""


def test_eos_ids_come_from_the_generation_config_else_the_tokenizer(handle: ModelHandle) -> None:
    configured = handle.model.generation_config.eos_token_id
    expected = handle.tokenizer.eos_token_id if configured is None else configured
    wanted = set(expected) if isinstance(expected, list) else {expected}
    assert eos_ids(handle) == wanted and wanted
