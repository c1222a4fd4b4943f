"""``babelscope demo``: the main job — both bundled models, twelve latent-language experiments
(ten translation pairs, repetition, cloze), the activation-patching check, one report."""

from __future__ import annotations

import argparse

from babelscope.cli.options import (
    COUNT,
    add_run_options,
    add_runtime_options,
    add_words_options,
)

# Non-English and low-resource pairs (Wendler et al.'s translation, repetition and cloze).
DEMO_PAIRS = [
    # Latin sources into five non-Latin scripts; English is absent from every prompt, so it
    # can be called latent; the source word is in the prompt, so its mass is the copy signal.
    "translation:fra_Latn:zho_Hans",
    "translation:deu_Latn:jpn_Jpan",
    "translation:spa_Latn:rus_Cyrl",
    "translation:fra_Latn:kor_Hang",
    "translation:deu_Latn:hin_Deva",
    "translation:spa_Latn:arb_Arab",
    # Non-Latin sources into Latin targets, and two low-resource targets.
    "translation:zho_Hans:fra_Latn",
    "translation:rus_Cyrl:deu_Latn",
    "translation:fra_Latn:swh_Latn",
    "translation:deu_Latn:yor_Latn",
    "repetition:zho_Hans:zho_Hans",
    "cloze:spa_Latn:spa_Latn",
]
DEMO_MODELS = ["gemma-3-270m", "smollm2-135m"]
# 40 prompts give a 95% half-width of ≤ 0.05 on a mean mass with sd ≤ 0.16 (what the pairs
# show), and keep 12 experiments × 2 models + patching within the 10-minute budget.
DEMO_MAX_PROMPTS = 40
DEMO_PROMPT = (
    'Français: "fleur" - 中文: "花"\nFrançais: "montagne" - 中文: "山"\nFrançais: "livre" - 中文: "'
)
DEMO_VIEW_LANGUAGES = ["eng_Latn", "fra_Latn", "zho_Hans", "jpn_Jpan"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "demo", help="run the latent-language analysis on both bundled models and write a report"
    )
    add_runtime_options(parser)
    add_run_options(parser, default="babelscope-runs/demo")
    parser.add_argument(
        "--max-prompts",
        type=COUNT,
        default=DEMO_MAX_PROMPTS,
        help=f"per pair and model (default {DEMO_MAX_PROMPTS}; keeps the demo under 10 minutes)",
    )
    add_words_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from babelscope.cli.cmd_latent import execute

    full = argparse.Namespace(
        model=DEMO_MODELS,
        dtype=args.dtype,
        device=args.device,
        trust_remote_code=args.trust_remote_code,
        task="translation",
        source=None,
        target=None,
        pair=DEMO_PAIRS,
        latent="",
        words=args.words,
        lexicon=args.lexicon,
        shots=4,
        seed=0,
        max_prompts=args.max_prompts,
        json=args.json,
        overwrite=args.overwrite,
    )
    from babelscope.cli.cmd_latent import parse_pairs
    from babelscope.runs import default_run_dir

    return execute(
        full,
        parse_pairs(full),
        [],
        args.out or str(default_run_dir("demo")),
        generate=DEMO_PROMPT,
        view_languages=DEMO_VIEW_LANGUAGES,
        kind="demo",
        patching=True,
    )
