"""A command that finishes a run prints, with ``--json``, one JSON object on stdout that names
the run folder, its kind and key numbers; "wrote …" goes to stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_rank_support import flores_dir, tiny_model_dir

from babelscope.analyses.ranking import RankResult
from babelscope.cli.main import main
from babelscope.report.combined import read_run

pytestmark = pytest.mark.integration
__all__ = ["flores_dir", "tiny_model_dir"]  # fixtures used by name below


def test_rank_json_summary(
    tiny_model_dir: Path, flores_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rank"
    argv = ["rank", "--model", str(tiny_model_dir), "--data", f"flores200:{flores_dir}"]
    argv += ["--sentences", "24", "--shard-size", "8", "--no-progress", "--out", str(out)]
    assert main([*argv, "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)  # stdout holds nothing else
    result = RankResult.load(out)
    assert summary["run_folder"] == str(out.resolve()) and summary["kind"] == "rank"
    assert summary["report"] == str((out / "report.html").resolve())
    assert summary["summary"]["languages ranked"] == len(result.summary)
    assert summary["summary"]["best"] == result.summary["language"].iloc[0]
    assert captured.err.startswith(f"babelscope: wrote {out / 'report.html'}")
    run = read_run(out)
    assert run.kind == "rank" and run.manifest["schema"] == 1
    assert run.manifest["argv"] is not None and "store/" in run.manifest["files"]


def test_rank_rerun_is_refused_and_overwrite_replaces_it(
    tiny_model_dir: Path, flores_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rank"
    argv = ["rank", "--model", str(tiny_model_dir), "--data", f"flores200:{flores_dir}"]
    argv += ["--sentences", "24", "--shard-size", "8", "--no-progress", "--no-report"]
    argv += ["--out", str(out)]
    assert main(argv) == 0
    first = json.loads((out / "manifest.json").read_text())
    table = RankResult.load(out).summary
    (out / "stale.json").write_text("{}")  # a file the next run would not write
    before = {path: path.stat().st_mtime_ns for path in out.rglob("*")}
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("babelscope: error:") and "\n" not in err
    assert "holds a complete rank run" in err and "--overwrite" in err and "--out DIR" in err
    assert {path: path.stat().st_mtime_ns for path in out.rglob("*")} == before

    assert main([*argv, "--overwrite"]) == 0
    second = json.loads((out / "manifest.json").read_text())
    assert second["status"] == "complete" and not (out / "stale.json").exists()
    assert "stale.json" not in second["files"]
    assert second["timings"]["computed_shards"] == 0  # the kept store: same states, not rerun
    assert first["timings"]["computed_shards"] > 0
    pd.testing.assert_frame_equal(RankResult.load(out).summary, table)
