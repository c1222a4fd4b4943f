"""``babelscope rank``: rank languages by how well a model represents them (FLORES-200).

Writes a run folder: Parquet tables (``rank_*.parquet``), ``plots/``, ``report.html``, the
activation store (``store/``, which a re-run with the same ``--out`` resumes from) and
``manifest.json`` last. Kill it at any moment and start it again: finished shards are reused.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from babelscope.cli.options import (
    COUNT,
    add_model_options,
    add_run_options,
    auto_or_int,
    int_range,
    load_from_args,
)

#: Fewer sentences than this leave nothing to split into the metrics' halves and folds.
MIN_SENTENCES = 4

if TYPE_CHECKING:
    from babelscope.analyses.ranking.settings import RankSettings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "rank",
        help="rank languages by how well the model represents them (Ranker, MEXA, CKA, …)",
        description="Rank languages on parallel text with the Language Ranker, baseline-"
        "adjusted cosine, MEXA, linear CKA and SVCCA; identity vs meaning per layer; script "
        "barrier; token premium and bits per byte. Resumable: re-run with the same --out.",
    )
    add_model_options(parser)
    parser.add_argument("--data", required=True, help="flores200:PATH (folder or tarball)")
    parser.add_argument("--split", default="dev", help="FLORES split (default dev)")
    parser.add_argument(
        "--languages", default="all", help="all (default) or codes: fra_Latn,deu_Latn or fr,de"
    )
    parser.add_argument(
        "--sentences",
        type=int_range(MIN_SENTENCES),
        default=100,
        metavar="N",
        help="sentences per language (100; 50 or more for stable scores)",
    )
    parser.add_argument("--pivot", default="eng_Latn", help="reference language (eng_Latn)")
    add_run_options(parser, default="babelscope-runs/rank-<model>")
    parser.add_argument("--layers", default="all", help="layers to capture: all, 0,4,8-12, …")
    parser.add_argument(
        "--summary-layers",
        default="blocks",
        help="layers averaged per language: blocks (1..L, default), all, middle, or a list",
    )
    parser.add_argument(
        "--batch-size",
        type=COUNT,
        default=None,
        help="sentences per batch (16 on a CPU; on CUDA it grows with the token budget)",
    )
    parser.add_argument(
        "--max-batch-tokens",
        type=auto_or_int(1),
        default="auto",
        metavar="N",
        help="padded tokens per batch: auto (4096 on a CPU; on CUDA sized to free memory) or N",
    )
    parser.add_argument(
        "--head-chunk",
        type=auto_or_int(1),
        default="auto",
        metavar="N",
        help="positions the LM head decodes at once: auto (128 on a CPU; on CUDA sized to free "
        "memory and the vocabulary) or N",
    )
    parser.add_argument(
        "--shard-size", type=COUNT, default=64, help="sentences per store shard (64)"
    )
    parser.add_argument(
        "--no-text-metrics",
        action="store_true",
        help="skip the LM head (no bits per byte; 2–5x faster on large vocabularies)",
    )
    parser.add_argument(
        "--head-dtype",
        default="float32",
        choices=["float32", "bfloat16"],
        help="dtype of the LM head for bits per byte: float32 (exact, default) or bfloat16 "
        "(~2x faster on CPUs with AVX512-BF16; bits/byte within ~0.2%%)",
    )
    parser.add_argument(
        "--normalization",
        default="pivot",
        choices=["pivot", "raw", "massive", "all"],
        help="states before the metrics: pivot (default: z-score with the pivot's statistics), "
        "raw (the papers' setting; always kept as <metric>_raw), massive (zero massive dims), "
        "all (z-score over every language of the run; scores then depend on the run)",
    )
    parser.add_argument(
        "--standardize", action="store_true", help="same as --normalization all (older runs)"
    )
    parser.add_argument(
        "--bootstrap",
        type=int_range(0),
        default=200,
        metavar="B",
        help="bootstrap replicates over sentences for the 95%% intervals (200; 0 = none)",
    )
    parser.add_argument(
        "--no-script-barrier", action="store_true", help="do not romanise non-Latin languages"
    )
    parser.add_argument(
        "--romanizer", default="anyascii", choices=["anyascii", "icu"], help="(anyascii)"
    )
    parser.add_argument(
        "--resource-levels",
        default=None,
        metavar="FILE",
        help="CSV/TSV with 'language' and 'level' columns (e.g. Joshi classes 0-5): colours the "
        "ranking by level and correlates numeric levels with every metric",
    )
    parser.add_argument("--no-report", action="store_true", help="skip plots and report.html")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run)


def _summary_layers(text: str) -> str | tuple[int, ...]:
    from babelscope.errors import ConfigError

    if text in ("blocks", "all", "middle"):
        return text
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise ConfigError(
            f"cannot read --summary-layers {text!r}", fix="use blocks, all, middle or 4,5,6"
        ) from exc


def default_out(model: str) -> Path:
    """``babelscope-runs/rank-<model>``: a re-run of the same model resumes there."""
    from babelscope.cli.options import model_label
    from babelscope.runs import default_run_dir

    return default_run_dir("rank", model_label(model))


def _size(text: str, option: str) -> int | None:
    """``auto`` → None; else a positive integer (ConfigError naming ``option`` otherwise)."""
    from babelscope.errors import ConfigError

    if str(text).strip().lower() == "auto":
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"cannot read {option} {text!r}", fix=f"use {option} auto or N ≥ 1")
    return value


def settings_from_args(args: argparse.Namespace) -> RankSettings:
    """The run's :class:`RankSettings` from the parsed options (before the model loads; the
    batch sizes are the CPU defaults or what was asked for — :func:`sized_for` fills in
    ``auto`` on a GPU). Also used by the sweep's shard planner, so both agree."""
    from babelscope.analyses.ranking.settings import RankSettings
    from babelscope.capture.budget import CPU_BATCH_TOKENS, CPU_HEAD_CHUNK
    from babelscope.errors import ConfigError

    if args.sentences < 4:
        raise ConfigError(f"--sentences {args.sentences} is too few", fix="use 50 or more")
    return RankSettings(
        pivot=args.pivot,
        sentences=args.sentences,
        split=args.split,
        shard_size=args.shard_size,
        batch_size=args.batch_size or 16,
        max_batch_tokens=_size(args.max_batch_tokens, "--max-batch-tokens") or CPU_BATCH_TOKENS,
        head_chunk=_size(args.head_chunk, "--head-chunk") or CPU_HEAD_CHUNK,
        text_metrics=not args.no_text_metrics,
        head_dtype=args.head_dtype,
        standardize=args.standardize,
        normalization=args.normalization,
        bootstrap=args.bootstrap,
        summary_layers=_summary_layers(args.summary_layers),
        script_barrier=not args.no_script_barrier,
        romanizer=args.romanizer,
    )


