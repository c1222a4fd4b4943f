"""The one rule for an existing ``--out`` folder (``runs.prepare_run_folder``): a complete run is
never replaced without ``--overwrite``; an unfinished run resumes (resumable commands) or starts
over; a folder that is no babelscope run is never touched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from babelscope.errors import ConfigError
from babelscope.runs import MANIFEST, RunFolder, is_complete, prepare_run_folder, run_state


def _complete(folder: Path, kind: str = "rank") -> Path:
    run = RunFolder(folder, kind=kind)
    run.write_json("table.json", {"x": 1})
    run.write_bytes("store/shard-0.safetensors", b"states")
    run.write_bytes(".sweep-job.json", b"{}")
    run.finish({})
    return folder


def _mtimes(folder: Path) -> dict[Path, int]:
    return {path: path.stat().st_mtime_ns for path in folder.rglob("*")}


def test_new_and_empty_folders_are_used_as_they_are(tmp_path: Path) -> None:
    assert prepare_run_folder(tmp_path / "new", "rank", resumable=True) == tmp_path / "new"
    assert not (tmp_path / "new").exists()  # nothing is made before the run starts
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / ".sweep-job.json").write_text("{}")  # a sweep writes this before the command
    prepare_run_folder(hidden, "latent", resumable=False)
    assert (hidden / ".sweep-job.json").read_text() == "{}"


@pytest.mark.parametrize("resumable", [True, False])
@pytest.mark.parametrize("kind", ["rank", "latent"])
def test_a_complete_run_is_refused_and_left_as_it_is(
    tmp_path: Path, kind: str, resumable: bool
) -> None:
    folder = _complete(tmp_path / "run")
    before = _mtimes(folder)
    with pytest.raises(ConfigError) as caught:
        prepare_run_folder(folder, kind, resumable=resumable)
    message = str(caught.value)
    assert "holds a complete rank run" in message and "\n" not in message
    assert "--overwrite" in message and "--out DIR" in message
    assert _mtimes(folder) == before and is_complete(folder)


def test_overwrite_removes_the_old_run_but_keeps_the_store_and_hidden_files(
    tmp_path: Path,
) -> None:
    folder = _complete(tmp_path / "run")
    prepare_run_folder(folder, "rank", resumable=True, overwrite=True)
    assert not (folder / MANIFEST).exists() and not is_complete(folder)
    assert not (folder / "table.json").exists()
    assert (folder / "store" / "shard-0.safetensors").read_bytes() == b"states"
    assert (folder / ".sweep-job.json").exists()


def test_an_unfinished_run_resumes_or_starts_over(tmp_path: Path) -> None:
    folder = _complete(tmp_path / "run", kind="steer")
    (folder / "cells").mkdir()
    (folder / "cells" / "a.parquet").write_bytes(b"cell")
    RunFolder(folder, kind="steer")  # a rerun started writing here ... and died
    assert run_state(folder) == ("incomplete", ("steer",))
    before = _mtimes(folder)
    prepare_run_folder(folder, "steer", resumable=True)  # resumes: nothing touched
    assert _mtimes(folder) == before
    prepare_run_folder(folder, "steer", resumable=False)  # a command that cannot resume
    assert not (folder / "cells").exists() and not (folder / MANIFEST).exists()


def test_an_unfinished_run_of_another_kind_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    RunFolder(folder, kind="rank").write_json("table.json", {})
    with pytest.raises(ConfigError, match=r"unfinished rank run.*--overwrite"):
        prepare_run_folder(folder, "sib", resumable=True)
    assert (folder / "table.json").exists()
    prepare_run_folder(folder, "sib", resumable=True, overwrite=True)
    assert not (folder / "table.json").exists()


@pytest.mark.parametrize(
    ("trace", "kinds"),
    [("store", ("rank", "steer")), ("cells", ("steer",)), ("checkpoint.pt", ("tuned-lens",))],
)
def test_runs_killed_before_any_manifest_are_recognised(
    tmp_path: Path, trace: str, kinds: tuple[str, ...]
) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / trace).write_bytes(b"")
    assert run_state(folder) == ("incomplete", kinds)
    prepare_run_folder(folder, kinds[0], resumable=True)
    assert (folder / trace).exists()


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_folder_that_is_no_run_is_never_touched(tmp_path: Path, overwrite: bool) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.tex").write_text("years of work")
    (folder / MANIFEST).write_text(json.dumps(["not", "a", "run", "manifest"]))
    with pytest.raises(ConfigError, match="holds no babelscope run"):
        prepare_run_folder(folder, "latent", resumable=False, overwrite=overwrite)
    assert (folder / "thesis.tex").read_text() == "years of work"
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(ConfigError, match="not a folder"):
        prepare_run_folder(file, "latent", resumable=False)


def test_a_new_run_folder_is_marked_unfinished_until_it_finishes(tmp_path: Path) -> None:
    run = RunFolder(tmp_path / "run", kind="latent")
    assert json.loads((run.path / MANIFEST).read_text())["status"] == "incomplete"
    assert run_state(run.path) == ("incomplete", ("latent",))
    run.finish({})
    assert run_state(run.path) == ("complete", ("latent",))
