"""Translating a batch of prompts through the one generation path, with per-sentence caps.

:func:`babelscope.capture.generate.generate_ids` takes one ``max_new_tokens`` per call; each
sentence here has its own cap (:meth:`TranslateSettings.cap`). Greedy decoding makes a shorter
cap a prefix of a longer one, so one call runs to the largest cap of the batch and each row is
cut to its own cap afterwards — exactly what generating that row alone with its cap would give
(up to batching's float noise, which the generation module tests). A row *hit the cap* when
neither EOS nor a newline came within its cap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from babelscope.capture.batching import tokenize
from babelscope.capture.generate import GenerationSettings, eos_ids, finish, generate_ids

if TYPE_CHECKING:
    from babelscope.models.handle import ModelHandle


@dataclass(frozen=True)
class Generated:
    """One row's answer: the text (first line, stripped), tokens generated, and whether the
    cap ended it."""

    text: str
    new_tokens: int
    hit_cap: bool


def token_counts(handle: ModelHandle, texts: Sequence[str]) -> list[int]:
    """Tokens of each text under the model's tokenizer, without special tokens."""
    ids = tokenize(handle.tokenizer, list(texts), add_special_tokens=False, max_length=None)
    return [len(row) for row in ids]


def translate_batch(
    handle: ModelHandle, prompts: Sequence[str], caps: Sequence[int], batch_size: int
) -> list[Generated]:
    """Greedy answers to ``prompts`` (input order), row *i* capped at ``caps[i]`` new tokens."""
    if not prompts:
        return []
    settings = GenerationSettings(
        max_new_tokens=max(caps), batch_size=batch_size, stop_at_newline=True
    )
    rows = generate_ids(handle, prompts, (), settings)
    eos = eos_ids(handle)
    tok = handle.tokenizer
    out = []
    for ids, cap in zip(rows, caps, strict=True):
        kept = ids[:cap]
        stop = next((i for i, t in enumerate(kept) if t in eos or "\n" in tok.decode([t])), None)
        used = len(kept) if stop is None else stop + 1
        out.append(Generated(finish(tok, kept, eos, True), used, stop is None and len(kept) >= cap))
    return out
