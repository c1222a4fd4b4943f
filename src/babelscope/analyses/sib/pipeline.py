"""SIB-200 topic classification from frozen states and from prompts → :class:`SibResult`.

Phase 1 fills the activation store (pooled states of every layer, every language's capped
training rows and its evaluation split). Phase 2, layer by layer, runs the linear protocols:
MTEB's 8-per-label × 10 draws and the full training set, each in-language and from English
(the pivot) to every language; the draws are the same rows in every language (SIB is
parallel and its labels identical across languages). Phase 3 scores the prompted protocol.

The headline layer is chosen **without the evaluation split**: the layer with the best
cross-validated accuracy on the pivot's training states (``SibSettings.layer`` overrides). The
best layer per language is reported too (``<protocol>_best``), but it peeks at the evaluation
split and is optimistic.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from babelscope.analyses.sib import prompted as prompting
from babelscope.analyses.sib.protocols import (
    cross_validated,
    few_shot,
    full_train,
    stratified_draws,
    wilson,
)
from babelscope.analyses.sib.result import SibResult, summarise
from babelscope.analyses.sib.settings import SibSettings
from babelscope.analyses.sib.states import SibStates
from babelscope.errors import ConfigError, DataError

if TYPE_CHECKING:
    from babelscope.data.sib import Sib200Dataset
    from babelscope.models.handle import ModelHandle

#: The cache area of :func:`sib`'s default store (cross-run reuse).
SIB_STORES = "sib-stores"


@dataclass
class SibRun:
    result: SibResult
    store: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


def resolve_languages(dataset: Sib200Dataset, languages: str | Sequence[str]) -> list[str]:
    """Dataset codes for ``"all"`` or codes in any common spelling."""
    items = [languages] if isinstance(languages, str) else list(languages)
    codes = [p.strip() for item in items for p in str(item).split(",") if p.strip()]
    if not codes:
        raise DataError("no languages given", fix="pass --languages all or a list of codes")
    if any(code.lower() == "all" for code in codes):
        return dataset.languages()
    out: list[str] = []
    for code in codes:
        try:
            found = dataset.resolve(code)
        except DataError:
            from babelscope.languages.registry import resolve_language

            found = dataset.resolve(resolve_language(code).code)
        out.append(found)
    return list(dict.fromkeys(out))


def linear_tables(
    states: SibStates, codes: list[str], pivot: str, layers: list[int], *, progress: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-layer accuracies of the four linear protocols, and the pivot's CV accuracy.

    BLAS runs single-threaded here: the fits are small (56–701 × D), and on a shared 2-core
    machine a threaded OpenBLAS spun on them at ~0.5 s per fit against ~0.03 s on one thread
    (measured on smollm2-135m's states, load average 9)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _linear_tables(states, codes, pivot, layers, progress=progress)


def _linear_tables(
    states: SibStates, codes: list[str], pivot: str, layers: list[int], *, progress: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    s = states.settings
    bar = _bar(len(layers), "layer", "classifiers", progress)
    draws = stratified_draws(list(states.train[pivot].labels), s.per_label, s.repeats, s.seed)
    rows: list[dict[str, Any]] = []
    cv: list[dict[str, Any]] = []
    for layer in layers:
        train = {c: (states.states(states.train[c], layer), states.train[c].labels) for c in codes}
        evals = {c: (states.states(states.eval[c], layer), states.eval[c].labels) for c in codes}
        px, py = train[pivot]
        cv.append({"layer": layer, "cv_accuracy": cross_validated(px, py, s.cv_folds, s.seed)})
        targets = [evals[c] for c in codes]
        per_protocol = {
            "cross_lingual": few_shot(px, py, targets, draws),
            "cross_lingual_full": full_train(px, py, targets),
        }
        for protocol, scores in per_protocol.items():
            for code, score in zip(codes, scores, strict=True):
                rows.append(_row(code, layer, protocol, score))
        for code in codes:
            x, y = train[code]
            (few,) = few_shot(x, y, [evals[code]], draws)
            (full,) = full_train(x, y, [evals[code]])
            rows.append(_row(code, layer, "in_language", few))
            rows.append(_row(code, layer, "in_language_full", full))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return pd.DataFrame(rows), pd.DataFrame(cv)


def _bar(total: int, unit: str, desc: str, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, desc=desc, file=sys.stderr)


def _row(code: str, layer: int, protocol: str, score: Any) -> dict[str, Any]:
    return {
        "language": code,
        "layer": layer,
        "protocol": protocol,
        "accuracy": score.accuracy,
        "lo": score.lo,
        "hi": score.hi,
        "n_eval": score.n_eval,
        "interval": score.kind,
    }


def prompted_table(
    handle: ModelHandle, states: SibStates, codes: list[str], labels: list[str], *, progress: bool
) -> pd.DataFrame:
    """Per language: prompted accuracy (summed and per-token label log-prob, and summed after
    contextual calibration), Wilson CIs."""
    s = states.settings
    shots = prompting.choose_examples(list(states.train[codes[0]].labels), s.shots, s.seed)
    rows = []
    bar = _bar(len(codes), "lang", "prompted", progress)
    for code in codes:
        train, test = states.train[code], states.eval[code]
        n = (
            len(test.texts)
            if s.prompted_sentences is None
            else min(s.prompted_sentences, len(test.texts))
        )
        examples = [(train.texts[i], str(train.labels[i])) for i in shots]
        texts = [*test.texts[:n], *prompting.CONTENT_FREE]
        prefix, queries, conts = prompting.prompt_texts(examples, texts, labels)
        pieces = prompting.tokenize_pieces(handle, prefix, queries, conts)
        every = prompting.score_labels(handle, pieces)
        scores, content_free = every[:n], every[n:]
        summed, per_token = prompting.predictions(scores, [len(x) for x in pieces.labels])
        calibrated = prompting.calibrated_predictions(scores, content_free)
        truth = np.array([labels.index(str(x)) for x in test.labels[:n]])
        for protocol, picked in (
            ("prompted", summed),
            ("prompted_norm", per_token),
            ("prompted_calibrated", calibrated),
        ):
            correct = int((picked == truth).sum())
            lo, hi = wilson(correct, n)
            rows.append(
                {
                    "language": code,
                    "protocol": protocol,
                    "accuracy": correct / n if n else float("nan"),
                    "lo": lo,
                    "hi": hi,
                    "n_eval": n,
                    "prefix_tokens": len(pieces.prefix),
                }
            )
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return pd.DataFrame(rows)


def run_sib(
    handle: ModelHandle,
    dataset: Sib200Dataset,
    *,
    languages: str | Sequence[str] = "all",
    settings: SibSettings | None = None,
    store_dir: str | Path,
    progress: bool = True,
    data_spec: str | None = None,
) -> SibRun:
    """Evaluate ``handle``'s model on SIB-200 in ``languages`` (pivot always included)."""
    s = settings or SibSettings()
    started = time.perf_counter()
    pivot = dataset.resolve(s.pivot)
    codes = list(dict.fromkeys([pivot, *resolve_languages(dataset, languages)]))
    labels = dataset.labels(pivot)
    states = SibStates(dataset, codes, s)
    fill, store = states.fill(handle, store_dir, progress=progress)
    filled = time.perf_counter()
    layers = list(states.spec(handle.n_layers).layers)
    if s.layer is not None and s.layer not in layers:
        raise ConfigError(f"--layer {s.layer} is not captured", fix=f"use one of {layers}")
    per_layer, cv = linear_tables(states, codes, pivot, layers, progress=progress)
    best = int(np.argmax(cv["cv_accuracy"].to_numpy()))  # ties: the shallowest layer
    chosen = s.layer if s.layer is not None else int(cv["layer"].to_numpy()[best])
    classified = time.perf_counter()
    prompted = (
        prompted_table(handle, states, codes, labels, progress=progress)
        if s.prompted
        else pd.DataFrame(columns=["language", "protocol", "accuracy", "lo", "hi", "n_eval"])
    )
    done = time.perf_counter()
    used = {
        "spec": data_spec or dataset.source,
        "split": s.split,
        "train_split": s.train_split,
        "languages": codes,
        "labels": labels,
        "train_sentences_per_language": len(states.train[pivot].texts),
        "eval_sentences_per_language": len(states.eval[pivot].texts),
        "prompted_sentences_per_language": int(prompted["n_eval"].max()) if len(prompted) else 0,
        "train_rows": states.train[pivot].rows.tolist(),
        "data_sha256": dataset.data_hash(codes, s.split),
    }
    if s.train_per_label == s.per_label:
        used["note"] = (
            f"--train-per-label {s.per_label} keeps exactly the {s.per_label} per label each "
            "repeat draws: the 10 repeats are identical (use more for a repeat interval)"
        )
    result = SibResult(
        model=handle.provenance(),
        settings=s.to_manifest(),
        data=used,
        pivot=pivot,
        layers=layers,
        selected_layer=chosen,
        layer_scores=per_layer,
        prompted=prompted,
        layer_choice=cv,
        summary=summarise(per_layer, prompted, chosen, handle.name),
    )
    timings = {
        **fill,
        "store_seconds": round(filled - started, 3),
        "classifier_seconds": round(classified - filled, 3),
        "prompted_seconds": round(done - classified, 3),
        "total_seconds": round(done - started, 3),
    }
    return SibRun(result, store, timings)


def sib(
    handle: ModelHandle,
    dataset: Sib200Dataset,
    *,
    languages: str | Sequence[str] = "all",
    settings: SibSettings | None = None,
    store_dir: str | Path | None = None,
    progress: bool = False,
) -> SibResult:
    """Notebook entry point; the store defaults to ``<cache>/sib-stores`` (reused across runs)."""
    from babelscope.paths import cache_subdir

    return run_sib(
        handle,
        dataset,
        languages=languages,
        settings=settings,
        store_dir=store_dir if store_dir is not None else cache_subdir(SIB_STORES),
        progress=progress,
    ).result
