"""``babelscope steer``: fit steering vectors per target language and method on FLORES, sweep
layers × α against the no-steering and prompting baselines, choose on half the prompts and
report on the other half. ``babelscope steer apply``: one-off generation with a saved vector.

Writes a run folder: ``vectors/<method>-<target>/`` (one saved steerer each), ``cells/`` (one
Parquet file per finished setting: a rerun with the same ``--out`` skips them),
``steer_*.parquet``, ``plots/``, ``report.html`` and ``manifest.json`` last.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path
from typing import Any

from babelscope.cli.options import add_model_options, add_run_options, load_from_args

#: Where the default layers sit, as fractions of the depth (language structure is strongest in
#: the later layers, CLaS-Bench; the last block is left out, it is about to be unembedded).
#: Three layers keep one language's default sweep near 8 CPU-minutes on smollm2-135m
#: (bench/bench_steer.py); widen with --layers.
DEFAULT_DEPTHS = (0.5, 0.7, 0.85)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "steer",
        help="steer the model into other languages and measure it (DiffMean, LAPE, G-ACT)",
        description="Fit steering vectors on FLORES, sweep layers × α against no steering and "
        "prompting, choose each method's setting on half the prompts and report it on the "
        "other half (LFS, chrF++, fluency, headline; 95%% intervals). Resumable: re-run with "
        "the same --out. `steer apply` generates once with a saved vector.",
    )
    add_model_options(parser, required=False)
    parser.add_argument("--data", help="flores200:PATH (folder or tarball)")
    parser.add_argument("--split", default="dev", help="FLORES split (default dev)")
    parser.add_argument("--target", help="target languages: fra_Latn,deu_Latn or fr,de")
    parser.add_argument(
        "--method",
        default="diffmean,lape,gact",
        help="methods, comma-separated (diffmean,lape,gact)",
    )
    parser.add_argument(
        "--layers",
        default="auto",
        help="layers to fit and sweep: auto (50, 70, 85%% of the depth) or 6,9,12 …",
    )
    parser.add_argument(
        "--alpha", default=None, help="α grid for every method, e.g. 1,2,4 (default per method)"
    )
    parser.add_argument(
        "--prompts", type=int, default=12, metavar="N", help="prompts per half (12)"
    )
    parser.add_argument(
        "--fit-sentences",
        type=int,
        default=200,
        metavar="N",
        help="sentences per language to fit on",
    )
    parser.add_argument(
        "--fit-languages",
        default="",
        help="extra languages the vectors are fitted against (the targets and English always)",
    )
    parser.add_argument("--max-new-tokens", type=int, default=48, help="generated tokens (48)")
    parser.add_argument(
        "--positions", choices=("all", "generated"), default="all", help="steered tokens (all)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=20, help="prompts per batch (20: one half at once)"
    )
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap replicates (1000)")
    parser.add_argument("--seed", type=int, default=0, help="prompt split seed (0)")
    add_run_options(parser, default="babelscope-runs/steer-<model>")
    parser.add_argument("--no-report", action="store_true", help="skip plots and report.html")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run)
    actions = parser.add_subparsers(dest="steer_action", metavar="ACTION")
    apply = actions.add_parser(
        "apply",
        help="generate once with a saved steering vector",
        description="Greedy generation for --prompt with a steerer saved by `babelscope steer` "
        "(vectors/<method>-<target>/), unsteered and steered.",
    )
    apply.add_argument("--vector", required=True, metavar="DIR", help="a saved steerer folder")
    apply.add_argument("--prompt", required=True, help="the prompt text")
    apply.add_argument("--alpha", type=float, default=1.0, help="strength (1.0)")
    apply.add_argument("--layer", type=int, default=None, help="layer (default: the method's)")
    apply.add_argument("--max-new-tokens", type=int, default=48, help="generated tokens (48)")
    apply.add_argument(
        "--positions", choices=("all", "generated"), default="all", help="steered tokens (all)"
    )
    add_model_options(apply, required=False)
    apply.add_argument("--json", action="store_true", help="machine-readable output")
    apply.set_defaults(handler=run_apply)


def _steering() -> Any:
    """The steering methods' module (method_for, save_steerer, load_steerer)."""
    return importlib.import_module("babelscope.analyses.steering")