def sized_for(args: argparse.Namespace, settings: RankSettings, handle: object) -> RankSettings:
    """``settings`` with every ``auto`` batch size chosen for the handle's device: unchanged
    on a CPU; on CUDA from the free memory (:mod:`babelscope.capture.budget`)."""
    from dataclasses import replace

    from babelscope.capture.budget import plan_for_device
    from babelscope.models.devices import free_device_bytes
    from babelscope.models.handle import ModelHandle

    assert isinstance(handle, ModelHandle)
    free = free_device_bytes(handle.device)
    if free is None:
        return settings
    plan = plan_for_device(
        free,
        hidden_size=handle.hidden_size,
        n_layers=handle.n_layers,
        vocab_size=handle.vocab_size,
        dtype_bytes=handle.dtype.itemsize,
    )
    return replace(
        settings,
        batch_size=args.batch_size or plan.batch_size,
        max_batch_tokens=_size(args.max_batch_tokens, "") or plan.max_batch_tokens,
        head_chunk=_size(args.head_chunk, "") or plan.head_chunk,
    )


def settings_for(args: argparse.Namespace, settings: RankSettings, handle: object) -> RankSettings:
    """``settings`` completed for a loaded model: its ``--layers`` and, on CUDA, the ``auto``
    batch sizes. The sweep's Ray workers call this too, so their shards land in the very store
    (same identity) the command reads."""
    from dataclasses import replace

    from babelscope.capture.sites import resolve_layers
    from babelscope.models.handle import ModelHandle

    assert isinstance(handle, ModelHandle)
    if args.layers != "all":
        settings = replace(settings, layers=tuple(resolve_layers(args.layers, handle.n_layers)))
    return sized_for(args, settings, handle)


