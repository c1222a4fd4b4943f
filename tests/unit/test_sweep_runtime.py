"""The sweep's own --device/--dtype/--trust-remote-code (every job that loads a model gets
them; a table's own key wins), and how both executors rerun a job: a job whose recorded argv
changed, or whose run is incomplete, is told ``--overwrite`` when its command takes it."""

from __future__ import annotations

import argparse
import json
import sys
import types
from collections.abc import Sequence
from pathlib import Path

import pytest

from babelscope.cli.main import main
from babelscope.cli.sweeps import read_sweep
from babelscope.distributed import plan
from babelscope.distributed.command_line import CommandLine
from babelscope.distributed.local import run_local
from babelscope.errors import ConfigError

RANK = '[[analysis]]\nkind = "rank"\ndata = "flores200:/data"\n'
LATENT = '[[analysis]]\nkind = "latent"\nsource = "fra_Latn"\n'


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _value(argv: Sequence[str], flag: str) -> str | None:
    return argv[argv.index(flag) + 1] if flag in argv else None


def test_sweep_flags_reach_every_job_and_a_table_key_wins(tmp_path: Path) -> None:
    text = 'models = ["m"]\ndevice = "cuda"\ndtype = "float16"\n'  # the file's: overridden
    text += RANK + 'dtype = "bfloat16"\ntrust_remote_code = false\n' + LATENT
    sweep = read_sweep(
        _write(tmp_path, text), out=tmp_path, device="cpu", dtype="float32", trust_remote_code=True
    )
    rank, latent = (job.argv for job in sweep.jobs)
    # rank: its table sets dtype and trust_remote_code, the sweep's --device fills the rest
    assert (_value(rank, "--dtype"), _value(rank, "--device")) == ("bfloat16", "cpu")
    assert "--trust-remote-code" not in rank
    # latent: no keys of its own, so the sweep's three flags (not the file's cuda/float16)
    assert (_value(latent, "--dtype"), _value(latent, "--device")) == ("float32", "cpu")
    assert latent.count("--trust-remote-code") == 1


def test_without_the_flags_the_file_and_then_the_commands_defaults_apply(tmp_path: Path) -> None:
    sweep = read_sweep(_write(tmp_path, 'models = ["m"]\ndtype = "float16"\n' + RANK), out=tmp_path)
    (job,) = sweep.jobs
    assert _value(job.argv, "--dtype") == "float16"
    assert "--device" not in job.argv and "--trust-remote-code" not in job.argv


def test_the_flags_go_only_to_commands_that_take_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(plan.KINDS, "count", plan.Kind("count", per_model=False))
    parser = argparse.ArgumentParser(prog="babelscope count")
    parser.add_argument("--out")
    commands = _commands({"count": parser}, [])
    sweep = plan.read_sweep(
        _write(tmp_path, '[[analysis]]\nkind = "count"\n'),
        commands,
        out=tmp_path,
        device="cpu",
        trust_remote_code=True,
    )
    assert sweep.jobs[0].argv == ("count", "--out", str(tmp_path / "count"))


def test_main_passes_the_flags_to_the_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, ...]] = []

    def record(sweep: plan.Sweep, *, say: object) -> list[object]:
        seen.extend(job.argv for job in sweep.jobs)
        return []

    monkeypatch.setattr("babelscope.distributed.local.run_local", record)
    path = _write(tmp_path, 'models = ["m"]\n' + LATENT)
    argv = ["sweep", str(path), "--out", str(tmp_path / "out"), "--dtype", "bfloat16"]
    assert main([*argv, "--device", "cpu", "--trust-remote-code"]) == 0
    (job,) = seen
    assert job[-7:] == (
        *("--device", "cpu", "--dtype", "bfloat16", "--trust-remote-code"),
        *("--out", str(tmp_path / "out" / "latent-m")),
    )


