"""Prompted k-shot topic classification: which label word does the raw LM find most likely?

No training. The prompt lists the seven topics, then ``shots`` labelled examples (training
rows, in the language being tested, labels in English), then the test sentence and
``Topic:``. Each label is scored by the model's log-probability of `` <label>`` after it.

Scored two ways, both reported: ``prompted`` sums the label's token log-probabilities (the
probability of the whole label string — the Bayes decision when labels are equally likely),
``prompted_norm`` divides by the label's token count (lm-eval-harness's ``acc_norm`` idea:
"science/technology" is several tokens and would otherwise lose by length alone).
A third, ``prompted_calibrated``, is contextual calibration (Zhao et al. 2021, "Calibrate
Before Use"): the same prompt with content-free texts (:data:`CONTENT_FREE`) in place of the
test sentence gives the model's label prior ``p_cf`` (softmax over the seven labels, averaged
over the content-free texts); each sentence's label probabilities are divided by it. A small
model that answers one label whatever the text scores at chance uncalibrated; calibrated, what
remains is what the text itself moves.

Cost. The examples are the same for every test sentence of a language, so their key/value
cache is computed once per language and copied for each sentence; a sentence then costs its
own tokens plus, per label longer than one token, that label's tokens. This runs the model's
own forward with a cache, as ``analyses/patching`` does: the activation engine has no cache
and would re-run the examples 7 times per sentence. Pieces are tokenised separately and
concatenated, and :func:`score_labels_uncached` (one full forward per label, no cache) is the
reference the cached scores are tested against.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:
    from babelscope.models.handle import ModelHandle


#: Content-free test texts for contextual calibration, as in Zhao et al. (2021).
CONTENT_FREE = ("N/A", "", "[MASK]")


@dataclass(frozen=True)
class PromptPieces:
    """Token ids of the shared prefix, of each query and of each label continuation."""

    prefix: list[int]
    queries: list[list[int]]
    labels: list[list[int]]


def prompt_texts(
    examples: Sequence[tuple[str, str]], queries: Sequence[str], labels: Sequence[str]
) -> tuple[str, list[str], list[str]]:
    """``(prefix, query texts, label continuations)`` of the k-shot prompt."""
    header = f"Classify the topic of each text. Topics: {', '.join(labels)}.\n\n"
    shots = "".join(f"Text: {text}\nTopic: {label}\n\n" for text, label in examples)
    return header + shots, [f"Text: {q}\nTopic:" for q in queries], [f" {x}" for x in labels]


def tokenize_pieces(
    handle: ModelHandle, prefix: str, queries: Sequence[str], labels: Sequence[str]
) -> PromptPieces:
    """Ids of each piece; special tokens (BOS) only at the start of the prefix."""
    tok: Any = handle.tokenizer

    def ids(text: str, special: bool) -> list[int]:
        return [int(t) for t in tok(text, add_special_tokens=special)["input_ids"]]

    return PromptPieces(
        ids(prefix, True), [ids(q, False) for q in queries], [ids(x, False) for x in labels]
    )


def choose_examples(labels: Sequence[str], shots: int, seed: int) -> list[int]:
    """Training rows for the prompt: labels in turn (seeded order), a fresh row each time."""
    rng = np.random.default_rng(seed)
    array = np.asarray(labels)
    names = sorted(set(labels))
    order = [names[i] for i in rng.permutation(len(names))]
    pools = {name: list(rng.permutation(np.flatnonzero(array == name))) for name in names}
    rows: list[int] = []
    for i in range(shots):
        pool = pools[order[i % len(order)]]
        if pool:
            rows.append(int(pool.pop(0)))
    return rows


def _call(handle: ModelHandle, ids: list[int], cache: Any, keep_last: bool) -> Any:
    params = inspect.signature(handle.model.forward).parameters
    kwargs: dict[str, Any] = {
        "input_ids": torch.tensor([ids], device=handle.device),
        "use_cache": True,
    }
    if cache is not None:  # transformers 5 renames past_key_values to cache
        kwargs["cache" if "cache" in params else "past_key_values"] = cache
    if keep_last and "logits_to_keep" in params:
        kwargs["logits_to_keep"] = 1  # the LM head on one position: it dominates small models
    with torch.no_grad():
        return handle.model(**kwargs)


def _cache_of(out: Any) -> Any:
    return getattr(out, "cache", None) or getattr(out, "past_key_values", None)


def score_labels(handle: ModelHandle, pieces: PromptPieces) -> np.ndarray:
    """``[n_queries, n_labels]`` float64 summed log-probabilities (nats) of each label after
    prefix + query, with the prefix's key/value cache computed once."""
    prefix_cache = _cache_of(_call(handle, pieces.prefix, None, keep_last=True))
    out = np.zeros((len(pieces.queries), len(pieces.labels)))
    for i, query in enumerate(pieces.queries):
        step = _call(handle, query, copy.deepcopy(prefix_cache), keep_last=True)
        first = torch.log_softmax(step.logits[0, -1].double(), -1)
        query_cache = _cache_of(step)
        for j, label in enumerate(pieces.labels):
            total = float(first[label[0]])
            if len(label) > 1:
                rest = _call(handle, label[:-1], copy.deepcopy(query_cache), keep_last=False)
                logp = torch.log_softmax(rest.logits[0].double(), -1)
                total += float(logp[torch.arange(len(label) - 1), torch.tensor(label[1:])].sum())
            out[i, j] = total
    return out


def score_labels_uncached(handle: ModelHandle, pieces: PromptPieces) -> np.ndarray:
    """The reference for :func:`score_labels`: one full forward per (query, label)."""
    out = np.zeros((len(pieces.queries), len(pieces.labels)))
    for i, query in enumerate(pieces.queries):
        for j, label in enumerate(pieces.labels):
            ids = [*pieces.prefix, *query, *label]
            with torch.no_grad():
                logits = handle.model(input_ids=torch.tensor([ids], device=handle.device)).logits
            logp = torch.log_softmax(logits[0].double(), -1)
            start = len(ids) - len(label)
            positions = torch.arange(start - 1, len(ids) - 1)
            out[i, j] = float(logp[positions, torch.tensor(label)].sum())
    return out


def predictions(scores: np.ndarray, label_lengths: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Argmax label index per query by summed and by per-token log-probability."""
    per_token = scores / np.asarray(label_lengths, dtype=float)[None, :]
    return scores.argmax(1), per_token.argmax(1)


def calibrated_predictions(scores: np.ndarray, content_free: np.ndarray) -> np.ndarray:
    """Argmax label index per query after contextual calibration: ``p(label | text) / p_cf``.

    ``scores``: ``[n_queries, n_labels]`` summed log-probabilities; ``content_free``: the same
    for the content-free queries. ``p_cf`` is the mean over content-free queries of their
    label distribution (softmax over the labels); dividing by it is subtracting ``log p_cf``
    (the per-query normaliser does not change the argmax)."""
    shifted = content_free - content_free.max(1, keepdims=True)
    prior = np.exp(shifted) / np.exp(shifted).sum(1, keepdims=True)
    picked: np.ndarray = (scores - np.log(prior.mean(0))[None, :]).argmax(1)
    return picked
