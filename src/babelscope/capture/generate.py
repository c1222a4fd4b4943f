"""Batched greedy generation under editors: the one generation path (steering, translation).

Generation goes through ``model.generate`` (its KV cache; left padding) inside
:func:`babelscope.capture.edit_scope.edit`, which tracks every call's token positions and each
row's prompt length, so ``positions="generated"`` touches exactly the new tokens in the first
call and in every cached decode step, and the hooks are removed even when generation raises.
Prompts are sorted by length before batching (less padding); greedy decoding makes the result
independent of batch composition up to float noise (tested: batched == one prompt at a time).

Scoring what was generated (bits per character under the unedited model) is not generation:
it is :func:`babelscope.collect.bits.bits_per_char`, the ranking's bits sink.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from babelscope.capture.batching import make_batches, tokenize
from babelscope.capture.edit_scope import edit
from babelscope.capture.engine import pad_id_of

if TYPE_CHECKING:
    from babelscope.capture.editors import Editor
    from babelscope.models.handle import ModelHandle


@dataclass(frozen=True)
class GenerationSettings:
    """Decoding settings (part of a sweep's identity)."""

    max_new_tokens: int = 32
    batch_size: int = 16
    stop_at_newline: bool = True  # the repeat task asks for one line


class _StopAtNewline:
    """HF stopping criterion: a row is finished once its last token's text holds a newline
    (per-row bool; ``generate`` then pads finished rows). Decodes are cached per token id."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.cache: dict[int, bool] = {}

    def _is_newline(self, token: int) -> bool:
        if token not in self.cache:
            self.cache[token] = "\n" in self.tokenizer.decode([token])
        return self.cache[token]

    def __call__(self, input_ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        last = input_ids[:, -1].tolist()
        return torch.tensor([self._is_newline(t) for t in last], device=input_ids.device)


def _stopping(tokenizer: Any) -> Any:
    from transformers import StoppingCriteria, StoppingCriteriaList

    class Criterion(StoppingCriteria):  # transformers wants a subclass
        def __init__(self) -> None:
            self.inner = _StopAtNewline(tokenizer)

        def __call__(self, input_ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
            return self.inner(input_ids, scores, **kwargs)

    return StoppingCriteriaList([Criterion()])


def eos_ids(handle: ModelHandle) -> set[int]:
    """The token ids that end generation: the generation config's, else the tokenizer's."""
    found = getattr(handle.model.generation_config, "eos_token_id", None)
    if found is None:
        found = handle.tokenizer.eos_token_id
    if found is None:
        return set()
    return {int(v) for v in (found if isinstance(found, list) else [found])}


def finish(tokenizer: Any, ids: Sequence[int], eos: set[int], stop_at_newline: bool) -> str:
    """The text of one row's generated ``ids``: up to the first EOS, and (``stop_at_newline``)
    up to the first newline, stripped."""
    kept: list[int] = []
    for token in ids:
        if token in eos:
            break
        kept.append(int(token))
    text = str(tokenizer.decode(kept, skip_special_tokens=True))
    if stop_at_newline:
        text = text.lstrip("\n").split("\n", 1)[0]
    return text.strip()


def generate_ids(
    handle: ModelHandle,
    prompts: Sequence[str],
    editors: Sequence[Editor] = (),
    settings: GenerationSettings | None = None,
) -> list[list[int]]:
    """Greedy new token ids per prompt (input order) under ``editors``, padding of finished
    rows included (see :func:`finish`).

    Each prompt is tokenised with the tokenizer's special tokens (BOS), batches are left-padded,
    and generation stops per row at EOS, at a newline (``stop_at_newline``) or after
    ``max_new_tokens``."""
    opts = settings or GenerationSettings()
    tok = handle.tokenizer
    ids = tokenize(tok, prompts, add_special_tokens=True, max_length=None)
    pad = pad_id_of(tok)
    eos = eos_ids(handle)
    out_ids: list[list[int]] = [[] for _ in prompts]
    batches = make_batches(
        ids, pad_id=pad, batch_size=opts.batch_size, max_batch_tokens=None, padding_side="left"
    )
    for batch in batches:
        extra: dict[str, Any] = {}
        if opts.stop_at_newline:
            extra["stopping_criteria"] = _stopping(tok)
        with torch.no_grad(), edit(handle, list(editors)):
            out = handle.model.generate(  # type: ignore[operator]
                input_ids=batch.input_ids.to(handle.device),
                attention_mask=batch.attention_mask.to(handle.device),
                max_new_tokens=opts.max_new_tokens,
                do_sample=False,
                pad_token_id=pad,
                eos_token_id=sorted(eos) or None,
                **extra,
            )
        width = batch.input_ids.shape[1]
        for row, index in enumerate(batch.indices):
            out_ids[index] = out[row, width:].tolist()
    return out_ids


def generate(
    handle: ModelHandle,
    prompts: Sequence[str],
    editors: Sequence[Editor] = (),
    settings: GenerationSettings | None = None,
) -> list[str]:
    """Greedy continuations of ``prompts`` under ``editors`` (:func:`generate_ids`), decoded
    and cut by :func:`finish` (stripped; possibly empty)."""
    opts = settings or GenerationSettings()
    eos = eos_ids(handle)
    rows = generate_ids(handle, prompts, editors, opts)
    return [finish(handle.tokenizer, row, eos, opts.stop_at_newline) for row in rows]
