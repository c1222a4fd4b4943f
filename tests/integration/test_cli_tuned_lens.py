"""``babelscope lens train`` / ``lens eval`` / ``lens --lens tuned:DIR`` end to end on a tiny
model saved as a local folder and a synthetic FLORES-layout corpus (no downloads)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_rank_support import flores_dir, save_tiny_model, tiny_model_dir

from babelscope.cli.main import main

pytestmark = pytest.mark.integration
__all__ = ["flores_dir", "tiny_model_dir"]


def _train(model: Path, flores: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    code = main(
        ["lens", "train", "--model", str(model), "--data", f"flores200:{flores}",
         "--tokens", "300", "--batch-sentences", "4", "--out", str(out), "--no-progress",
         "--json"]
    )  # fmt: skip
    assert code == 0
    return dict(json.loads(capsys.readouterr().out.strip().splitlines()[-1]))


def test_train_eval_and_decode_with_a_tuned_lens(
    tiny_model_dir: Path, flores_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lens_dir = tmp_path / "lens"
    summary = _train(tiny_model_dir, flores_dir, lens_dir, capsys)
    assert summary["positions"] >= 300 and summary["resumed_from_step"] == 0
    manifest = json.loads((lens_dir / "manifest.json").read_text())
    assert manifest["kind"] == "tuned-lens" and manifest["status"] == "complete"
    assert manifest["data_hash"] and manifest["settings"]["loss"] == "coarse"
    assert len(manifest["languages"]) == 5

    code = main(
        ["lens", "eval", "--model", str(tiny_model_dir), "--lens", str(lens_dir),
         "--data", f"flores200:{flores_dir}", "--out", str(tmp_path / "eval"), "--no-progress",
         "--json", "--positions", "8"]
    )  # fmt: skip
    assert code == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    frame = pd.read_parquet(tmp_path / "eval" / "lens_eval.parquet")
    assert set(frame.lens) == {"logit", "tuned"} and frame.language.nunique() == 5
    assert (frame.n_positions == 8).all()
    assert (tmp_path / "eval" / "plots" / "lens_eval.png").stat().st_size > 1000
    assert 0.0 <= out["share_languages_all_layers_better"] <= 1.0

    code = main(
        ["lens", "--model", str(tiny_model_dir), "--prompt", "hello world", "--lens",
         f"tuned:{lens_dir}", "--json", "--top-k", "3"]
    )  # fmt: skip
    assert code == 0
    decoded = json.loads(capsys.readouterr().out)
    assert len(decoded["layers"]) == 4 and len(decoded["layers"][0]["top"]) == 3


@pytest.mark.parametrize(
    ("lens", "message"),
    [("tuned:", "cannot read --lens"), ("wrong", "cannot read --lens"),
     ("tuned:/nonexistent/lens", "not a tuned-lens folder")],
)  # fmt: skip
def test_bad_lens_option_is_one_line_and_exit_2(
    tiny_model_dir: Path, lens: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["lens", "--model", str(tiny_model_dir), "--prompt", "hi", "--lens", lens])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1


def test_a_lens_for_another_model_is_refused(
    tiny_model_dir: Path, flores_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lens_dir = tmp_path / "lens"
    _train(tiny_model_dir, flores_dir, lens_dir, capsys)
    other = save_tiny_model(tmp_path, family="qwen2")
    code = main(["lens", "--model", str(other), "--prompt", "hi", "--lens", f"tuned:{lens_dir}"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "trained for model" in err and "lens train" in err


def test_latent_lens_option_checks_folders_before_loading(
    tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["latent", "--model", str(tiny_model_dir), "--source", "fr", "--target", "de",
         "--lens", "tuned:/nonexistent/lens"]
    )  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 2 and "not a tuned-lens folder" in err and len(err.splitlines()) == 1
