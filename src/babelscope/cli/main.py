"""The ``babelscope`` command line: parse, then import heavy libraries, then call the same
functions a notebook user calls. ``main(argv)`` returns the exit code and is testable
in-process. User mistakes exit with code 2 and one line naming the fix (traceback with
``--debug``)."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Sequence
from typing import NoReturn, cast

from babelscope._version import __version__
from babelscope.cli import commands

DEBUG_HELP = "show tracebacks for errors (before or after the command)"


class DefaultsFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, unless it already names it: one rule for
    every command (flags, ``None`` and empty defaults say nothing)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if shows_default(action) and not mentions(text, action.default):
            text += " (default: %(default)s)" if text else "default: %(default)s"
        return text


def shows_default(action: argparse.Action) -> bool:
    """Whether ``action``'s help must show its default: options with a value and a default."""
    default = action.default
    return bool(
        action.option_strings
        and action.nargs != 0
        and default is not None
        and default is not argparse.SUPPRESS
        and default != []
    )


def mentions(text: str, default: object) -> bool:
    """``text`` names ``default`` as a whole word (``10`` is not named by ``100``)."""
    word = re.escape(str(default))
    return re.search(rf"(?<![\w.]){word}(?![\w.])", text.replace("%%", "%")) is not None


class Parser(argparse.ArgumentParser):
    """Help with defaults, and parse errors as one line (``babelscope: error: …``, exit 2)
    instead of argparse's usage block; subcommand parsers inherit both."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", DefaultsFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"babelscope: error: {message} (see `{self.prog} --help`)\n")
        raise ParseError(2)


class ParseError(SystemExit):
    """A command line argparse refused (its line is already on stderr). A ``SystemExit``, so
    code that parses job lines (the sweep) sees what argparse always raised."""


def subparsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Every command and sub-command parser below ``parser`` (depth first)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                yield child
                yield from subparsers(child)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="babelscope",
        description="Which language does a causal LM think in, and how well does it represent "
        "each language?",
    )
    parser.add_argument("--version", action="version", version=f"babelscope {__version__}")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    sub = cast(
        "argparse._SubParsersAction[argparse.ArgumentParser]",
        parser.add_subparsers(dest="command", metavar="COMMAND"),
    )
    for register in commands.REGISTRY:
        register(sub)
    for child in subparsers(parser):
        # SUPPRESS: a command's parser sets ``debug`` only when the flag is given after it,
        # so it never resets a ``--debug`` given before the command.
        child.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP
        )
    # `sweep` validates and runs its jobs with this very parser and main(): handed in here, so
    # that no command imports this module back (babelscope.cli.cmd_sweep.command_line)
    parser.set_defaults(build_parser=build_parser, run_main=main)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except ParseError as exc:
        return int(exc.code or 2)
    if args.command is None:
        parser.print_help()
        return 2
    from babelscope.errors import BabelscopeError

    try:
        from babelscope.cli.options import check_runtime_options

        check_runtime_options(args)
        code: int = args.handler(args)
        return code
    except BabelscopeError as exc:
        if args.debug:
            raise
        print(f"babelscope: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("babelscope: interrupted", file=sys.stderr)
        return 130


def entrypoint() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entrypoint()
