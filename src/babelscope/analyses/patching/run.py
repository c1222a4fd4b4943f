"""``patching_experiment``: the notebook entry point (the CLI calls exactly this).

Protocol (Dumas et al. 2024, "Separating tongue from thought", their shifted-translation
experiment): take the residual state at the last token of a source prompt translating concept
A from S1 into T1, write it over the residual at the last token of a target prompt translating
concept B from S2 into T2 at one layer ℓ, run the rest of the model, and read its own final
next-token distribution. If the state at ℓ carries A without its output language, the model
answers A *in T2*: P(A in T2) rises while P(A in T1) stays low.

One layer at a time, as in their code (nnterp's ``patchscope_lens`` writes one block's output
per trace). Their other experiment patches a layer *and all later ones*, but at the object
token; at the last token that would overwrite every later state too, so the output would be
the source prompt's own, whatever ℓ — the single-layer patch is the meaningful one here.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from babelscope.analyses.latent import DEFAULT_RULE, prefix_index, resolve_lexicon
from babelscope.analyses.patching._forward import (
    iter_patched_log_probs,
    last_position_states,
)
from babelscope.analyses.patching.pairs import (
    PairSelection,
    PatchSetup,
    PromptPair,
    build_side_prompts,
    select_pairs,
)
from babelscope.analyses.patching.result import PatchingResult, PatchRun
from babelscope.capture.sites import resolve_layers

if TYPE_CHECKING:
    from babelscope.data.lexicon import Lexicon
    from babelscope.models.handle import ModelHandle

#: The paper's Figure 2 setting: German→Italian patched into French→Chinese.
DEFAULT_SETUP = ("de:it", "fr:zh")


def patching_experiment(
    models: Sequence[str | ModelHandle],
    setups: PatchSetup | Sequence[PatchSetup] | None = None,
    *,
    layers: str | int | list[int] | None = None,
    n_pairs: int | None = 20,
    lexicon: Lexicon | str | Path | None = None,
    shots: int = 4,
    seed: int = 0,
    batch_size: int = 16,
    progress: bool = True,
) -> PatchingResult:
    """Patch source-prompt states into target prompts layer by layer, for each model and setup.

    Args:
        models: specs (loaded one at a time) or handles.
        setups: default: German→Italian patched into French→Chinese.
        layers: patched layers (default all, 0..n_layers).
        n_pairs: pairs per setup (default 20; ``None`` = as many as the lexicon gives).
        lexicon: a :class:`Lexicon`, or a CSV/TSV merged over the built-in one.

    Returns:
        A :class:`PatchingResult`; ``.to_frame()`` has one row per model × setup × measured
        set × layer with the mean over pairs, its 95% interval and n.
    """
    from babelscope.models.handle import ModelHandle
    from babelscope.models.loader import load_model

    if setups is None:
        setups = [PatchSetup.make(*DEFAULT_SETUP)]
    elif isinstance(setups, PatchSetup):
        setups = [setups]
    lex = resolve_lexicon(lexicon)
    built = {setup: build_side_prompts(lex, setup, shots=shots, seed=seed) for setup in setups}
    runs: list[PatchRun] = []
    provenance = {}
    for spec in models:
        handle = spec if isinstance(spec, ModelHandle) else load_model(spec, progress=progress)
        provenance[handle.name] = handle.provenance()
        wanted = resolve_layers(layers, handle.n_layers)
        index = prefix_index(handle.tokenizer)
        for setup in setups:
            start = time.perf_counter()
            selection = select_pairs(setup, *built[setup], index, n_pairs=n_pairs, seed=seed)
            run = measure_setup(handle, setup, selection, wanted, batch_size=batch_size)
            run.seconds = round(time.perf_counter() - start, 2)
            runs.append(run)
            if progress:
                print(
                    f"babelscope: {handle.name} {setup}: {len(selection.pairs)} pairs × "
                    f"{len(wanted)} layers in {run.seconds:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
    settings = {
        "setups": [
            {"source": str(s.source), "target": str(s.target), "extra": list(s.extra)}
            for s in setups
        ],
        "layers": layers if layers is None or isinstance(layers, str | int) else list(layers),
        "n_pairs": n_pairs,
        "shots": shots,
        "seed": seed,
        "lexicon_version": lex.version,
        "lexicon_sha256": lex.fingerprint(),
        "prefix_rule": vars(DEFAULT_RULE),
        "patch": "source last-token residual at layer ℓ → target last token, that layer only",
        "readout": "the model's own final next-token distribution",
    }
    return PatchingResult(runs=runs, models=provenance, settings=settings)


def measure_setup(
    handle: ModelHandle,
    setup: PatchSetup,
    selection: PairSelection,
    layers: list[int],
    *,
    batch_size: int = 16,
) -> PatchRun:
    """Every layer's patched distribution for the selected pairs, reduced to set masses."""
    pairs = selection.pairs
    series = setup.series()
    sources = [p.source.text for p in pairs]
    targets = [p.target.text for p in pairs]
    n_s = len(series)
    probs = np.zeros((len(pairs), len(layers), n_s), dtype=np.float32)
    source_base = np.zeros((len(pairs), n_s), dtype=np.float32)
    target_base = np.zeros((len(pairs), n_s), dtype=np.float32)
    if pairs:
        # The last layer is patched too (added if not asked for): that column is exactly the
        # source prompt's own output (the known-answer test proves it), so it is the source
        # baseline; the unpatched step of the same batches is the target baseline.
        top = handle.n_layers
        steps = layers if top in layers else [*layers, top]
        states = last_position_states(handle, sources, steps, batch_size=batch_size)
        for k, indices, log_probs in iter_patched_log_probs(
            handle, targets, steps, states, batch_size=batch_size, unpatched=True
        ):
            mass = _set_mass(log_probs, [pairs[i] for i in indices], series)
            if k == len(steps):
                target_base[indices] = mass
                continue
            if steps[k] == top:
                source_base[indices] = mass
            if k < len(layers):
                probs[indices, k] = mass

    return PatchRun(
        model=handle.name,
        s1=setup.source.source,
        t1=setup.source.target,
        s2=setup.target.source,
        t2=setup.target.target,
        layers=list(layers),
        n_layers=handle.n_layers,
        series=[label for label, _, _ in series],
        concepts=[concept for _, concept, _ in series],
        languages=[language for _, _, language in series],
        probs=probs,
        source_baseline=source_base,
        target_baseline=target_base,
        pairs=_pairs_frame(pairs, setup),
        counts={
            "source_prompts": selection.n_source_prompts,
            "target_prompts": selection.n_target_prompts,
            "dropped_empty": selection.n_empty,
            "skipped_collision": selection.n_collisions,
        },
    )


