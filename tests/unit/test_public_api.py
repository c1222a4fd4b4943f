"""``import babelscope`` is the whole notebook surface, and stays instant."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import babelscope

SRC = Path(__file__).resolve().parents[2] / "src"
HEAVY = ("torch", "transformers", "pandas", "numpy", "matplotlib", "babelscope.analyses", "ray")

NOTEBOOK_NAMES = {
    "load_model": "babelscope.models.loader",
    "capture": "babelscope.capture.api",
    "CaptureOptions": "babelscope.capture.api",
    "latent_language": "babelscope.analyses.latent.api",
    "Pair": "babelscope.analyses.latent.api",
    "LatentResult": "babelscope.analyses.latent.result",
    "GenerationView": "babelscope.analyses.latent.generation",
    "rank": "babelscope.analyses.ranking.pipeline",
    "RankSettings": "babelscope.analyses.ranking.settings",
    "RankResult": "babelscope.analyses.ranking.result",
    "sib": "babelscope.analyses.sib.pipeline",
    "SibSettings": "babelscope.analyses.sib.settings",
    "SibResult": "babelscope.analyses.sib.result",
    "FloresDataset": "babelscope.data.flores",
    "Sib200Dataset": "babelscope.data.sib",
    # one function per analysis the CLI runs, with its settings and result
    "demo": "babelscope.report.demo",
    "DemoSettings": "babelscope.report.demo",
    "DemoResult": "babelscope.report.demo",
    "patch": "babelscope.analyses.patching.run:patching_experiment",
    "PatchSetup": "babelscope.analyses.patching.pairs",
    "PatchingResult": "babelscope.analyses.patching.result",
    "steer": "babelscope.analyses.steering.api",
    "SteerSettings": "babelscope.analyses.steering.api",
    "SteerResult": "babelscope.analyses.steering.result",
    "correlate": "babelscope.analyses.sib.correlation",
    "CorrelateResult": "babelscope.analyses.sib.correlation",
    "train_tuned_lens": "babelscope.lens.train",
    "LensTrainSettings": "babelscope.lens.train",
    "TunedLens": "babelscope.lens.tuned",
    "evaluate_lens": "babelscope.lens.evaluate",
    "LensEvalResult": "babelscope.lens.evaluate",
}

#: What `dir(babelscope)` must not show: the facade's own imports and helpers.
NOT_PUBLIC = ("Any", "TYPE_CHECKING", "annotations", "importlib", "sys", "types")


def test_import_babelscope_loads_nothing_heavy() -> None:
    code = f"import sys, babelscope; print([m for m in {HEAVY!r} if m in sys.modules])"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(("name", "module"), sorted(NOTEBOOK_NAMES.items()))
def test_notebook_names_are_the_real_objects(name: str, module: str) -> None:
    assert name in babelscope.__all__ and name in dir(babelscope)
    module, _, attribute = module.partition(":")
    assert getattr(babelscope, name) is getattr(importlib.import_module(module), attribute or name)


def test_dir_lists_exactly_the_public_api() -> None:
    listed = dir(babelscope)
    assert listed == sorted(babelscope.__all__)
    private = [n for n in listed if n in NOT_PUBLIC or (n.startswith("_") and n != "__version__")]
    assert not private
    assert set(NOTEBOOK_NAMES) <= set(listed)
    # every public name is documented by the module's own kind: a function, class or version
    assert all(callable(getattr(babelscope, n)) for n in listed if n != "__version__")


def test_every_exported_name_resolves_and_unknown_names_fail() -> None:
    for name in babelscope.__all__:
        assert getattr(babelscope, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        babelscope.nope  # noqa: B018


def test_capture_stays_the_function_after_its_package_is_imported() -> None:
    importlib.import_module("babelscope.capture.api")  # sets babelscope.capture = package
    from babelscope.capture.api import capture

    assert babelscope.capture is capture
    assert babelscope.capture is capture  # the second call of a notebook, too
