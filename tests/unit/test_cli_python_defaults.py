"""The CLI and Python share defaults: every option of a command whose Python function or
settings class has a parameter of the same meaning defaults to the same value there.

The comparison is by introspection (argparse actions against ``inspect.signature`` and dataclass
fields), with a hand-written map where the names differ, so a default changed on one side only
fails here — ``test_a_planted_mismatch_is_caught`` proves the check can fail.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
from typing import Any

import pytest

from babelscope.cli.main import build_parser

#: command path -> (Python targets, {cli dest: python name} where the names differ)
COMMANDS: dict[tuple[str, ...], tuple[tuple[str, ...], dict[str, str]]] = {
    ("demo",): (("babelscope.report.demo:DemoSettings", "babelscope.report.demo:demo"), {}),
    # --lens: specs on the command line, a per-model picker function in Python (not a default)
    ("latent",): (("babelscope.analyses.latent:latent_language",), {"lens": "-"}),
    ("patch",): (("babelscope.analyses.patching:patching_experiment",), {"prompts": "n_pairs"}),
    ("rank",): (
        ("babelscope.analyses.ranking:RankSettings", "babelscope.analyses.ranking:rank"),
        {"no_text_metrics": "text_metrics", "no_script_barrier": "script_barrier"},
    ),
    ("sib",): (("babelscope.analyses.sib:SibSettings", "babelscope.analyses.sib:sib"), {}),
    ("steer",): (
        ("babelscope.analyses.steering.api:SteerSettings",),
        {"method": "methods", "alpha": "alphas"},
    ),
    ("steer", "apply"): (("babelscope.analyses.steering.method:Steerer.editors",), {}),
    ("correlate",): (("babelscope.analyses.sib.correlation:correlate",), {}),
    ("lens", "train"): (("babelscope.lens.train:LensTrainSettings",), {}),
    ("lens", "eval"): (("babelscope.lens.evaluate:evaluate_lens",), {}),
}

#: Options whose CLI default means "choose for the loaded model's device", a value Python takes
#: explicitly (the CLI resolves it before calling): not a disagreement.
DEVICE_CHOSEN = {
    ("rank", "batch_size"),  # None: 16, or sized to free CUDA memory
    ("rank", "max_batch_tokens"),  # "auto": 4096 on a CPU
    ("rank", "head_chunk"),  # "auto": 128 on a CPU
    ("lens", "train", "loss"),  # None: coarse on a CPU, full on CUDA
}

#: Fewest compared options per command, so a renamed parameter cannot silently drop out.
MINIMUM = {
    ("demo",): 5,
    ("latent",): 7,
    ("patch",): 6,
    ("rank",): 12,
    ("sib",): 10,
    ("steer",): 11,
    ("steer", "apply"): 1,
    ("correlate",): 4,
    ("lens", "train"): 6,
    ("lens", "eval"): 3,
}


def _resolve(target: str) -> Any:
    import importlib

    module, _, attribute = target.partition(":")
    value: Any = importlib.import_module(module)
    for part in attribute.split("."):
        value = getattr(value, part)
    return value


def python_defaults(target: Any) -> dict[str, Any]:
    """Parameter -> default of a dataclass (fields) or a function (signature)."""
    if dataclasses.is_dataclass(target):
        out = {}
        for f in dataclasses.fields(target):
            if f.default is not dataclasses.MISSING:
                out[f.name] = f.default
            elif f.default_factory is not dataclasses.MISSING:
                out[f.name] = f.default_factory()
        return out
    return {
        name: p.default
        for name, p in inspect.signature(target).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def _normalise(value: Any) -> Any:
    """One spelling per meaning: "all" layers = None, "a,b" = ("a", "b"), "" = (), lists =
    tuples."""
    if value == "all" or value is None:
        return None
    if isinstance(value, str) and "," in value:
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if value == "":
        return ()
    if isinstance(value, list):
        return tuple(value)
    return value


def _subparser(path: tuple[str, ...]) -> argparse.ArgumentParser:
    parser = build_parser()
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return parser


def mismatches(
    path: tuple[str, ...], targets: list[Any], names: dict[str, str]
) -> tuple[int, list[str]]:
    """How many options were compared, and a line per disagreement."""
    python: dict[str, Any] = {}
    for target in targets:
        for name, default in python_defaults(target).items():
            python.setdefault(name, default)
    compared, wrong = 0, []
    for action in _subparser(path)._actions:
        if isinstance(action, argparse._SubParsersAction) or action.dest == "help":
            continue
        if (*path, action.dest) in DEVICE_CHOSEN:
            continue
        name = names.get(action.dest, action.dest)
        if name not in python:
            continue
        cli = action.default
        if action.dest.startswith("no_") and isinstance(cli, bool):
            cli = not cli  # --no-report False = report True
        compared += 1
        if _normalise(cli) != _normalise(python[name]):
            wrong.append(f"{' '.join(path)} --{action.dest}: CLI {cli!r}, Python {python[name]!r}")
    return compared, wrong


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_cli_and_python_defaults_agree(path: tuple[str, ...]) -> None:
    targets, names = COMMANDS[path]
    compared, wrong = mismatches(path, [_resolve(t) for t in targets], names)
    assert not wrong, wrong
    assert compared >= MINIMUM[path], f"only {compared} options compared"


def test_a_planted_mismatch_is_caught() -> None:
    from babelscope.report.demo import DemoSettings

    planted = dataclasses.make_dataclass(
        "Planted", [("budget", str, dataclasses.field(default="quick"))]
    )
    _, wrong = mismatches(("demo",), [planted, DemoSettings], {})
    assert wrong == ["demo --budget: CLI 'full', Python 'quick'"]

    def editors(*, positions: str = "generated") -> None: ...

    _, wrong = mismatches(("steer", "apply"), [editors], {})
    assert wrong == ["steer apply --positions: CLI 'all', Python 'generated'"]


def test_demo_models_agree() -> None:
    from babelscope.cli.cmd_demo import BUDGET_CHOICES, DEFAULT_MODELS
    from babelscope.report.demo import BUDGETS, DEMO_MODELS

    assert DEFAULT_MODELS == DEMO_MODELS
    assert sorted(BUDGET_CHOICES) == sorted(BUDGETS)
