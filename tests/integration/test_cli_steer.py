"""``babelscope steer`` in-process on a tiny model with the real methods (DiffMean, LAPE,
G-ACT): run folder, saved vectors, manifest, report, resume, one-line errors, ``steer apply``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_rank_support import flores_dir, tiny_model_dir

from babelscope.cli.main import main
from babelscope.report.combined import combined_report, read_run
from babelscope.runs import RunFolder

pytestmark = pytest.mark.integration
__all__ = ["flores_dir", "tiny_model_dir"]


def _argv(model: Path, data: Path, out: Path) -> list[str]:
    return [
        *("steer", "--model", str(model), "--data", f"flores200:{data}"),
        *("--target", "fra_Latn,de", "--method", "diffmean,lape,gact", "--layers", "1,2"),
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
    # per target: 2 baselines + DiffMean 2 layers × 2 α + LAPE (all its layers at once) × 2 α
    # + G-ACT (its probes' layer) × 2 α; 3 choose prompts each
    assert (rows["split"] == "choose").sum() == 2 * (2 + 4 + 2 + 2) * 3
    assert set(rows.loc[rows.method == "lape", "layer"]) == {-1}
    assert rows[rows.method == "gact"].groupby("target")["layer"].nunique().eq(1).all()
    html = combined_report([out]).render()
    assert "Steering into fra_Latn" in html

    before = {p: p.stat().st_mtime_ns for p in (out / "cells").rglob("*.parquet")}
    assert main(_argv(tiny_model_dir, flores_dir, out)) == 2  # a complete run is never replaced
    assert "--overwrite" in capsys.readouterr().err
    RunFolder(out, kind="steer")  # as a rerun that died: the manifest says incomplete
    assert main(_argv(tiny_model_dir, flores_dir, out)) == 0  # resuming reuses every cell
    assert {p: p.stat().st_mtime_ns for p in (out / "cells").rglob("*.parquet")} == before
    pd.testing.assert_frame_equal(pd.read_parquet(out / "steer_generations.parquet"), rows)
    capsys.readouterr()

    vector = out / "vectors" / "diffmean-fra_Latn"
    argv = ["steer", "apply", "--vector", str(vector), "--prompt", "the cat sat", "--alpha", "8"]
    assert main([*argv, "--layer", "1", "--json"]) == 0  # the model named by the vector
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
