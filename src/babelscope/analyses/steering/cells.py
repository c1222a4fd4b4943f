"""One cell of the sweep: a (target, split, method, layer, α) setting on its prompts, generated
and scored into tidy rows, and written atomically so a killed sweep resumes cell by cell."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from babelscope.analyses.steering.metrics import fluency_score
from babelscope.capture.generate import GenerationSettings, generate
from babelscope.chrf import chrf_pp
from babelscope.collect.bits import bits_per_char
from babelscope.languages.identify import detect, is_target, lid_target, lingua_is_target

if TYPE_CHECKING:
    from babelscope.capture.editors import Editor, Positions
    from babelscope.models.handle import ModelHandle

#: Methods that are not steerers: the unsteered model, and the instruction in the prompt.
BASELINES = ("none", "prompting")
#: ``layer`` of a baseline row (no layer); also of a steerer that picks its own layer.
NO_LAYER = -1

COLUMNS = [
    *("target", "split", "method", "layer", "alpha", "prompt_id", "prompt", "output"),
    *("lid_label", "lid_score", "lingua_label", "lfs", "lingua_lfs"),
    *("chrf", "chrf_source", "bits_per_char", "reference_bits_per_char", "fluency"),
]


class SteererLike(Protocol):
    """What the sweep needs of a fitted steerer (``babelscope.analyses.steering.method``'s
    ``Steerer`` has this shape)."""

    method: str
    target: str
    layers: tuple[int, ...]

    def default_layer(self) -> int | None: ...

    def editors(
        self, *, layer: int | None, alpha: float, positions: Positions = "all"
    ) -> list[Editor]: ...


@dataclass(frozen=True)
class Cell:
    target: str
    split: str
    method: str
    layer: int
    alpha: float

    @property
    def name(self) -> str:
        """File name of the cell's rows (unique per setting; ``-`` in α kept readable)."""
        return f"{self.target}/{self.split}-{self.method}-L{self.layer}-a{self.alpha:g}.parquet"


@dataclass(frozen=True)
class PromptSet:
    """The prompts of one target and split, with what they are scored against."""

    ids: tuple[int, ...]
    prompts: tuple[str, ...]  # the repeat prompts
    prompting: tuple[str, ...]  # the prompting baseline's prompts
    references: tuple[str, ...]  # target-language FLORES sentences
    sources: tuple[str, ...]  # English FLORES sentences
    reference_bits: float  # the model's mean bits/char on the target's references
    source_bits: float  # … and on the English sources


def run_cell(
    handle: ModelHandle,
    cell: Cell,
    prompts: PromptSet,
    steerer: SteererLike | None,
    *,
    settings: GenerationSettings,
    positions: Positions,
) -> pd.DataFrame:
    """Generate and score one cell (see :data:`COLUMNS`)."""
    editors: list[Editor] = []
    if steerer is not None and cell.alpha != 0.0:
        layer = None if cell.layer == NO_LAYER else cell.layer
        editors = steerer.editors(layer=layer, alpha=cell.alpha, positions=positions)
    texts = prompts.prompting if cell.method == "prompting" else prompts.prompts
    outputs = generate(handle, list(texts), editors, settings)
    return score_rows(handle, cell, prompts, texts, outputs, batch_size=settings.batch_size)


def score_rows(
    handle: ModelHandle,
    cell: Cell,
    prompts: PromptSet,
    texts: Sequence[str],
    outputs: Sequence[str],
    *,
    batch_size: int = 16,
) -> pd.DataFrame:
    """One row per prompt: language ID, chrF++ both ways, bits/char and the fluency score.

    Fluency's yardstick is real text in the language the output is in: the English sources
    when lid.176 reads the output as English, else the target's references. Bits per
    character differ by script (≈ 1.3 for English, ≈ 9.6 for Chinese on smollm2-135m), so one
    yardstick for every output would score fluent English as disfluent Chinese and count the
    language twice (LFS already does)."""
    target = lid_target(cell.target)
    bits = bits_per_char(handle, outputs, batch_size=batch_size)
    rows: list[dict[str, Any]] = []
    for i, output in enumerate(outputs):
        found = detect(output)
        english = found.label == "en" and "en" not in target.labels
        yardstick = prompts.source_bits if english else prompts.reference_bits
        rows.append(
            {
                "target": cell.target,
                "split": cell.split,
                "method": cell.method,
                "layer": cell.layer,
                "alpha": float(cell.alpha),
                "prompt_id": prompts.ids[i],
                "prompt": texts[i],
                "output": output,
                "lid_label": found.label,
                "lid_score": found.score,
                "lingua_label": found.lingua,
                # empty output: not in the target (0), unless the target is unmeasurable (NaN)
                "lfs": is_target(found, target),
                "lingua_lfs": lingua_is_target(found, target),
                "chrf": chrf_pp(output, prompts.references[i]),
                "chrf_source": chrf_pp(output, prompts.sources[i]),
                "bits_per_char": float(bits[i]),
                "reference_bits_per_char": yardstick,
                "fluency": fluency_score(float(bits[i]), yardstick),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def read_cell(path: Path) -> pd.DataFrame | None:
    """A finished cell's rows, or None when absent or unreadable (then it is recomputed)."""
    if not path.is_file():
        return None
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError):
        return None


def reference_bits(handle: ModelHandle, references: Sequence[str], batch_size: int) -> float:
    """Mean bits/char of the model on real sentences (fluency's yardstick)."""
    values = bits_per_char(handle, references, batch_size=batch_size)
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else math.nan
