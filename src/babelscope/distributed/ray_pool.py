"""Ray actors that fill one activation store, and whole-job Ray tasks.

Imported only by ``babelscope sweep --executor ray`` (Ray is an optional extra).

Failure handling is Ray's own: an actor that dies (a killed process, a lost node) is
restarted up to ``retries`` times — reloading its model — and the shard it was computing is
retried on it (``max_restarts`` / ``max_task_retries``); whole-job tasks are retried with
``max_retries``. A shard computed twice is harmless: its file is written atomically with the
same bytes, and the driver lists each shard once, after checking the file's sha256.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import ray

from babelscope.distributed.worker import ShardTask, ShardWorker
from babelscope.errors import ConfigError

#: Restarts of a dead actor, and retries of the task it was running.
RETRIES = 2


def start(address: str | None, num_cpus: int | None) -> bool:
    """Join the cluster at ``address`` (or ``$RAY_ADDRESS``), else start a local one with
    ``num_cpus``. Returns whether this call started Ray (and so should shut it down)."""
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
    if address is None:
        kwargs["num_cpus"] = num_cpus or os.cpu_count() or 1
    try:
        ray.init(address=address, **kwargs)
    except ConnectionError as exc:
        raise ConfigError(
            f"cannot reach the Ray cluster at {address}",
            fix="start it (ray start --head) or drop --ray-address / RAY_ADDRESS",
        ) from exc
    return True


def resources(device: str) -> dict[str, float]:
    """One GPU per actor on CUDA (the model lives there), one CPU otherwise."""
    return {"num_gpus": 1} if device.startswith("cuda") else {"num_cpus": 1}


def default_workers(device: str) -> int:
    total = ray.cluster_resources()
    key = "GPU" if device.startswith("cuda") else "CPU"
    return max(1, int(total.get(key, 1)))


def fill_store(
    model: str,
    *,
    load: dict[str, Any],
    prepare: Callable[[Any], Any],
    store_dir: Path,
    tasks: Sequence[ShardTask],
    workers: int,
    worker_class: type[ShardWorker] = ShardWorker,
    say: Callable[[str], None] = lambda _message: None,
) -> dict[str, Any]:
    """Compute every missing shard of ``tasks`` on up to ``workers`` actors of one model and
    list them in the store (this process holds the store's lock while it does).

    Returns the worker's :meth:`ShardWorker.describe` plus ``computed`` (shards listed by this
    call) and ``cached`` (already listed before)."""
    from babelscope.capture.store import ActivationStore
    from babelscope.collect.spec import TEXT_TENSORS

    remote: Any = ray.remote(worker_class)  # typed loosely: Ray's stubs lose the methods
    device = str(load.get("device", "cpu"))
    options = {"max_restarts": RETRIES, "max_task_retries": RETRIES, **resources(device)}

    def actor() -> Any:
        return remote.options(**options).remote(
            model, store_dir=str(store_dir), prepare=prepare, **load
        )

    actors: list[Any] = [actor()]
    try:  # actors hold GPUs: free them whatever happens
        described: dict[str, Any] = ray.get(actors[0].describe.remote())
        store = ActivationStore.open(store_dir, described["identity"])
        with store.writing():
            todo = [
                task
                for task in tasks
                if not store.is_done(
                    task.group,
                    task.index,
                    task.texts,
                    [*described["states"], *(TEXT_TENSORS if task.text_metrics else ())],
                )
            ]
            actors += [actor() for _ in range(min(workers, len(todo)) - 1)]
            for extra in actors[1:]:  # same model and settings: same store, or sizes drifted
                if ray.get(extra.describe.remote())["digest"] != described["digest"]:
                    raise ConfigError(
                        "Ray workers chose different batch sizes (so different stores)",
                        fix="pin --batch-size, --max-batch-tokens and --head-chunk in the table",
                    )
            say(f"{len(todo)} of {len(tasks)} shards to compute on {len(actors)} actor(s)")
            _dispatch(actors, todo, lambda task, entry: store.adopt(task.group, task.index, entry))
    finally:
        for each in actors:
            ray.kill(each)
    return {**described, "computed": len(todo), "cached": len(tasks) - len(todo)}


def _dispatch(
    actors: list[Any], todo: list[ShardTask], done: Callable[[ShardTask, Any], None]
) -> None:
    """Keep two shards in flight per actor (the next one is queued while one runs) and hand
    each finished shard's entry to ``done`` as it arrives."""
    from babelscope.capture.store import ShardEntry

    pending = list(reversed(todo))
    running: dict[Any, tuple[Any, ShardTask]] = {}

    def submit(actor: Any) -> None:
        if pending:
            task = pending.pop()
            running[actor.compute.remote(task)] = (actor, task)

    for actor in actors:
        submit(actor)
        submit(actor)
    while running:
        (ref,), _ = ray.wait(list(running), num_returns=1)
        actor, task = running.pop(ref)
        done(task, ShardEntry.from_json(ray.get(ref)))
        submit(actor)


def run_whole(function: Callable[..., Any], arguments: Sequence[Any], *, device: str) -> Any:
    """Submit ``function(*arguments)`` as one Ray task (retried if its worker dies); returns
    the object ref (``ray.get`` it)."""
    task = ray.remote(function).options(max_retries=RETRIES, **resources(device))
    return task.remote(*arguments)


def get(ref: Any) -> Any:
    return ray.get(ref)


def stop() -> None:
    ray.shutdown()
