"""Latent language on a bundled model, written to a run folder and rendered in Chromium."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from babelscope.analyses.latent import LatentResult, Pair, latent_language
from babelscope.analyses.latent.generation import generation_view
from babelscope.models.handle import ModelHandle
from babelscope.report.latent_run import write_latent_run
from babelscope.runs import is_complete

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run_folder(smollm2: ModelHandle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pairs = [Pair.make("translation", "deu_Latn", "fra_Latn"), Pair.make("repetition", "zh", "zh")]
    result = latent_language([smollm2], pairs, max_prompts=12, progress=False)
    view = generation_view(
        smollm2, 'Deutsch: "Buch" - Français: "', ["eng_Latn", "fra_Latn"], max_new_tokens=3
    )
    out = tmp_path_factory.mktemp("latent") / "run"
    write_latent_run(out, result, views=[view])
    return out


def test_run_folder_is_complete_and_loads_back(run_folder: Path) -> None:
    assert is_complete(run_folder)
    manifest = json.loads((run_folder / "manifest.json").read_text())
    assert manifest["models"]["smollm2-135m"]["n_layers"] == 30
    # The default word set is the CLDR nouns table; cloze would have used the calendar set.
    assert manifest["settings"]["lexicon_version"].startswith("nouns-cldr")
    assert manifest["settings"]["lexicon_by_task"]["translation"].startswith("nouns-cldr")
    for name in (
        "latent.parquet",
        "entropy.parquet",
        "prompts.parquet",
        "report.html",
        "plots/latent_entropy.png",
    ):
        assert (run_folder / name).is_file(), name
    frame = pd.read_parquet(run_folder / "latent.parquet")
    assert set(frame.columns) >= {
        "model",
        "task",
        "source",
        "target",
        "language",
        "role",
        "subset",
        "layer",
        "mean",
        "lower",
        "upper",
        "n",
    }
    back = LatentResult.load(run_folder)
    pd.testing.assert_frame_equal(back.to_frame(), frame)


def test_repetition_is_answered_in_the_target_language(run_folder: Path) -> None:
    frame = pd.read_parquet(run_folder / "latent.parquet")
    rep = frame[(frame.task == "repetition") & (frame.layer == 30) & (frame.subset == "all")]
    # Copying a Chinese word: the last layer puts most of its mass on the Chinese word.
    zho = rep[rep.language == "zho_Hans"]["mean"].item()
    eng = rep[rep.language == "eng_Latn"]["mean"].item()
    assert zho > 0.5 and zho > 10 * eng


def test_report_renders_in_chromium(run_folder: Path) -> None:
    if shutil.which("chromium") is None and not Path("/usr/bin/chromium").exists():
        pytest.skip("chromium is not installed (make test installs it)")
    from babelscope.report.browser import check_in_chromium

    check = check_in_chromium(run_folder / "report.html")
    assert check.console_errors == []
    assert check.external_requests == []
    for section in (
        "latent-summary",
        "latent-overview",
        "latent-pairs",
        "latent-generation",
        "latent-prompts",
        "provenance",
    ):
        assert section in check.section_ids
