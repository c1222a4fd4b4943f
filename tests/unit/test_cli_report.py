"""``babelscope report`` refuses what is not a finished run of a known kind: exit 2, one line,
nothing written. (Reports from real run folders: tests/integration/test_report_combined.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from babelscope.cli.main import main
from babelscope.errors import DataError
from babelscope.report.combined import read_run
from babelscope.runs import RunFolder


def _finished(path: Path, **manifest: object) -> Path:
    RunFolder(path).finish(dict(manifest))
    return path


def _refused(argv: list[str], out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["report", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("babelscope: error:") and "\n" not in err
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.name}.*"))  # no temporary file left either
    return err


def test_a_missing_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused([str(tmp_path / "absent")], tmp_path / "r.html", capsys)
    assert "absent: no such run folder" in err


def test_a_folder_without_manifest_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "run").mkdir()
    err = _refused([str(tmp_path / "run")], tmp_path / "r.html", capsys)
    assert "no manifest.json" in err


def test_an_interrupted_run_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A finished rank run that a second `babelscope rank --out` began to overwrite (RunFolder
    marks it incomplete) must not be reported, even next to a good run."""
    good = _finished(tmp_path / "good", kind="latent", models={})
    run = _finished(tmp_path / "rank", kind="rank", command="rank")
    RunFolder(run)  # the re-run starts ... and is killed
    assert json.loads((run / "manifest.json").read_text())["status"] == "incomplete"
    err = _refused([str(good), str(run)], tmp_path / "r.html", capsys)
    assert "not a finished run (manifest status 'incomplete')" in err and str(run) in err


def test_an_unknown_kind_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _finished(tmp_path / "lens", kind="lens")
    err = _refused([str(run)], tmp_path / "r.html", capsys)
    assert f"{run} holds a run of unknown kind" in err


def test_out_must_not_be_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _finished(tmp_path / "run", kind="latent", models={})
    out = tmp_path / "reports"
    out.mkdir()
    assert main(["report", str(run), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "is a folder" in err
    assert list(out.iterdir()) == []


def test_a_run_given_twice_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _finished(tmp_path / "run", kind="latent", models={})
    err = _refused([str(run), str(tmp_path / "." / "run")], tmp_path / "r.html", capsys)
    assert "given twice" in err


def test_rank_manifests_with_and_without_kind(tmp_path: Path) -> None:
    old = tmp_path / "old"  # written before manifests had a kind and a schema
    old.mkdir()
    (old / "manifest.json").write_text(
        json.dumps({"command": "rank", "model": {"name": "m"}, "status": "complete"})
    )
    new = _finished(tmp_path / "new", kind="rank", command="rank", model={"name": "m"})
    assert read_run(old).kind == read_run(new).kind == "rank"
    assert read_run(new).models == ["m"]
    latent = _finished(tmp_path / "latent", kind="latent", models={"a": {}, "b": {}})
    assert read_run(latent).models == ["a", "b"]
    with pytest.raises(DataError, match="unknown kind"):
        read_run(_finished(tmp_path / "odd", kind="probe"))
