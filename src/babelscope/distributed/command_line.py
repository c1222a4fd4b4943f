"""What a sweep needs from the command line its jobs belong to, handed in by the CLI.

A job is the argv of one ``babelscope`` command. It is validated by that command's own parser
before anything runs, and run by that command's own code, so a sweep cannot drift from the
commands it runs. Both live in :mod:`babelscope.cli`, above this package: the CLI hands them
in as a :class:`CommandLine` (``babelscope.cli.cmd_sweep.command_line``), and ``distributed``
never imports ``cli``.

Every field is a plain function, so a :class:`CommandLine` pickles by reference into a Ray
worker, which imports the same functions there.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babelscope.analyses.ranking.settings import RankSettings
    from babelscope.models.handle import ModelHandle


@dataclass(frozen=True)
class RankHooks:
    """The rank command's own settings logic, which the Ray driver needs to plan a ranking's
    shards (``settings``: options → settings, no model) and its workers need to size them for
    their loaded model (``for_model``), exactly as ``babelscope rank`` does."""

    settings: Callable[[argparse.Namespace], RankSettings]
    for_model: Callable[[argparse.Namespace, RankSettings, ModelHandle], RankSettings]


@dataclass(frozen=True)
class CommandLine:
    """``parsers()``: a fresh parser per command name (``"rank"`` → the parser of
    ``babelscope rank``); ``run(argv)``: ``babelscope argv`` in this process, its exit code;
    ``check(args)``: fails (a :class:`~babelscope.errors.ConfigError`) when parsed options cannot
    be honoured on this machine (cuda without CUDA, an unknown dtype); ``rank``: see
    :class:`RankHooks` (only the Ray executor needs it)."""

    parsers: Callable[[], Mapping[str, argparse.ArgumentParser]]
    run: Callable[[Sequence[str]], int]
    check: Callable[[argparse.Namespace], None]
    rank: RankHooks | None = None

    def parse(self, argv: Sequence[str]) -> argparse.Namespace:
        """A job's argv (``[command, *options]``) parsed by its command's parser."""
        return self.parsers()[argv[0]].parse_args(list(argv[1:]))


def takes_option(parser: argparse.ArgumentParser, flag: str) -> bool:
    """Whether ``parser`` declares ``flag`` (``--overwrite``, ``--device``, …)."""
    return any(flag in action.option_strings for action in parser._actions)
