"""All forward-pass mechanics of activation patching, behind three functions.

States are read through the capture engine (:func:`~babelscope.capture.capture`) and the patch
is the engine's :class:`~babelscope.capture.editors.PatchState` editor inside its scoped
:func:`~babelscope.capture.edit_scope.edit` — no hook of its own. What this module adds is the
prefix key/value cache (see :func:`iter_patched_log_probs`): a patch at the last token cannot
change earlier positions, so the prompt minus its last token runs once per batch and each
patched layer re-runs one token, which makes all-layer runs ~L times cheaper. The engine has no
cache reuse, so that loop lives here; tokenisation, batching and padding are the engine's.

Layer convention (as everywhere in babelscope): layer 0 is the input of block 0 (the
embeddings), layer ``ℓ ≥ 1`` the output of block ``ℓ-1``. Patching layer ``ℓ`` therefore
replaces that residual and lets blocks ``ℓ..L-1``, the final norm and the LM head run on it.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import torch

from babelscope.capture.api import CaptureOptions, capture
from babelscope.capture.batching import make_batches, tokenize
from babelscope.capture.edit_scope import edit
from babelscope.capture.editors import PatchState
from babelscope.capture.engine import model_inputs
from babelscope.errors import ConfigError

if TYPE_CHECKING:
    from babelscope.models.handle import ModelHandle


def last_position_states(
    handle: ModelHandle, prompts: Sequence[str], layers: Sequence[int], *, batch_size: int = 16
) -> torch.Tensor:
    """Residual states at each prompt's last token.

    Returns ``[N, len(layers), D]`` (float32, CPU), layers in the order given.
    """
    wanted = list(layers)
    options = CaptureOptions(pooling="last", batch_size=batch_size, out_dtype=torch.float32)
    result = capture(handle, list(prompts), layers=sorted(set(wanted)), options=options)
    return torch.stack([result.pooled[layer] for layer in wanted], dim=1)


def patched_final_log_probs(
    handle: ModelHandle,
    target_prompts: Sequence[str],
    layer: int,
    states: torch.Tensor,
    *,
    batch_size: int = 16,
) -> torch.Tensor:
    """The model's own next-token log-probabilities at each target prompt's last token, after
    replacing the residual there at ``layer`` with ``states[i]`` (row i goes into prompt i).

    Args:
        states: ``[N, D]``, one row per target prompt.

    Returns:
        ``[N, V]`` float32 log-softmax of the model's output logits (softcapping included, as
        the model applies it).
    """
    if states.ndim != 2:
        raise ConfigError(
            f"patch states have shape {tuple(states.shape)}, expected [N, D]",
            fix="pass one [D] state per target prompt",
        )
    rows: dict[int, torch.Tensor] = {}
    for _, indices, log_probs in iter_patched_log_probs(
        handle, target_prompts, [layer], states[:, None], batch_size=batch_size
    ):
        for row, index in enumerate(indices):
            rows[index] = log_probs[row]
    return torch.stack([rows[i] for i in range(len(target_prompts))])


def iter_patched_log_probs(
    handle: ModelHandle,
    target_prompts: Sequence[str],
    layers: Sequence[int],
    states: torch.Tensor,
    *,
    batch_size: int = 16,
    unpatched: bool = False,
) -> Iterator[tuple[int, list[int], torch.Tensor]]:
    """:func:`patched_final_log_probs` for several layers at once, batch by batch.

    With ``unpatched``, each batch also yields ``k = len(layers)``: the prompts' own output,
    no patch (it shares the batch's cache, so this baseline costs one token per prompt).

    Args:
        states: ``[N, len(layers), D]``; ``states[i, k]`` goes into prompt i at ``layers[k]``.

    Yields:
        ``(k, indices, log_probs[B, V])`` for each batch and layer position k; ``indices`` map
        rows to prompts. Consumers reduce as they go, so ``[N, L, V]`` never exists at once.

    A patch at the last token cannot change any earlier position (attention is causal), so
    each batch runs the prompt minus its last token once, keeps the key/value cache, and then
    runs only the last token once per layer on a copy of that cache — about one full forward
    per batch instead of one per layer. Left padding with explicit position ids makes every
    prompt's last token the last column, and a batch gives the same numbers as one prompt.
    """
    n = len(target_prompts)
    if states.ndim != 3 or states.shape != (n, len(layers), handle.hidden_size):
        raise ConfigError(
            f"patch states have shape {tuple(states.shape)}, expected "
            f"({n}, {len(layers)}, {handle.hidden_size})",
            fix="pass one [D] state per target prompt and layer",
        )
    bad = [layer for layer in layers if not 0 <= layer <= handle.n_layers]
    if bad:
        raise ConfigError(
            f"layer {bad[0]} is out of range for a model with {handle.n_layers} blocks",
            fix=f"use layers 0..{handle.n_layers}",
        )
    tok = handle.tokenizer
    ids = tokenize(tok, target_prompts, add_special_tokens=True, max_length=None)
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else 0
    params = inspect.signature(handle.model.forward).parameters
    keep_last = "logits_to_keep" in params
    # transformers 5.x renames ``past_key_values`` to ``cache`` (the old name warns).
    cache_kwarg = "cache" if "cache" in params else "past_key_values"
    for batch in make_batches(ids, pad_id=pad_id, batch_size=batch_size, padding_side="left"):
        inputs: dict[str, Any] = dict(model_inputs(handle, batch))
        if keep_last:  # the LM head on one position, not all (it dominates small models)
            inputs["logits_to_keep"] = 1
        cache = _prefix_cache(handle, inputs)
        lengths = batch.attention_mask.sum(-1)  # real tokens: the patched one is the last
        steps: list[int | None] = [*layers, *([None] if unpatched else [])]
        for k, layer in enumerate(steps):
            step = (
                inputs
                if cache is None
                else _last_token_inputs(inputs, cache_kwarg, copy.deepcopy(cache))
            )
            with torch.no_grad(), contextlib.ExitStack() as scope:
                if layer is not None:
                    value = states[batch.indices, k].to(device=handle.device, dtype=handle.dtype)
                    rows = range(len(batch.indices))
                    patch = PatchState(layer, rows, position=-1, value=value)
                    scope.enter_context(edit(handle, [patch], prompt_len=lengths))
                logits = handle.model(**step).logits[:, -1]
            yield k, batch.indices, torch.log_softmax(logits.float(), dim=-1).cpu()


def _prefix_cache(handle: ModelHandle, inputs: dict[str, Any]) -> Any:
    """The key/value cache of every column but the last, or None (one-token prompts, or a
    model that returns no cache: then each layer runs the whole prompt)."""
    if inputs["input_ids"].shape[1] < 2:
        return None
    prefix = {k: v[:, :-1] if torch.is_tensor(v) else v for k, v in inputs.items()}
    prefix["use_cache"] = True
    with torch.no_grad():
        out = handle.model(**prefix)
    return getattr(out, "cache", None) or getattr(out, "past_key_values", None)


def _last_token_inputs(inputs: dict[str, Any], cache_kwarg: str, cache: Any) -> dict[str, Any]:
    step = dict(inputs)
    step["input_ids"] = inputs["input_ids"][:, -1:]
    if "position_ids" in inputs:
        step["position_ids"] = inputs["position_ids"][:, -1:]
    step[cache_kwarg] = cache  # the attention mask stays full width: prefix + token
    step["use_cache"] = True
    return step
