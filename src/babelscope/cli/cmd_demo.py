"""``babelscope demo``: the main job on any model — twelve latent-language experiments (ten
translation pairs, repetition, cloze), the activation-patching check, one report. A thin command
over :func:`babelscope.report.demo.demo` (``bs.demo`` from Python); the pairs, budgets and their
reasons live there."""

from __future__ import annotations

import argparse

from babelscope.cli.options import (
    COUNT,
    add_run_options,
    add_runtime_options,
    add_words_options,
)

# Literal copies of babelscope.report.demo's defaults (importing it here would slow `--help`);
# tests/unit/test_cli_python_defaults.py checks that they agree.
DEFAULT_MODELS = ("gemma-3-270m", "smollm2-135m")
BUDGET_CHOICES = ("full", "quick")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "demo",
        help="the main job on any model (default: both bundled models): 12 latent-language "
        "experiments + the patching check, one report",
        description="Twelve latent-language experiments (ten translation pairs, repetition, "
        "cloze), the activation-patching check and the generation view, for each --model, into "
        "one run folder and report. --budget quick runs a quarter of the prompts (for a 7B "
        "model or a first look).",
    )
    parser.add_argument(
        "--model",
        action="append",
        default=None,
        metavar="M",
        help="bundled alias (gemma-3-270m, smollm2-135m), hub id org/name[@rev], folder or "
        ".gguf; repeat (default: both bundled models)",
    )
    add_runtime_options(parser)
    add_run_options(
        parser, default="babelscope-runs/demo (bundled models) or babelscope-runs/demo-<models>"
    )
    parser.add_argument(
        "--budget",
        choices=BUDGET_CHOICES,
        default="full",
        help="full (default): 40 prompts per pair, 20 patching pairs (95%% half-width ≤ 0.05); "
        "quick: 10 and 8 (≤ 0.10, a quarter of the forward passes)",
    )
    parser.add_argument(
        "--max-prompts",
        type=COUNT,
        default=None,
        metavar="N",
        help="prompts per pair and model (default: the budget's, 40 full / 10 quick)",
    )
    parser.add_argument(
        "--patch-prompts",
        type=COUNT,
        default=None,
        metavar="N",
        help="prompt pairs of the patching check (default: the budget's, 20 full / 8 quick)",
    )
    add_words_options(parser)
    parser.set_defaults(handler=run)


def default_out(models: list[str]) -> str:
    """``babelscope-runs/demo`` for the bundled pair, ``…/demo-<model>[-<model>…]`` otherwise
    (so a demo of one's own model never lands in the bundled demo's folder)."""
    from babelscope.cli.options import model_label
    from babelscope.runs import default_run_dir

    if tuple(models) == DEFAULT_MODELS:
        return str(default_run_dir("demo"))
    return str(default_run_dir("demo", "-".join(model_label(m) for m in models)))


def run(args: argparse.Namespace) -> int:
    import sys
    import time

    from babelscope.cli.options import claim_out, finished, wrote
    from babelscope.report.demo import DemoSettings, demo

    models = list(args.model or DEFAULT_MODELS)
    settings = DemoSettings(
        budget=args.budget,
        max_prompts=args.max_prompts,
        patch_prompts=args.patch_prompts,
        words=args.words,
        lexicon=args.lexicon,
    )
    settings.validate()  # before any model loads
    out = claim_out(args, args.out or default_out(models), "demo", resumable=False)
    start = time.perf_counter()
    result = demo(
        models,
        settings,
        dtype=args.dtype,
        device=args.device,
        trust_remote_code=args.trust_remote_code,
    )
    report = result.save(out, argv=sys.argv[1:])
    wrote(report, time.perf_counter() - start)
    finished(args, out, result.findings())
    return 0
