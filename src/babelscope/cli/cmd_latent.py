"""``babelscope latent``: latent-language analysis for one or more models and pairs."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from babelscope.cli.options import (
    COUNT,
    SEED,
    add_lenses_option,
    add_model_options,
    add_run_options,
    add_words_options,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "latent",
        help="which language does the model think in? (logit lens over word-translation prompts)",
    )
    add_model_options(parser, multiple=True)
    parser.add_argument("--task", default="translation", help="translation, repetition or cloze")
    parser.add_argument("--source", help="source language (fra_Latn, fr, fra, …)")
    parser.add_argument("--target", help="target language")
    parser.add_argument(
        "--pair",
        action="append",
        default=[],
        metavar="TASK:SRC:TGT",
        help="an extra pair, e.g. translation:fra_Latn:zho_Hans (repeatable)",
    )
    parser.add_argument(
        "--latent", default="", help="extra candidate latent languages, comma-separated"
    )
    add_words_options(parser)
    add_lenses_option(parser)
    parser.add_argument(
        "--overlap",
        choices=["shared", "drop"],
        default="shared",
        help="tokens two measured languages share: count them in a 'shared' bucket (default) "
        "or drop the prompt",
    )
    parser.add_argument(
        "--min-prefix-chars",
        type=COUNT,
        default=None,
        metavar="N",
        help="minimum prefix length in characters for every script (default: 2, and 1 for Han "
        "and Hangul syllables); 1 measures tokenizers that write Cyrillic one letter a token",
    )
    parser.add_argument("--shots", type=COUNT, default=4, help="examples per prompt (default 4)")
    parser.add_argument("--seed", type=SEED, default=0, help="seed of the prompt draw")
    parser.add_argument("--max-prompts", type=COUNT, default=None, help="per pair (default all)")
    parser.add_argument("--generate", metavar="PROMPT", help="also show the generation view")
    add_run_options(parser, default="babelscope-runs/latent-<models>")
    parser.set_defaults(handler=run)


def parse_pairs(args: argparse.Namespace) -> list[object]:
    from babelscope.analyses.latent import Pair
    from babelscope.errors import ConfigError

    pairs = []
    if args.target or args.source:
        if not args.target:
            raise ConfigError("--source needs --target", fix="pass --target LANG")
        pairs.append(Pair.make(args.task, args.source or args.target, args.target))
    for text in args.pair:
        parts = text.split(":")
        if len(parts) != 3:
            raise ConfigError(f"bad --pair {text!r}", fix="write TASK:SRC:TGT")
        pairs.append(Pair.make(*parts))
    if not pairs:
        raise ConfigError("no language pair given", fix="pass --source and --target, or --pair")
    return list(dict.fromkeys(pairs))


def default_out(models: list[str]) -> Path:
    """``babelscope-runs/latent-<model>[-<model>…]``."""
    from babelscope.cli.options import model_label
    from babelscope.runs import default_run_dir

    return default_run_dir("latent", "-".join(model_label(m) for m in models))


def run(args: argparse.Namespace) -> int:
    from babelscope.errors import ConfigError

    if not args.model:
        raise ConfigError("no model given", fix="pass --model gemma-3-270m (repeatable)")
    pairs = parse_pairs(args)
    latent = [code for code in args.latent.split(",") if code.strip()]
    out = args.out or str(default_out(args.model))
    return execute(args, pairs, latent, out, generate=args.generate)


def execute(
    args: argparse.Namespace,
    pairs: list[object],
    latent: list[str],
    out: str,
    *,
    generate: str | None,
    view_languages: list[str] | None = None,
    kind: str = "latent",
    patching: bool = False,
) -> int:
    """Shared by ``latent`` and ``demo``: validate, run, write the run folder. ``patching``
    adds the activation-patching check (default setup) on the same models, into the same
    folder and report."""
    from babelscope.analyses.latent import latent_language
    from babelscope.analyses.latent.generation import generation_view
    from babelscope.cli.options import claim_out, finished, wrote
    from babelscope.data.word_sets import combine_words
    from babelscope.languages.registry import resolve_language
    from babelscope.models.loader import load_model
    from babelscope.report.latent_run import write_latent_run

    for code in latent:
        resolve_language(code)
    lexicon = combine_words(args.words, args.lexicon)
    from babelscope.cli.options import lens_picker

    pick_lens = lens_picker(list(getattr(args, "lens", []) or []))
    claim_out(args, out, kind, resumable=False)
    start = time.perf_counter()
    handles = []
    views = []
    for spec in args.model:
        handle = load_model(
            spec, dtype=args.dtype, device=args.device, trust_remote_code=args.trust_remote_code
        )
        handles.append(handle)
    result = latent_language(
        handles,
        pairs,  # type: ignore[arg-type]
        latent=latent,
        lexicon=lexicon,
        shots=args.shots,
        seed=args.seed,
        max_prompts=args.max_prompts,
        overlap=getattr(args, "overlap", "shared"),
        min_prefix_chars=getattr(args, "min_prefix_chars", None),
        lens=pick_lens,
    )
    if generate:
        langs = view_languages or list(
            dict.fromkeys(
                ["eng_Latn", *[p.source for p in pairs], *[p.target for p in pairs], *latent]  # type: ignore[attr-defined]
            )
        )
        views = [generation_view(h, generate, langs) for h in handles]
    patched = None
    if patching:
        from babelscope.analyses.patching import patching_experiment

        patched = patching_experiment(
            handles, lexicon=lexicon, shots=args.shots, seed=args.seed, progress=False
        )
    seconds = time.perf_counter() - start
    report = write_latent_run(
        out,
        result,
        views=views,
        argv=sys.argv[1:],
        kind=kind,
        started=time.time() - seconds,
        patching=patched,
    )
    wrote(report, time.perf_counter() - start)
    finished(args, out, [*result.findings(), *(patched.findings() if patched else [])])
    return 0