def _floats(text: str, what: str) -> tuple[float, ...]:
    from babelscope.errors import ConfigError

    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise ConfigError(f"cannot read {what} {text!r}", fix=f"use numbers: {what} 1,2,4") from exc
    if not values:
        raise ConfigError(f"{what} is empty", fix=f"use numbers: {what} 1,2,4")
    return values


def default_layers(n_layers: int) -> list[int]:
    """:data:`DEFAULT_DEPTHS` of a model with ``n_layers`` blocks (1..n_layers, unique)."""
    return sorted({min(n_layers, max(1, round(f * n_layers))) for f in DEFAULT_DEPTHS})


def _check(args: argparse.Namespace) -> tuple[Any, list[str], list[str], list[str]]:
    """Validate everything a user can get wrong before the model loads."""
    from babelscope.data.flores import FloresDataset
    from babelscope.data.spec import parse_data_spec
    from babelscope.errors import ConfigError, DataError
    from babelscope.languages.registry import resolve_languages

    for flag in ("model", "data", "target"):
        if not getattr(args, flag):
            raise ConfigError(
                f"steer needs --{flag}", fix=f"pass --{flag} (see babelscope steer -h)"
            )
    for flag, low in (("prompts", 2), ("fit_sentences", 4), ("max_new_tokens", 1)):
        if getattr(args, flag) < low:
            name = flag.replace("_", "-")
            raise ConfigError(f"--{name} {getattr(args, flag)} is too small", fix=f"use ≥ {low}")
    dataset = parse_data_spec(args.data)
    if not isinstance(dataset, FloresDataset):
        raise DataError(f"--data {args.data} is not FLORES", fix="pass flores200:PATH")
    targets = [lang.code for lang in resolve_languages(args.target)]
    extra = (
        [lang.code for lang in resolve_languages(args.fit_languages)] if args.fit_languages else []
    )
    for code in ["eng_Latn", *targets, *extra]:
        dataset.resolve(code, args.split)
    methods = [m.strip() for m in args.method.split(",") if m.strip()]
    for name in methods:
        _steering().method_for(name)  # unknown names fail here, before the model loads
    if args.alpha is not None:
        _floats(args.alpha, "--alpha")
    return dataset, targets, extra, methods


def run(args: argparse.Namespace) -> int:
    start = time.time()
    dataset, targets, extra, methods = _check(args)
    from babelscope.analyses.steering.prompts import split_prompts
    from babelscope.analyses.steering.sweep import SweepSettings, run_sweep
    from babelscope.capture.generate import GenerationSettings
    from babelscope.capture.sites import resolve_layers
    from babelscope.data._common import hash_texts
    from babelscope.models.handle import ModelHandle
    from babelscope.runs import RunFolder, default_run_dir

    if not args.no_report:  # import the report now: an edited install cannot break the end
        importlib.import_module("babelscope.report.sections.steering")
        importlib.import_module("babelscope.plotting.steering")
    english = dataset.sentences("eng_Latn", args.split)
    split = split_prompts(english, args.prompts, seed=args.seed)
    from babelscope.cli.options import model_label

    out = RunFolder(args.out or default_run_dir("steer", model_label(args.model)), kind="steer")
    handle = load_from_args(args, args.model)
    assert isinstance(handle, ModelHandle)
    layers = (
        default_layers(handle.n_layers)
        if args.layers == "auto"
        else resolve_layers(args.layers, handle.n_layers)
    )
    fit_ids = split.fit_ids(len(english))[: args.fit_sentences]
    languages = list(dict.fromkeys(["eng_Latn", *targets, *extra]))
    texts = {code: [dataset.sentences(code, args.split)[i] for i in fit_ids] for code in languages}
    steerers = _fit_all(
        handle,
        texts,
        methods=methods,
        targets=targets,
        layers=layers,
        folder=out.path,
        progress=not args.no_progress,
    )
    settings = SweepSettings(
        alphas=None if args.alpha is None else _floats(args.alpha, "--alpha"),
        positions=args.positions,
        generation=GenerationSettings(
            max_new_tokens=args.max_new_tokens, batch_size=args.batch_size
        ),
        bootstrap=args.bootstrap,
        seed=args.seed,
    )
    data = {
        "spec": args.data,
        "split": args.split,
        "fit_sha256": hash_texts(texts),
        "fit_sentences": len(fit_ids),
        "fit_languages": languages,
    }
    result = run_sweep(
        handle,
        dataset,
        steerers,
        split,
        targets=targets,
        flores_split=args.split,
        settings=settings,
        cells_dir=out.path / "cells",
        progress=not args.no_progress,
        data=data,
    )
    result.save(out)
    if not args.no_report:
        _write_report(out, result)
    out.finish({**result.manifest(), "argv": sys.argv[1:], "layers": layers})
    from babelscope.cli.options import finished, wrote

    wrote(out.path / ("manifest.json" if args.no_report else "report.html"), time.time() - start)
    finished(args, out.path, _summary_lines(result))
    return 0


