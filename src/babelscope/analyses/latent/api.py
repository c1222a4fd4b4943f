"""``latent_language``: the notebook entry point (the CLI calls exactly this)."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from babelscope.analyses.latent.measure import measure
from babelscope.analyses.latent.prompts import LatentPrompt, build_prompts, check_task
from babelscope.analyses.latent.result import ENGLISH, LatentResult, PairRun
from babelscope.analyses.latent.token_sets import DEFAULT_RULE, prefix_index, prepare
from babelscope.data.lexicon import Lexicon
from babelscope.data.word_sets import WORD_SETS, combine_words, lexicon_for_task, load_word_set
from babelscope.languages.registry import resolve_language

if TYPE_CHECKING:
    from babelscope.languages.attribution import PrefixIndex
    from babelscope.models.handle import ModelHandle


@dataclass(frozen=True)
class Pair:
    """One experiment: a task and its source and target languages (FLORES codes)."""

    task: str
    source: str
    target: str

    @classmethod
    def make(cls, task: str, source: str, target: str) -> Pair:
        kind = check_task(task)
        tgt = resolve_language(target).code
        src = tgt if kind in ("repetition", "cloze") else resolve_language(source).code
        return cls(kind, src, tgt)

    def measured(self, latent: Sequence[str]) -> list[str]:
        """Target first, then source, English and any extra candidate latent languages."""
        extra = [resolve_language(code).code for code in latent]
        return list(dict.fromkeys([self.target, self.source, ENGLISH, *extra]))

    def __str__(self) -> str:
        return f"{self.task} {self.source}→{self.target}"


def resolve_lexicon(lexicon: Lexicon | str | Path | None) -> Lexicon:
    """``None`` -> the ``nouns`` word set; ``"nouns"``/``"calendar"`` -> that set; a file path ->
    the file merged over the ``nouns`` set; a :class:`Lexicon` as it is."""
    if lexicon is None or isinstance(lexicon, Lexicon) or str(lexicon) in WORD_SETS:
        return load_word_set(lexicon or "nouns")
    return combine_words("nouns", lexicon)


def latent_language(
    models: Sequence[str | ModelHandle],
    pairs: Sequence[Pair],
    *,
    latent: Sequence[str] = (),
    lexicon: Lexicon | str | Path | None = None,
    shots: int = 4,
    seed: int = 0,
    max_prompts: int | None = None,
    batch_size: int = 8,
    progress: bool = True,
) -> LatentResult:
    """Measure, for each model and pair, the lens probability of the answer in the target, the
    source, English and each ``latent`` language at every layer (Wendler et al. 2024).

    Models may be specs (loaded one at a time, so memory holds one model) or handles. A user
    ``lexicon`` file is merged over the ``nouns`` word set; ``"calendar"`` picks the CLDR
    calendar/unit words. Cloze pairs always get ordered concepts (:func:`lexicon_for_task`).
    """
    from babelscope.models.handle import ModelHandle
    from babelscope.models.loader import load_model

    lex = resolve_lexicon(lexicon)
    built = {
        pair: build_prompts(
            lexicon_for_task(lex, pair.task),
            task=pair.task,
            source=pair.source,
            target=pair.target,
            measured=pair.measured(latent),
            shots=shots,
            seed=seed,
            max_prompts=max_prompts,
        )
        for pair in pairs
    }
    runs: list[PairRun] = []
    provenance = {}
    for spec in models:
        handle = spec if isinstance(spec, ModelHandle) else load_model(spec, progress=progress)
        provenance[handle.name] = handle.provenance()
        index = prefix_index(handle.tokenizer)
        for number, pair in enumerate(pairs, 1):
            start = time.perf_counter()
            runs.append(
                _run_pair(
                    handle,
                    pair,
                    built[pair],
                    index,
                    latent=latent,
                    batch_size=batch_size,
                    progress=progress,
                )
            )
            if progress:
                kept = len(runs[-1].prompt_ids)
                print(
                    f"babelscope: {handle.name} [{number}/{len(pairs)}] {pair}: {kept} prompts "
                    f"in {time.perf_counter() - start:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
        del handle
    settings = {
        "pairs": [vars(p) for p in pairs],
        "latent": list(latent),
        "shots": shots,
        "seed": seed,
        "max_prompts": max_prompts,
        "lexicon_version": lex.version,
        "lexicon_sha256": lex.fingerprint(),
        "lexicon_by_task": {p.task: lexicon_for_task(lex, p.task).version for p in pairs},
        "prefix_rule": vars(DEFAULT_RULE),
        "position": "last prompt token",
        "lens": "logit lens (final norm + unembedding)",
    }
    return LatentResult(runs=runs, models=provenance, settings=settings)


def _run_pair(
    handle: ModelHandle,
    pair: Pair,
    prompts: list[LatentPrompt],
    index: PrefixIndex,
    *,
    latent: Sequence[str],
    batch_size: int,
    progress: bool,
) -> PairRun:
    prepared = prepare(prompts, index)
    languages = pair.measured(latent)
    frame = pd.DataFrame([p.to_row() for p in prompts])
    frame["status"] = [prepared.status(i) for i in range(len(prompts))]
    frame["n_target_tokens"] = [
        len(ids[p.target]) for p, ids in zip(prompts, prepared.all_token_ids, strict=True)
    ]
    n_layers = handle.n_layers
    if prepared.prompts:
        result = measure(
            handle,
            [p.text for p in prepared.prompts],
            prepared.token_ids,
            languages,
            batch_size=batch_size,
            progress=progress,
        )
        mass = result.mass.numpy()
        entropy = result.entropy_bits.numpy()
        correct = result.correct.numpy()
        layers = result.layers
    else:
        layers = list(range(n_layers + 1))
        mass = np.zeros((0, len(layers), len(languages)), dtype=np.float32)
        entropy = np.zeros((0, len(layers)), dtype=np.float32)
        correct = np.zeros(0, dtype=bool)
    frame["correct"] = None
    kept_ids = [p.prompt_id for p in prepared.prompts]
    for pid, ok in zip(kept_ids, correct, strict=True):
        frame.loc[frame.prompt_id == pid, "correct"] = bool(ok)
    return PairRun(
        model=handle.name,
        task=pair.task,
        source=pair.source,
        target=pair.target,
        languages=languages,
        layers=layers,
        n_layers=n_layers,
        vocab_size=handle.vocab_size,
        mass=mass,
        entropy_bits=entropy,
        correct=correct,
        prompt_ids=kept_ids,
        prompts=frame,
    )
