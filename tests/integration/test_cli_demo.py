"""``babelscope demo --model M`` on a tiny model folder: the demo's twelve experiments and the
patching check into one complete run folder, the budget's prompt counts, and the same tables
as ``bs.demo`` from Python."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pandas as pd
import pytest
from test_rank_support import tiny_model_dir

import babelscope as bs
from babelscope.cli.main import main
from babelscope.report.combined import read_run

pytestmark = pytest.mark.integration
__all__ = ["tiny_model_dir"]

# Every language the demo's pairs and patching setup measure; one-character words are whole
# tokens of the character-level tiny tokenizer. English gets a-l alone; the patching setup's four
# languages (deu, ita, fra, zho) come first and get disjoint characters, so its collision rule
# keeps pairs. 12 concepts: more than the quick budget's 10 prompts per pair.
LANGUAGES = ["deu", "ita", "fra", "zho", "spa", "rus", "jpn", "kor", "hin", "arb", "swh", "yor"]
CONCEPTS = 12


def _lexicon(path: Path) -> Path:
    english = string.ascii_lowercase[:CONCEPTS]
    rest = string.ascii_uppercase + string.ascii_lowercase[CONCEPTS:] + string.digits  # 50
    rows = ["concept\tlanguage\tword"]
    rows += [f"c{j}\teng\t{english[j]}" for j in range(CONCEPTS)]
    for i, lang in enumerate(LANGUAGES):
        rows += [f"c{j}\t{lang}\t{rest[(i * CONCEPTS + j) % len(rest)]}" for j in range(CONCEPTS)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    """Every table of a run folder, without its wall-clock ``seconds`` columns."""
    return {
        p.name: pd.read_parquet(p).drop(columns="seconds", errors="ignore")
        for p in sorted(folder.glob("*.parquet"))
    }


def test_demo_on_any_model_with_a_budget_matches_python(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    words = _lexicon(tmp_path / "words.tsv")
    out = tmp_path / "demo"
    argv = ["demo", "--model", str(tiny_model_dir), "--budget", "quick", "--words", str(words)]
    assert main([*argv, "--patch-prompts", "4", "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["kind"] == "demo" and summary["run_folder"] == str(out.resolve())
    run = read_run(out)
    assert run.manifest["status"] == "complete"
    settings = run.manifest["settings"]
    assert settings["max_prompts"] == 10  # the quick budget
    assert settings["patching"]["n_pairs"] == 4  # --patch-prompts wins over the budget's 8
    assert [f"{p['task']}:{p['source']}:{p['target']}" for p in settings["pairs"]] == list(
        bs.DemoSettings().pairs
    )
    tables = _tables(out)
    assert {"latent_summary.parquet", "patching.parquet"} <= set(tables)
    latent = tables["latent_summary.parquet"]
    assert len(latent) == 12 and latent["n_prompts"].max() == 10  # capped by the budget
    assert (latent["n_prompts"] == 10).sum() >= 6
    patched = tables["patching.parquet"]
    assert patched["n"].max() == 4  # the pairs survived the collision rule
    assert (out / "report.html").is_file()

    # Python: the same function the command calls, the same tables
    result = bs.demo(
        [str(tiny_model_dir)],
        bs.DemoSettings(budget="quick", patch_prompts=4, words=str(words)),
        progress=False,
    )
    again = tmp_path / "again"
    result.save(again)
    for name, frame in _tables(again).items():
        pd.testing.assert_frame_equal(frame, tables[name], obj=name)
    assert result.findings() and result.patching is not None


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        # checked at parse time by the shared count type (cli/options.py)
        (["--max-prompts", "0"], "argument --max-prompts: must be ≥ 1, got 0"),
        (["--patch-prompts", "-1"], "argument --patch-prompts: must be ≥ 1, got -1"),
    ],
)
def test_demo_rejects_bad_counts_before_loading(
    flags: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--model", "no-such-model", *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err
