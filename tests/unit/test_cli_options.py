"""One option set everywhere, found by introspecting the real parser (a new command or option
is covered without editing this file): ``--debug`` before or after any (sub)command, every
default in ``--help``, every numeric option checked at parse time (nan, inf, out of range)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

import pytest

from babelscope.cli.main import build_parser, main
from babelscope.errors import BabelscopeError


def commands() -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every command parser with the words that reach it (``("lens", "train")``, …)."""

    def walk(
        parser: argparse.ArgumentParser, path: tuple[str, ...]
    ) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    yield (*path, name), child
                    yield from walk(child, (*path, name))

    yield from walk(build_parser(), ())


def options(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    for action in parser._actions:
        if action.option_strings and not isinstance(action, argparse._HelpAction):
            yield action


COMMANDS = list(commands())
IDS = [" ".join(path) for path, _ in COMMANDS]


def test_the_walk_finds_nested_commands() -> None:
    found = {path for path, _ in COMMANDS}
    assert {("latent",), ("lens", "train"), ("lens", "eval"), ("steer", "apply")} <= found
    assert len(found) >= 14


# ---- --debug ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "parser"), COMMANDS, ids=IDS)
def test_every_command_takes_debug(path: tuple[str, ...], parser: argparse.ArgumentParser) -> None:
    flags = {flag for action in options(parser) for flag in action.option_strings}
    assert "--debug" in flags


BAD_MODEL = ["--model", "no-such-model"]
DEBUG_CASES = {
    "lens": ["lens", *BAD_MODEL, "--prompt", "x"],
    "latent": ["latent", *BAD_MODEL, "--source", "fr", "--target", "de"],
    "lens train": ["lens", "train", *BAD_MODEL, "--data", "flores200:/no/such/flores"],
    "lens eval": ["lens", "eval", *BAD_MODEL, "--data", "flores200:/x", "--lens", "/no/lens"],
    "steer apply": ["steer", "apply", "--vector", "/no/such/vector", "--prompt", "x"],
}


@pytest.mark.parametrize("argv", DEBUG_CASES.values(), ids=DEBUG_CASES.keys())
def test_debug_before_or_after_the_command_shows_the_traceback(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2  # without --debug: one line, no traceback
    err = capsys.readouterr().err.strip()
    assert err.startswith("babelscope: error:") and "\n" not in err
    with pytest.raises(BabelscopeError):
        main(["--debug", *argv])
    with pytest.raises(BabelscopeError):
        main([*argv, "--debug"])
    with pytest.raises(BabelscopeError):  # between a command and its sub-command, too
        main([argv[0], "--debug", *argv[1:]])


# ---- defaults in --help -------------------------------------------------------------------------


def shown_default(action: argparse.Action) -> bool:
    """Options whose help must show a default: a value option with a real default (flags are
    off unless given; ``None`` and ``[]`` mean "not set" and the help says what happens)."""
    return bool(
        action.nargs != 0
        and action.default is not None
        and action.default is not argparse.SUPPRESS
        and action.default != []
    )


@pytest.mark.parametrize(("path", "parser"), COMMANDS, ids=IDS)
def test_every_help_shows_every_default(
    path: tuple[str, ...], parser: argparse.ArgumentParser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one line per option's help: no wrapping
    text = parser.format_help()
    checked = 0
    for action in options(parser):
        if not shown_default(action):
            continue
        start = text.index("\n  " + ", ".join(action.option_strings))
        block = text[start + 1 :].split("\n  -", 1)[0]  # up to the next option
        word = re.escape(str(action.default))
        assert re.search(rf"(?<![\w.]){word}(?![\w.])", block), (path, action.dest, block)
        checked += 1
    assert checked or not any(map(shown_default, options(parser)))


@pytest.mark.parametrize(("path", "parser"), COMMANDS, ids=IDS)
def test_every_out_folder_help_names_its_default(
    path: tuple[str, ...], parser: argparse.ArgumentParser
) -> None:
    for action in options(parser):
        if "--out" in action.option_strings:
            assert "default" in (action.help or "") or action.default is not None, path


def test_lens_train_and_eval_show_their_default_folders() -> None:
    parsers = dict(COMMANDS)
    assert "babelscope-runs/lens-<model>" in parsers[("lens", "train")].format_help()
    assert "babelscope-runs/lens-eval-<model>" in parsers[("lens", "eval")].format_help()


def test_lens_train_tokens_default_is_100k() -> None:
    from babelscope.lens.train import LensTrainSettings

    args = build_parser().parse_args(["lens", "train", "--model", "m", "--data", "flores200:x"])
    assert args.tokens == 100_000 == LensTrainSettings().tokens


# ---- numeric options checked at parse time -------------------------------------------------------

BAD_VALUES = ("nan", "inf", "-inf", "-1", "0")
#: Values of a numeric option that are legitimate, with the reason. Everything else in
#: BAD_VALUES must be refused at parse time.
ACCEPTED: dict[tuple[str, str, str], str] = {
    **{
        (command, "--seed", "0"): "0 is a seed like any other"
        for command in ("latent", "patch", "sib", "correlate", "steer", "lens train", "translate")
    },
    ("rank", "--bootstrap", "0"): "0 replicates = no intervals (documented)",
    ("sib", "--shots", "0"): "zero-shot prompting",
    ("translate", "--cap-extra", "0"): "the cap is then the reference-length factor alone",
    ("sib", "--prompted-sentences", "0"): "0 = skip the prompted protocol (documented)",
    ("sib", "--layer", "0"): "layer 0 = the embeddings; depth checked once the model loads",
    ("steer apply", "--layer", "0"): "layer 0 = the embeddings; the steerer checks its layers",
    ("lens train", "--layers", "0"): "the translator of layer 0 (the embeddings)",
    ("steer", "--alpha", "0"): "α = 0 is no steering: the identity",
    ("steer apply", "--alpha", "0"): "α = 0 is no steering: the identity",
}


def is_numeric(action: argparse.Action) -> bool:
    """A numeric option: a checked number type, a bare ``int``/``float``, or a number default
    (a numeric option added without a type is caught too)."""
    default = action.default
    return (
        bool(getattr(action.type, "numeric", False))
        or action.type in (int, float)
        or (isinstance(default, int | float) and not isinstance(default, bool))
    )


NUMERIC = [
    (" ".join(path), action)
    for path, parser in COMMANDS
    for action in options(parser)
    if is_numeric(action)
]


def test_the_numeric_options_are_found() -> None:
    found = {(command, action.option_strings[-1]) for command, action in NUMERIC}
    expected = {
        ("steer", "--alpha"),
        ("steer apply", "--alpha"),
        ("lens train", "--tokens"),
        ("lens train", "--lr"),
        ("rank", "--max-batch-tokens"),
        ("latent", "--min-prefix-chars"),
    }
    assert expected <= found and len(found) >= 40
    assert all(key[:2] in found for key in ACCEPTED)  # no stale entry in the table


@pytest.mark.parametrize(
    ("command", "action"), NUMERIC, ids=[f"{c} {a.option_strings[-1]}" for c, a in NUMERIC]
)
def test_numeric_options_refuse_nan_inf_and_out_of_range(
    command: str, action: argparse.Action, capsys: pytest.CaptureFixture[str]
) -> None:
    flag = action.option_strings[-1]
    assert getattr(action.type, "numeric", False), f"{command} {flag}: use a type from options"
    for value in BAD_VALUES:
        if (command, flag, value) in ACCEPTED:
            action.type(value)  # type: ignore[misc]  # accepted: no error
            continue
        # "--flag=value": "-inf" would otherwise read as an option; parsing stops at the bad
        # value, before the missing required options are even looked at
        assert main([*command.split(), f"{flag}={value}"]) == 2, (command, flag, value)
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and "Traceback" not in err, err
        assert lines[0].startswith("babelscope: error: argument ") and flag in lines[0], err


def test_comma_lists_are_checked_element_wise(capsys: pytest.CaptureFixture[str]) -> None:
    for alpha in ("1,nan", "1,-2", "1,inf", "1,,x", ","):
        assert main(["steer", f"--alpha={alpha}"]) == 2
        assert "argument --alpha" in capsys.readouterr().err
    args = build_parser().parse_args(["steer", "--alpha", "0.5,1,2"])
    assert args.alpha == (0.5, 1.0, 2.0)
    assert (
        build_parser().parse_args(["lens", "train", "--model", "m", "--data", "d"]).layers is None
    )
    train = ["lens", "train", "--model", "m", "--data", "d"]
    assert build_parser().parse_args([*train, "--layers", "2,0"]).layers == (2, 0)


def test_parse_errors_are_one_line_and_the_sweep_still_reads_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["latent", "--no-such-flag"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("babelscope: error: unrecognized arguments: --no-such-flag")
    assert "\n" not in err and "--help" in err
    with pytest.raises(SystemExit) as caught:  # what code parsing a job line catches
        build_parser().parse_args(["rank", "--sentences", "many"])
    assert caught.value.code == 2
    assert "invalid int value: 'many'" in capsys.readouterr().err
