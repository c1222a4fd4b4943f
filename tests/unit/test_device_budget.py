"""Device-aware batch sizes (pure functions, made-up free memory) and no silent CPU fallback
when CUDA is asked for on a machine without it."""

from __future__ import annotations

import pytest

from babelscope.capture.budget import (
    CPU_BATCH_TOKENS,
    CPU_HEAD_CHUNK,
    MAX_CHUNK,
    MIN_TOKENS,
    head_chunk_size,
    plan_for_device,
    token_budget,
)
from babelscope.cli.main import main

GIB = 1024**3


def test_a_7b_shape_on_80_gib_gets_the_hand_computed_sizes() -> None:
    # chunk: 80 GiB / 8 / (3 · 262144 · 4 B) = 3413 → 2048 (power of two below)
    assert head_chunk_size(80 * GIB, 262_144) == 2048
    # usable: 40 GiB − 3 · 2048 · 262144 · 4 B = 36,507,222,016 B; per token (bfloat16):
    # 24 · 4096 · 2 + 4096 · 4 + 33 · 3 · 4096 · 4 = 1,835,008 B → 19,894 → 16384
    budget = token_budget(
        80 * GIB, hidden_size=4096, n_layers=32, vocab_size=262_144, head_chunk=2048, dtype_bytes=2
    )
    assert budget == 16384


def test_the_cpu_keeps_its_fixed_sizes_and_budgets_grow_with_memory() -> None:
    cpu = plan_for_device(None, hidden_size=640, n_layers=18, vocab_size=262_144, dtype_bytes=4)
    assert (cpu.batch_size, cpu.max_batch_tokens, cpu.head_chunk) == (
        16,
        CPU_BATCH_TOKENS,
        CPU_HEAD_CHUNK,
    )
    sizes = [
        plan_for_device(free * GIB, hidden_size=640, n_layers=18, vocab_size=262_144, dtype_bytes=4)
        for free in (1, 8, 40, 139)
    ]
    budgets = [plan.max_batch_tokens for plan in sizes]
    assert budgets == sorted(budgets) and budgets[0] < budgets[-1]
    assert all(plan.head_chunk <= MAX_CHUNK for plan in sizes)
    assert all(plan.max_batch_tokens & (plan.max_batch_tokens - 1) == 0 for plan in sizes)
    # almost no memory: the floor, never zero
    assert (
        token_budget(10**6, hidden_size=4096, n_layers=32, vocab_size=262_144, head_chunk=128)
        == MIN_TOKENS
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["rank", "--model", "m", "--data", "flores200:/nowhere"],
        ["latent", "--model", "m", "--source", "fr", "--target", "zh"],
        ["demo"],
        ["patch", "--model", "m"],
        ["lens", "--model", "m", "--prompt", "hi"],
        ["lens", "train", "--model", "m", "--data", "flores200:/nowhere"],
    ],
)
def test_cuda_without_cuda_is_one_line_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert main([*argv, "--device", "cuda"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "babelscope: error: CUDA is not available on this machine — use --device cpu"
    assert main([*argv, "--dtype", "int8"]) == 2
    assert "unknown dtype 'int8'" in capsys.readouterr().err