def _fit_all(
    handle: Any,
    texts: dict[str, list[str]],
    *,
    methods: list[str],
    targets: list[str],
    layers: list[int],
    folder: Path,
    progress: bool,
) -> dict[tuple[str, str], Any]:
    """Fit (or, on a rerun, load) one steerer per method and target, saved under
    ``vectors/<method>-<target>/``; the activation store under ``store/`` is shared."""
    from babelscope.runs import is_complete

    api = _steering()
    steerers: dict[tuple[str, str], Any] = {}
    for name in methods:
        method = api.method_for(name)
        for target in targets:
            where = folder / "vectors" / f"{method.name}-{target}"
            if is_complete(where):
                steerer = api.load_steerer(where, handle)
            else:
                steerer = method.fit(
                    handle,
                    texts,
                    target=target,
                    layers=layers,
                    store_dir=folder / "store",
                    progress=progress,
                )
                api.save_steerer(steerer, where)
            steerers[(steerer.method, target)] = steerer
    return steerers


def _write_report(out: Any, result: Any) -> None:
    from babelscope.report.html import Report
    from babelscope.report.sections.steering import add_steer_sections, steer_figures

    figures = steer_figures(result)
    for target, png in figures.items():
        out.write_bytes(f"plots/steer_{target}.png", png)
    report = Report(
        f"Steering: {result.model_name}",
        subtitle=f"{len(result.targets)} target languages; prompts per half: "
        f"{len(result.prompts.get('choose', []))}",
    )
    add_steer_sections(report, result, figures=figures)
    report.add_provenance({"model": result.model, "data": result.data, "settings": result.settings})
    report.write(out.file("report.html"))


def _summary_lines(result: Any) -> list[str]:
    lines = []
    for row in result.report_table().to_dict("records"):
        where = "" if row["layer"] < 0 else f" layer {int(row['layer'])} α {row['alpha']:g}"
        lines.append(
            f"{row['target']} {row['method']}{where}: headline {row['headline']:.2f} "
            f"[{row['headline_lo']:.2f}, {row['headline_hi']:.2f}], LFS {row['lfs']:.2f}, "
            f"chrF++ {row['chrf']:.1f}, fluency {row['fluency']:.2f}"
        )
    return lines


def run_apply(args: argparse.Namespace) -> int:
    """``steer apply``: the unsteered and the steered continuation of ``--prompt``."""
    import json

    from babelscope.errors import ConfigError
    from babelscope.runs import read_manifest

    if not args.prompt.strip():
        raise ConfigError("the prompt is empty", fix="pass --prompt 'some text'")
    manifest = read_manifest(args.vector)
    model = args.model or (manifest.get("provenance") or {}).get("model")
    if not model:
        raise ConfigError(f"{args.vector} does not name its model", fix="pass --model")
    from babelscope.capture.generate import GenerationSettings, generate
    from babelscope.models.handle import ModelHandle

    handle = load_from_args(args, str(model))
    assert isinstance(handle, ModelHandle)
    steerer = _steering().load_steerer(args.vector, handle)
    editors = steerer.editors(layer=args.layer, alpha=args.alpha, positions=args.positions)
    settings = GenerationSettings(max_new_tokens=args.max_new_tokens, stop_at_newline=False)
    plain = generate(handle, [args.prompt], [], settings)[0]
    steered = generate(handle, [args.prompt], editors, settings)[0]
    if args.json:
        record = {
            "model": handle.name,
            "method": steerer.method,
            "target": steerer.target,
            "layer": args.layer if args.layer is not None else steerer.default_layer(),
            "alpha": args.alpha,
            "prompt": args.prompt,
            "unsteered": plain,
            "steered": steered,
        }
        print(json.dumps(record, ensure_ascii=False, indent=1))
    else:
        print(f"unsteered: {plain}")
        print(f"steered ({steerer.method} → {steerer.target}, α {args.alpha:g}): {steered}")
    return 0
