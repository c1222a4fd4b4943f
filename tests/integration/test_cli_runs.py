"""A command that finishes a run prints, with ``--json``, one JSON object on stdout that names
the run folder, its kind and key numbers; "wrote …" goes to stderr."""

from __future__ import annotations

import json
from pathlib import Path

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
