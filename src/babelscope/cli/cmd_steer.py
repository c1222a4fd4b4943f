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
from typing import Any

from babelscope.cli.options import (
    ALPHA_MAX,
    COUNT,
    LAYER,
    SEED,
    add_model_options,
    add_run_options,
    float_list,
    float_range,
    int_range,
    load_from_args,
)


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
        "--alpha",
        type=float_list(0.0, ALPHA_MAX),
        default=None,
        help=f"α grid for every method, e.g. 1,2,4, each in 0..{ALPHA_MAX:g} (0 = no steering; "
        "default per method: 0.5,1,2)",
    )
    parser.add_argument(
        "--prompts", type=int_range(2), default=12, metavar="N", help="prompts per half (12)"
    )
    parser.add_argument(
        "--fit-sentences",
        type=int_range(4),
        default=200,
        metavar="N",
        help="sentences per language to fit on",
    )
    parser.add_argument(
        "--fit-languages",
        default="",
        help="extra languages the vectors are fitted against (the targets and English always)",
    )
    parser.add_argument("--max-new-tokens", type=COUNT, default=48, help="generated tokens (48)")
    parser.add_argument(
        "--positions", choices=("all", "generated"), default="all", help="steered tokens (all)"
    )
    parser.add_argument(
        "--batch-size", type=COUNT, default=20, help="prompts per batch (20: one half at once)"
    )
    parser.add_argument("--bootstrap", type=COUNT, default=1000, help="bootstrap replicates (1000)")
    parser.add_argument("--seed", type=SEED, default=0, help="prompt split seed (0)")
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
    apply.add_argument(
        "--alpha",
        type=float_range(0.0, ALPHA_MAX),
        default=1.0,
        help=f"strength, 0..{ALPHA_MAX:g} (1.0; 0 = no steering)",
    )
    apply.add_argument("--layer", type=LAYER, default=None, help="layer (default: the method's)")
    apply.add_argument("--max-new-tokens", type=COUNT, default=48, help="generated tokens (48)")
    apply.add_argument(
        "--positions", choices=("all", "generated"), default="all", help="steered tokens (all)"
    )
    add_model_options(apply, required=False)
    apply.add_argument("--json", action="store_true", help="machine-readable output")
    apply.set_defaults(handler=run_apply)


def _steering() -> Any:
    """The steering methods' module (method_for, save_steerer, load_steerer)."""
    return importlib.import_module("babelscope.analyses.steering")


def _check(args: argparse.Namespace) -> tuple[Any, Any]:
    """Validate everything a user can get wrong before the model loads: the flags the CLI
    needs, the data, then :func:`~babelscope.analyses.steering.api.check_steer` (settings,
    languages, methods) — the same checks a Python caller of ``steer`` gets."""
    from babelscope.analyses.steering.api import SteerSettings, check_steer
    from babelscope.data.flores import FloresDataset
    from babelscope.data.spec import parse_data_spec
    from babelscope.errors import ConfigError, DataError

    for flag in ("model", "data", "target"):
        if not getattr(args, flag):
            raise ConfigError(
                f"steer needs --{flag}", fix=f"pass --{flag} (see babelscope steer -h)"
            )
    dataset = parse_data_spec(args.data)
    if not isinstance(dataset, FloresDataset):
        raise DataError(f"--data {args.data} is not FLORES", fix="pass flores200:PATH")
    fit = [part.strip() for part in (args.fit_languages or "").split(",") if part.strip()]
    settings = SteerSettings(
        methods=tuple(m.strip() for m in args.method.split(",") if m.strip()),
        layers=args.layers,
        alphas=None if args.alpha is None else tuple(args.alpha),
        prompts=args.prompts,
        fit_sentences=args.fit_sentences,
        fit_languages=tuple(fit),
        max_new_tokens=args.max_new_tokens,
        positions=args.positions,
        batch_size=args.batch_size,
        bootstrap=args.bootstrap,
        seed=args.seed,
        split=args.split,
    )
    check_steer(dataset, args.target, settings)
    return dataset, settings


def run(args: argparse.Namespace) -> int:
    start = time.time()
    dataset, settings = _check(args)
    from babelscope.analyses.steering.api import steer, steer_layers
    from babelscope.cli.options import claim_out, model_label
    from babelscope.models.handle import ModelHandle
    from babelscope.runs import RunFolder, default_run_dir

    if not args.no_report:  # import the report now: an edited install cannot break the end
        importlib.import_module("babelscope.report.sections.steering")
        importlib.import_module("babelscope.plotting.steering")
    where = args.out or default_run_dir("steer", model_label(args.model))
    out = RunFolder(claim_out(args, where, "steer", resumable=True), kind="steer")
    handle = load_from_args(args, args.model)
    assert isinstance(handle, ModelHandle)
    layers = steer_layers(settings.layers, handle.n_layers)
    result = steer(
        handle,
        dataset,
        args.target,
        settings,
        folder=out.path,
        data_spec=args.data,
        progress=not args.no_progress,
    )
    result.save(out)
    if not args.no_report:
        _write_report(out, result)
    out.finish({**result.manifest(), "argv": sys.argv[1:], "layers": layers})
    from babelscope.cli.options import finished, wrote

    wrote(out.path / ("manifest.json" if args.no_report else "report.html"), time.time() - start)
    finished(args, out.path, _summary_lines(result))
    return 0


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
