"""``babelscope translate`` end to end on a tiny model and a synthetic FLORES folder: a complete
run folder, prompts that never hold a scored sentence as an exemplar, bad input as one line
with exit 2 and no complete-looking folder, and a SIGKILLed run that resumes to the same tables.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from test_rank_support import flores_dir, tiny_model_dir, write_flores

from babelscope.cli.main import main
from babelscope.runs import RunFolder, is_complete

pytestmark = pytest.mark.integration
__all__ = ["flores_dir", "tiny_model_dir"]

SENTENCES = 4


def _argv(model: Path, data: Path, out: Path, *extra: str) -> list[str]:
    return [
        "translate",
        "--model",
        str(model),
        "--data",
        f"flores200:{data}",
        "--languages",
        "deu_Latn,rus_Cyrl",
        "--ldp-languages",
        "fra_Latn,spa_Latn",
        "--sentences",
        str(SENTENCES),
        "--shots",
        "2",
        "--bootstrap",
        "20",
        "--cap-factor",
        "1",
        "--cap-extra",
        "2",
        "--out",
        str(out),
        "--no-progress",
        *extra,
    ]


@pytest.fixture(scope="module")
def finished_run(
    tiny_model_dir: Path, flores_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("translate") / "run"
    assert main(_argv(tiny_model_dir, flores_dir, out, "--no-report")) == 0
    return out


def test_translate_writes_a_complete_run(finished_run: Path) -> None:
    assert is_complete(finished_run)
    manifest = json.loads((finished_run / "manifest.json").read_text())
    assert manifest["kind"] == "translate"
    assert manifest["exemplars"]["exemplar_split"] == "dev"  # only dev exists: same split
    assert "nw:2" in manifest["signatures"]["chrf_pp"]
    assert manifest["tags"]["rus_Cyrl"] == {"tag": "русский", "source": "autonym"}
    scores = pd.read_parquet(finished_run / "translate_scores.parquet")
    assert len(scores) == 2 * 2 * 2  # languages × directions × promptings
    assert set(scores["n"]) == {SENTENCES}
    gens = pd.read_parquet(finished_run / "translate_generations.parquet")
    assert set(gens["stage"]) == {"translate", "backtranslate"}
    assert (gens["new_tokens"] <= gens["cap"]).all()
    assert (gens["prompt"].str.len() > 0).all()


def test_exemplars_are_never_scored_sentences(finished_run: Path, flores_dir: Path) -> None:
    """Every scored sentence, in every language, is absent from every prompt's exemplar
    blocks (all but the last block) — this fails if an exemplar id is a scored id."""
    manifest = json.loads((finished_run / "manifest.json").read_text())
    scored = manifest["exemplars"]["scored_ids"]
    assert scored == list(range(SENTENCES))
    assert not set(scored) & set(manifest["exemplars"]["exemplar_ids"])
    texts = [
        line
        for path in (flores_dir / "dev").glob("*.dev")
        for i, line in enumerate(path.read_text("utf-8").splitlines())
        if i in scored
    ]
    gens = pd.read_parquet(finished_run / "translate_generations.parquet")
    for prompt in gens["prompt"]:
        demos = prompt.rsplit("\n\n", 1)[0] if "\n\n" in prompt else ""
        assert not [t for t in texts if t in demos]
    # and the query of a scored row is its own source sentence
    rows = gens[gens["stage"] == "translate"]
    assert all(
        p.endswith(":") and s in p.rsplit("\n\n", 1)[-1]
        for p, s in zip(rows["prompt"], rows["source"], strict=True)
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--direction", "xx-fr"], "unknown --direction 'xx-fr'"),
        (["--shots", "11"], "larger than the exemplar pool"),
        (["--languages", "hin_Deva"], "hin_Deva"),
        (["--split", "devtest"], "no split 'devtest'"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_folder(
    *,
    tiny_model_dir: Path,
    flores_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    out = tmp_path / "run"
    assert main([*_argv(tiny_model_dir, flores_dir, out), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_a_split_without_english_references_is_refused(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_flores(tmp_path / "flores", 24)
    (data / "dev" / "eng_Latn.dev").unlink()
    out = tmp_path / "run"
    assert main(_argv(tiny_model_dir, data, out)) == 2
    err = capsys.readouterr().err.strip()
    assert "no English references" in err and len(err.splitlines()) == 1
    assert not out.exists()


DRIVER = """
import sys, time
pause = float(sys.argv[1])
import babelscope.runs as runs
write = runs.write_parquet
def slow(path, frame):
    out = write(path, frame)
    if "/shards/" in str(path):
        time.sleep(pause)
    return out
runs.write_parquet = slow
from babelscope.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def test_sigkill_then_rerun_gives_identical_tables(
    tiny_model_dir: Path, flores_dir: Path, tmp_path: Path
) -> None:
    reference = tmp_path / "reference"
    assert main(_argv(tiny_model_dir, flores_dir, reference, "--no-report")) == 0
    out = tmp_path / "killed"
    argv = _argv(tiny_model_dir, flores_dir, out, "--no-report")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-c", DRIVER, "3", *argv], env=env)
    shards = out / "shards"
    deadline = time.time() + 240
    while time.time() < deadline and len(list(shards.glob("*.parquet"))) < 3:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    kept = {p.name: p.stat().st_mtime_ns for p in shards.glob("*.parquet")}
    assert 3 <= len(kept) < 10 and not is_complete(out)
    assert main(argv) == 0
    assert {
        p.name: p.stat().st_mtime_ns for p in shards.glob("*.parquet") if p.name in kept
    } == kept
    for name in ("translate_scores.parquet", "translate_generations.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(out / name), pd.read_parquet(reference / name)
        )


def test_result_loads_back_and_a_rerun_reuses_every_shard_with_json(
    finished_run: Path,
    tiny_model_dir: Path,
    flores_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from babelscope.analyses.translate import TranslateResult

    result = TranslateResult.load(finished_run)
    pd.testing.assert_frame_equal(
        result.to_frame(), pd.read_parquet(finished_run / "translate_scores.parquet")
    )
    assert result.plot("xx-en").axes
    tasks = result.task_frame()
    assert set(tasks.columns) == {
        "language", "en-xx_ldp", "en-xx_supervised", "xx-en_ldp", "xx-en_supervised"
    }  # fmt: skip
    assert len(tasks) == 2
    capsys.readouterr()
    argv = _argv(tiny_model_dir, flores_dir, finished_run, "--no-report", "--json")
    assert main(argv) == 2  # a complete run is never replaced
    assert "--overwrite" in capsys.readouterr().err
    RunFolder(finished_run, kind="translate")  # as a rerun that died: the manifest says incomplete
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["kind"] == "translate" and summary["summary"]["languages"] == 2
    manifest = json.loads((finished_run / "manifest.json").read_text())
    assert manifest["timings"]["computed_shards"] == 0  # everything came from the shards
