"""Editors: interventions on the residual stream or the MLP's neurons during a forward pass.

An editor says *what* to change; :func:`babelscope.capture.edit_scope.edit` installs it as a
scoped hook, in the engine's forward or around ``model.generate``. Positions are counted per row
among its *real* tokens (0 = the row's first token whatever the padding side), so the same
editor means the same thing with left padding, right padding or none, and in a cached decode
step, whose input is a single column: every call's :class:`Step` knows each column's token
position and how long each row's prompt was.

Layer numbering is babelscope's: residual editors act on layer 0 (the input of the first block)
to ``n_layers`` (the output of the last block); :class:`ScaleNeurons` on layer i acts on the MLP
inside block i (1..n_layers).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch

from babelscope.errors import ConfigError

Positions = Literal["all", "generated"] | int | slice
"""Which token positions an editor touches, per row: ``"all"`` real tokens; ``"generated"`` the
tokens after the prompt (new tokens of ``generate``; none in a plain forward); an int ``k``:
positions ≥ k (negative: counted back from the end of the prompt, -1 = its last token); a
``slice(a, b)``: positions a ≤ p < b (negative bounds likewise relative to the prompt's end)."""

Site = Literal["resid", "mlp_in"]


@dataclass
class Step:
    """What editors know about the current forward call (``C`` = columns in this call: the
    whole padded prompt, or 1 in a cached decode step).

    ``token_pos[B, C]``: each column's position among its row's real tokens; ``real[B, C]``:
    column holds a real token; ``prompt_len[B]``: real tokens in each row's prompt (the first
    call of the sequence); ``row_ids[B]``: each row's id (input index in the engine, batch row
    in ``generate``).
    """

    token_pos: torch.Tensor
    real: torch.Tensor
    prompt_len: torch.Tensor
    row_ids: torch.Tensor


def _resolve(index: int, prompt_len: torch.Tensor) -> torch.Tensor:
    """Per-row absolute position ``[B, 1]`` of ``index`` (negative = from the prompt's end)."""
    base = prompt_len if index < 0 else torch.zeros_like(prompt_len)
    return (base + index).unsqueeze(-1)


def select_positions(positions: Positions, step: Step) -> torch.Tensor:
    """``[B, C]`` bool: which columns of this call ``positions`` selects (real tokens only)."""
    pos = step.token_pos
    if positions == "all":
        chosen = torch.ones_like(step.real)
    elif positions == "generated":
        chosen = pos >= step.prompt_len.unsqueeze(-1)
    elif isinstance(positions, bool):
        raise ConfigError(f"bad positions {positions!r}", fix=_POSITIONS_FIX)
    elif isinstance(positions, int):
        chosen = pos >= _resolve(positions, step.prompt_len)
    elif isinstance(positions, slice):
        if positions.step not in (None, 1):
            raise ConfigError("a positions slice cannot have a step", fix=_POSITIONS_FIX)
        chosen = torch.ones_like(step.real)
        if positions.start is not None:
            chosen = chosen & (pos >= _resolve(positions.start, step.prompt_len))
        if positions.stop is not None:
            chosen = chosen & (pos < _resolve(positions.stop, step.prompt_len))
    else:
        raise ConfigError(f"bad positions {positions!r}", fix=_POSITIONS_FIX)
    return chosen & step.real


_POSITIONS_FIX = "use 'all', 'generated', an int (from that position on) or slice(a, b)"


class Editor(ABC):
    """One intervention at one layer. ``site`` says which tensor it edits: ``"resid"`` the
    residual ``[B, C, D]`` at ``layer``; ``"mlp_in"`` the input ``[B, C, I]`` of block
    ``layer``'s MLP down projection (the intermediate activation)."""

    layer: int
    site: Site = "resid"

    @abstractmethod
    def apply(self, hidden: torch.Tensor, step: Step) -> torch.Tensor:
        """Return the edited tensor (a new one; never modify ``hidden`` in place)."""


class AddVector(Editor):
    """Add ``alpha · vector`` (``[D]``) to the residual at ``layer`` on ``positions``
    (steering, Turner et al. 2023's ActAdd; with a KV cache, ``"all"`` also steers every
    generated token)."""

    def __init__(
        self, layer: int, vector: torch.Tensor, alpha: float = 1.0, positions: Positions = "all"
    ) -> None:
        if vector.dim() != 1:
            raise ConfigError(
                f"a steering vector is 1-D, got shape {tuple(vector.shape)}", fix="pass [D]"
            )
        self.layer, self.vector, self.alpha, self.positions = layer, vector, alpha, positions

    def apply(self, hidden: torch.Tensor, step: Step) -> torch.Tensor:
        chosen = select_positions(self.positions, step).unsqueeze(-1)
        delta = (self.alpha * self.vector).to(device=hidden.device, dtype=hidden.dtype)
        return torch.where(chosen, hidden + delta, hidden)


class PatchState(Editor):
    """Replace the residual at ``layer``, token ``position`` of the rows ``rows`` with
    ``value`` (``[len(rows), D]``, or ``[D]`` for all of them) — activation patching
    (Dumas et al. 2024 patch the last prompt position, ``position=-1``, of one prompt's run into
    another's). ``rows`` are row ids: input indices in the engine, batch rows in ``generate``;
    rows absent from a batch are left alone."""

    def __init__(self, layer: int, rows: Sequence[int], position: int, value: torch.Tensor) -> None:
        if isinstance(position, bool) or not isinstance(position, int):
            raise ConfigError(f"bad patch position {position!r}", fix="pass one int (-1 = last)")
        values = value if value.dim() == 2 else value.unsqueeze(0).expand(len(rows), -1)
        if values.shape[0] != len(rows):
            raise ConfigError(
                f"{values.shape[0]} patch values for {len(rows)} rows", fix="pass one per row"
            )
        self.layer, self.position = layer, position
        self.rows = torch.as_tensor(list(rows), dtype=torch.long)
        self.values = values

    def apply(self, hidden: torch.Tensor, step: Step) -> torch.Tensor:
        match = step.row_ids.unsqueeze(-1) == self.rows.to(step.row_ids.device)  # [B, R]
        patched_row = match.any(-1)
        if not bool(patched_row.any()):
            return hidden
        which = match.to(torch.long).argmax(-1)
        values = self.values.to(device=hidden.device, dtype=hidden.dtype)[which]  # [B, D]
        at = step.token_pos == _resolve(self.position, step.prompt_len)
        chosen = (at & step.real & patched_row.unsqueeze(-1)).unsqueeze(-1)
        return torch.where(chosen, values.unsqueeze(1), hidden)


class ScaleNeurons(Editor):
    """Multiply MLP neurons ``neurons`` of block ``layer`` by ``factor``, or set them to
    ``value`` (exactly one of the two), on ``positions``. A neuron is a unit of the MLP's
    intermediate activation, the input of its down projection (the registry's
    ``ArchSpec.mlp_down``); e.g. Tang et al. 2024's language-specific neurons."""

    site: Site = "mlp_in"

    def __init__(
        self,
        layer: int,
        neurons: Sequence[int],
        *,
        factor: float | None = None,
        value: float | None = None,
        positions: Positions = "all",
    ) -> None:
        if (factor is None) == (value is None):
            raise ConfigError("ScaleNeurons needs factor or value", fix="pass exactly one")
        self.layer, self.factor, self.value, self.positions = layer, factor, value, positions
        self.neurons = torch.as_tensor(list(neurons), dtype=torch.long)

    def apply(self, hidden: torch.Tensor, step: Step) -> torch.Tensor:
        columns = torch.zeros(hidden.shape[-1], dtype=torch.bool, device=hidden.device)
        columns[self.neurons.to(hidden.device)] = True
        chosen = select_positions(self.positions, step).unsqueeze(-1) & columns
        if self.factor is not None:
            new = hidden * self.factor
        else:
            new = torch.full_like(hidden, float(self.value))  # type: ignore[arg-type]
        return torch.where(chosen, new, hidden)


class BlendNeurons(Editor):
    """Move MLP neurons ``neurons`` of block ``layer`` towards ``values`` (``[K]``, one per
    neuron) on ``positions``: ``new = act + alpha · (value − act)``. ``alpha = 0`` leaves them
    alone, ``alpha = 1`` sets them to ``values``, in between interpolates — so one knob sweeps
    from no intervention to Tang et al. 2024's "set the language's neurons to their mean
    activation" (LAPE steering), and ``alpha = 0`` is an exact identity."""

    site: Site = "mlp_in"

    def __init__(
        self,
        layer: int,
        neurons: Sequence[int] | torch.Tensor,
        values: torch.Tensor,
        *,
        alpha: float = 1.0,
        positions: Positions = "all",
    ) -> None:
        self.neurons = torch.as_tensor(neurons, dtype=torch.long).reshape(-1)
        if values.shape != self.neurons.shape:
            raise ConfigError(
                f"{tuple(values.shape)} values for {self.neurons.numel()} neurons",
                fix="pass one value per neuron",
            )
        self.layer, self.values, self.alpha, self.positions = layer, values, alpha, positions

    def apply(self, hidden: torch.Tensor, step: Step) -> torch.Tensor:
        index = self.neurons.to(hidden.device)
        chosen = select_positions(self.positions, step).unsqueeze(-1)  # [B, C, 1]
        current = hidden[..., index]  # [B, C, K]
        target = self.values.to(device=hidden.device, dtype=hidden.dtype)
        # lerp is exact at both ends (α = 0 gives ``current``, α = 1 gives ``target``); the
        # plain formula leaves rounding residue at α = 1
        blended = torch.lerp(current, target.expand_as(current), float(self.alpha))
        moved = torch.where(chosen, blended, current)
        out = hidden.clone()
        out[..., index] = moved
        return out
