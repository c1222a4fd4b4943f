"""The README's demo findings quote the tables `babelscope demo` writes (as printed).

The command each anchored number comes from is named in the README (``<!-- numbers from: … -->``);
this test runs it once into a temporary folder — the demo on both bundled models, a few minutes
on two CPU cores — and compares every anchor (``tests/readme_numbers.py``). To check against a
finished run instead (e.g. the folder ``make demo`` wrote), set ``BABELSCOPE_README_DEMO=DIR``.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pandas as pd
import pytest

from babelscope.cli.main import main
from babelscope.runs import is_complete
from readme_numbers import ROOT, Anchor, check_anchor, parse_anchors

pytestmark = pytest.mark.slow

ANCHORS = parse_anchors((ROOT / "README.md").read_text(encoding="utf-8"))
_REUSE = {"babelscope demo": "BABELSCOPE_README_DEMO"}


@pytest.fixture(scope="module")
def run_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folders: dict[str, Path] = {}
    for command in sorted({a.command for a in ANCHORS if a.command}):
        given = os.environ.get(_REUSE.get(command, ""), "")
        if given:
            folders[command] = Path(given)
            continue
        out = tmp_path_factory.mktemp("readme") / "run"
        argv = shlex.split(command)
        assert argv[0] == "babelscope", command
        assert main([*argv[1:], "--out", str(out)]) == 0, command
        folders[command] = out
    for command, folder in folders.items():
        assert is_complete(folder), f"{command}: {folder} is not a finished run folder"
    return folders


def test_the_readme_anchors_its_demo_numbers() -> None:
    assert len(ANCHORS) >= 20
    assert {a.command for a in ANCHORS} == {"babelscope demo"}


@pytest.mark.parametrize("anchor", ANCHORS, ids=str)
def test_readme_number_is_the_tables(anchor: Anchor, run_folders: dict[str, Path]) -> None:
    assert anchor.command is not None
    folder = run_folders[anchor.command]
    problem = check_anchor(anchor, lambda table: pd.read_parquet(folder / table))
    assert problem is None, problem
