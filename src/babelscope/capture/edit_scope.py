"""Install editors as scoped hooks: ``with edit(handle, [AddVector(...)]): model.generate(...)``.

Every hook is removed in a ``finally``, even when the body raises. A pre-hook on the whole model
reads each call's inputs and derives a :class:`~babelscope.capture.editors.Step` for the
editors:

- the token position of every column, from the 2-D attention mask (cumulative count of real
  tokens), so left padding is handled; without a mask, from the cache length;
- whether the call starts a sequence or continues one. A call with an empty cache starts a new
  prompt (its real-token count per row becomes ``prompt_len``) — unless its ids begin with the
  recorded prompt's ids, which is ``generate(use_cache=False)`` re-running the whole sequence.
  A call with a filled cache is a decode step: its single column is a *generated* token (the
  trap steering-vectors hit: a position rule applied to the column index instead of the token's
  place stops steering generated tokens).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from babelscope.capture.editors import Editor, Step
from babelscope.capture.hooks import first_tensor
from babelscope.errors import ConfigError

if TYPE_CHECKING:
    from babelscope.models.handle import ModelHandle


class _StepTracker:
    """Pre-hook on the model: keeps the current call's :class:`Step`."""

    def __init__(
        self, row_ids: Sequence[int] | None, prompt_len: Sequence[int] | torch.Tensor | None
    ) -> None:
        self.row_ids = None if row_ids is None else torch.as_tensor(list(row_ids))
        self.step: Step | None = None
        self.prompt_ids: torch.Tensor | None = None
        # Known up front when the caller ran the prompt itself and only decode steps happen
        # inside the scope (activation patching re-runs the last token on a cached prefix).
        self.prompt_len: torch.Tensor | None = (
            None if prompt_len is None else torch.as_tensor(prompt_len, dtype=torch.long)
        )

    def __call__(self, _module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        ids = kwargs.get("input_ids", args[0] if args else None)
        embeds = kwargs.get("inputs_embeds")
        shape = ids.shape if ids is not None else embeds.shape  # type: ignore[union-attr]
        rows, cols = int(shape[0]), int(shape[1])
        mask = kwargs.get("attention_mask")
        if isinstance(mask, torch.Tensor) and mask.dim() == 2:
            full = mask.bool()
            past = full.shape[1] - cols
        else:
            past = _cache_length(kwargs)
            device = (ids if ids is not None else embeds).device  # type: ignore[union-attr]
            full = torch.ones((rows, past + cols), dtype=torch.bool, device=device)
        token_pos = (full.long().cumsum(-1) - 1)[:, past:]
        real = full[:, past:]
        if past == 0 and not self._continues(ids):
            self.prompt_len = real.sum(-1)
            self.prompt_ids = None if ids is None else ids.detach().clone()
        elif self.prompt_len is not None:
            self.prompt_len = self.prompt_len.to(token_pos.device)
        if self.prompt_len is None or self.prompt_len.shape[0] != rows:
            raise ConfigError(
                "editors saw a decode step without its prompt",
                fix="enter `with edit(...)` before calling generate",
            )
        row_ids = self.row_ids
        if row_ids is None or row_ids.numel() != rows:
            row_ids = torch.arange(rows)
        self.step = Step(token_pos, real, self.prompt_len, row_ids.to(token_pos.device))

    def _continues(self, ids: torch.Tensor | None) -> bool:
        """An uncached call that re-runs the recorded prompt plus new tokens."""
        prompt = self.prompt_ids
        if ids is None or prompt is None or ids.shape[0] != prompt.shape[0]:
            return False
        width = prompt.shape[1]
        return ids.shape[1] > width and torch.equal(ids[:, :width], prompt)


def _cache_length(kwargs: dict[str, Any]) -> int:
    """Tokens already in the KV cache (its argument is ``cache`` in transformers 5,
    ``past_key_values`` before)."""
    for name in ("cache", "past_key_values"):
        cache = kwargs.get(name)
        length = getattr(cache, "get_seq_length", None)
        if callable(length):
            return int(length())
    position = kwargs.get("cache_position")
    return int(position[0]) if isinstance(position, torch.Tensor) and position.numel() else 0


def _replace_first(output: Any, tensor: torch.Tensor) -> Any:
    if isinstance(output, tuple):
        return (tensor, *output[1:])
    if isinstance(output, list):
        return [tensor, *output[1:]]
    return tensor


def _current(tracker: _StepTracker) -> Step:
    if tracker.step is None:
        raise RuntimeError("an editor hook ran outside a model forward call")
    return tracker.step


def _input_editor(
    editor: Editor, tracker: _StepTracker
) -> Callable[[nn.Module, tuple[Any, ...], dict[str, Any]], Any]:
    """Pre-hook editing a module's first input (block 0's residual, the MLP down-proj's input)."""

    def hook(_module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        step = _current(tracker)
        if args:
            return (editor.apply(args[0], step), *args[1:]), kwargs
        return args, {**kwargs, "hidden_states": editor.apply(kwargs["hidden_states"], step)}

    return hook


def _output_editor(editor: Editor, tracker: _StepTracker) -> Callable[..., Any]:
    """Forward hook editing a block's residual output."""

    def hook(_module: nn.Module, _args: Any, output: Any) -> Any:
        edited = editor.apply(first_tensor(output), _current(tracker))
        return _replace_first(output, edited)

    return hook


def mlp_down(handle: ModelHandle, block: int) -> nn.Module:
    """The MLP down projection of 0-based ``block`` (from ``ArchSpec.mlp_down``)."""
    path = handle.arch.mlp_down
    if path is None:
        raise ConfigError(
            f"where the MLP down projection of {handle.name} lives is unknown",
            fix="pass arch=ArchSpec(..., mlp_down='mlp.down_proj') to load_model",
        )
    return handle.blocks[block].get_submodule(path)


_GATED = ("up_proj", "gate_up_proj")  # an MLP with one of these multiplies act(gate) by up
_ACTIVATIONS = ("act_fn", "activation_fn")


def mlp_gate_activation(handle: ModelHandle, block: int) -> nn.Module | None:
    """The activation module of 0-based ``block``'s *gated* MLP (``act`` in
    ``down(act(gate(x)) · up(x))``: Llama, Gemma, Qwen, Mistral, Phi-3, OLMo-2), whose output is
    what Tang et al. 2024 call a neuron's activation. None for ungated MLPs (GPT-2, BLOOM,
    GPT-NeoX, XGLM), where the down projection's input already is that activation, and for gated
    ones whose activation is a plain function rather than a module (nothing to hook)."""
    path = str(handle.arch.mlp_down or "")
    parent = path.rpartition(".")[0]
    block_module = handle.blocks[block]
    mlp = block_module.get_submodule(parent) if parent else block_module
    if not any(isinstance(getattr(mlp, name, None), nn.Module) for name in _GATED):
        return None
    for name in _ACTIVATIONS:
        module = getattr(mlp, name, None)
        if isinstance(module, nn.Module):
            return module
    return None


@contextlib.contextmanager
def edit(
    handle: ModelHandle,
    editors: Sequence[Editor],
    *,
    row_ids: Sequence[int] | None = None,
    prompt_len: Sequence[int] | torch.Tensor | None = None,
) -> Iterator[None]:
    """Apply ``editors`` to every forward call of ``handle.model`` inside the block (the
    engine's passes, ``model(...)``, ``model.generate(...)`` with or without a KV cache).

    ``row_ids[b]`` names batch row b for row-selecting editors (default: the row index).
    ``prompt_len[b]`` gives row b's prompt length in real tokens when the first call inside
    the block is already a decode step on a cache the caller filled (otherwise it is read from
    the first call).
    Editors at the same site run in list order. Around the engine (``capture``, the lens), pass
    ``editors=`` to it instead: it sorts inputs by length, and then row ids are input indices.
    """
    if not editors:
        yield
        return
    top = handle.n_layers
    for editor in editors:
        low = 1 if editor.site == "mlp_in" else 0
        if not low <= editor.layer <= top:
            raise ConfigError(
                f"{type(editor).__name__} layer {editor.layer} is out of range",
                fix=f"use layers {low}..{top}",
            )
    tracker = _StepTracker(row_ids, prompt_len)
    blocks = handle.blocks
    handles: list[torch.utils.hooks.RemovableHandle] = []
    try:
        handles.append(handle.model.register_forward_pre_hook(tracker, with_kwargs=True))
        for editor in editors:
            if editor.site == "mlp_in":
                module = mlp_down(handle, editor.layer - 1)
                hook = _input_editor(editor, tracker)
                handles.append(module.register_forward_pre_hook(hook, with_kwargs=True))
            elif editor.layer == 0:
                hook = _input_editor(editor, tracker)
                handles.append(blocks[0].register_forward_pre_hook(hook, with_kwargs=True))
            else:
                post = _output_editor(editor, tracker)
                handles.append(blocks[editor.layer - 1].register_forward_hook(post))
        yield
    finally:
        for removable in handles:
            removable.remove()