def _set_mass(
    log_probs: torch.Tensor, pairs: Sequence[PromptPair], series: list[tuple[str, str, str]]
) -> np.ndarray:
    """``[N, V]`` log-probs → ``[N, S]`` summed probability on each pair's token sets."""
    probs = log_probs.exp()
    out = np.zeros((len(pairs), len(series)), dtype=np.float32)
    for row, pair in enumerate(pairs):
        for s, (label, _, _) in enumerate(series):
            ids = torch.tensor(pair.token_ids[label], dtype=torch.long)
            out[row, s] = float(probs[row, ids].sum())
    return out


def _pairs_frame(pairs: Sequence[PromptPair], setup: PatchSetup) -> pd.DataFrame:
    rows = []
    for pair in pairs:
        row: dict[str, object] = {
            "pair_id": pair.pair_id,
            "concept_a": pair.concept_a,
            "concept_b": pair.concept_b,
            "query_a": pair.source.query,
            "query_b": pair.target.query,
        }
        for label, concept, language in setup.series():
            prompt = pair.source if concept == "A" else pair.target
            row[f"words {label}"] = "|".join(prompt.answers[language])
            row[f"n_tokens {label}"] = len(pair.token_ids[label])
        row["source_text"] = pair.source.text
        row["target_text"] = pair.target.text
        rows.append(row)
    return pd.DataFrame(rows, columns=None if rows else ["pair_id", "concept_a", "concept_b"])
