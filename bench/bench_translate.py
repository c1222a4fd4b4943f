"""Translation generation throughput: babelscope's path against a plain ``model.generate`` loop.

Same prompts (supervised k-shot X→English on FLORES dev, babelscope's template), same per-
sentence caps (``ceil(1.5 × reference tokens) + 8``), greedy, first line only. Ours is
:func:`babelscope.analyses.translate.generation.translate_batch` (length-sorted, left-padded
batches through :mod:`babelscope.capture.generate`, each row cut to its own cap); the baseline
is what a user writes by hand: one prompt at a time, ``max_new_tokens`` = its cap, HF's
``stop_strings=["\\n"]``. Prints generated tokens/s of each, the ratio, and whether the outputs
are equal. Run: ``.venv/bin/python bench/bench_translate.py [--model M] [--sentences 4]``.
"""

from __future__ import annotations

import argparse
import os

import torch

from babelscope import load_model
from babelscope.analyses.translate.generation import token_counts, translate_batch
from babelscope.analyses.translate.prompts import Exemplar, build_prompt, language_tag
from babelscope.data.flores import FloresDataset
from babelscope.models.handle import ModelHandle

from _common import FLORES, machine, peak_rss_mib, show, timed

LANGS = ["fra_Latn", "rus_Cyrl", "swh_Latn"]


def prompts_for(
    data: FloresDataset, langs: list[str], n: int, shots: int
) -> tuple[list[str], list[str]]:
    """Supervised X→English prompts for the first ``n`` dev sentences of each language, with
    exemplars from the last ``shots`` dev sentences; and the English references."""
    english = data.sentences("eng_Latn", "dev")
    en = language_tag("eng_Latn")
    prompts, refs = [], []
    for lang in langs:
        own = data.sentences(lang, "dev")
        tag = language_tag(lang)
        demos = [Exemplar(tag, own[-1 - k], en, english[-1 - k]) for k in range(shots)]
        for i in range(n):
            prompts.append(build_prompt(demos, tag, own[i], en))
            refs.append(english[i])
    return prompts, refs


def plain_loop(handle: ModelHandle, prompts: list[str], caps: list[int]) -> tuple[list[str], int]:
    """One ``model.generate`` per prompt; texts (first line, stripped) and tokens generated."""
    tok, texts, tokens = handle.tokenizer, [], 0
    for prompt, cap in zip(prompts, caps, strict=True):
        enc = tok(prompt, return_tensors="pt").to(handle.device)
        with torch.no_grad():
            out = handle.model.generate(  # type: ignore[operator]
                **enc,
                max_new_tokens=cap,
                do_sample=False,
                stop_strings=["\n"],
                tokenizer=tok,
                pad_token_id=tok.pad_token_id or tok.eos_token_id,
            )
        new = out[0, enc["input_ids"].shape[1] :]
        tokens += len(new)
        text = tok.decode(new, skip_special_tokens=True)
        texts.append(text.lstrip("\n").split("\n", 1)[0].strip())
    return texts, tokens


def _rate(seconds: float, tokens: int) -> str:
    return f"{seconds:.1f} s, {tokens} tokens, {tokens / seconds:.1f} tok/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--sentences", type=int, default=4, help="per language (4)")
    parser.add_argument("--shots", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()
    data = FloresDataset.open(os.environ.get("BABELSCOPE_FLORES", str(FLORES)))
    handle = load_model(args.model)
    prompts, refs = prompts_for(data, LANGS, args.sentences, args.shots)
    caps = [int(1.5 * n + 0.999999) + 8 for n in token_counts(handle, refs)]
    ours_s, ours = timed(lambda: translate_batch(handle, prompts, caps, args.batch_size))
    plain_s, (plain, plain_tokens) = timed(lambda: plain_loop(handle, prompts, caps))
    ours_tokens = sum(g.new_tokens for g in ours)
    equal = sum(g.text == p for g, p in zip(ours, plain, strict=True))
    show(
        [
            ("machine", machine()),
            ("model", handle.name),
            ("prompts", f"{len(prompts)} ({', '.join(LANGS)}; {args.shots}-shot)"),
            ("babelscope", _rate(ours_s, ours_tokens)),
            ("plain generate loop", _rate(plain_s, plain_tokens)),
            ("throughput ratio", f"{(ours_tokens / ours_s) / (plain_tokens / plain_s):.2f}×"),
            ("speed-up (time)", f"{plain_s / ours_s:.2f}×"),
            ("equal outputs", f"{equal}/{len(prompts)}"),
            ("peak RSS", f"{peak_rss_mib():.0f} MiB"),
        ]
    )  # fmt: skip


if __name__ == "__main__":
    main()
