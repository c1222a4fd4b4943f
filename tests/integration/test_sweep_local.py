"""``babelscope sweep`` with the local executor: the same tables as the commands typed by
hand, one combined report comparing the models, and finished runs skipped on a rerun."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sweep_support import assert_same_tables, hand_argv, two_models, write_sweep
from test_rank_support import flores_dir

from babelscope.cli.main import main

pytestmark = pytest.mark.integration
__all__ = ["flores_dir", "two_models"]  # fixtures used by name below


def test_local_sweep_equals_hand_runs_and_resumes(
    two_models: list[Path], flores_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = write_sweep(tmp_path / "sweep.toml", two_models, flores_dir)
    out = tmp_path / "sweep"
    assert main(["sweep", str(sweep), "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)  # the jobs' own output went to stderr
    assert [job["status"] for job in summary["jobs"]] == ["complete", "complete"]
    folders = [Path(job["folder"]) for job in summary["jobs"]]
    assert [f.name for f in folders] == ["rank-tiny-llama", "rank-tiny-qwen2"]
    for model, folder in zip(two_models, folders, strict=True):
        hand = tmp_path / f"hand-{model.name}"
        assert main(hand_argv(model, flores_dir, hand)) == 0
        assert assert_same_tables(folder, hand) >= 6
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["argv"][:3] == ["rank", "--model", str(model)]  # the job's, not ours
    html = Path(summary["report"]).read_text("utf-8")
    assert 'id="rank-comparison"' in html and "tiny-qwen2" in html
    capsys.readouterr()

    # A rerun skips both finished runs; an edited table runs its jobs again.
    assert main(["sweep", str(sweep), "--out", str(out), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert [job["status"] for job in again["jobs"]] == ["skipped", "skipped"]
    write_sweep(sweep, two_models[:1], flores_dir, bootstrap=0)
    assert main(["sweep", str(sweep), "--out", str(out), "--json"]) == 0
    edited = json.loads(capsys.readouterr().out)
    assert [job["status"] for job in edited["jobs"]] == ["complete"]
