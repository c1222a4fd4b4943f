"""Latent-language lens over 100 translation prompts on gemma-3-270m: babelscope versus a
straightforward per-prompt nnsight implementation of the same lens (trace, then final norm +
unembedding on each layer's last position). Checks that both give the same probabilities.

Run: ``.venv/bin/python bench/bench_latent.py [--prompts 100] [--model gemma-3-270m]``.
"""

from __future__ import annotations

import argparse

import torch

from babelscope import load_model
from babelscope.analyses.latent import Pair
from babelscope.analyses.latent.measure import measure
from babelscope.analyses.latent.prompts import build_prompts
from babelscope.analyses.latent.token_sets import prefix_index, prepare
from babelscope.data.lexicon import builtin_lexicon
from babelscope.models.handle import ModelHandle

from _common import machine, show, timed

PAIRS = [("fra_Latn", "zho_Hans"), ("deu_Latn", "jpn_Jpan"), ("spa_Latn", "rus_Cyrl")]


def nnsight_lens(
    handle: ModelHandle,
    texts: list[str],
    token_ids: list[dict[str, list[int]]],
    languages: list[str],
) -> torch.Tensor:
    """Per prompt: one nnsight trace saving every layer's last position, then the lens."""
    from nnsight import LanguageModel

    lm = LanguageModel(handle.model, tokenizer=handle.tokenizer)
    layers = lm.model.layers
    out = torch.zeros(len(texts), handle.n_layers + 1, len(languages))
    for n, text in enumerate(texts):
        saved = []
        with lm.trace(text):
            saved.append(layers[0].inputs[0][0][:, -1].save())
            for layer in layers:
                saved.append(layer.output[:, -1].save())
        with torch.no_grad():
            for li, hidden in enumerate(saved):
                logits = handle.unembed(handle.final_norm(hidden))[0].float()
                probs = torch.softmax(logits, -1)
                for m, lang in enumerate(languages):
                    ids = token_ids[n][lang]
                    out[n, li, m] = probs[ids].sum() if ids else 0.0
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, default=100)
    parser.add_argument("--model", default="gemma-3-270m")
    args = parser.parse_args()
    handle = load_model(args.model, progress=False)
    lexicon, index = builtin_lexicon(), prefix_index(handle.tokenizer)
    texts: list[str] = []
    ids: list[dict[str, list[int]]] = []
    answers: list[list[int]] = []
    for source, target in PAIRS:
        pair = Pair.make("translation", source, target)
        prepared = prepare(
            build_prompts(
                lexicon,
                task="translation",
                source=source,
                target=target,
                measured=pair.measured([]),
            ),
            index,
        )
        for prompt, sets in zip(prepared.prompts, prepared.token_ids, strict=True):
            texts.append(prompt.text)
            # same column order for every prompt: target, source, English
            # the sets are disjoint (shared tokens are in sets["shared"]), as measure() requires
            ids.append(
                {"target": sets[target], "source": sets[source], "English": sets["eng_Latn"]}
            )
            answers.append(sets[target][:1])
    texts, ids, answers = texts[: args.prompts], ids[: args.prompts], answers[: args.prompts]
    languages = ["target", "source", "English"]
    print(
        f"latent-lens bench: {args.model}, {len(texts)} translation prompts "
        f"({', '.join(f'{s}→{t}' for s, t in PAIRS)}), all {handle.n_layers + 1} layers; "
        f"{machine()}"
    )
    measure(handle, texts[:4], ids[:4], languages, answer_ids=answers[:4])  # warm-up
    t_ours, ours = timed(lambda: measure(handle, texts, ids, languages, answer_ids=answers).mass)
    t_nn, theirs = timed(lambda: nnsight_lens(handle, texts, ids, languages))
    diff = (ours - theirs).abs().max().item()
    show(
        [
            ("babelscope (batched, stop after last block)", f"{t_ours:7.2f} s"),
            (
                "nnsight, one trace per prompt",
                f"{t_nn:7.2f} s  (speed-up {t_nn / t_ours:.2f}x, target ≥ 3x)",
            ),
            ("max |P_ours - P_nnsight|", f"{diff:.2e}"),
        ]
    )
    assert diff < 1e-4, "the two lenses disagree"


if __name__ == "__main__":
    main()
