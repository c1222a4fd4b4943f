"""Shared pieces of the sweep tests: two tiny saved models, a sweep file, table comparison."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_rank_support import save_tiny_model

from babelscope.runs import read_manifest

#: Three languages besides the pivot; rus_Cyrl adds a romanised group (script barrier).
LANGUAGES = ["fra_Latn", "deu_Latn", "rus_Cyrl"]
#: Options of the rank command the sweep and the hand-typed runs share.
RANK_OPTIONS = {
    "sentences": 24,
    "shard_size": 8,
    "bootstrap": 20,
    "no_report": True,
    "no_progress": True,
}


@pytest.fixture(scope="session")
def two_models(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("models")
    return [save_tiny_model(root, "llama"), save_tiny_model(root, "qwen2")]


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\") + '"'


def write_sweep(path: Path, models: list[Path], flores: Path, **extra: object) -> Path:
    lines = [f"models = {toml_value([str(m) for m in models])}", "", "[[analysis]]"]
    options = {"kind": "rank", "data": f"flores200:{flores}", "languages": LANGUAGES}
    for key, value in {**options, **RANK_OPTIONS, **extra}.items():
        lines.append(f"{key} = {toml_value(value)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def hand_argv(model: Path, flores: Path, out: Path) -> list[str]:
    """The rank command a user would type for the same job."""
    argv = ["rank", "--model", str(model), "--data", f"flores200:{flores}"]
    argv += ["--languages", ",".join(LANGUAGES), "--sentences", "24", "--shard-size", "8"]
    return [*argv, "--bootstrap", "20", "--no-report", "--no-progress", "--out", str(out)]


def assert_same_tables(ours: Path, theirs: Path) -> int:
    """Every Parquet table of two rank run folders is identical; returns how many."""
    names = sorted(p.name for p in theirs.glob("*.parquet"))
    assert names and names == sorted(p.name for p in ours.glob("*.parquet"))
    for name in names:
        pd.testing.assert_frame_equal(pd.read_parquet(ours / name), pd.read_parquet(theirs / name))
    assert read_manifest(ours)["summary"] == read_manifest(theirs)["summary"]
    return len(names)
