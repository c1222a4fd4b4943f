"""``babelscope patch``: activation patching across languages (Dumas et al. 2024)."""

from __future__ import annotations

import argparse
import sys
import time

from babelscope.cli.options import (
    COUNT,
    SEED,
    add_model_options,
    add_run_options,
    add_words_options,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "patch",
        help="is a mid-stack concept language-free? (patch one translation prompt into another)",
        description="Patch the last-token state of S1→T1 translation prompts (concept A) into "
        "S2→T2 prompts (concept B) at each layer and measure the model's final P(A in T2), "
        "P(B in T2) and P(A in T1).",
    )
    add_model_options(parser, multiple=True)
    parser.add_argument(
        "--pair",
        action="append",
        default=[],
        metavar="S1:T1",
        help="source prompts' direction, e.g. de:it (default de:it; repeat with --into)",
    )
    parser.add_argument(
        "--into",
        action="append",
        default=[],
        metavar="S2:T2",
        help="target prompts' direction, e.g. fr:zh (default fr:zh; one per --pair)",
    )
    parser.add_argument(
        "--also", default="", help="extra measured languages, comma-separated (e.g. en)"
    )
    parser.add_argument("--layers", default="all", help="patched layers: all, 0,4,8-12, -1 (all)")
    parser.add_argument(
        "--prompts", type=COUNT, default=20, metavar="N", help="prompt pairs per setup (20)"
    )
    add_words_options(parser)
    parser.add_argument("--shots", type=COUNT, default=4, help="examples per prompt (default 4)")
    parser.add_argument("--seed", type=SEED, default=0, help="seed of the prompt draw")
    parser.add_argument("--batch-size", type=COUNT, default=16, help="prompts per forward (16)")
    add_run_options(parser, default="babelscope-runs/patch-<models>")
    parser.set_defaults(handler=run)


def parse_setups(args: argparse.Namespace) -> list[object]:
    """``--pair``/``--into`` zipped into setups (ConfigError on a bad or unmatched one)."""
    from babelscope.analyses.patching import PatchSetup
    from babelscope.analyses.patching.run import DEFAULT_SETUP
    from babelscope.errors import ConfigError

    sources = args.pair or [DEFAULT_SETUP[0]]
    targets = args.into or [DEFAULT_SETUP[1]]
    if len(sources) != len(targets):
        raise ConfigError(
            f"{len(sources)} --pair but {len(targets)} --into",
            fix="give one --into S2:T2 for each --pair S1:T1",
        )
    extra = [code.strip() for code in args.also.split(",") if code.strip()]
    return list(
        dict.fromkeys(PatchSetup.make(s, t, extra) for s, t in zip(sources, targets, strict=True))
    )


def run(args: argparse.Namespace) -> int:
    from babelscope.errors import ConfigError

    if not args.model:
        raise ConfigError("no model given", fix="pass --model smollm2-135m (repeatable)")
    setups = parse_setups(args)
    from babelscope.analyses.patching import patching_experiment
    from babelscope.cli.options import claim_out, finished, model_label, wrote
    from babelscope.data.word_sets import combine_words
    from babelscope.models.loader import load_model
    from babelscope.report.sections.patching import write_patching_run
    from babelscope.runs import default_run_dir

    lexicon = combine_words(args.words, args.lexicon)
    models = "-".join(model_label(spec) for spec in args.model)
    out = args.out or str(default_run_dir("patch", models))
    claim_out(args, out, "patching", resumable=False)
    start = time.perf_counter()
    handles = [
        load_model(
            spec, dtype=args.dtype, device=args.device, trust_remote_code=args.trust_remote_code
        )
        for spec in args.model
    ]
    result = patching_experiment(
        handles,
        setups,  # type: ignore[arg-type]
        layers=args.layers,
        n_pairs=args.prompts,
        lexicon=lexicon,
        shots=args.shots,
        seed=args.seed,
        batch_size=args.batch_size,
    )
    command = "babelscope " + " ".join(sys.argv[1:]) if sys.argv else None
    report = write_patching_run(out, result, command=command)
    wrote(report, time.perf_counter() - start)
    finished(args, out, result.findings())
    return 0
