"""``babelscope sweep --executor ray`` on a local two-CPU Ray cluster: the same tables as the
rank commands typed by hand, also when an actor dies mid-sweep, and a store with exactly one
verified file per shard."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sweep_support import assert_same_tables, hand_argv, two_models, write_sweep
from test_rank_support import flores_dir

from babelscope.capture.store import ActivationStore
from babelscope.cli.main import main
from babelscope.distributed.worker import ShardTask, ShardWorker

ray = pytest.importorskip("ray")
pytestmark = [pytest.mark.integration, pytest.mark.ray]
__all__ = ["flores_dir", "two_models"]  # fixtures used by name below

SHARDS = 15  # eng, fra, deu, rus and rus@latn × 24 sentences in shards of 8


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    """One local cluster for the module (starting Ray costs seconds); the sweep joins it."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    # The crashing worker below lives in this test module, which workers cannot import.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def by_hand(two_models: list[Path], flores_dir: Path, tmp_path_factory) -> list[Path]:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("hand")
    outs = [root / model.name for model in two_models]
    for model, out in zip(two_models, outs, strict=True):
        assert main(hand_argv(model, flores_dir, out)) == 0
    return outs


class CrashingWorker(ShardWorker):
    """Kills its own process on the first shard it is given (marker file: once per sweep)."""

    marker = ""

    def compute(self, task: ShardTask) -> dict:  # type: ignore[type-arg]
        marker = Path(self.marker)
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            os._exit(1)
        return super().compute(task)


def _check_store(folder: Path) -> None:
    (path,) = (folder / "store").iterdir()
    identity = json.loads((path / "identity.json").read_text())
    store = ActivationStore(path, identity)
    files = sorted((path / "shards").rglob("*.safetensors"))
    assert len(store) == SHARDS == len(files)  # one listed entry and one file per shard
    assert store.verify() == []  # every listed shard passes its sha256, names and shapes
    assert not list(path.rglob("*.tmp"))


def test_ray_sweep_equals_hand_runs(
    *,
    cluster: None,
    two_models: list[Path],
    flores_dir: Path,
    by_hand: list[Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sweep = write_sweep(tmp_path / "sweep.toml", two_models, flores_dir)
    out = tmp_path / "sweep"
    argv = ["sweep", str(sweep), "--out", str(out), "--executor", "ray", "--workers", "2"]
    assert main([*argv, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert [job["status"] for job in summary["jobs"]] == ["complete", "complete"]
    for job, hand in zip(summary["jobs"], by_hand, strict=True):
        folder = Path(job["folder"])
        assert assert_same_tables(folder, hand) >= 6
        _check_store(folder)
        timings = json.loads((folder / "manifest.json").read_text())["timings"]
        assert timings["computed_shards"] == 0  # the driver's run found every shard cached


def test_a_killed_actor_is_restarted_and_the_sweep_finishes(
    *,
    cluster: None,
    two_models: list[Path],
    flores_dir: Path,
    by_hand: list[Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from babelscope.cli.sweeps import read_sweep
    from babelscope.distributed.ray_driver import RayOptions, run_ray

    marker = tmp_path / "crashed"
    monkeypatch.setattr(CrashingWorker, "marker", str(marker))  # pickled with the class
    sweep_file = write_sweep(tmp_path / "sweep.toml", two_models[:1], flores_dir)
    sweep = read_sweep(sweep_file, out=tmp_path / "sweep")
    outcomes = run_ray(
        sweep, RayOptions(workers=2), say=lambda _m: None, worker_class=CrashingWorker
    )
    assert marker.exists()  # an actor did die mid-sweep
    assert [o.status for o in outcomes] == ["complete"], [o.error for o in outcomes]
    assert_same_tables(outcomes[0].job.folder, by_hand[0])
    _check_store(outcomes[0].job.folder)


def test_whole_job_tasks_give_the_local_tables(
    cluster: None, two_models: list[Path], tmp_path: Path
) -> None:
    """A kind whose work is not shard-shaped (latent) runs as one Ray task per job."""
    import pandas as pd

    sweep = tmp_path / "latent.toml"
    sweep.write_text(
        f'models = ["{two_models[0]}"]\n[[analysis]]\nkind = "latent"\nsource = "fra_Latn"\n'
        'target = "deu_Latn"\nmax_prompts = 5\nmin_prefix_chars = 1\n',
        encoding="utf-8",
    )
    for executor in ("local", "ray"):
        out = tmp_path / executor
        assert main(["sweep", str(sweep), "--out", str(out), "--executor", executor]) == 0
    tables = sorted(p.name for p in (tmp_path / "local" / "latent-tiny-llama").glob("*.parquet"))
    assert len(tables) >= 3
    for name in tables:
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "ray" / "latent-tiny-llama" / name),
            pd.read_parquet(tmp_path / "local" / "latent-tiny-llama" / name),
        )
