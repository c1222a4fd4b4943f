"""The Ray executor: a ranking's store shards over actors, other analyses as whole-job tasks.

For a ``rank`` job the driver plans the shards from the data alone (no model), actors of that
model compute them into the job's store folder, and then the driver runs the ordinary
``babelscope rank`` on the same folder, which finds every shard cached and only computes the
tables — so a Ray sweep and a local one share every line of the analysis. Whole-job tasks
(``latent``, ``demo``, …) run ``babelscope <command>`` inside a Ray worker. The driver's own
rank run loads the model on the job's ``--device`` (a GPU cluster's driver needs one too:
the device is part of the store identity).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from babelscope.cli.sweep_file import Job, Sweep
from babelscope.cli.sweep_run import Outcome, already_done, record_job, run_command

if TYPE_CHECKING:
    from babelscope.distributed.worker import ShardWorker


@dataclass(frozen=True)
class RayOptions:
    address: str | None = None
    num_cpus: int | None = None
    workers: int | None = None


def _rank_args(argv: Sequence[str]) -> argparse.Namespace:
    from babelscope.cli.sweep_file import _command_parsers

    return _command_parsers()["rank"].parse_args(list(argv[1:]))


def prepare_rank(argv: Sequence[str], handle: object) -> object:
    """What a worker runs on its loaded model: the rank command's own settings logic."""
    from babelscope.cli.cmd_rank import settings_for, settings_from_args

    args = _rank_args(argv)
    return settings_for(args, settings_from_args(args), handle)


def whole_job(argv: Sequence[str]) -> tuple[int, str | None]:
    """A Ray task: ``babelscope argv`` in the worker's process."""
    return run_command(argv)


def run_ray(
    sweep: Sweep,
    options: RayOptions,
    *,
    say: Callable[[str], None],
    worker_class: type[ShardWorker] | None = None,
) -> list[Outcome]:
    """Run ``sweep`` on Ray; outcomes in the sweep file's order."""
    try:
        from babelscope.distributed import ray_pool
    except ImportError as exc:
        from babelscope.errors import ConfigError

        raise ConfigError(
            "the Ray executor needs Ray", fix="pip install 'babelscope[ray]' or --executor local"
        ) from exc
    started = ray_pool.start(options.address, options.num_cpus)
    try:
        outcomes: dict[int, Outcome] = {}
        whole: dict[int, tuple[Any, float]] = {}
        for number, job in enumerate(sweep.jobs):
            if already_done(job):
                outcomes[number] = Outcome(job, "skipped")
            elif not job.spec.shards:
                record_job(job)
                device = _device(job.argv)
                whole[number] = (
                    ray_pool.run_whole(whole_job, [job.argv], device=device),
                    time.perf_counter(),
                )
        for number, job in enumerate(sweep.jobs):
            if number not in outcomes and job.spec.shards:
                say(f"job {number + 1}/{len(sweep.jobs)}: {job.kind} on Ray → {job.folder}")
                outcomes[number] = _shard_job(job, options, ray_pool, say, worker_class)
        for number, (ref, began) in whole.items():
            try:
                code, error = ray_pool.get(ref)
            except Exception as exc:  # a task that failed past its retries
                code, error = 1, f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
            status = "complete" if code == 0 else "failed"
            outcomes[number] = Outcome(
                sweep.jobs[number], status, time.perf_counter() - began, error
            )
        return [outcomes[number] for number in range(len(sweep.jobs))]
    finally:
        if started:
            ray_pool.stop()


def _device(argv: Sequence[str]) -> str:
    words = list(argv)
    return words[words.index("--device") + 1] if "--device" in words else "cpu"


def _shard_job(
    job: Job,
    options: RayOptions,
    ray_pool: Any,
    say: Callable[[str], None],
    worker_class: type[ShardWorker] | None,
) -> Outcome:
    from babelscope.analyses.ranking.pipeline import build_groups, resolve_run_languages
    from babelscope.cli.cmd_rank import settings_from_args
    from babelscope.data.flores import FloresDataset
    from babelscope.data.spec import parse_data_spec
    from babelscope.distributed.worker import ShardWorker, plan_shards
    from babelscope.errors import BabelscopeError

    record_job(job)
    began = time.perf_counter()
    args = _rank_args(job.argv)
    try:
        settings = settings_from_args(args)
        dataset = parse_data_spec(args.data)
        if not isinstance(dataset, FloresDataset):
            return Outcome(job, "failed", 0.0, f"--data {args.data} is not a parallel corpus")
        pivot = dataset.resolve(settings.pivot, settings.split)
        codes = resolve_run_languages(dataset, args.languages, settings.split)
        groups, _, _ = build_groups(dataset, codes, pivot, settings)
        tasks = plan_shards(groups, settings.shard_size)
        load = {
            "dtype": args.dtype,
            "device": args.device,
            "trust_remote_code": args.trust_remote_code,
        }
        from functools import partial

        filled = ray_pool.fill_store(
            args.model,
            load=load,
            prepare=partial(prepare_rank, tuple(job.argv)),
            store_dir=job.folder / "store",
            tasks=tasks,
            workers=options.workers or ray_pool.default_workers(args.device),
            worker_class=worker_class or ShardWorker,
            say=say,
        )
    except BabelscopeError as exc:
        return Outcome(job, "failed", time.perf_counter() - began, f"babelscope: error: {exc}")
    except Exception as exc:  # Ray's errors after its retries: report, go on with the sweep
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return Outcome(job, "failed", time.perf_counter() - began, f"{type(exc).__name__}: {first}")
    # The workers' batch sizes (sized to their GPU's memory on CUDA) are pinned for the
    # driver's run, so it opens the same store instead of sizing for its own device.
    pinned = [*job.argv, "--batch-size", str(filled["batch_size"])]
    pinned += ["--max-batch-tokens", str(filled["max_batch_tokens"])]
    pinned += ["--head-chunk", str(filled["head_chunk"])]
    code, error = run_command(pinned)
    return Outcome(job, "complete" if code == 0 else "failed", time.perf_counter() - began, error)
