"""The one interface every language-steering method sits behind.

A :class:`SteeringMethod` holds hyper-parameters only (scikit-learn's estimator rule) and
``fit`` returns a :class:`Steerer`: one fitted intervention for one target language, which
hands out :class:`~babelscope.capture.editors.Editor` objects for a layer and a strength α.
Generation, metrics and sweeps only ever talk to this interface, so a new method is one class
(plus its line in :mod:`~babelscope.analyses.steering.registry`). This module knows no method:
the implementations import it, and only the registry imports them.

Every steerer keeps the rule that ``alpha = 0`` gives editors that change nothing (an exact
identity, tested token for token in generation), and records its provenance (model hash, data
hash, languages, pooling, sentences, settings) so a saved artefact says where it came from.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from babelscope.errors import ConfigError

if TYPE_CHECKING:
    from babelscope.capture.editors import Editor, Positions
    from babelscope.models.handle import ModelHandle


class Steerer(ABC):
    """One fitted intervention for one target language.

    ``layers`` are babelscope layer indices it can act at (1..n_layers = block outputs; for
    LAPE the blocks whose MLP holds target neurons). ``provenance`` is JSON-ready.
    """

    method: str
    target: str
    layers: tuple[int, ...]
    provenance: dict[str, Any]

    @abstractmethod
    def default_layer(self) -> int | None:
        """The method's own pick of a layer (None: act at all of ``layers`` at once)."""

    @abstractmethod
    def editors(
        self, *, layer: int | None, alpha: float, positions: Positions = "all"
    ) -> list[Editor]:
        """Editors for ``layer`` (None: :meth:`default_layer`) at strength ``alpha``;
        ``alpha = 0`` gives editors that change nothing.

        ``positions`` defaults to ``"all"`` (prompt and generated tokens), as ``babelscope
        steer``'s ``--positions`` and :class:`~babelscope.analyses.steering.api.SteerSettings`
        do: every measured steering table was made that way, so a notebook gets the same
        numbers. ``"generated"`` leaves the prompt's states untouched."""

    @abstractmethod
    def tensors(self) -> dict[str, torch.Tensor]:
        """Everything numeric the artefact must hold, as flat named CPU tensors."""

    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """The JSON-ready non-tensor state needed to rebuild the steerer (with tensors())."""

    @classmethod
    @abstractmethod
    def rebuild(
        cls,
        method: str,
        target: str,
        tensors: Mapping[str, torch.Tensor],
        settings: Mapping[str, Any],
        provenance: dict[str, Any],
    ) -> Steerer:
        """The inverse of :meth:`tensors` + :meth:`settings` (used by ``load_steerer``)."""

    def check_layer(self, layer: int | None) -> int | None:
        """``layer`` or the default, refused with a one-line error when not fitted."""
        chosen = self.default_layer() if layer is None else layer
        if chosen is not None and chosen not in self.layers:
            raise ConfigError(
                f"the {self.method} steerer for {self.target} has no layer {chosen}",
                fix=f"pick one of {', '.join(map(str, self.layers))}",
            )
        return chosen


class SteeringMethod(ABC):
    """Hyper-parameters of one method; :meth:`fit` turns parallel text into a steerer."""

    name: str

    @abstractmethod
    def fit(
        self,
        handle: ModelHandle,
        texts: Mapping[str, Sequence[str]],
        *,
        target: str,
        layers: Sequence[int],
        store_dir: Path | None = None,
        progress: bool = False,
    ) -> Steerer:
        """Fit a steerer for ``target`` from FLORES-style parallel ``texts`` (``{language:
        sentences}``, line i the same sentence in every language) at ``layers``."""

    def settings(self) -> dict[str, Any]:
        """The hyper-parameters, JSON-ready (recorded in provenance)."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}


def check_texts(texts: Mapping[str, Sequence[str]], target: str, *, minimum: int = 2) -> int:
    """The common sentence count of parallel ``texts``; one-line errors for what fit cannot use."""
    if target not in texts:
        raise ConfigError(
            f"the target {target} has no sentences", fix="add it to the languages you fit on"
        )
    if len(texts) < 2:
        raise ConfigError(
            "steering needs the target and at least one other language",
            fix="fit on two or more languages",
        )
    counts = {len(lines) for lines in texts.values()}
    if len(counts) != 1:
        raise ConfigError(
            "the languages have different sentence counts (texts must be parallel)",
            fix="pass the same sentence ids for every language",
        )
    n = counts.pop()
    if n < minimum:
        raise ConfigError(f"{n} sentences per language is too few", fix=f"pass ≥ {minimum}")
    return n


def check_layers(layers: Sequence[int], n_layers: int, *, lowest: int = 0) -> list[int]:
    """``layers`` sorted and unique, refused in one line when empty or out of range."""
    out = sorted({int(k) for k in layers})
    if not out or out[0] < lowest or out[-1] > n_layers:
        raise ConfigError(
            f"cannot fit at layers {list(layers)}", fix=f"pick layers in {lowest}..{n_layers}"
        )
    return out


def middle_layers(layers: Sequence[int], n_layers: int) -> list[int]:
    """The fitted ``layers`` in the middle half of the stack (n/4 ≤ ℓ ≤ 3n/4), or all of them
    when none is. Methods pick their default layer among these: the first blocks still read
    tokens, the last ones write the output, and their states carry a model's massive
    activation dimensions (smollm2-135m's DiffMean norms jump eightfold after block 11), so
    a separation score alone picks the last block, where adding a vector breaks the text."""
    inside = [k for k in layers if n_layers / 4 <= k <= 3 * n_layers / 4]
    return inside or list(layers)
