"""Scoped forward hooks on the decoder blocks: always removed, even when the body raises."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from torch import nn


class StopForward(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised by the hook on the last needed block so the rest of the model (later blocks,
    final norm, LM head) never runs."""


LayerCallback = Callable[[int, torch.Tensor], None]


def first_tensor(output: Any) -> torch.Tensor:
    # Some families return the hidden state, others a tuple (hidden, attn weights, ...).
    tensor: torch.Tensor = output[0] if isinstance(output, tuple | list) else output
    return tensor


@contextlib.contextmanager
def record_residual(
    blocks: nn.ModuleList,
    layers: Sequence[int],
    sink: LayerCallback,
    *,
    stop_after_last: bool = True,
) -> Iterator[None]:
    """Call ``sink(layer, hidden[B, T, D])`` for each requested layer during a forward pass.

    Layer 0 is read from the input of block 0, layer i from the output of block i-1 (0-based
    module index). With ``stop_after_last`` the pass is cut after the deepest requested layer by
    raising :class:`StopForward`; the forward engine (:mod:`babelscope.capture.engine`, the only
    caller) runs the model inside :func:`run_until_stopped`.
    """
    wanted = sorted(set(layers))
    deepest = wanted[-1] if wanted else 0
    handles: list[torch.utils.hooks.RemovableHandle] = []

    def pre_hook(_module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        hidden = args[0] if args else kwargs["hidden_states"]
        sink(0, hidden)
        if stop_after_last and deepest == 0:
            raise StopForward

    def make_post_hook(layer: int) -> Callable[..., None]:
        def post_hook(_module: nn.Module, _args: Any, output: Any) -> None:
            sink(layer, first_tensor(output))
            if stop_after_last and layer == deepest:
                raise StopForward

        return post_hook

    try:
        if 0 in wanted:
            handles.append(blocks[0].register_forward_pre_hook(pre_hook, with_kwargs=True))
        for layer in wanted:
            if layer > 0:
                handles.append(blocks[layer - 1].register_forward_hook(make_post_hook(layer)))
        yield
    finally:
        for handle in handles:
            handle.remove()


def run_until_stopped(call: Callable[[], Any]) -> None:
    """Run a forward pass that a hook may cut short with :class:`StopForward`."""
    with contextlib.suppress(StopForward):
        call()
