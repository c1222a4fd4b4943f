"""``babelscope sweep SWEEP.toml``: models × analyses, one run folder each, one report.

The local executor runs the jobs one after another in this process; ``--executor ray``
spreads the ranking's activation-store shards over Ray actors (one model load per actor) and
runs the other analyses as whole-job Ray tasks (``pip install 'babelscope[ray]'``). Rerun the
same command to resume: finished runs are skipped, unfinished rankings resume from their
stores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


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
    parser.add_argument("--device", default=None, help="every job's --device (overrides the file)")
    parser.add_argument("--dtype", default=None, help="every job's --dtype (overrides the file)")
    parser.add_argument(
        "--ray-address",
        default=None,
        metavar="ADDR",
        help="Ray cluster to join (default: $RAY_ADDRESS, else a local cluster)",
    )
    parser.add_argument(
        "--num-cpus", type=int, default=None, help="CPUs of the local Ray cluster (default: all)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="Ray actors per ranking (default: GPUs on CUDA, else the cluster's CPUs)",
    )
    parser.add_argument("--json", action="store_true", help="print sweep.json on stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from babelscope.cli.options import wrote
    from babelscope.cli.sweep_file import read_sweep
    from babelscope.cli.sweep_run import combine, run_local, write_summary
    from babelscope.errors import ConfigError

    sweep = read_sweep(args.file, out=args.out, device=args.device, dtype=args.dtype)
    if args.workers is not None and args.workers < 1:
        raise ConfigError("--workers must be ≥ 1", fix="e.g. --workers 2")

    def say(message: str) -> None:
        print(f"babelscope: sweep: {message}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    if args.executor == "ray":
        from babelscope.cli.sweep_ray import RayOptions, run_ray

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
