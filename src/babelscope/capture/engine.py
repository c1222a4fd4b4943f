"""The one batched forward engine: every consumer of activations runs through :func:`iter_forward`.

Capture (pooling), the last-position logit lens, the ranking's states + bits-per-byte and the
generation view used to have a forward loop each, each re-deriving the pad id, BOS skipping and
early stopping; they drifted apart. Now the engine owns the loop and the consumers are *sinks*:

- tokenise (texts) or take pre-tokenised id lists as they are;
- sort by length and cut into padded batches (left or right), with explicit position ids so
  left padding gives the same states as no padding;
- run the blocks under scoped hooks (:func:`~babelscope.capture.hooks.record_residual`) that hand
  each needed layer's residual ``hidden[B, T, D]`` to the sinks that asked for it;
- **stop early**: the hook on the deepest layer any sink needs raises
  :class:`~babelscope.capture.hooks.StopForward`, so later blocks, the final norm and the LM head
  never run (on gemma-3-270m the 262k-token head costs more than all 18 blocks);
- optionally apply *editors* (add a vector, patch a state, scale neurons —
  :mod:`babelscope.capture.editors`) in the same pass; their hooks are registered before the
  recording hooks, so sinks see the edited states.

A sink declares the ``layers`` it needs, gets ``on_batch_start(batch)``, then ``sink(layer,
hidden)`` for each of its layers in depth order, and returns its per-batch result from
``on_batch_end(batch)``. Sinks reduce inside the hook (pool, gather one position), so full
``[B, T, D]`` states are never kept for all layers at once. A sink that also declares
``mlp_layers`` (:class:`MlpSink`) gets ``on_mlp(layer, acts, gate)`` with the input ``[B, T, I]``
of block ``layer``'s MLP down projection (the intermediate activation, where
:class:`~babelscope.capture.editors.ScaleNeurons` acts) and, for gated MLPs, the activation of
the gate alone (``act(gate(x))``, before the product with ``up(x)``; None otherwise) — LAPE's
activation probabilities read it. A new analysis adds a sink or an editor, never a loop.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import torch

from babelscope.capture.batching import PaddingSide, make_batches, tokenize, with_progress
from babelscope.capture.edit_scope import edit, mlp_down, mlp_gate_activation
from babelscope.capture.editors import Editor
from babelscope.capture.hooks import record_residual, run_until_stopped
from babelscope.errors import ConfigError

if TYPE_CHECKING:
    from babelscope.capture.batching import Batch
    from babelscope.models.handle import ModelHandle

R_co = TypeVar("R_co", covariant=True)
R = TypeVar("R")

Inputs = Sequence[str] | Sequence[Sequence[int]]


@dataclass(frozen=True)
class ForwardOptions:
    """How inputs are tokenised and batched (part of what makes results reproducible: batch
    composition changes the last bits of the states)."""

    batch_size: int = 16
    max_batch_tokens: int | None = 8192
    padding_side: PaddingSide = "right"
    sort_by_length: bool = True
    add_special_tokens: bool = True  # texts only; id lists are fed as given
    max_length: int | None = None  # texts only
    progress: bool = False  # a texts-done progress bar on stderr
    desc: str = "forward"


@dataclass
class ForwardBatch:
    """One padded batch as the sinks see it (tensors already on the model's device).

    ``indices[b]`` is row b's position in the caller's input order; ``token_ids[b]`` its
    unpadded ids; ``input_ids``, ``attention_mask``, ``position_ids`` are ``[B, T]``.
    """

    indices: list[int]
    token_ids: list[list[int]]
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    position_ids: torch.Tensor
    padding_side: PaddingSide

    def first_is(self, token_id: int | None) -> torch.Tensor | None:
        """``[B]`` bool: row starts with ``token_id`` (e.g. BOS); None when there is no such id."""
        if token_id is None:
            return None
        return torch.tensor(
            [bool(ids) and ids[0] == token_id for ids in self.token_ids],
            device=self.input_ids.device,
        )


class Sink(Protocol[R_co]):
    """Receives residual states during the engine's forward pass (see the module docstring)."""

    @property
    def layers(self) -> Sequence[int]: ...

    def on_batch_start(self, batch: ForwardBatch) -> None: ...

    def __call__(self, layer: int, hidden: torch.Tensor) -> None: ...

    def on_batch_end(self, batch: ForwardBatch) -> R_co: ...


class MlpSink(Sink[R_co], Protocol):
    """A sink that also reads MLP intermediate activations (the down projection's input)."""

    @property
    def mlp_layers(self) -> Sequence[int]: ...

    def on_mlp(self, layer: int, acts: torch.Tensor, gate: torch.Tensor | None) -> None: ...


MlpCallback = Callable[[int, torch.Tensor, "torch.Tensor | None"], None]


def _mlp_layers(sink: Sink[Any]) -> list[int]:
    return [int(layer) for layer in getattr(sink, "mlp_layers", ())]


@contextlib.contextmanager
def record_mlp(handle: ModelHandle, layers: Sequence[int], callback: MlpCallback) -> Iterator[None]:
    """Call ``callback(layer, acts[B, T, I], gate[B, T, I] | None)`` with the input of block
    ``layer``'s MLP down projection (1..n_layers) and, for gated MLPs, its gate activation
    (:func:`~babelscope.capture.edit_scope.mlp_gate_activation`), during a forward pass; hooks
    removed in a ``finally``. The gate is read before any ``mlp_in`` editor acts."""
    handles: list[torch.utils.hooks.RemovableHandle] = []
    gates: dict[int, torch.Tensor] = {}
    gate_modules = {layer: mlp_gate_activation(handle, layer - 1) for layer in layers}
    # one module object shared by several blocks would fire every block's hook: read none
    if len({id(m) for m in gate_modules.values() if m is not None}) < sum(
        m is not None for m in gate_modules.values()
    ):
        gate_modules = dict.fromkeys(gate_modules)

    def make_gate_hook(layer: int) -> Callable[..., None]:
        def hook(_module: torch.nn.Module, _args: Any, output: torch.Tensor) -> None:
            gates[layer] = output

        return hook

    def make_hook(layer: int) -> Callable[..., None]:
        def hook(_module: torch.nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            acts = args[0] if args else next(iter(kwargs.values()))
            callback(layer, acts, gates.pop(layer, None))

        return hook

    try:
        for layer in layers:
            gate = gate_modules[layer]
            if gate is not None:
                handles.append(gate.register_forward_hook(make_gate_hook(layer)))
            module = mlp_down(handle, layer - 1)
            handles.append(module.register_forward_pre_hook(make_hook(layer), with_kwargs=True))
        yield
    finally:
        for removable in handles:
            removable.remove()


def pad_id_of(tokenizer: Any) -> int:
    """The tokenizer's pad id, or 0 (padded positions are masked out, so any id works)."""
    pad = getattr(tokenizer, "pad_token_id", None)
    return int(pad) if pad is not None else 0


def token_ids_of(handle: ModelHandle, inputs: Inputs, options: ForwardOptions) -> list[list[int]]:
    """Tokenise texts, or check and copy pre-tokenised id lists (fed exactly as given)."""
    if all(isinstance(item, str) for item in inputs):
        texts = [str(item) for item in inputs]
        return tokenize(
            handle.tokenizer,
            texts,
            add_special_tokens=options.add_special_tokens,
            max_length=options.max_length,
        )
    if any(isinstance(item, str) for item in inputs):
        raise ConfigError("inputs mix texts and token id lists", fix="pass one kind only")
    ids = [[int(t) for t in row] for row in inputs]
    for i, row in enumerate(ids):
        if not row:
            raise ConfigError(f"token id list #{i} is empty", fix="pass non-empty id lists")
    return ids


def model_inputs(handle: ModelHandle, batch: Batch) -> dict[str, torch.Tensor | bool]:
    """Forward kwargs for one batch. Explicit position ids make left padding give the same
    states as no padding (families that take them; ALiBi ones read the mask)."""
    device = handle.device
    kwargs: dict[str, torch.Tensor | bool] = {
        "input_ids": batch.input_ids.to(device),
        "attention_mask": batch.attention_mask.to(device),
        "use_cache": False,
    }
    if "position_ids" in inspect.signature(handle.model.forward).parameters:
        kwargs["position_ids"] = batch.position_ids.to(device)
    return kwargs


def iter_forward(
    handle: ModelHandle,
    inputs: Inputs,
    sinks: Sequence[Sink[Any]],
    *,
    options: ForwardOptions | None = None,
    editors: Sequence[Editor] = (),
    token_ids: list[list[int]] | None = None,
) -> Iterator[tuple[ForwardBatch, list[Any]]]:
    """Run ``inputs`` (texts or id lists) batch by batch; yield each batch with the list of its
    sinks' ``on_batch_end`` results (batches come in length order: use ``batch.indices``).

    The pass stops after the deepest layer any sink needs. ``editors`` act in the same pass;
    their row selections refer to input indices. ``token_ids`` passes ids the caller already
    tokenised from ``inputs`` (to avoid tokenising twice).
    """
    opts = options or ForwardOptions()
    if not sinks:
        raise ConfigError("the forward engine got no sinks", fix="pass at least one sink")
    ids = token_ids if token_ids is not None else token_ids_of(handle, inputs, opts)
    resid = sorted({layer for sink in sinks for layer in sink.layers})
    mlp = sorted({layer for sink in sinks for layer in _mlp_layers(sink)})
    if not resid and not mlp:
        raise ConfigError("no sink asked for a layer", fix="give each sink at least one layer")
    top = handle.n_layers
    if resid and (resid[0] < 0 or resid[-1] > top):
        raise ConfigError(f"layers {resid} out of range", fix=f"use layers 0..{top}")
    if mlp and (mlp[0] < 1 or mlp[-1] > top):
        raise ConfigError(f"MLP layers {mlp} out of range", fix=f"use MLP layers 1..{top}")
    # Block i's MLP runs inside block i, so stopping after residual layer i keeps it.
    wanted = sorted(set(resid) | set(mlp))
    routes = {layer: [s for s in sinks if layer in set(s.layers)] for layer in wanted}
    mlp_routes = {layer: [s for s in sinks if layer in set(_mlp_layers(s))] for layer in mlp}

    def dispatch(layer: int, hidden: torch.Tensor) -> None:
        for sink in routes[layer]:
            sink(layer, hidden)

    def dispatch_mlp(layer: int, acts: torch.Tensor, gate: torch.Tensor | None) -> None:
        for sink in mlp_routes[layer]:
            sink.on_mlp(layer, acts, gate)  # type: ignore[attr-defined]

    batches = make_batches(
        ids,
        pad_id=pad_id_of(handle.tokenizer),
        batch_size=opts.batch_size,
        max_batch_tokens=opts.max_batch_tokens,
        padding_side=opts.padding_side,
        sort_by_length=opts.sort_by_length,
    )
    for batch in with_progress(batches, total=len(ids), desc=opts.desc, enabled=opts.progress):
        kwargs = model_inputs(handle, batch)
        view = ForwardBatch(
            indices=batch.indices,
            token_ids=[ids[i] for i in batch.indices],
            input_ids=kwargs["input_ids"],  # type: ignore[arg-type]
            attention_mask=kwargs["attention_mask"],  # type: ignore[arg-type]
            position_ids=batch.position_ids.to(handle.device),
            padding_side=opts.padding_side,
        )
        for sink in sinks:
            sink.on_batch_start(view)
        with (
            torch.no_grad(),
            edit(handle, editors, row_ids=batch.indices),
            record_mlp(handle, mlp, dispatch_mlp),
            record_residual(handle.blocks, wanted, dispatch),
        ):
            # The single place in babelscope where a forward pass is cut short.
            run_until_stopped(lambda: handle.model(**kwargs))  # noqa: B023 - called at once
        yield view, [sink.on_batch_end(view) for sink in sinks]


def iter_sink(
    handle: ModelHandle,
    inputs: Inputs,
    sink: Sink[R],
    *,
    options: ForwardOptions | None = None,
    editors: Sequence[Editor] = (),
    token_ids: list[list[int]] | None = None,
) -> Iterator[tuple[ForwardBatch, R]]:
    """:func:`iter_forward` for a single sink, with its result type kept."""
    for batch, (result,) in iter_forward(
        handle, inputs, [sink], options=options, editors=editors, token_ids=token_ids
    ):
        yield batch, result
