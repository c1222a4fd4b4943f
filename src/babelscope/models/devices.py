"""Validate dtype and device options once, with errors that name the fix."""

from __future__ import annotations

from typing import TYPE_CHECKING

from babelscope.errors import ConfigError

if TYPE_CHECKING:
    import torch

DTYPES = ("float32", "bfloat16", "float16")
_ALIASES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16", "half": "float16"}


def parse_dtype(value: str | torch.dtype) -> torch.dtype:
    import torch

    if isinstance(value, torch.dtype):
        return value
    name = _ALIASES.get(value.lower(), value.lower())
    if name not in DTYPES:
        raise ConfigError(f"unknown dtype {value!r}", fix=f"use one of: {', '.join(DTYPES)}")
    dtype: torch.dtype = getattr(torch, name)
    return dtype


def parse_device(value: str | torch.device) -> torch.device:
    """``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``auto`` (the best available)."""
    import torch

    if isinstance(value, torch.device):
        return value
    text = value.lower()
    if text == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(text)
    except RuntimeError as exc:
        raise ConfigError(
            f"unknown device {value!r}", fix="use cpu, cuda, cuda:N, mps or auto"
        ) from exc
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError("CUDA is not available on this machine", fix="use --device cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(
                f"there is no {text} (this machine has {torch.cuda.device_count()} GPUs)",
                fix="use cuda:0 … or --device auto",
            )
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("MPS is not available on this machine", fix="use --device cpu")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"unsupported device {value!r}", fix="use cpu, cuda, cuda:N, mps or auto")
    return device


def free_device_bytes(device: torch.device) -> int | None:
    """Free memory on a CUDA device (``torch.cuda.mem_get_info``); None elsewhere (the CPU
    keeps its fixed batch sizes)."""
    import torch

    if device.type != "cuda":
        return None
    free, _total = torch.cuda.mem_get_info(device)
    return int(free)