def run(args: argparse.Namespace) -> int:
    from babelscope.errors import DataError

    start = time.time()
    settings = settings_from_args(args)
    from babelscope.data.flores import FloresDataset
    from babelscope.data.spec import parse_data_spec

    dataset = parse_data_spec(args.data)
    if not isinstance(dataset, FloresDataset):
        raise DataError(
            f"--data {args.data} is not a parallel corpus for ranking",
            fix="pass flores200:PATH (SIB-200 is for classification)",
        )
    dataset.resolve(args.pivot, args.split)  # fail on a bad pivot before loading the model
    from babelscope.analyses.ranking.pipeline import resolve_run_languages

    resolve_run_languages(dataset, args.languages, args.split)
    levels = None
    if args.resource_levels is not None:  # read before the model loads: fail fast
        from babelscope.languages.resource_levels import read_resource_levels

        levels = read_resource_levels(args.resource_levels)
    preload(report=not args.no_report)
    from babelscope.cli.options import claim_out
    from babelscope.models.handle import ModelHandle
    from babelscope.runs import RunFolder

    folder = claim_out(args, args.out or default_out(args.model), "rank", resumable=True)
    out = RunFolder(folder, kind="rank")
    handle = load_from_args(args, args.model)
    assert isinstance(handle, ModelHandle)
    settings = settings_for(args, settings, handle)
    from babelscope.analyses.ranking.pipeline import run_rank

    ranked = run_rank(
        handle,
        dataset,
        languages=args.languages,
        settings=settings,
        store_dir=out.path / "store",
        progress=not args.no_progress,
        data_spec=args.data,
    )
    result = ranked.result
    if levels is not None:
        result = result.with_resource_levels(levels)
    result.save(out)
    if not args.no_report:
        write_report(out, result, ranked.timings)
    out.finish(
        {
            **result.manifest(),
            "argv": sys.argv[1:],
            "store": ranked.store,
            "timings": ranked.timings,
        }
    )
    from babelscope.cli.options import finished, wrote

    wrote(out.path / ("manifest.json" if args.no_report else "report.html"), time.time() - start)
    finished(args, out.path, _summary_lines(result, ranked.timings))
    return 0


#: What the analysis and report phases import lazily elsewhere (CLI start-up stays fast).
_ANALYSIS_MODULES = (
    "babelscope.analyses.ranking.pipeline",
    "babelscope.analyses.ranking.summary",
    "babelscope.analyses.ranking.result",
    "babelscope.analyses.ranking.script",
    "babelscope.analyses.geometry",
    "anyascii",
    "scipy.stats",
    "sklearn.linear_model",
    "sklearn.preprocessing",
)
_REPORT_MODULES = (
    "babelscope.analyses.ranking.plots",
    "babelscope.report.html",
    "babelscope.plotting.bars",
    "babelscope.plotting.curves",
    "babelscope.plotting.export",
    "babelscope.plotting.heatmap",
    "babelscope.plotting.scatter",
    "babelscope.report.sections.ranking",
    "matplotlib.backends.backend_agg",
)


def preload(*, report: bool) -> None:
    """Import now what the analyses and the report need after an hour of forward passes.

    A missing or broken dependency then fails before any compute, and editing an editable
    install during a run no longer mixes two versions at the last step (that crashed a real
    one-hour run after its final shard; the store made the rerun cheap).
    """
    import importlib

    from babelscope.errors import ConfigError

    for name in (*_ANALYSIS_MODULES, *(_REPORT_MODULES if report else ())):
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ConfigError(
                f"rank needs {name.split('.')[0]}, which does not import ({exc})",
                fix="reinstall babelscope with its dependencies (pip install -e .)",
            ) from exc


def write_report(out: object, result: object, timings: dict[str, float]) -> None:
    from babelscope.analyses.ranking.result import RankResult
    from babelscope.report.html import Report
    from babelscope.report.sections.ranking import add_rank_sections, rank_figures
    from babelscope.runs import RunFolder

    assert isinstance(out, RunFolder) and isinstance(result, RankResult)
    figures = rank_figures(result)
    for kind, png in figures.items():
        out.write_bytes(f"plots/rank_{kind}.png", png)
    report = Report(
        f"Language ranking: {result.model_name}",
        subtitle=f"{result.data['spec']} ({result.data['split']}), "
        f"{len(result.summary)} languages × {result.data['sentences']} sentences",
    )
    add_rank_sections(report, result, figures=figures)
    report.add_provenance(
        {"model": result.model, "data": result.data, "settings": result.settings, **timings}
    )
    report.write(out.file("report.html"))


def _summary_lines(result: object, timings: dict[str, float]) -> list[str]:
    from babelscope.analyses.ranking.result import RankResult

    assert isinstance(result, RankResult)
    table = result.summary
    k = max(1, min(5, len(table) // 2))
    return [
        f"ranked {len(table)} languages against {result.pivot}",
        "best:  " + ", ".join(table["language"].head(k)),
        "worst: " + ", ".join(table["language"].tail(k).iloc[::-1]),
        f"time: {timings['total_seconds']:.0f} s "
        f"({timings['computed_shards']:.0f} shards computed, "
        f"{timings['sentences'] / max(timings['compute_seconds'], 1e-9):.1f} sentences/s)",
    ]
