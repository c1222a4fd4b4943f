"""A sweep file (TOML): models × analyses, validated whole before anything runs.

::

    models = ["gemma-3-270m", "smollm2-135m"]    # aliases, folders, org/name@rev
    device = "cpu"                               # optional: every job's --device / --dtype
    [[analysis]]
    kind = "rank"                                # a key of KINDS
    data = "flores200:/data/flores200_dataset"   # the rank command's own option names
    languages = ["fra_Latn", "deu_Latn"]         # lists become a,b (or repeated options)
    sentences = 50
    no_text_metrics = true                       # flags: true adds --no-text-metrics

Each table's keys are the options of the command it names, spelled as on the command line
(``no-text-metrics`` or ``no_text_metrics``), so a sweep and a hand-typed command mean the
same thing and a new command needs one :data:`KINDS` entry, not a second option list. Every
job's argv is parsed by the command's real parser here (handed in by the CLI as a
:class:`~babelscope.distributed.command_line.CommandLine`), so a typo fails before the first
model loads.

``device``, ``dtype`` and ``trust_remote_code`` reach every job whose command takes them; a
table's own key wins over the sweep command's ``--device``/``--dtype``/``--trust-remote-code``,
which win over the file's top-level ``device``/``dtype``, which win over each command's default.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babelscope.distributed.command_line import CommandLine, takes_option
from babelscope.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 reads TOML with the tomli backport
    import tomli as tomllib


@dataclass(frozen=True)
class Kind:
    """How an analysis kind becomes jobs: the CLI command its options belong to, whether it
    runs once per model (``--model M``) and whether its work is activation-store shards a Ray
    sweep can spread over workers (otherwise a Ray sweep runs it as one task)."""

    command: str
    per_model: bool = True
    shards: bool = False


#: Analysis kinds a sweep knows. Adding one is one entry naming its command; its table then
#: takes that command's options.
KINDS: dict[str, Kind] = {
    "rank": Kind("rank", shards=True),
    "latent": Kind("latent"),
    "demo": Kind("demo", per_model=False),
    "sib": Kind("sib"),
    "steer": Kind("steer"),
    "patch": Kind("patch"),
    "translate": Kind("translate"),
}
#: Options the sweep sets itself, and what to do instead of setting them in a table.
_OWNED = {
    "model": "list models at the top",
    "out": "pass --out to the sweep",
    "json": "pass --json to the sweep",
    "overwrite": "drop it: the sweep replaces a job's run when its table changed",
    "debug": "pass --debug to the sweep",
}
_TOP_KEYS = {"models", "analysis", "out", "device", "dtype", "title"}
_TABLE_KEYS = {"kind", "name"}


@dataclass(frozen=True)
class Job:
    """One run: ``argv`` for ``babelscope`` (``--out folder`` included)."""

    kind: str
    name: str
    model: str | None
    argv: tuple[str, ...]
    folder: Path

    @property
    def spec(self) -> Kind:
        return KINDS[self.kind]


@dataclass(frozen=True)
class Sweep:
    """The jobs of a sweep file, and the command line that validated them and runs them."""

    path: Path
    out: Path
    models: list[str]
    commands: CommandLine
    jobs: list[Job] = field(default_factory=list)
    title: str | None = None


def read_sweep(
    path: str | Path,
    commands: CommandLine,
    *,
    out: str | Path | None = None,
    device: str | None = None,
    dtype: str | None = None,
    trust_remote_code: bool = False,
) -> Sweep:
    """Parse and validate ``path``, every job by its command's parser in ``commands``;
    ``out``/``device``/``dtype`` override the file's, ``trust_remote_code`` adds the flag to
    every job that takes it (a table's own key wins over all three)."""
    file = Path(path).expanduser()
    try:
        data = tomllib.loads(file.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{file}: no such sweep file", fix="pass the path of a .toml") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file} is not valid TOML ({exc})", fix="fix the syntax") from exc
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigError(
            f"{file}: unknown top-level key {unknown[0]!r}",
            fix=f"use {', '.join(sorted(_TOP_KEYS))} ([[analysis]] tables hold the options)",
        )
    models = data.get("models", [])
    if not isinstance(models, list) or not all(isinstance(m, str) and m for m in models):
        raise ConfigError(f"{file}: models must be a list of strings", fix='models = ["a", "b"]')
    if len(set(models)) != len(models):
        raise ConfigError(f"{file}: a model is listed twice", fix="list each model once")
    tables = data.get("analysis")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{file}: no [[analysis]] table", fix='add [[analysis]] kind = "rank"')
    root = Path(out if out is not None else data.get("out", "babelscope-runs/sweep"))
    runtime = {
        "device": device or data.get("device"),
        "dtype": dtype or data.get("dtype"),
        "trust_remote_code": trust_remote_code or None,
    }
    parsers = commands.parsers()
    jobs: list[Job] = []
    for number, table in enumerate(tables, 1):
        jobs.extend(
            _jobs(
                file=file,
                number=number,
                table=table,
                models=models,
                root=root,
                runtime=runtime,
                parsers=parsers,
                check=commands.check,
            )
        )
    folders = [job.folder for job in jobs]
    for folder in folders:
        if folders.count(folder) > 1:
            raise ConfigError(
                f"{file}: two jobs would write {folder}",
                fix='give one of the [[analysis]] tables a name = "…"',
            )
    title = data.get("title")
    return Sweep(file, root, list(models), commands, jobs, str(title) if title else None)


def _jobs(
    *,
    file: Path,
    number: int,
    table: dict[str, Any],
    models: list[str],
    root: Path,
    runtime: dict[str, Any],
    parsers: Mapping[str, argparse.ArgumentParser],
    check: Callable[[argparse.Namespace], None],
) -> list[Job]:
    from babelscope.runs import model_label, slug

    where = f"{file} [[analysis]] #{number}"
    kind = table.get("kind")
    if kind not in KINDS:
        raise ConfigError(
            f"{where}: unknown kind {kind!r}", fix=f"use one of {', '.join(sorted(KINDS))}"
        )
    spec = KINDS[kind]
    parser = parsers[spec.command]
    options = {k: v for k, v in table.items() if k not in _TABLE_KEYS}
    for key, value in runtime.items():  # only to commands that load a model (take the option)
        flag = "--" + key.replace("_", "-")
        if value is not None and key not in options and takes_option(parser, flag):
            options[key] = value
    base = _options_argv(where, parser, options)
    name = str(table.get("name") or kind)
    if spec.per_model and not models:
        raise ConfigError(f"{where}: kind {kind} needs models", fix='models = ["gemma-3-270m"]')
    jobs = []
    for model in models if spec.per_model else [None]:
        # the run-folder name of the model: org/name@rev → name-rev, a folder → its name
        folder = root / (f"{name}-{slug(model_label(model), fallback='model')}" if model else name)
        argv = [spec.command, *(["--model", model] if model else []), *base]
        argv += ["--out", str(folder)]
        _check_parses(where, parser, argv[1:], check)
        jobs.append(Job(kind, folder.name, model, tuple(argv), folder))
    return jobs


def _options_argv(
    where: str, parser: argparse.ArgumentParser, options: dict[str, Any]
) -> list[str]:
    """Command-line words for a table's options, checked against the command's parser."""
    actions = {
        flag[2:].replace("-", "_"): (flag, action)
        for action in parser._actions
        for flag in action.option_strings
        if flag.startswith("--")
    }
    argv: list[str] = []
    for key, value in options.items():
        found = actions.get(key.replace("-", "_"))
        owned = _OWNED.get(key.replace("-", "_"))
        if found is None or owned is not None or key.replace("-", "_") == "help":
            raise ConfigError(
                f"{where}: {'the sweep sets' if owned else 'unknown option'} {key!r}",
                fix=owned or f"see `babelscope {parser.prog.split()[-1]} --help` for its options",
            )
        flag, action = found
        if isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction):
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: {key} is a flag", fix=f"write {key} = true")
            argv += [flag] if value else []
        elif isinstance(value, bool):
            raise ConfigError(f"{where}: {key} takes a value", fix=f'write {key} = "…"')
        elif isinstance(action, argparse._AppendAction):
            for item in value if isinstance(value, list) else [value]:
                argv += [flag, str(item)]
        elif isinstance(value, list):
            argv += [flag, ",".join(str(item) for item in value)]
        else:
            argv += [flag, str(value)]
    return argv


def _check_parses(
    where: str,
    parser: argparse.ArgumentParser,
    argv: list[str],
    check: Callable[[argparse.Namespace], None],
) -> None:
    """Parse ``argv`` with the command's parser; its complaint becomes one ConfigError."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            parsed = parser.parse_args(argv)
    except SystemExit as exc:
        lines = [line for line in err.getvalue().splitlines() if line.strip()]
        message = lines[-1].split("error:", 1)[-1].strip() if lines else "invalid options"
        raise ConfigError(f"{where}: {message}", fix="fix that option in the table") from exc
    try:
        check(parsed)  # cuda asked for on a machine without it, a bad dtype
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc.problem}", fix=exc.fix) from exc
