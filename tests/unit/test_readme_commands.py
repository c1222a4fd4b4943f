"""Every ``babelscope …`` command line the README and docs/*.md show goes through the CLI's own
parser (never the analysis): an option that does not exist, a misspelt subcommand or a missing
required option fails here, with the file and line it came from.

What counts as a command line: a line of a shell code block (```bash, ```sh, ```console or an
unlabelled block) whose command is ``babelscope`` (after ``$ ``, ``time``, ``nice``, ``env X=1``
and the like), with ``\\`` continuations joined and ``#`` comments dropped; and an inline code
span in the prose that contains ``babelscope`` followed by a subcommand. Placeholders are
values, so they parse as themselves (``M``, ``PATH``, ``DIR``); ``[…]`` marks optional parts
(the brackets are dropped, the options inside still checked); a line with ``…`` or ``...``
elides options, so only the option *names* it shows are checked, not what is missing.
"""

from __future__ import annotations

import argparse
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from babelscope.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_SHELL_LANGS = {"", "bash", "sh", "shell", "console", "zsh"}
_FENCE = re.compile(r"^(\s*)(```|~~~)\s*([\w+-]*)")
_INLINE = re.compile(r"`([^`\n]*(?:\n[^`\n]*){0,3})`")
_PREFIXES = {"$", "time", "nice", "env", "sudo", "/usr/bin/time", "-v", "-n", "exec"}
_ELLIPSIS = {"…", "..."}


class ParseError(Exception):
    """argparse's error, raised instead of exiting."""


@dataclass(frozen=True)
class CommandLine:
    """One shown command: where it is, its argv after ``babelscope``, and whether it elides."""

    where: str
    argv: tuple[str, ...]
    partial: bool
    inline: bool

    def __str__(self) -> str:
        return f"{self.where}: babelscope {' '.join(self.argv)}"


def _tokens_after_babelscope(text: str) -> list[str] | None:
    try:
        tokens = shlex.split(text, comments=True)
    except ValueError:  # an unbalanced quote in prose: not a command line
        return None
    i = 0
    while i < len(tokens) and (tokens[i] in _PREFIXES or re.fullmatch(r"\w+=\S*|\d+", tokens[i])):
        i += 1
    if i >= len(tokens) or Path(tokens[i]).name != "babelscope":
        return None
    return tokens[i + 1 :]


def _clean(tokens: list[str]) -> tuple[tuple[str, ...], bool]:
    """Drop optional-part brackets and ellipses; report whether anything was elided."""
    out: list[str] = []
    partial = False
    for token in tokens:
        stripped = token.lstrip("[").rstrip("]")
        if stripped in _ELLIPSIS:
            partial = True
        elif stripped:
            out.append(stripped)
    return tuple(out), partial


