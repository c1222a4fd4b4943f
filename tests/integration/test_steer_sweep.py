"""The steering sweep on a tiny model: every generation a row, chosen settings from the choose
half only, a killed sweep resumes to the identical table, and the result round-trips."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from babelscope import wrap_model
from babelscope.analyses.steering.prompts import split_prompts
from babelscope.analyses.steering.result import SteerResult
from babelscope.analyses.steering.sweep import SweepInterruptedError, SweepSettings, run_sweep
from babelscope.capture.generate import GenerationSettings
from babelscope.data.flores import FloresDataset
from babelscope.models.handle import ModelHandle
from steer_doubles import FixedSteerer, tiny_flores

from tiny_models import build_tiny, tiny_tokenizer

pytestmark = pytest.mark.integration

SETTINGS = SweepSettings(
    alphas=(1.0, 4.0),  # every method
    generation=GenerationSettings(max_new_tokens=6, batch_size=4),
    bootstrap=50,
)


@pytest.fixture(scope="module")
def handle() -> ModelHandle:
    return wrap_model(build_tiny("llama"), tiny_tokenizer(), name="tiny-llama")


def _sweep(
    handle: ModelHandle, root: Path, out: Path, stop_after: int | None = None
) -> SteerResult:
    dataset = FloresDataset.open(str(tiny_flores(root)))
    split = split_prompts(dataset.sentences("eng_Latn", "dev"), 5, seed=0)
    steerers = {
        (m, t): FixedSteerer(m, t, (1, 2), handle.hidden_size, seed=s)
        for s, m in enumerate(("diffmean", "lape"))
        for t in ("fra_Latn", "hau_Latn")
    }
    return run_sweep(
        handle,
        dataset,
        steerers,
        split,
        targets=["fra_Latn", "hau_Latn"],
        settings=SETTINGS,
        cells_dir=out,
        stop_after=stop_after,
    )


def test_sweep_rows_choice_and_resume(handle: ModelHandle, tmp_path: Path) -> None:
    whole = _sweep(handle, tmp_path / "data", tmp_path / "whole")
    rows = whole.generations
    # choose: 2 baselines + 2 methods × 2 layers × 2 α per target; report: the baselines,
    # plus each method's chosen setting for fra_Latn (hau_Latn has none: see below)
    assert len(rows) == 2 * (2 + 8) * 5 + ((2 + 2) + 2) * 5
    assert set(rows["split"]) == {"choose", "report"}
    assert rows.groupby(["target", "split", "method", "layer", "alpha"]).size().eq(5).all()
    # hau_Latn has no lid.176 label: LFS undefined, never 0, and nothing is chosen for it
    hau = rows[rows["target"] == "hau_Latn"]
    assert hau["lfs"].isna().all() and rows[rows["target"] == "fra_Latn"]["lfs"].notna().all()
    assert set(whole.chosen["target"]) == {"fra_Latn"}
    # the chosen setting is the best choose-half headline of its method
    summary = whole.summary
    for row in whole.chosen.itertuples():
        pool = summary[(summary.split == "choose") & (summary.method == row.method)]
        pool = pool[pool.target == "fra_Latn"]
        assert row.headline == pytest.approx(pool["headline"].max())
        reported = summary[(summary.split == "report") & (summary.method == row.method)]
        assert (reported.layer.tolist(), reported.alpha.tolist()) == ([row.layer], [row.alpha])
    # prompts of the two halves never overlap
    assert not set(rows[rows.split == "choose"].prompt_id) & set(
        rows[rows.split == "report"].prompt_id
    )

    with pytest.raises(SweepInterruptedError):
        _sweep(handle, tmp_path / "data", tmp_path / "resumed", stop_after=3)
    assert len(list((tmp_path / "resumed").rglob("*.parquet"))) == 3
    resumed = _sweep(handle, tmp_path / "data", tmp_path / "resumed")
    pd.testing.assert_frame_equal(resumed.generations, whole.generations)
    pd.testing.assert_frame_equal(resumed.summary, whole.summary)

    saved = whole.save(tmp_path / "run")
    back = SteerResult.load(saved)
    pd.testing.assert_frame_equal(back.generations, whole.generations)
    pd.testing.assert_frame_equal(back.summary, whole.summary)
    pd.testing.assert_frame_equal(
        back.chosen.reset_index(drop=True), whole.chosen.reset_index(drop=True)
    )
    assert back.prompts == whole.prompts and back.notes == whole.notes
    assert back.settings == whole.settings


def test_fluency_yardstick_is_the_outputs_language(handle: ModelHandle) -> None:
    from babelscope.analyses.steering.cells import Cell, PromptSet, score_rows

    english = "The cat sleeps on the sofa while the children play in the garden."
    french = "Le chat dort sur le canapé pendant que les enfants jouent dans le jardin."
    prompts = PromptSet(
        ids=(0, 1),
        prompts=("p", "p"),
        prompting=("q", "q"),
        references=(french, french),
        sources=(english, english),
        reference_bits=6.0,
        source_bits=2.0,
    )
    rows = score_rows(handle, Cell("fra_Latn", "choose", "x", 1, 1.0), prompts, ["p", "p"],
                      [english, french])  # fmt: skip
    assert rows["lid_label"].tolist() == ["en", "fr"]
    assert rows["reference_bits_per_char"].tolist() == [2.0, 6.0]
    assert rows["lfs"].tolist() == [0.0, 1.0]
    assert rows["chrf"].iloc[1] == pytest.approx(100.0)
    assert rows["chrf_source"].iloc[0] == pytest.approx(100.0)
    bits = rows["bits_per_char"].to_numpy()
    assert rows["fluency"].tolist() == pytest.approx(
        [min(bits[0] / 2.0, 2.0 / bits[0]), min(bits[1] / 6.0, 6.0 / bits[1])]
    )
