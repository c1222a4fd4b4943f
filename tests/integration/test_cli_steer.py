"""``babelscope steer`` in-process on a tiny model with a stand-in steering API (fixed random
vectors; the real methods are tested with their own code): run folder, manifest, report,
resume, one-line errors, and ``steer apply``."""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import torch
from test_rank_support import flores_dir, tiny_model_dir

from babelscope.cli import cmd_steer
from babelscope.cli.main import main
from babelscope.errors import ConfigError
from babelscope.report.combined import combined_report, read_run
from babelscope.runs import RunFolder, read_manifest
from steer_doubles import FixedSteerer

pytestmark = pytest.mark.integration
__all__ = ["flores_dir", "tiny_model_dir"]


class _Method:
    def __init__(self, name: str) -> None:
        self.name = name

    def fit(self, handle: Any, texts: Any, *, target: str, layers: Any, **_: Any) -> FixedSteerer:
        steerer = FixedSteerer(self.name, target, tuple(layers), handle.hidden_size)
        steerer.provenance = {"model": handle.name, "languages": sorted(texts)}
        return steerer


def _fake_api() -> types.SimpleNamespace:
    def method_for(name: str) -> _Method:
        if name not in ("diffmean", "lape"):
            raise ConfigError(f"unknown steering method {name!r}", fix="use diffmean")
        return _Method(name)

    def save_steerer(steerer: FixedSteerer, folder: Path) -> None:
        out = RunFolder(folder, kind="steering-vector")
        torch.save(steerer.vector, out.file("v.pt"))
        out.finish({"method": steerer.method, "target": steerer.target,
                    "layers": list(steerer.layers), "provenance": steerer.provenance})  # fmt: skip

    def load_steerer(folder: Path, handle: Any) -> FixedSteerer:
        meta = read_manifest(folder)
        steerer = FixedSteerer(meta["method"], meta["target"], tuple(meta["layers"]), 1)
        steerer.vector = torch.load(Path(folder) / "v.pt")
        return steerer

    return types.SimpleNamespace(
        method_for=method_for, save_steerer=save_steerer, load_steerer=load_steerer
    )


@pytest.fixture(autouse=True)
def fake_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cmd_steer, "_steering", _fake_api)


def _argv(model: Path, data: Path, out: Path) -> list[str]:
    return [
        *("steer", "--model", str(model), "--data", f"flores200:{data}"),
        *("--target", "fra_Latn,de", "--method", "diffmean,lape", "--layers", "1,2"),
        *("--alpha", "1,4", "--prompts", "3", "--fit-sentences", "8", "--max-new-tokens", "4"),
        *("--bootstrap", "20", "--no-progress", "--out", str(out)),
    ]


def test_steer_run_folder_report_resume_and_apply(
    tiny_model_dir: Path, flores_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "steer"
    assert main([*_argv(tiny_model_dir, flores_dir, out), "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["kind"] == "steer" and summary["run_folder"] == str(out.resolve())
    assert captured.err.startswith(f"babelscope: wrote {out / 'report.html'}")
    assert "fra_Latn/diffmean" in summary["summary"] and "deu_Latn/none" in summary["summary"]
    run = read_run(out)
    assert run.manifest["status"] == "complete" and list(run.manifest)[-1] == "status"
    assert (out / "vectors" / "lape-deu_Latn" / "manifest.json").is_file()
    assert (out / "plots" / "steer_fra_Latn.png").is_file()
    rows = pd.read_parquet(out / "steer_generations.parquet")
    # 2 targets × (2 baselines + 2 methods × 2 layers × 2 α) choose cells + report cells
    assert (rows["split"] == "choose").sum() == 2 * (2 + 8) * 3
    html = combined_report([out]).render()
    assert "Steering into fra_Latn" in html

    before = {p: p.stat().st_mtime_ns for p in (out / "cells").rglob("*.parquet")}
    assert main(_argv(tiny_model_dir, flores_dir, out)) == 0  # a rerun reuses every cell
    assert {p: p.stat().st_mtime_ns for p in (out / "cells").rglob("*.parquet")} == before
    pd.testing.assert_frame_equal(pd.read_parquet(out / "steer_generations.parquet"), rows)
    capsys.readouterr()

    vector = out / "vectors" / "diffmean-fra_Latn"
    argv = ["steer", "apply", "--vector", str(vector), "--prompt", "the cat sat", "--alpha", "8"]
    assert main([*argv, "--layer", "1", "--model", str(tiny_model_dir), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["target"] == "fra_Latn" and record["steered"] != record["unsteered"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--target", "xx_Zzzz"), "xx_Zzzz"),
        (("--method", "nope"), "unknown steering method"),
        (("--alpha", "one"), "--alpha"),
        (("--prompts", "1"), "--prompts"),
    ],
)
def test_bad_input_is_one_line_exit_2(  # noqa: PLR0917 - pytest fixtures and parameters
    tiny_model_dir: Path,
    flores_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: tuple[str, str],
    message: str,
) -> None:
    argv = _argv(tiny_model_dir, flores_dir, tmp_path / "bad")
    flag, value = change
    argv[argv.index(flag) + 1] = value
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("babelscope: error:") and message in err and "\n" not in err
    assert not (tmp_path / "bad").exists()  # refused before anything was written