@pytest.mark.parametrize(
    ("flags", "table", "words"),
    [
        (["--device", "cuda"], "", "CUDA is not available"),
        (["--dtype", "int8"], "", "unknown dtype"),
        # the sweep's cpu is fine, but the table asks for cuda on a machine without it
        (["--device", "cpu"], 'device = "cuda"\n', "[[analysis]] #1: CUDA is not available"),
    ],
)
def test_a_bad_device_or_dtype_fails_before_anything_runs(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    table: str,
    words: str,
) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    path = _write(tmp_path, 'models = ["m"]\n' + RANK + table)
    out = tmp_path / "never"
    assert main(["sweep", str(path), "--out", str(out), *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("babelscope: error:") and "\n" not in err and words in err
    assert not out.exists()


def test_sweep_help_names_the_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for flag in ("--device", "--dtype", "--trust-remote-code"):
        assert f"every job's {flag} unless its table sets" in text


# --- reruns: --overwrite -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fake_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(plan.KINDS, "fake", plan.Kind("fake"))


def _fake_parser(*, overwrite: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="babelscope fake")
    parser.add_argument("--model")
    parser.add_argument("--out")
    parser.add_argument("--size", type=int, default=1)
    if overwrite:
        parser.add_argument("--overwrite", action="store_true")
    return parser


def _commands(parsers: dict[str, argparse.ArgumentParser], ran: list[list[str]]) -> CommandLine:
    def run(argv: Sequence[str]) -> int:
        """A command that writes a complete run folder (and records what it was given)."""
        ran.append(list(argv))
        folder = Path(argv[argv.index("--out") + 1])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "manifest.json").write_text(json.dumps({"status": "complete"}))
        return 0

    return CommandLine(parsers=lambda: parsers, run=run, check=lambda _args: None)


def _fake_sweep(tmp_path: Path, commands: CommandLine, size: int) -> plan.Sweep:
    text = f'models = ["m"]\n[[analysis]]\nkind = "fake"\nsize = {size}\n'
    return plan.read_sweep(_write(tmp_path, text), commands, out=tmp_path / "out")


def _ray_pool_running_tasks_here() -> types.ModuleType:
    """A stand-in for ``ray_pool`` that runs each whole-job task at once, in this process."""
    pool = types.ModuleType("babelscope.distributed.ray_pool")
    pool.start = lambda _address, _cpus: False  # type: ignore[attr-defined]
    pool.run_whole = lambda function, arguments, device: function(*arguments)  # type: ignore[attr-defined]
    pool.get = lambda ref: ref  # type: ignore[attr-defined]
    pool.stop = lambda: None  # type: ignore[attr-defined]
    return pool


def _execute(executor: str, sweep: plan.Sweep) -> list[str]:
    if executor == "ray":
        from babelscope.distributed.ray_driver import RayOptions, run_ray

        outcomes = run_ray(sweep, RayOptions(), say=lambda _m: None)
    else:
        outcomes = run_local(sweep, say=lambda _m: None)
    return [outcome.status for outcome in outcomes]


@pytest.mark.parametrize("executor", ["local", "ray"])
def test_a_rerun_job_is_told_to_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, executor: str
) -> None:
    import babelscope.distributed

    pool = _ray_pool_running_tasks_here()
    monkeypatch.setitem(sys.modules, "babelscope.distributed.ray_pool", pool)
    monkeypatch.setattr(babelscope.distributed, "ray_pool", pool, raising=False)
    ran: list[list[str]] = []
    commands = _commands({"fake": _fake_parser(overwrite=True)}, ran)
    folder = str(tmp_path / "out" / "fake-m")

    assert _execute(executor, _fake_sweep(tmp_path, commands, 1)) == ["complete"]
    assert ran == [["fake", "--model", "m", "--size", "1", "--out", folder]]  # a first run
    assert _execute(executor, _fake_sweep(tmp_path, commands, 1)) == ["skipped"]
    assert len(ran) == 1  # same argv, complete: not run again

    assert _execute(executor, _fake_sweep(tmp_path, commands, 2)) == ["complete"]
    assert ran[-1] == ["fake", "--model", "m", "--size", "2", "--out", folder, "--overwrite"]
    assert _execute(executor, _fake_sweep(tmp_path, commands, 2)) == ["skipped"]

    (Path(folder) / "manifest.json").write_text(json.dumps({"status": "running"}))
    assert _execute(executor, _fake_sweep(tmp_path, commands, 2)) == ["complete"]
    assert ran[-1][-1] == "--overwrite" and len(ran) == 3  # incomplete: rerun, replaced
    # what the folder records is the job's own argv, never the added flag
    record = json.loads((Path(folder) / ".sweep-job.json").read_text())
    assert record["argv"] == ran[-1][:-1]


def test_a_command_without_the_flag_is_rerun_as_it_is(tmp_path: Path) -> None:
    ran: list[list[str]] = []
    commands = _commands({"fake": _fake_parser(overwrite=False)}, ran)
    assert _execute("local", _fake_sweep(tmp_path, commands, 1)) == ["complete"]
    assert _execute("local", _fake_sweep(tmp_path, commands, 2)) == ["complete"]
    assert ran[-1][-2:] == ["--out", str(tmp_path / "out" / "fake-m")]


def test_a_table_cannot_set_what_the_sweep_decides(tmp_path: Path) -> None:
    commands = _commands({"fake": _fake_parser(overwrite=True)}, [])
    text = 'models = ["m"]\n[[analysis]]\nkind = "fake"\noverwrite = true\n'
    with pytest.raises(ConfigError) as caught:
        plan.read_sweep(_write(tmp_path, text), commands)
    assert "the sweep sets 'overwrite'" in str(caught.value)
