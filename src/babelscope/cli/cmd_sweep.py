"""``babelscope sweep SWEEP.toml``: models × analyses, one run folder each, one report.

The local executor runs the jobs one after another in this process; ``--executor ray``
spreads the ranking's activation-store shards over Ray actors (one model load per actor) and
runs the other analyses as whole-job Ray tasks (``pip install 'babelscope[ray]'``). Rerun the
same command to resume: finished runs are skipped, unfinished rankings resume from their
stores. The plan and both executors live in :mod:`babelscope.distributed`; this command hands
them babelscope's own command line (:func:`command_line`), which validates and runs each job.

``--device``/``--dtype``/``--trust-remote-code`` reach every job that loads a model; a
table's own key wins over them, and they win over the file's top-level ``device``/``dtype``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from babelscope.cli.options import COUNT, add_passed_on_runtime_options

if TYPE_CHECKING:
    from babelscope.distributed.command_line import CommandLine
    from babelscope.distributed.jobs import Outcome
    from babelscope.distributed.plan import Sweep


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "sweep",
        help="run analyses over several models from a TOML file (local or Ray executor)",
        description="Run every [[analysis]] of SWEEP.toml on every model: one run folder per "
        "(analysis, model) under --out, then one combined report. Resumable.",
    )
    parser.add_argument("file", metavar="SWEEP.toml", help="the sweep file (see docs/scale.md)")
    parser.add_argument(
        "--executor", choices=["local", "ray"], default="local", help="local (default) or ray"
    )
    parser.add_argument(
        "--out",
        default=None,
        help="sweep folder (default: the file's out, or babelscope-runs/sweep)",
    )
    add_passed_on_runtime_options(parser)
    parser.add_argument(
        "--ray-address",
        default=None,
        metavar="ADDR",
        help="Ray cluster to join (default: $RAY_ADDRESS, else a local cluster)",
    )
    parser.add_argument(
        "--num-cpus", type=COUNT, default=None, help="CPUs of the local Ray cluster (default: all)"
    )
    parser.add_argument(
        "--workers",
        type=COUNT,
        default=None,
        help="Ray actors per ranking (default: GPUs on CUDA, else the cluster's CPUs)",
    )
    parser.add_argument("--json", action="store_true", help="print sweep.json on stdout")
    parser.set_defaults(handler=run)


def command_line(
    build_parser: Callable[[], argparse.ArgumentParser], run: Callable[[Sequence[str]], int]
) -> CommandLine:
    """babelscope's command line as a sweep needs it: each command's parser (from the whole
    program's ``build_parser``), ``run`` (``main``), the runtime check every command gets, and
    the rank command's settings logic for the Ray executor."""
    from babelscope.cli.cmd_rank import settings_for, settings_from_args
    from babelscope.cli.options import check_runtime_options
    from babelscope.distributed.command_line import CommandLine, RankHooks

    return CommandLine(
        parsers=partial(_command_parsers, build_parser),
        run=run,
        check=check_runtime_options,
        rank=RankHooks(settings=settings_from_args, for_model=settings_for),
    )


def _command_parsers(
    build_parser: Callable[[], argparse.ArgumentParser],
) -> Mapping[str, argparse.ArgumentParser]:
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise RuntimeError("the babelscope parser has no subcommands")


def run(args: argparse.Namespace) -> int:
    from babelscope.cli.options import wrote
    from babelscope.distributed.local import run_local
    from babelscope.distributed.plan import read_sweep
    from babelscope.distributed.summary import write_summary

    sweep = read_sweep(
        args.file,
        command_line(args.build_parser, args.run_main),
        out=args.out,
        device=args.device,
        dtype=args.dtype,
        trust_remote_code=args.trust_remote_code,
    )

    def say(message: str) -> None:
        print(f"babelscope: sweep: {message}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    if args.executor == "ray":
        from babelscope.distributed.ray_driver import RayOptions, run_ray

        outcomes = run_ray(
            sweep,
            RayOptions(address=args.ray_address, num_cpus=args.num_cpus, workers=args.workers),
            say=say,
        )
    else:
        outcomes = run_local(sweep, say=say)
    report = combine(sweep, outcomes)
    seconds = time.perf_counter() - started
    summary = write_summary(sweep, outcomes, executor=args.executor, seconds=seconds, report=report)
    wrote(report or sweep.out / "sweep.json", seconds)
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        for outcome in outcomes:
            note = f": {outcome.error}" if outcome.error else ""
            print(f"{outcome.status:9} {outcome.job.folder}{note}")
    return 1 if any(outcome.status == "failed" for outcome in outcomes) else 0


def combine(sweep: Sweep, outcomes: Sequence[Outcome]) -> Path | None:
    """One report over every finished run the combined report can read (rankings of several
    models are compared in it); None when there is none."""
    from babelscope.report.combined import KINDS, combined_report
    from babelscope.runs import read_manifest

    folders = []
    for outcome in outcomes:
        if outcome.status == "failed":
            continue
        if read_manifest(outcome.job.folder).get("kind") in KINDS:
            folders.append(outcome.job.folder)
    if not folders:
        return None
    report = combined_report(folders, title=sweep.title)
    return Path(report.write(sweep.out / "report.html"))
