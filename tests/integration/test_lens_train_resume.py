"""A real ``babelscope lens train`` process killed with SIGKILL right after a checkpoint resumes
from it and ends with exactly the weights of an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from test_rank_support import flores_dir, tiny_model_dir

from babelscope.cli.main import main

pytestmark = pytest.mark.integration
__all__ = ["flores_dir", "tiny_model_dir"]

# The real CLI in a child process, pausing after each checkpoint write so the test can land its
# SIGKILL between two checkpoints; the pause changes no result.
DRIVER = """
import sys, time
import babelscope.lens.train as train
write = train._checkpoint
def slow(*args, **kwargs):
    write(*args, **kwargs)
    time.sleep(float(sys.argv[1]))
train._checkpoint = slow
from babelscope.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def _argv(model: Path, data: Path, out: Path) -> list[str]:
    return [
        "lens", "train", "--model", str(model), "--data", f"flores200:{data}",
        "--tokens", "100000", "--batch-sentences", "4", "--checkpoint-every", "3",
        "--out", str(out), "--no-progress", "--json",
    ]  # fmt: skip


def test_sigkill_then_rerun_continues_from_the_last_checkpoint(
    tiny_model_dir: Path, flores_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = tmp_path / "whole"
    assert main(_argv(tiny_model_dir, flores_dir, whole)) == 0
    capsys.readouterr()

    killed = tmp_path / "killed"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    child = subprocess.Popen(
        [sys.executable, "-c", DRIVER, "30", *_argv(tiny_model_dir, flores_dir, killed)], env=env
    )
    checkpoint = killed / "checkpoint.pt"
    deadline = time.time() + 120
    while not checkpoint.exists() and time.time() < deadline and child.poll() is None:
        time.sleep(0.05)
    assert checkpoint.exists(), "no checkpoint before the deadline"
    time.sleep(0.5)  # inside the 30 s pause after the first checkpoint
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert not (killed / "manifest.json").exists()  # a killed run never looks finished

    assert main(_argv(tiny_model_dir, flores_dir, killed)) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["resumed_from_step"] == 3
    done = load_file(str(whole / "translators.safetensors"))
    resumed = load_file(str(killed / "translators.safetensors"))
    for name, tensor in done.items():
        assert torch.equal(tensor, resumed[name]), name
    assert not checkpoint.exists()
