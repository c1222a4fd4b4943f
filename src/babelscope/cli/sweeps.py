"""Sweeps from Python, validated and run by babelscope's own command line — what
``babelscope sweep`` does, without the printing::

    from babelscope.cli.sweeps import read_sweep
    from babelscope.distributed.local import run_local

    outcomes = run_local(read_sweep("sweep.toml", out="runs/sweep"), say=print)

(``babelscope sweep`` itself gets the same command line handed in by ``cli/main.py``, which
this module imports and no command may.)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babelscope.distributed.command_line import CommandLine
    from babelscope.distributed.plan import Sweep


def command_line() -> CommandLine:
    """The :class:`CommandLine` of the installed ``babelscope`` program."""
    from babelscope.cli.cmd_sweep import command_line as bind
    from babelscope.cli.main import build_parser, main

    return bind(build_parser, main)


def read_sweep(
    path: str | Path,
    *,
    out: str | Path | None = None,
    device: str | None = None,
    dtype: str | None = None,
    trust_remote_code: bool = False,
) -> Sweep:
    """:func:`babelscope.distributed.plan.read_sweep` with babelscope's own commands."""
    from babelscope.distributed.plan import read_sweep as plan

    return plan(
        path,
        command_line(),
        out=out,
        device=device,
        dtype=dtype,
        trust_remote_code=trust_remote_code,
    )
