"""One run-folder contract: manifest schema, default folders, slug, save/load, --json."""

from __future__ import annotations

import argparse
import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from babelscope.errors import DataError
from babelscope.runs import (
    MANIFEST,
    RUNS_ROOT,
    SCHEMA,
    RunFolder,
    default_run_dir,
    read_manifest,
    run_summary,
    slug,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "babelscope"


# -- slug and default folders ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gemma-3-270m", "gemma-3-270m"),
        ("google/gemma-3-270m@main", "google-gemma-3-270m-main"),
        ("../../etc/passwd", "etc-passwd"),
        (".hidden", "hidden"),
        ("model.gguf", "model-gguf"),
        ("日本語", "run"),
        ("", "run"),
    ],
)
def test_slug_known_answers(text: str, expected: str) -> None:
    assert slug(text) == expected


def test_there_is_one_slug_helper() -> None:
    """Four private copies of slug() drifted apart (one kept '.', one prefixed 'm-')."""
    defined = [
        f"{path.relative_to(SRC)}:{node.name}"
        for path in SRC.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.FunctionDef) and "slug" in node.name.lower()
    ]
    assert defined == ["runs.py:slug"]


def test_every_command_defaults_under_one_root() -> None:
    from babelscope.cli.cmd_latent import default_out as latent_out
    from babelscope.cli.cmd_rank import default_out as rank_out
    from babelscope.cli.cmd_report import DEFAULT_OUT

    assert Path("babelscope-runs") == RUNS_ROOT
    assert rank_out("org/gemma-3-270m") == RUNS_ROOT / "rank-gemma-3-270m"
    assert rank_out("/models/smollm2/") == RUNS_ROOT / "rank-smollm2"
    assert latent_out(["gemma-3-270m", "smollm2-135m"]) == (
        RUNS_ROOT / "latent-gemma-3-270m-smollm2-135m"
    )
    assert default_run_dir("demo") == RUNS_ROOT / "demo"
    assert Path(DEFAULT_OUT).parent == RUNS_ROOT


# -- the manifest ------------------------------------------------------------------------------


def _finish(path: Path, kind: str = "probe", **manifest: object) -> Path:
    run = RunFolder(path, kind=kind)
    run.write_table("table", pd.DataFrame({"x": [1, 2]}))
    run.write_bytes("plots/a.png", b"\x89PNG")
    run.write_bytes("store/0001/shard.safetensors", b"x")
    run.write_bytes(".hidden", b"x")
    run.finish(dict(manifest))
    return path


def test_manifest_schema_with_status_written_last(tmp_path: Path) -> None:
    _finish(tmp_path / "run", models={"m": {"name": "m"}}, summary={"best": "fra_Latn"})
    text = (tmp_path / "run" / MANIFEST).read_text("utf-8")
    body = json.loads(text)
    assert list(body)[:2] == ["schema", "kind"] and list(body)[-1] == "status"
    assert body["schema"] == SCHEMA and body["kind"] == "probe" and body["status"] == "complete"
    for key in ("argv", "models", "data", "settings", "summary", "environment", "finished"):
        assert key in body
    # the store's shards are one entry; hidden files and the manifest itself are not listed
    assert body["files"] == ["plots/a.png", "store/", "table.parquet"]


def test_manifests_are_strict_json(tmp_path: Path) -> None:
    _finish(tmp_path / "run", summary={"accuracy": float("nan"), "n": [1.0, float("inf")]})
    text = (tmp_path / "run" / MANIFEST).read_text("utf-8")
    body = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in a manifest"))
    assert body["summary"] == {"accuracy": None, "n": [1.0, None]}


