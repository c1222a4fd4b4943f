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
}


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
    assert getattr(babelscope, name) is getattr(importlib.import_module(module), name)


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
