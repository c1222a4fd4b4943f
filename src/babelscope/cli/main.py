"""The ``babelscope`` command line: parse, then import heavy libraries, then call the same
functions a notebook user calls. ``main(argv)`` returns the exit code and is testable
in-process. User mistakes exit with code 2 and one line naming the fix (traceback with
``--debug``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from babelscope._version import __version__
from babelscope.cli import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="babelscope",
        description="Which language does a causal LM think in, and how well does it represent "
        "each language?",
    )
    parser.add_argument("--version", action="version", version=f"babelscope {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in commands.REGISTRY:
        register(sub)
    # `sweep` validates and runs its jobs with this very parser and main(): handed in here, so
    # that no command imports this module back (babelscope.cli.cmd_sweep.command_line)
    parser.set_defaults(build_parser=build_parser, run_main=main)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
