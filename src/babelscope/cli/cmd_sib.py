"""``babelscope sib``: SIB-200 topic classification per language and layer.

Writes a run folder: ``sib_summary.parquet``, ``sib_layers.parquet``, ``sib_prompted.parquet``,
``sib_layer_choice.parquet``, ``plots/``, ``report.html`` and ``manifest.json`` last. Pooled
states go to an activation store (default ``<cache>/sib-stores``, shared by every run, so
the same sentences are never run twice; ``--store DIR`` to keep it elsewhere).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from babelscope.cli.options import (
    COUNT,
    LAYER,
    SEED,
    add_model_options,
    add_run_options,
    int_range,
    load_from_args,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "sib",
        help="SIB-200 topic classification: linear probes per layer and prompted k-shot",
        description="Classify SIB-200 topics from frozen pooled states (MTEB protocol: 10 "
        "draws of 8 per label; all training sentences; English → every language) at every "
        "layer, and by prompting (label log-likelihood after k examples). Chance is 1/7.",
    )
    add_model_options(parser)
    parser.add_argument("--data", required=True, help="sib200:PATH (folder or tarball)")
    parser.add_argument(
        "--split", default="dev", help="evaluation split (dev; test if you have it)"
    )
    parser.add_argument("--languages", default="all", help="all (default) or fra_Latn,deu_Latn,…")
    parser.add_argument("--pivot", default="eng_Latn", help="transfer source language (eng_Latn)")
    add_run_options(parser, default="babelscope-runs/sib-<model>")
    parser.add_argument(
        "--pooling",
        default="weighted_mean",
        choices=["weighted_mean", "mean", "last"],
        help="sentence pooling (weighted_mean, as rank's MEXA)",
    )
    parser.add_argument("--layers", default="all", help="layers: all, 0,4,8-12, …")
    parser.add_argument(
        "--layer", type=LAYER, default=None, help="headline layer (default: best pivot train CV)"
    )
    parser.add_argument(
        "--train-per-label",
        type=COUNT,
        default=None,
        metavar="N",
        help="training sentences kept per label and language (stratified, seeded; default all "
        "~100): the main compute knob",
    )
    parser.add_argument(
        "--prompted-sentences",
        type=int_range(0),
        default=None,
        metavar="N",
        help="evaluation sentences scored by prompting per language (default all; 0 = skip)",
    )
    parser.add_argument(
        "--eval-sentences",
        type=COUNT,
        default=None,
        metavar="N",
        help="only the first N evaluation sentences per language (default all; smoke runs)",
    )
    parser.add_argument(
        "--shots", type=int_range(0), default=7, help="examples in the prompt (7; 0 = zero-shot)"
    )
    parser.add_argument("--seed", type=SEED, default=0, help="seed of draws and caps (0)")
    parser.add_argument("--batch-size", type=COUNT, default=16, help="sentences per batch (16)")
    parser.add_argument("--store", default=None, metavar="DIR", help="activation store folder")
    parser.add_argument(
        "--resource-levels", default=None, metavar="FILE", help="CSV/TSV language,level"
    )
    parser.add_argument("--no-report", action="store_true", help="skip plots and report.html")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from babelscope.analyses.sib.settings import SibSettings
    from babelscope.errors import DataError

    start = time.time()
    settings = SibSettings(
        split=args.split,
        pivot=args.pivot,
        pooling=args.pooling,
        train_per_label=args.train_per_label,
        prompted_sentences=args.prompted_sentences,
        eval_sentences=args.eval_sentences,
        shots=args.shots,
        seed=args.seed,
        layer=args.layer,
        batch_size=args.batch_size,
    )
    from babelscope.data.sib import Sib200Dataset
    from babelscope.data.spec import parse_data_spec

    dataset = parse_data_spec(args.data)
    if not isinstance(dataset, Sib200Dataset):
        raise DataError(f"--data {args.data} is not SIB-200", fix="pass sib200:PATH")
    from babelscope.analyses.sib.pipeline import SIB_STORES, resolve_languages

    dataset.resolve(args.pivot)  # fail on bad input before the model loads
    resolve_languages(dataset, args.languages)
    dataset.split(args.pivot, args.split)
    levels = None
    if args.resource_levels is not None:
        from babelscope.languages.resource_levels import read_resource_levels

        levels = read_resource_levels(args.resource_levels)
    _preload(report=not args.no_report)
    from babelscope.capture.sites import resolve_layers
    from babelscope.cli.options import claim_out, model_label
    from babelscope.models.handle import ModelHandle
    from babelscope.paths import cache_subdir
    from babelscope.runs import RunFolder, default_run_dir

    where = args.out or default_run_dir("sib", model_label(args.model))
    out = RunFolder(claim_out(args, where, "sib", resumable=True), kind="sib")
    handle = load_from_args(args, args.model)
    assert isinstance(handle, ModelHandle)
    if args.layers != "all":
        layers = tuple(resolve_layers(args.layers, handle.n_layers))
        settings = SibSettings(**{**settings.__dict__, "layers": layers})
    from babelscope.analyses.sib.pipeline import run_sib

    done = run_sib(
        handle,
        dataset,
        languages=args.languages,
        settings=settings,
        store_dir=Path(args.store) if args.store else cache_subdir(SIB_STORES),
        progress=not args.no_progress,
        data_spec=args.data,
    )
    result = done.result
    if levels is not None:
        result = result.with_resource_levels(levels)
    result.save(out)
    if not args.no_report:
        from babelscope.report.sections.sib import write_sib_report

        write_sib_report(out, result, done.timings)
    rate = done.timings["sentences"] / max(done.timings["compute_seconds"], 1e-9)
    out.finish(
        {
            **result.manifest(),
            "argv": sys.argv[1:],
            "store": done.store,
            "timings": {**done.timings, "sentences_per_second": round(rate, 2)},
        }
    )
    from babelscope.cli.options import finished, wrote

    wrote(out.path / ("manifest.json" if args.no_report else "report.html"), time.time() - start)
    head = result.headline()
    finished(
        args,
        out.path,
        [
            f"SIB-200 {args.split}: {head['languages']} languages, layer {result.selected_layer}",
            *(f"{k}: {v:.3f}" for k, v in head.items() if k.startswith("median")),
            f"states: {done.timings['sentences']:.0f} sentences computed at {rate:.1f}/s; "
            f"prompted {done.timings['prompted_seconds']:.0f} s",
        ],
    )
    return 0


_MODULES = (
    "babelscope.analyses.sib.pipeline",
    "babelscope.analyses.ranking.summary",
    "sklearn.linear_model",
    "sklearn.model_selection",
    "sklearn.pipeline",
    "sklearn.preprocessing",
)
_REPORT = (
    "babelscope.analyses.sib.plots",
    "babelscope.report.sections.sib",
    "babelscope.plotting.bars",
    "babelscope.plotting.curves",
    "babelscope.plotting.export",
    "matplotlib.backends.backend_agg",
)


def _preload(*, report: bool) -> None:
    """Import before the forward passes what the end of the run needs (see cmd_rank.preload)."""
    import importlib

    from babelscope.errors import ConfigError

    for name in (*_MODULES, *(_REPORT if report else ())):
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ConfigError(
                f"sib needs {name.split('.')[0]}, which does not import ({exc})",
                fix="reinstall babelscope with its dependencies (pip install -e .)",
            ) from exc