def iter_command_lines(text: str, name: str) -> list[CommandLine]:
    """The ``babelscope`` command lines of one Markdown text (``name`` labels the source)."""
    found: list[CommandLine] = []
    prose: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence:
            prose.append(lines[i])
            i += 1
            continue
        marker, lang = fence.group(2), fence.group(3).lower()
        prose.append("")
        i += 1
        pending, start = "", i
        while i < len(lines) and not lines[i].lstrip().startswith(marker):
            if lang in _SHELL_LANGS:
                line = lines[i]
                if not pending:
                    start = i
                if line.rstrip().endswith("\\"):
                    pending += line.rstrip()[:-1] + " "
                else:
                    tokens = _tokens_after_babelscope(pending + line)
                    pending = ""
                    if tokens:
                        argv, partial = _clean(tokens)
                        found.append(CommandLine(f"{name}:{start + 1}", argv, partial, False))
            prose.append("")
            i += 1
        prose.append("")
        i += 1
    body = "\n".join(prose)
    for match in _INLINE.finditer(body):
        span = match.group(1).replace("\n", " ")
        at = span.find("babelscope ")
        if at < 0 or (at > 0 and not span[at - 1].isspace()):
            continue
        tokens = _tokens_after_babelscope(span[at:])
        if tokens and not tokens[0].startswith(("-", "'")):
            argv, partial = _clean(tokens)
            line = body.count("\n", 0, match.start()) + 1
            found.append(CommandLine(f"{name}:{line}", argv, partial, True))
    return found


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _lenient(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The same parser with value types and choices switched off (placeholders are values) and
    abbreviations refused (a README must spell an option in full); errors raise."""

    def error(message: str) -> None:
        raise ParseError(message)

    parser.allow_abbrev = False
    parser.error = error  # type: ignore[method-assign]
    for action in parser._actions:
        action.type = None
        if not isinstance(action, argparse._SubParsersAction):
            action.choices = None
    for sub in _subparsers(parser).values():
        _lenient(sub)
    return parser


def _resolve(argv: tuple[str, ...]) -> tuple[list[argparse.ArgumentParser], list[str]]:
    """The parsers a command line reaches (top level, command, action) and problems on the way."""
    top = build_parser()
    chain = [top]
    rest = list(argv)
    while rest and rest[0].startswith("-"):
        rest.pop(0)
    for _ in range(2):
        subs = _subparsers(chain[-1])
        if not subs:
            break
        if not rest or rest[0] not in subs:
            if len(chain) == 1:
                return chain, [f"no such command {rest[0] if rest else '(none)'!r}"]
            break
        chain.append(subs[rest.pop(0)])
    return chain, []


def _option_names(argv: tuple[str, ...]) -> list[str]:
    names = []
    for token in argv:
        if token.startswith("-") and not re.fullmatch(r"-\d[\d.,e-]*", token) and token != "-":
            names.append(token.split("=", 1)[0])
    return names


def check_command(command: CommandLine) -> list[str]:
    """Problems with one command line: unknown options (checked by name against the parser the
    line reaches), and — for complete lines — what argparse itself refuses."""
    chain, problems = _resolve(command.argv)
    if problems:
        return problems
    known = set(chain[-1]._option_string_actions)
    # Options of the top-level parser are valid before the subcommand.
    before = command.argv[: command.argv.index(chain[1].prog.split()[1])] if len(chain) > 1 else ()
    known_top = set(chain[0]._option_string_actions)
    for name in _option_names(command.argv):
        if name in known or (name in known_top and name in before):
            continue
        problems.append(f"{chain[-1].prog} has no option {name}")
    if not problems and not command.partial and not command.inline:
        try:
            _lenient(build_parser()).parse_args(list(command.argv))
        except ParseError as err:
            problems.append(f"argparse: {err}")
    return problems


def _all_commands() -> list[CommandLine]:
    commands: list[CommandLine] = []
    for path in DOCS:
        commands.extend(iter_command_lines(path.read_text(encoding="utf-8"), path.name))
    return commands


COMMANDS = _all_commands()


def test_the_docs_show_commands() -> None:
    # The extractor must find the README's usage block and the docs' commands, or every other
    # test here would pass vacuously.
    assert len(COMMANDS) >= 30
    kinds = {c.argv[0] for c in COMMANDS if c.argv}
    assert {"demo", "latent", "rank", "sib", "steer", "lens", "sweep", "report"} <= kinds


@pytest.mark.parametrize("command", COMMANDS, ids=str)
def test_every_shown_command_parses(command: CommandLine) -> None:
    problems = check_command(command)
    assert not problems, f"{command}\n  " + "\n  ".join(problems)


_PLANTED = """\
Some prose with `babelscope rank --model M --data flores200:PATH --sentence 5` inline.

```bash
babelscope latent --model gemma-3-270m \\
    --pair translation:fra_Latn:zho_Hans --max-prompt 40   # a comment --no-such
babelscope rank --model M --data flores200:PATH --languages all
babelscope lens train --model M --data flores200:PATH --tokenz 100
babelscope frobnicate --model M
babelscope rank --model M
```

```python
babelscope_is_not_a_command --x
```
"""


def test_planted_wrong_flags_fail() -> None:
    commands = iter_command_lines(_PLANTED, "planted.md")
    by_line = {c.where: c for c in commands}
    assert set(by_line) == {f"planted.md:{n}" for n in (1, 4, 6, 7, 8, 9)}
    problems = {where: check_command(c) for where, c in by_line.items()}
    assert problems["planted.md:1"] == ["babelscope rank has no option --sentence"]
    assert problems["planted.md:4"] == ["babelscope latent has no option --max-prompt"]
    assert problems["planted.md:6"] == []
    assert problems["planted.md:7"] == ["babelscope lens train has no option --tokenz"]
    assert problems["planted.md:8"] == ["no such command 'frobnicate'"]
    # A complete line missing a required option is refused by argparse itself.
    assert len(problems["planted.md:9"]) == 1 and "--data" in problems["planted.md:9"][0]


def test_placeholders_brackets_and_ellipses() -> None:
    (shown,) = iter_command_lines(
        "```\nbabelscope latent ... --lens tuned:DIR [--lens tuned:DIR2]  # per model\n```\n",
        "x.md",
    )
    assert shown.argv == ("latent", "--lens", "tuned:DIR", "--lens", "tuned:DIR2")
    assert shown.partial and check_command(shown) == []
    (abbrev,) = iter_command_lines("```\nbabelscope rank --mod M --data flores200:P\n```\n", "x")
    assert check_command(abbrev) == ["babelscope rank has no option --mod"]
