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
import sys
import time
from pathlib import Path

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
    from babelscope.analyses.ranking.result import RankResult
    from babelscope.analyses.sib.correlation import correlate
    from babelscope.analyses.sib.result import SibResult
    from babelscope.cli.options import claim_out
    from babelscope.runs import RunFolder, default_run_dir, slug

    start = time.time()
    control = None if args.control.lower() == "none" else args.control
    pairs = pair_runs(args.runs)
    # claimed before any table loads; the claim creates nothing, so a bad --task/--control
    # found by correlate() still leaves no folder
    where = claim_out(args, args.out or default_run_dir("correlate"), "correlate", resumable=False)
    loaded = {m: (RankResult.load(r), SibResult.load(s)) for m, (r, s) in pairs.items()}
    result = correlate(
        loaded, task=args.task, control=control, bootstrap=args.bootstrap, seed=args.seed
    )
    out = RunFolder(where, kind="correlate")
    out.write_table("correlations.parquet", result.table)
    for model, frame in result.joined.items():
        out.write_table(f"joined_{slug(model)}.parquet", frame)
    if not args.no_report:
        from babelscope.report.sections.correlate import write_correlate_report

        write_correlate_report(out, result.table, result.joined, task=args.task)
    summary = result.summary()
    out.finish(
        {
            "argv": sys.argv[1:],
            "models": {m: {"name": m} for m in result.joined},
            "data": {m: {"rank": str(r), "sib": str(s)} for m, (r, s) in pairs.items()},
            "settings": result.settings,
            "summary": summary,
        }
    )
    from babelscope.cli.options import finished, wrote

    wrote(out.path / ("manifest.json" if args.no_report else "report.html"), time.time() - start)
    finished(args, out.path, [f"{k}: {v}" for k, v in summary.items()])
    return 0
