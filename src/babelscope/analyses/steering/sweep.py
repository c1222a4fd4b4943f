"""Search, don't guess: every method × layer × α (and the two baselines) per target language on
the *choose* prompts, the best setting per method by the headline, then that setting (and the
baselines) on the held-out *report* prompts with bootstrap intervals.

Resumable: each cell's rows are written atomically to ``<cells_dir>/<target>/<cell>.parquet``
as soon as it is scored, and a rerun with the same folder reads finished cells instead of
generating them (greedy decoding: a recomputed cell would be the same anyway). The choice of
setting is a function of the choose cells only, so a resumed sweep makes the same choice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from babelscope.analyses.steering.cells import (
    BASELINES,
    NO_LAYER,
    Cell,
    PromptSet,
    SteererLike,
    read_cell,
    reference_bits,
    run_cell,
)
from babelscope.analyses.steering.metrics import summarize
from babelscope.analyses.steering.prompts import (
    PromptSplit,
    prompting_prompt,
    repeat_prompt,
)
from babelscope.capture.generate import GenerationSettings
from babelscope.errors import ConfigError
from babelscope.languages.identify import lid_target
from babelscope.languages.registry import resolve_language
from babelscope.runs import write_parquet

if TYPE_CHECKING:
    from babelscope.analyses.steering.result import SteerResult
    from babelscope.capture.editors import Positions
    from babelscope.data.flores import FloresDataset
    from babelscope.models.handle import ModelHandle

SUMMARY_KEYS = ("target", "split", "method", "layer", "alpha")


#: α grids per method. DiffMean and G-ACT add α × a raw mean difference (α = 1: one whole
#: "language shift"); LAPE blends target neurons towards the target's mean activation (α = 1:
#: set to it; > 1 overshoots). Any other method gets (0.5, 1, 2).
#: Three values each keep one language's default sweep near 8 CPU-minutes on smollm2-135m; on
#: smollm2 → French every method's choose half preferred α = 1 to α = 4 (bench/bench_steer.py,
#: 6 prompts), so the grid stops at 2.
DEFAULT_ALPHAS: dict[str, tuple[float, ...]] = {
    "diffmean": (0.5, 1.0, 2.0),
    "diffmean_en": (0.5, 1.0, 2.0),
    "gact": (0.5, 1.0, 2.0),
    "lape": (0.5, 1.0, 2.0),
}


@dataclass(frozen=True)
class SweepSettings:
    """The grid and the protocol (everything here is recorded in the manifest).

    ``alphas`` (when given) is the α grid of every method, else :data:`DEFAULT_ALPHAS`.
    Layers: a steerer whose ``default_layer()`` is None acts at all its layers at once (LAPE:
    one setting, ``layer = -1``); a method in ``own_layer`` acts at its own pick only (G-ACT's
    probes choose the layer); any other is swept over every layer it was fitted at."""

    alphas: tuple[float, ...] | None = None
    own_layer: tuple[str, ...] = ("gact",)
    positions: str = "all"  # "all" or "generated"
    generation: GenerationSettings = field(default_factory=GenerationSettings)
    bootstrap: int = 1000
    seed: int = 0

    def alphas_for(self, method: str) -> tuple[float, ...]:
        if self.alphas is not None:
            return self.alphas
        return DEFAULT_ALPHAS.get(method, (0.5, 1.0, 2.0))

    def to_dict(self) -> dict[str, Any]:
        """JSON-native (tuples as lists), so a saved result loads back equal."""
        out: dict[str, Any] = json.loads(json.dumps(asdict(self)))
        return out


def prompt_set(
    handle: ModelHandle,
    dataset: FloresDataset,
    target: str,
    split: PromptSplit,
    *,
    which: str,
    split_name: str,
    batch_size: int,
) -> PromptSet:
    """The prompts of ``which`` half for ``target`` (FLORES ``split_name`` sentences)."""
    english = dataset.sentences("eng_Latn", split_name)
    native = dataset.sentences(target, split_name)
    ids = split.ids(which)
    demo = english[split.demo]
    name = resolve_language(target).name
    references = tuple(native[i] for i in ids)
    sources = tuple(english[i] for i in ids)
    return PromptSet(
        ids=ids,
        prompts=tuple(repeat_prompt(english[i], demo) for i in ids),
        prompting=tuple(prompting_prompt(english[i], demo, name) for i in ids),
        references=references,
        sources=sources,
        reference_bits=reference_bits(handle, references, batch_size),
        source_bits=reference_bits(handle, sources, batch_size),
    )


def grid(target: str, steerers: Sequence[SteererLike], settings: SweepSettings) -> list[Cell]:
    """The choose-half cells of one target: baselines, then each method's layers × α
    (which layers: :class:`SweepSettings`)."""
    cells = [Cell(target, "choose", method, NO_LAYER, 0.0) for method in BASELINES]
    for steerer in steerers:
        own = steerer.default_layer()
        if own is None:
            layers = [NO_LAYER]
        elif steerer.method in settings.own_layer:
            layers = [own]
        else:
            layers = list(steerer.layers)
        cells += [
            Cell(target, "choose", steerer.method, layer, float(a))
            for layer in layers
            for a in settings.alphas_for(steerer.method)
        ]
    return cells


def summarize_rows(rows: pd.DataFrame, *, replicates: int, seed: int) -> pd.DataFrame:
    """One row per setting (:data:`SUMMARY_KEYS`) with means and 95% bootstrap intervals over
    prompts of LFS, chrF++, chrF++ vs English, fluency and the headline."""
    out = []
    for key, part in rows.groupby(list(SUMMARY_KEYS), sort=False):
        part = part.sort_values("prompt_id")
        stats = summarize(
            part["lfs"].to_numpy(float),
            part["chrf"].to_numpy(float),
            part["chrf_source"].to_numpy(float),
            part["fluency"].to_numpy(float),
            replicates=replicates,
            seed=seed,
        )
        stats["lingua_lfs"] = float(part["lingua_lfs"].mean())
        stats["bits_per_char"] = float(part["bits_per_char"].mean())
        out.append(dict(zip(SUMMARY_KEYS, key, strict=True)) | stats)
    return pd.DataFrame(out)


def choose(summary: pd.DataFrame) -> pd.DataFrame:
    """Each (target, method)'s best choose-half setting by headline (ties: smaller α, then the
    lower layer). Settings with an undefined headline (target without a lid.176 label) are
    never chosen."""
    chosen = summary[(summary["split"] == "choose") & summary["headline"].notna()]
    chosen = chosen[~chosen["method"].isin(BASELINES)]
    if chosen.empty:
        return chosen.loc[:, list(SUMMARY_KEYS)].copy()
    chosen = chosen.assign(_abs=chosen["alpha"].abs()).sort_values(
        ["target", "method", "headline", "_abs", "layer"],
        ascending=[True, True, False, True, True],
        kind="stable",
    )
    return chosen.groupby(["target", "method"], sort=False).head(1).drop(columns="_abs")


def run_sweep(
    handle: ModelHandle,
    dataset: FloresDataset,
    steerers: Mapping[tuple[str, str], SteererLike],
    split: PromptSplit,
    *,
    targets: Sequence[str],
    flores_split: str = "dev",
    settings: SweepSettings | None = None,
    cells_dir: Path,
    progress: bool = False,
    stop_after: int | None = None,
    on_cell: Callable[[Cell, float], None] | None = None,
    data: dict[str, Any] | None = None,
) -> SteerResult:
    """The whole sweep (module docstring); ``steerers[(method, target)]``.

    ``stop_after`` computes at most that many new cells and then raises
    :class:`SweepInterruptedError` (a test of resuming; the CLI never sets it). ``on_cell(cell,
    seconds)`` is called after each computed cell (the bench's per-config cost); ``data``
    (the corpus spec, split, hash) is recorded in the result."""
    import time

    from babelscope.analyses.steering.result import SteerResult

    opts = settings or SweepSettings()
    if opts.positions not in ("all", "generated"):
        raise ConfigError(f"bad positions {opts.positions!r}", fix="use all or generated")
    positions: Positions = "all" if opts.positions == "all" else "generated"
    codes = [resolve_language(t).code for t in targets]
    by_target = {c: [s for (m, t), s in steerers.items() if t == c] for c in codes}
    n_methods = len({m for m, _ in steerers})
    total = sum(len(grid(c, by_target[c], opts)) + 2 + n_methods for c in codes)
    bar = _progress(total, progress)
    computed = 0
    frames: list[pd.DataFrame] = []
    gen = opts.generation

    def cell_rows(cell: Cell, prompts: PromptSet) -> pd.DataFrame:
        nonlocal computed
        path = cells_dir / cell.name
        rows = read_cell(path)
        if rows is None:
            if stop_after is not None and computed >= stop_after:
                raise SweepInterruptedError(f"stopped after {computed} cells")
            start = time.perf_counter()
            steerer = steerers.get((cell.method, cell.target))
            rows = run_cell(handle, cell, prompts, steerer, settings=gen, positions=positions)
            write_parquet(path, rows)
            computed += 1
            if on_cell is not None:
                on_cell(cell, time.perf_counter() - start)
        bar(cell)
        return rows

    for code in codes:
        halves = {
            which: prompt_set(
                handle,
                dataset,
                code,
                split,
                which=which,
                split_name=flores_split,
                batch_size=gen.batch_size,
            )
            for which in ("choose", "report")
        }
        chosen_rows = [cell_rows(c, halves["choose"]) for c in grid(code, by_target[code], opts)]
        frames += chosen_rows
        picked = choose(summarize_rows(pd.concat(chosen_rows), replicates=1, seed=opts.seed))
        report = [Cell(code, "report", m, NO_LAYER, 0.0) for m in BASELINES]
        report += [
            Cell(code, "report", str(r["method"]), int(r["layer"]), float(r["alpha"]))
            for r in picked.to_dict("records")
        ]
        frames += [cell_rows(c, halves["report"]) for c in report]
    bar(None)
    generations = pd.concat(frames, ignore_index=True)
    summary = summarize_rows(generations, replicates=opts.bootstrap, seed=opts.seed)
    notes = {c: lid_target(c).note for c in codes}
    return SteerResult(
        model=handle.provenance(),
        generations=generations,
        summary=summary,
        chosen=choose(summary),
        prompts=split.to_dict(),
        settings=opts.to_dict(),
        notes=notes,
        data=data,
    )


class SweepInterruptedError(RuntimeError):
    """Raised by :func:`run_sweep` when ``stop_after`` cells were computed."""


def _progress(total: int, enabled: bool) -> Callable[[Cell | None], None]:
    """A cells-done bar with ETA on stderr; called with None at the end."""
    if not enabled:
        return lambda _cell: None
    from tqdm import tqdm

    bar = tqdm(total=total, desc="steer", unit="cell")

    def step(cell: Cell | None) -> None:
        if cell is None:
            bar.close()
            return
        bar.set_postfix_str(f"{cell.target} {cell.method} L{cell.layer} α{cell.alpha:g}")
        bar.update(1)

    return step
