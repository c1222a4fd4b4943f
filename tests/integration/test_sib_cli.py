"""`babelscope sib` end to end on a tiny random model and a synthetic SIB-200 folder."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_rank_support import synthetic_corpus, tiny_model_dir

from babelscope.analyses.sib import SibResult
from babelscope.cli.main import main

pytestmark = pytest.mark.integration
__all__ = ["tiny_model_dir"]

TOPICS = [
    "science/technology",
    "travel",
    "politics",
    "sports",
    "health",
    "entertainment",
    "geography",
]


def write_sib(root: Path, train: int = 70, dev: int = 14) -> Path:
    """A SIB-layout folder of synthetic sentences (never SIB text): eng, a copy of eng named
    fra_Latn (identical states, so transfer must equal in-language), deu and rus."""
    corpus = synthetic_corpus(train + dev, seed=4)
    texts = {**corpus, "fra_Latn": corpus["eng_Latn"]}
    for code in ("eng_Latn", "fra_Latn", "deu_Latn", "rus_Cyrl"):
        folder = root / "sib200" / code
        folder.mkdir(parents=True)
        (folder / "labels.txt").write_text("\n".join(TOPICS) + "\n", encoding="utf-8")
        for split, rows in (("train", range(train)), ("dev", range(train, train + dev))):
            frame = pd.DataFrame(
                {
                    "index_id": list(rows),
                    "category": [TOPICS[i % 7] for i in rows],
                    "text": [texts[code][i] for i in rows],
                }
            )
            frame.to_csv(folder / f"{split}.tsv", sep="\t", index=False)
    return root / "sib200"


@pytest.fixture(scope="module")
def sib_run(
    tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("sib")
    data = write_sib(root)
    argv = [
        "sib", "--model", str(tiny_model_dir), "--data", f"sib200:{data}", "--languages", "all",
        "--train-per-label", "9", "--prompted-sentences", "4", "--shots", "2", "--out",
        str(root / "run"), "--store", str(root / "store"), "--no-progress", "--json",
    ]  # fmt: skip
    return root, argv


def test_sib_cli_writes_a_complete_run(
    sib_run: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, argv = sib_run
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["kind"] == "sib" and summary["status"] == "complete"
    manifest = json.loads((root / "run" / "manifest.json").read_text())
    assert manifest["data"]["train_sentences_per_language"] == 63  # 9 per label × 7
    assert manifest["data"]["prompted_sentences_per_language"] == 4
    assert manifest["timings"]["computed_shards"] > 0
    # the store is keyed as a SIB store: a ranking store of the same model never shares it
    (identity,) = [json.loads(p.read_text()) for p in (root / "store").glob("*/identity.json")]
    assert identity["dataset"] == "sib200" and identity["forward"]["poolings"] == ["weighted_mean"]
    result = SibResult.load(root / "run")
    layers = result.layer_scores
    assert set(layers.columns) >= {"model", "language", "layer", "protocol", "accuracy", "lo"}
    assert len(layers) == 4 * 4 * len(result.layers)  # languages × protocols × layers
    assert (
        (layers["lo"] <= layers["accuracy"] + 1e-12) & (layers["accuracy"] <= layers["hi"] + 1e-12)
    ).all()
    assert (layers["n_eval"] == 14).all()
    wide = layers.pivot_table(index=["language", "layer"], columns="protocol", values="accuracy")
    # identical states: English → "fra" equals in-language fra, and English's own pair agrees
    for code in ("eng_Latn", "fra_Latn"):
        part = wide.loc[code]
        assert (part["cross_lingual"] == part["in_language"]).all()
        assert (part["cross_lingual_full"] == part["in_language_full"]).all()
    assert result.selected_layer == int(
        result.layer_choice.loc[result.layer_choice["cv_accuracy"].idxmax(), "layer"]
    )
    assert set(result.prompted["protocol"]) == {"prompted", "prompted_norm", "prompted_calibrated"}
    assert len(result.summary) == 4 and result.summary["prompted"].between(0, 1).all()
    assert (root / "run" / "report.html").is_file()
    assert (root / "run" / "plots" / "sib_layers.png").is_file()
    # `babelscope report` reads sib runs too
    assert main(["report", str(root / "run"), "--out", str(root / "r.html"), "--json"]) == 0
    sections = json.loads(capsys.readouterr().out)["sections"]
    assert any(s["id"].startswith("sib-") for s in sections)


def test_sib_rerun_reuses_the_store(
    sib_run: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, argv = sib_run
    out = [
        *argv[: argv.index("--out")],
        "--out",
        str(root / "again"),
        *argv[argv.index("--store") :],
    ]
    assert main([a for a in out if a != "--json"] + ["--no-report"]) == 0
    manifest = json.loads((root / "again" / "manifest.json").read_text())
    assert manifest["timings"]["computed_shards"] == 0
    first = SibResult.load(root / "run").layer_scores
    pd.testing.assert_frame_equal(SibResult.load(root / "again").layer_scores, first)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--languages", "xx_Nope"], "xx_Nope"),
        (["--train-per-label", "3"], "--train-per-label 3"),
        (["--split", "test"], "no split 'test'"),
    ],
)
def test_sib_bad_input_is_one_line_exit_2(
    sib_run: tuple[Path, list[str]],
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    _root, argv = sib_run
    assert main([*argv, *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_correlate_pairs_rank_and_sib_runs(
    sib_run: tuple[Path, list[str]],
    tiny_model_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root, argv = sib_run
    if not (root / "run" / "manifest.json").is_file():
        assert main(argv) == 0
    from test_rank_support import write_flores

    flores = write_flores(root / "flores", 12)
    rank = [
        "rank", "--model", str(tiny_model_dir), "--data", f"flores200:{flores}",
        "--sentences", "12", "--no-script-barrier", "--bootstrap", "20", "--no-report",
        "--no-progress", "--out", str(root / "rank"),
    ]  # fmt: skip
    assert main(rank) == 0
    out = root / "corr"
    assert main(["correlate", str(root / "rank"), str(root / "run"), "--out", str(out)]) == 0
    table = pd.read_parquet(out / "correlations.parquet")
    # shared languages: fra, deu, rus (the pivot is not in the ranking's summary)
    assert set(table["n"]) <= {0, 3} and (table["n"] == 3).any()
    assert (out / "report.html").is_file()
    # 3 languages are too few for a partial correlation: recorded as NaN, not an error
    assert set(table["control"]) <= {"token_premium", ""}
    assert table["partial_spearman"].isna().all()
    capsys.readouterr()
    assert main(["correlate", str(root / "run"), "--out", str(root / "bad")]) == 2
    assert "no model has both" in capsys.readouterr().err
    runs = [str(root / "rank"), str(root / "run")]
    assert main(["correlate", *runs, "--control", "nope", "--out", str(root / "bad2")]) == 2
    err = capsys.readouterr().err.strip()
    assert "--control 'nope'" in err and len(err.splitlines()) == 1
    assert not (root / "bad2").exists()
    # a column that exists but is not a number (the language's name) is refused the same way
    assert main(["correlate", *runs, "--control", "name", "--out", str(root / "bad3")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not (root / "bad3").exists()
