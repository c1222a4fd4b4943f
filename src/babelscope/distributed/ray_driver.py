"""The Ray executor: a ranking's store shards over actors, other analyses as whole-job tasks.

For a ``rank`` job the driver plans the shards from the data alone (no model), actors of that
model compute them into the job's store folder, and then the driver runs the ordinary
``babelscope rank`` on the same folder, which finds every shard cached and only computes the
tables — so a Ray sweep and a local one share every line of the analysis. Whole-job tasks
(``latent``, ``demo``, …) run ``babelscope <command>`` inside a Ray worker. The driver's own
rank run loads the model on the job's ``--device`` (a GPU cluster's driver needs one too:
the device is part of the store identity). The rank command's settings logic is the CLI's,
handed in with the sweep (:class:`~babelscope.distributed.command_line.RankHooks`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from babelscope.distributed.command_line import CommandLine, RankHooks
from babelscope.distributed.jobs import Outcome, already_done, run_command, start_job
from babelscope.distributed.plan import Job, Sweep

if TYPE_CHECKING:
    from babelscope.analyses.ranking.settings import RankSettings
    from babelscope.distributed.worker import ShardWorker
    from babelscope.models.handle import ModelHandle


@dataclass(frozen=True)
class RayOptions:
    address: str | None = None
    num_cpus: int | None = None
    workers: int | None = None


def _rank_hooks(commands: CommandLine) -> RankHooks:
    if commands.rank is None:
        raise TypeError("a Ray sweep of rank jobs needs the rank command's hooks (RankHooks)")
    return commands.rank


def prepare_rank(commands: CommandLine, argv: Sequence[str], handle: ModelHandle) -> RankSettings:
    """What a worker runs on its loaded model: the rank command's own settings logic."""
    hooks = _rank_hooks(commands)
    args = commands.parse(argv)
    return hooks.for_model(args, hooks.settings(args), handle)


def whole_job(run: Callable[[Sequence[str]], int], argv: Sequence[str]) -> tuple[int, str | None]:
    """A Ray task: ``babelscope argv`` in the worker's process."""
    return run_command(run, argv)


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
                argv = start_job(job, sweep.commands)
                device = _device(job.argv)
                whole[number] = (
                    ray_pool.run_whole(whole_job, [sweep.commands.run, argv], device=device),
                    time.perf_counter(),
                )
        for number, job in enumerate(sweep.jobs):
            if number not in outcomes and job.spec.shards:
                say(f"job {number + 1}/{len(sweep.jobs)}: {job.kind} on Ray → {job.folder}")
                outcomes[number] = _shard_job(
                    job,
                    sweep.commands,
                    options=options,
                    ray_pool=ray_pool,
                    say=say,
                    worker_class=worker_class,
                )
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
    commands: CommandLine,
    *,
    options: RayOptions,
    ray_pool: Any,
    say: Callable[[str], None],
    worker_class: type[ShardWorker] | None,
) -> Outcome:
    from babelscope.analyses.ranking.pipeline import build_groups, resolve_run_languages
    from babelscope.data.flores import FloresDataset
    from babelscope.data.spec import parse_data_spec
    from babelscope.distributed.worker import ShardWorker, plan_shards
    from babelscope.errors import BabelscopeError

    argv = start_job(job, commands)
    began = time.perf_counter()
    args = commands.parse(job.argv)
    try:
        settings = _rank_hooks(commands).settings(args)
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
            prepare=partial(prepare_rank, commands, tuple(job.argv)),
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
    pinned = [*argv, "--batch-size", str(filled["batch_size"])]
    pinned += ["--max-batch-tokens", str(filled["max_batch_tokens"])]
    pinned += ["--head-chunk", str(filled["head_chunk"])]
    code, error = run_command(commands.run, pinned)
    return Outcome(job, "complete" if code == 0 else "failed", time.perf_counter() - began, error)