def test_a_manifest_needs_a_kind(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs a kind"):
        RunFolder(tmp_path / "run").finish({})
    assert not (tmp_path / "run" / MANIFEST).exists()


def test_reopening_a_run_marks_it_incomplete(tmp_path: Path) -> None:
    run = _finish(tmp_path / "run")
    assert read_manifest(run)["kind"] == "probe"
    RunFolder(run, kind="probe")  # a second run starts writing here ... and dies
    with pytest.raises(DataError, match="status 'incomplete'"):
        read_manifest(run)


def test_run_summary_is_what_json_prints(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from babelscope.cli.options import finished, wrote

    run = _finish(tmp_path / "run", models={"m": {}}, summary={"languages ranked": 3})
    (run / "report.html").write_text("<!DOCTYPE html>")
    summary = run_summary(run)
    assert summary["run_folder"] == str(run.resolve())
    assert summary["kind"] == "probe" and summary["models"] == ["m"]
    assert summary["report"] == str((run / "report.html").resolve())
    assert summary["summary"] == {"languages ranked": 3}

    wrote(run / "report.html", 3.2)
    finished(argparse.Namespace(json=True), run, ["human text"])
    out, err = capsys.readouterr()
    assert json.loads(out) == summary  # stdout is nothing but the JSON object
    assert err == f"babelscope: wrote {run / 'report.html'} in 3 s\n"
    finished(argparse.Namespace(json=False), run, ["human text"])
    assert capsys.readouterr().out == "human text\n"


@pytest.mark.parametrize("command", ["latent", "demo", "rank", "report"])
def test_every_command_that_finishes_a_run_takes_json(command: str) -> None:
    from babelscope.cli.main import build_parser

    required = {
        "latent": ["--model", "m"],
        "rank": ["--model", "m", "--data", "flores200:x"],
        "report": ["run"],
        "demo": [],
    }
    args = build_parser().parse_args([command, *required[command], "--json"])
    assert args.json is True


def test_demo_takes_the_shared_model_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from babelscope.cli.main import main

    seen: dict[str, object] = {}

    class StopError(Exception):
        pass

    def demo(models: object, settings: object, **kw: object) -> object:
        seen.update(models=models, **kw)
        raise StopError  # the options reached the demo: nothing more to run here

    monkeypatch.setattr("babelscope.report.demo.demo", demo)
    monkeypatch.chdir(tmp_path)  # the default folder is relative: keep it out of the repo
    # cuda:1 does not exist here and main() now refuses it up front (test_device_budget.py);
    # this test is about the options reaching the demo, so that check is switched off.
    monkeypatch.setattr("babelscope.cli.options.check_runtime_options", lambda _args: None)
    with pytest.raises(StopError):
        main(["demo", "--device", "cuda:1", "--dtype", "bfloat16", "--json"])
    assert seen["device"] == "cuda:1" and seen["dtype"] == "bfloat16"
    assert seen["models"] == ["gemma-3-270m", "smollm2-135m"]


# -- save / load round trips -------------------------------------------------------------------


def _latent_result() -> object:
    from babelscope.analyses.latent.result import LatentResult, PairRun

    n = 4
    prompts = pd.DataFrame(
        {
            "prompt_id": range(n),
            "task": "translation",
            "source": "fra_Latn",
            "target": "zho_Hans",
            "concept": "x",
            "text": "t",
            "answers": [{"zho_Hans": ["书"]}] * n,
            "status": "kept",
            "correct": [True, False, True, True],
        }
    )
    mass = np.random.default_rng(3).uniform(0, 0.3, size=(n, 3, 3)).astype(np.float32)
    run = PairRun(
        model="org/m",
        task="translation",
        source="fra_Latn",
        target="zho_Hans",
        languages=["zho_Hans", "fra_Latn", "eng_Latn"],
        layers=[0, 1, 2],
        n_layers=2,
        vocab_size=256,
        mass=mass,
        entropy_bits=np.random.default_rng(4).uniform(0, 8, size=(n, 3)).astype(np.float32),
        correct=np.array([True, False, True, True]),
        prompt_ids=list(range(n)),
        prompts=prompts,
    )
    return LatentResult(runs=[run], models={"org/m": {"name": "org/m"}}, settings={"seed": 0})


def test_latent_result_save_path_then_load(tmp_path: Path) -> None:
    from babelscope.analyses.latent.result import LatentResult
    from babelscope.report.combined import read_run

    result = _latent_result()
    assert isinstance(result, LatentResult)
    folder = result.save(tmp_path / "latent")
    back = LatentResult.load(folder)
    pd.testing.assert_frame_equal(back.to_frame(), result.to_frame())
    pd.testing.assert_frame_equal(back.summary_frame(), result.summary_frame())
    np.testing.assert_array_equal(back.runs[0].entropy_bits, result.runs[0].entropy_bits)
    assert back.models == result.models and back.settings == result.settings
    # saved from Python, the folder is a finished run that `babelscope report` accepts
    run = read_run(folder)
    assert run.kind == "latent" and run.models == ["org/m"]
    assert run.manifest["summary"]["org/m"]["accuracy"] == 0.75


def test_rank_result_save_path_then_load(tmp_path: Path) -> None:
    from babelscope.analyses.ranking.result import RankResult

    languages = ["fra_Latn", "deu_Latn"]
    summary = pd.DataFrame(
        {
            "overall_rank": [1, 2],
            "language": languages,
            "name": ["French", "German"],
            "script": ["Latn", "Latn"],
            "score": [0.9, 0.4],
            "mexa": [0.8, 0.3],
        }
    )
    layers = pd.DataFrame(
        {"language": languages * 2, "layer": [0, 0, 1, 1], "metric": "mexa", "value": [0.1] * 4}
    )
    text = pd.DataFrame(
        {"language": languages, "token_premium": [1.1, 1.3], "bits_per_byte": [1.0, np.nan]}
    )
    result = RankResult(
        model={"name": "m", "sha256": "ab"},
        settings={"pivot": "eng_Latn"},
        data={"spec": "flores200:x", "split": "dev", "sentences": 2},
        pivot="eng_Latn",
        layers=[0, 1],
        summary_layers=[1],
        summary=summary,
        layer_metrics=layers,
        identity=pd.DataFrame({"layer": [0, 1], "probe_accuracy": [0.5, 0.9]}),
        script=pd.DataFrame(columns=["language", "layer", "pair", "metric", "value"]),
        text=text,
        spearman=pd.DataFrame({"metric_a": ["mexa"], "metric_b": ["score"], "rho": [1.0]}),
        notes=["a note"],
    )
    folder = result.save(tmp_path / "rank")
    back = RankResult.load(folder)
    for attr in ("summary", "layer_metrics", "identity", "text", "spearman"):
        pd.testing.assert_frame_equal(getattr(back, attr), getattr(result, attr))
    assert (back.model, back.pivot, back.layers, back.notes) == (
        result.model,
        "eng_Latn",
        [0, 1],
        ["a note"],
    )
    manifest = read_manifest(folder)
    assert manifest["kind"] == "rank" and manifest["models"] == {"m": result.model}
    assert manifest["summary"]["best"] == "fra_Latn" and manifest["summary"]["worst"] == "deu_Latn"


def test_generation_view_save_then_load(tmp_path: Path) -> None:
    from babelscope.analyses.latent.generation import GenerationView

    dist = np.random.default_rng(5).dirichlet(np.ones(3), size=(2, 4))
    view = GenerationView(
        model="org/m",
        prompt="Français: « livre » - 中文:",
        tokens=["书", "."],
        layers=[0, 1, 2, 3],
        languages=["zho_Hans", "fra_Latn", "other"],
        dist=dist,
    )
    path = view.save(tmp_path)
    assert path.name == "generation_org-m.parquet"
    for source in (path, tmp_path):
        back = GenerationView.load(source)
        assert (back.model, back.prompt, back.tokens, back.layers, back.languages) == (
            view.model,
            view.prompt,
            view.tokens,
            view.layers,
            view.languages,
        )
        np.testing.assert_allclose(back.dist, dist)
    GenerationView(**{**view.__dict__, "model": "other"}).save(tmp_path)
    with pytest.raises(DataError, match="holds 2 generation views"):
        GenerationView.load(tmp_path)
    assert GenerationView.load(tmp_path, model="org/m").model == "org/m"


# -- the notebook surface ----------------------------------------------------------------------


def test_rank_without_store_dir_keeps_its_store_in_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from babelscope.analyses.ranking import pipeline

    monkeypatch.setenv("BABELSCOPE_CACHE", str(tmp_path / "cache"))
    seen: dict[str, object] = {}

    class Finished:
        result = "ranked"

    def fake_run_rank(handle: object, dataset: object, **kw: object) -> Finished:
        seen.update(kw)
        return Finished()

    monkeypatch.setattr(pipeline, "run_rank", fake_run_rank)
    assert pipeline.rank(object(), object()) == "ranked"  # type: ignore[arg-type]
    assert seen["store_dir"] == (tmp_path / "cache" / pipeline.RANK_STORES).resolve()
    pipeline.rank(object(), object(), store_dir=tmp_path / "mine")  # type: ignore[arg-type]
    assert seen["store_dir"] == tmp_path / "mine"
