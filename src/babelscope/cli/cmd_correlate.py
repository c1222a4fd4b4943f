"""``babelscope correlate``: does a ranking metric predict SIB-200 accuracy across languages?

Takes finished ``rank`` and ``sib`` run folders, pairs them by model, and writes
``correlations.parquet`` (every ranking metric × every SIB protocol: Pearson and Spearman with
bootstrap 95 % intervals over languages and p-values), one scatter per composite metric,
``report.html`` and ``manifest.json`` (kind ``correlate``). A separate command rather than a
``rank --task-scores`` flag: it reads finished runs and computes nothing again, so trying
another SIB run or protocol never re-runs an hour-long ranking.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

from babelscope.cli.options import SEED, add_run_options, int_range


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "correlate",
        help="correlate ranking metrics with SIB-200 accuracy across languages, per model",
        description="Pair finished `rank` and `sib` run folders by model and correlate every "
        "per-language ranking metric with every SIB-200 accuracy (Pearson, Spearman, "
        "bootstrap intervals over languages).",
    )
    parser.add_argument("runs", nargs="+", metavar="RUN", help="rank and sib run folders")
    add_run_options(parser, default="babelscope-runs/correlate")
    parser.add_argument(
        "--task",
        default="in_language",
        help="SIB protocol drawn in the scatters and ordered by in the report (in_language)",
    )
    parser.add_argument(
        "--control",
        default="token_premium",  # analyses.sib.correlate.DEFAULT_CONTROL (not imported: startup)
        help="text-side column partialled out of each Spearman ('none' to skip; token_premium)",
    )
    parser.add_argument(
        "--bootstrap", type=int_range(1), default=1000, help="bootstrap replicates (1000)"
    )
    parser.add_argument("--seed", type=SEED, default=0, help="bootstrap seed (0)")
    parser.add_argument("--no-report", action="store_true", help="skip plots and report.html")
    parser.set_defaults(handler=run)


def pair_runs(paths: list[str]) -> dict[str, tuple[Path, Path]]:
    """Model name -> (rank folder, sib folder); every folder finished, one of each per model."""
    from babelscope.errors import ConfigError
    from babelscope.runs import read_manifest

    found: dict[str, dict[str, Path]] = {}
    for path in paths:
        manifest = read_manifest(path)
        kind = manifest.get("kind")
        if kind not in ("rank", "sib"):
            raise ConfigError(
                f"{path} is a {kind!r} run", fix="pass folders of `babelscope rank` and `sib`"
            )
        for model in manifest.get("models") or {}:
            slot = found.setdefault(model, {})
            if kind in slot:
                raise ConfigError(
                    f"two {kind} runs of {model}: {slot[kind]} and {path}",
                    fix="pass one rank and one sib run per model",
                )
            slot[kind] = Path(path).expanduser()
    pairs = {m: (k["rank"], k["sib"]) for m, k in found.items() if {"rank", "sib"} <= set(k)}
    if not pairs:
        raise ConfigError(
            "no model has both a rank and a sib run among the folders given",
            fix="pass the --out folders of `babelscope rank` and `babelscope sib` for one model",
        )
    return pairs


def run(args: argparse.Namespace) -> int:
    from babelscope.cli.options import claim_out
    from babelscope.errors import ConfigError

    start = time.time()
    control = None if args.control.lower() == "none" else args.control
    pairs = pair_runs(args.runs)
    from babelscope.runs import default_run_dir

    where = claim_out(args, args.out or default_run_dir("correlate"), "correlate", resumable=False)
    import pandas as pd

    from babelscope.analyses.ranking.result import RankResult
    from babelscope.analyses.sib.correlate import correlate, joined_frame, metric_columns
    from babelscope.analyses.sib.result import SibResult
    from babelscope.runs import RunFolder

    tables, joined = [], {}
    for model, (rank_dir, sib_dir) in pairs.items():
        ranked, scored = RankResult.load(rank_dir), SibResult.load(sib_dir)
        if args.task not in scored.summary.columns:
            raise ConfigError(f"--task {args.task!r} is not in {sib_dir}", fix="use in_language")
        if control is not None and control not in metric_columns(ranked.summary):
            raise ConfigError(
                f"--control {control!r} is not a numeric metric column of "
                f"{rank_dir}/rank_summary.parquet",
                fix="use token_premium, another text-side column, or none",
            )
        tables.append(
            correlate(
                ranked.summary,
                scored.summary,
                model=model,
                bootstrap=args.bootstrap,
                seed=args.seed,
                control=control,
            )
        )
        joined[model] = joined_frame(ranked.summary, scored.summary)
    table = pd.concat(tables, ignore_index=True)
    out = RunFolder(where, kind="correlate")
    out.write_table("correlations.parquet", table)
    for model, frame in joined.items():
        from babelscope.runs import slug

        out.write_table(f"joined_{slug(model)}.parquet", frame)
    if not args.no_report:
        from babelscope.report.sections.correlate import write_correlate_report

        write_correlate_report(out, table, joined, task=args.task)
    summary: dict[str, Any] = {}
    for model in joined:
        best = _best(table, model, args.task)
        if best is not None:
            summary[f"{model}: best predictor of {args.task}"] = best
    out.finish(
        {
            "argv": sys.argv[1:],
            "models": {m: {"name": m} for m in joined},
            "data": {m: {"rank": str(r), "sib": str(s)} for m, (r, s) in pairs.items()},
            "settings": {
                "task": args.task,
                "bootstrap": args.bootstrap,
                "seed": args.seed,
                "control": control,
            },
            "summary": summary,
        }
    )
    from babelscope.cli.options import finished, wrote

    wrote(out.path / ("manifest.json" if args.no_report else "report.html"), time.time() - start)
    finished(args, out.path, [f"{k}: {v}" for k, v in summary.items()])
    return 0


def _best(table: Any, model: str, task: str) -> str | None:
    part = table[(table["model"] == model) & (table["task"] == task)].dropna(subset=["spearman"])
    if part.empty:
        return None
    row = part.loc[part["spearman"].abs().idxmax()]
    partial = ""
    if row.get("control") and not math.isnan(row["partial_spearman"]):
        partial = (
            f"; given {row['control']} {row['partial_spearman']:.2f} "
            f"[{row['partial_spearman_lo']:.2f}, {row['partial_spearman_hi']:.2f}]"
        )
    return (
        f"{row['metric']} (Spearman {row['spearman']:.2f} "
        f"[{row['spearman_lo']:.2f}, {row['spearman_hi']:.2f}]{partial}, n={int(row['n'])})"
    )
