"""Subcommand registry: each command module exposes ``register(subparsers)``."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from babelscope.cli import cmd_lens, cmd_models

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

REGISTRY: list[Register] = [cmd_models.register, cmd_lens.register]
