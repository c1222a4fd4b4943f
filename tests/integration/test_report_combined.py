"""``babelscope report`` on real run folders: a latent run and two rankings of tiny models."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import spearmanr
from test_latent_pipeline import LEXICON
from test_rank_support import flores_dir, save_tiny_model, tiny_model_dir

from babelscope import load_model, wrap_model
from babelscope.analyses.latent import Pair, latent_language
from babelscope.analyses.latent.generation import generation_view
from babelscope.analyses.ranking import RankResult, RankSettings, run_rank
from babelscope.cli.main import main
from babelscope.data.flores import FloresDataset
from babelscope.report.blocks import TableBlock
from babelscope.report.combined import combined_report
from babelscope.report.latent_run import write_latent_run
from babelscope.runs import RunFolder

from tiny_models import build_tiny, tiny_tokenizer

pytestmark = pytest.mark.integration
__all__ = ["flores_dir", "tiny_model_dir"]  # fixtures used by name below

SETTINGS = RankSettings(sentences=24, shard_size=8, probe_max_iter=200)
PROMPT = "abc"
LATENT_IDS = ["summary", "overview", "pairs", "generation", "prompts"]
RANK_IDS = ["", "-layers", "-identity", "-script", "-text", "-agreement"]


@pytest.fixture(scope="module")
def latent_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    handle = wrap_model(build_tiny("llama"), tiny_tokenizer(), name="tiny-latent")
    pairs = [Pair.make("translation", "fra_Latn", "deu_Latn")]
    result = latent_language([handle], pairs, lexicon=LEXICON, shots=2, progress=False)
    view = generation_view(handle, PROMPT, ["eng_Latn", "fra_Latn"], max_new_tokens=3)
    out = tmp_path_factory.mktemp("latent") / "demo"
    write_latent_run(out, result, views=[view])
    return out


def _rank_run(model_dir: Path, flores: Path, out: Path, *, kind: bool = True) -> Path:
    handle = load_model(str(model_dir), progress=False)
    ranked = run_rank(
        handle,
        FloresDataset.open(flores),
        settings=SETTINGS,
        store_dir=out / "store",
        progress=False,
    )
    folder = RunFolder(out)
    ranked.result.save(folder)
    manifest = {"command": "rank", "model": ranked.result.model, "settings": SETTINGS.__dict__}
    if kind:
        folder.finish({**manifest, "kind": "rank"})
    else:  # a manifest from before the schema: no kind, one "model"
        (out / "manifest.json").write_text(json.dumps({**manifest, "status": "complete"}))
    return out


@pytest.fixture(scope="module")
def rank_runs(
    tiny_model_dir: Path, flores_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("rank")
    first = _rank_run(tiny_model_dir, flores_dir, root / "rank-llama")
    # The second has a manifest from before rank runs recorded their "kind".
    gpt2 = save_tiny_model(root, "gpt2")
    return first, _rank_run(gpt2, flores_dir, root / "rank-gpt2", kind=False)


def _section_ids(html: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)"', html)


def test_one_report_with_every_run_and_the_comparison(
    latent_run: Path,
    rank_runs: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "reports" / "all.html"
    argv = ["report", str(latent_run), *map(str, rank_runs), "--out", str(out), "--title", "All"]
    assert main(argv) == 0
    html = out.read_text("utf-8")
    ids = _section_ids(html)
    assert len(ids) == len(set(ids))
    expected = ["runs", *(f"latent-{s}" for s in LATENT_IDS)]
    expected += [f"rank-tiny-llama{s}" for s in RANK_IDS]
    expected += [f"rank-tiny-gpt2{s}" for s in RANK_IDS]
    assert ids == [*expected, "rank-comparison", "provenance"]
    assert "<title>All</title>" in html
    assert "prompt: &#x27;abc&#x27;" in html or "prompt: 'abc'" in html  # the stored prompt
    captured = capsys.readouterr()
    printed = captured.out
    assert captured.err == f"babelscope: wrote {out.resolve()}\n"  # like every command
    assert "#rank-comparison" in printed
    assert [line.split()[0] for line in printed.splitlines()] == [f"#{i}" for i in ids]
    for run in (latent_run, *rank_runs):
        assert str(run) in html  # one provenance entry per run


def test_comparison_uses_the_shared_languages(rank_runs: tuple[Path, Path]) -> None:
    first, second = (RankResult.load(path) for path in rank_runs)
    report = combined_report(rank_runs)
    section = report["rank-comparison"]
    html = report.render()
    joined = first.summary.merge(second.summary, on="language", suffixes=("_a", "_b"))
    assert len(joined) == 4  # fra deu spa rus: the pivot is never ranked
    rho = spearmanr(joined["score_a"], joined["score_b"]).statistic
    mexa = spearmanr(joined["mexa_a"], joined["mexa_b"]).statistic
    tables = [b.snapshot.frame for b in section.blocks if isinstance(b, TableBlock)]
    row = tables[0].iloc[0]  # the overview: one row per pair of models
    assert first.model_name.endswith("/tiny-llama") and second.model_name.endswith("/tiny-gpt2")
    assert row["model A"] == first.model_name and row["model B"] == second.model_name
    assert row["shared languages"] == 4
    assert row["ρ score"] == pytest.approx(rho) and row["ρ MEXA"] == pytest.approx(mexa)
    assert f"{first.model_name} vs {second.model_name}" in html
    assert report.title == "babelscope: how well is each language represented?"


def test_two_runs_of_one_kind_keep_ids_apart(
    latent_run: Path, rank_runs: tuple[Path, Path], tmp_path: Path
) -> None:
    latent_copy = Path(shutil.copytree(latent_run, tmp_path / "latent-again"))
    rank_copy = Path(shutil.copytree(rank_runs[0], tmp_path / "rank-again"))
    report = combined_report([latent_run, latent_copy, rank_runs[0], rank_copy])
    ids = [s.id for s in report.sections]
    assert len(ids) == len(set(ids))
    assert "latent-demo-summary" in ids and "latent-latent-again-summary" in ids
    assert "rank-tiny-llama" in ids and "rank2-tiny-llama" in ids
    titles = [s.title for s in report.sections]
    assert "Latent language: what we found (demo)" in titles
    html = report.render()
    name = RankResult.load(rank_copy).model_name
    assert f"{name} (rank-llama) vs {name} (rank-again)" in html
    assert report["rank-tiny-llama"].title == f"Language ranking: {name} (rank-llama)"
    assert report["rank2-tiny-llama"].title == f"Language ranking: {name} (rank-again)"
    pd.testing.assert_frame_equal(
        RankResult.load(rank_copy).summary, RankResult.load(rank_runs[0]).summary
    )


@pytest.mark.browser
def test_combined_report_renders_in_chromium(
    latent_run: Path, rank_runs: tuple[Path, Path], tmp_path: Path
) -> None:
    from babelscope.report.browser import (
        ChromiumNotFoundError,
        check_in_chromium,
        find_chromium,
        words_broken_in_tables,
    )

    try:
        find_chromium()
    except ChromiumNotFoundError:
        pytest.skip("no Chromium at /usr/bin/chromium or on PATH (apt-get install chromium)")
    path = combined_report([latent_run, *rank_runs]).write(tmp_path / "report.html")
    check = check_in_chromium(path)
    assert check.console_errors == [] and check.external_requests == []
    assert check.broken_images == [] and check.ok
    assert check.section_ids[-2:] == ["rank-comparison", "provenance"]
    # every table of a real latent + ranking report wraps between words only (issue 20)
    assert words_broken_in_tables(path, (1400, 800)) == {1400: [], 800: []}
