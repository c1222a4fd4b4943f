"""``latent_language``: the notebook entry point (the CLI calls exactly this)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from babelscope.analyses.latent.measure import measure
from babelscope.analyses.latent.pair_run import ENGLISH, PairRun
from babelscope.analyses.latent.prompts import (
    PromptSet,
    build_prompt_set,
    check_task,
    display_name,
)
from babelscope.analyses.latent.result import LatentResult
from babelscope.analyses.latent.token_sets import (
    DEFAULT_RULE,
    check_overlap,
    first_token_id,
    first_token_ids,
    prefix_index,
    prepare,
)
from babelscope.data.lexicon import Lexicon
from babelscope.data.word_sets import WORD_SETS, combine_words, lexicon_for_task, load_word_set
from babelscope.languages.attribution import PREFIX_RULE_VERSION
from babelscope.languages.registry import resolve_language

if TYPE_CHECKING:
    from babelscope.languages.attribution import PrefixIndex
    from babelscope.lens.base import Lens
    from babelscope.models.handle import ModelHandle

#: Picks each model's lens: ``lens_for(handle)`` → a :class:`Lens`, or None for the logit lens.
LensFor = Callable[["ModelHandle"], "Lens | None"]


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
        """Target first, then source, English and any extra candidate latent languages. Only
        those that are neither source nor target are latent candidates (absent from the
        prompt); the source is measured as the copy signal."""
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
    overlap: str = "shared",
    min_prefix_chars: int | None = None,
    batch_size: int = 8,
    progress: bool = True,
    lens: LensFor | None = None,
) -> LatentResult:
    """Measure, for each model and pair, the lens probability of the answer in the target, the
    source, English and each ``latent`` language at every layer (Wendler et al. 2024).

    Models may be specs (loaded one at a time, so memory holds one model) or handles. A user
    ``lexicon`` file is merged over the ``nouns`` word set; ``"calendar"`` picks the CLDR
    calendar/unit words. Cloze pairs always get ordered concepts (:func:`lexicon_for_task`).
    Tokens two measured languages
    share go to a ``shared`` bucket (``overlap="shared"``) or drop the prompt (``"drop"``).
    ``min_prefix_chars`` overrides the per-script minimum prefix length (see
    ``languages.attribution.prefixes``).
    ``lens(handle)`` picks each model's lens (e.g. its :class:`~babelscope.lens.tuned.TunedLens`;
    ``None`` from it or no ``lens`` at all = the logit lens).
    Prompts are built per model: shots never start with the answer's first token under that
    model's tokenizer.
    """
    from babelscope.models.handle import ModelHandle
    from babelscope.models.loader import load_model

    mode = check_overlap(overlap)
    # None: the per-script rule (2 characters, 1 for Han and Hangul syllables). 1 measures
    # tokenizers that write Cyrillic or kana one letter at a time, at the cost of inflation.
    rule = replace(DEFAULT_RULE, min_prefix_chars=min_prefix_chars)
    lex = resolve_lexicon(lexicon)
    runs: list[PairRun] = []
    provenance = {}
    lens_used: dict[str, Any] = {}
    for spec in models:
        handle = spec if isinstance(spec, ModelHandle) else load_model(spec, progress=progress)
        provenance[handle.name] = handle.provenance()
        chosen = lens(handle) if lens is not None else None
        lens_used[handle.name] = _describe_lens(chosen)
        index = prefix_index(handle.tokenizer, rule)
        for number, pair in enumerate(pairs, 1):
            start = time.perf_counter()
            # Prompts depend on the tokenizer: shots may not start with the answer's first token.
            context = f'{display_name(resolve_language(pair.target))}: "'
            built = build_prompt_set(
                lexicon_for_task(lex, pair.task),
                task=pair.task,
                source=pair.source,
                target=pair.target,
                measured=pair.measured(latent),
                shots=shots,
                seed=seed,
                max_prompts=max_prompts,
                first_token=partial(first_token_id, handle.tokenizer, context),
            )
            runs.append(
                _run_pair(
                    handle,
                    pair,
                    built,
                    index,
                    latent=latent,
                    overlap=mode,
                    batch_size=batch_size,
                    progress=progress,
                    lens=chosen,
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
        "prefix_rule": vars(rule),
        "prefix_rule_version": PREFIX_RULE_VERSION,
        "overlap": mode,
        "accuracy": "final top-1 = first token of the target word or a listed synonym",
        "intervals": "prompts: normal 95%; across pairs: Student-t 95% over pair means",
        "position": "last prompt token",
        "lens": lens_used,
    }
    return LatentResult(runs=runs, models=provenance, settings=settings)


def _describe_lens(lens: Lens | None) -> dict[str, Any]:
    """What decoded the layers, for the run's settings (a tuned lens with its provenance)."""
    if lens is None:
        return {"kind": "logit", "what": "logit lens (final norm + unembedding)"}
    provenance = getattr(lens, "provenance", {}) or {}
    keep = ("path", "data", "data_hash", "split", "steps", "positions", "settings")
    return {"kind": type(lens).__name__, **{k: provenance[k] for k in keep if k in provenance}}


def _run_pair(
    handle: ModelHandle,
    pair: Pair,
    built: PromptSet,
    index: PrefixIndex,
    *,
    latent: Sequence[str],
    overlap: str,
    batch_size: int,
    progress: bool,
    lens: Lens | None = None,
) -> PairRun:
    prompts = built.prompts
    prepared = prepare(prompts, index, rule=index.rule, overlap=overlap)
    languages = pair.measured(latent)
    frame = pd.DataFrame([p.to_row() for p in prompts])
    frame["status"] = prepared.statuses
    frame["shared_between"] = prepared.shared_between
    frame["n_target_tokens"] = [
        len(ids[p.target]) for p, ids in zip(prompts, prepared.all_token_ids, strict=True)
    ]
    # Strict accuracy: the first token of the target word (or a listed synonym) in context.
    answers = [
        first_token_ids(handle.tokenizer, p.text, p.answers[p.target]) for p in prepared.prompts
    ]
    n_layers = handle.n_layers
    layers = list(range(n_layers + 1))
    empty = np.zeros((0, len(layers)), dtype=np.float32)
    mass = np.zeros((0, len(layers), len(languages)), dtype=np.float32)
    shared, other, entropy = empty, empty, empty
    correct = np.zeros(0, dtype=bool)
    if prepared.prompts:
        result = measure(
            handle,
            [p.text for p in prepared.prompts],
            prepared.token_ids,
            languages,
            answer_ids=answers,
            batch_size=batch_size,
            progress=progress,
            lens=lens,
        )
        mass, shared = result.mass.numpy(), result.shared.numpy()
        other, entropy = result.other.numpy(), result.entropy_bits.numpy()
        correct, layers = result.correct.numpy(), result.layers
    kept_ids = [p.prompt_id for p in prepared.prompts]
    by_id = dict(zip(kept_ids, correct.tolist(), strict=True))
    frame["correct"] = [by_id.get(pid) for pid in frame.prompt_id] if len(frame) else []
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
        shared=shared,
        other=other,
        counts={
            "n_shots_changed": built.n_shots_changed,
            "n_dropped_shots": built.n_dropped_shots,
        },
    )
