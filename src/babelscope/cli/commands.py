"""Subcommand registry: each command module exposes ``register(subparsers)``."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from babelscope.cli import (
    cmd_correlate,
    cmd_demo,
    cmd_latent,
    cmd_lens,
    cmd_models,
    cmd_patch,
    cmd_rank,
    cmd_report,
    cmd_sib,
    cmd_steer,
    cmd_sweep,
    cmd_translate,
)

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

REGISTRY: list[Register] = [
    cmd_demo.register,
    cmd_latent.register,
    cmd_patch.register,
    cmd_rank.register,
    cmd_sib.register,
    cmd_correlate.register,
    cmd_report.register,
    cmd_steer.register,
    cmd_translate.register,
    cmd_lens.register,
    cmd_models.register,
    cmd_sweep.register,
]
