"""Every command that writes a run folder applies the one rule before any model loads: a
complete run is refused (exit 2, nothing changed) unless ``--overwrite``, which removes it; an
unfinished run of a resumable command (rank, sib, steer, lens train) resumes, of any other
command starts over. Model loading is replaced by an error, so no analysis runs here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from test_rank_support import flores_dir
from test_sib_cli import write_sib

from babelscope.cli.main import main
from babelscope.errors import ConfigError
from babelscope.runs import MANIFEST, RunFolder, is_complete

pytestmark = pytest.mark.integration
__all__ = ["flores_dir"]

REACHED = "the model would load now"


@pytest.fixture(autouse=True)
def no_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading a model (or, for correlate, its first table) is the point of no return."""

    def refuse(*args: object, **kwargs: object) -> object:
        raise ConfigError(REACHED)

    monkeypatch.setattr("babelscope.models.loader.load_model", refuse)
    monkeypatch.setattr("babelscope.analyses.ranking.result.RankResult.load", refuse)


@pytest.fixture(scope="module")
def inputs(flores_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("inputs")
    for kind in ("rank", "sib"):  # finished runs for correlate to pair (read only by manifest)
        run = RunFolder(root / kind, kind=kind)
        run.finish({"models": {"m": {"name": "m"}}})
    lens = root / "lens"
    lens.mkdir()
    (lens / "translators.safetensors").write_bytes(b"")
    (lens / MANIFEST).write_text('{"kind": "tuned-lens", "status": "complete"}')
    return {"flores": flores_dir, "sib": write_sib(root / "sibdata"), "root": root}


Argv = Callable[[dict[str, Path], Path], list[str]]
MODEL = ["--model", "m"]
#: command: (argv builder, run kind, resumable)
COMMANDS: dict[str, tuple[Argv, str, bool]] = {
    "latent": (
        lambda i, o: ["latent", *MODEL, "--source", "fr", "--target", "de"],
        "latent",
        False,
    ),
    "demo": (lambda i, o: ["demo"], "demo", False),
    "patch": (lambda i, o: ["patch", *MODEL], "patching", False),
    "rank": (
        lambda i, o: ["rank", *MODEL, "--data", f"flores200:{i['flores']}", "--sentences", "24"],
        "rank",
        True,
    ),
    "sib": (
        lambda i, o: ["sib", *MODEL, "--data", f"sib200:{i['sib']}", "--store", str(o.parent)],
        "sib",
        True,
    ),
    "steer": (
        lambda i, o: [
            *("steer", *MODEL, "--data", f"flores200:{i['flores']}"),
            *("--target", "fr", "--prompts", "3"),
        ],
        "steer",
        True,
    ),
    "translate": (
        lambda i, o: [
            *("translate", *MODEL, "--data", f"flores200:{i['flores']}"),
            *("--languages", "fra_Latn", "--sentences", "2", "--shots", "1"),
            *("--prompting", "supervised"),
        ],
        "translate",
        True,
    ),
    "correlate": (
        lambda i, o: ["correlate", str(i["root"] / "rank"), str(i["root"] / "sib")],
        "correlate",
        False,
    ),
    "lens train": (
        lambda i, o: ["lens", "train", *MODEL, "--data", f"flores200:{i['flores']}"],
        "tuned-lens",
        True,
    ),
    "lens eval": (
        lambda i, o: [
            *("lens", "eval", *MODEL, "--data", f"flores200:{i['flores']}"),
            *("--lens", str(i["root"] / "lens")),
        ],
        "lens-eval",
        False,
    ),
}


def _run(name: str, inputs: dict[str, Path], out: Path, *extra: str) -> int:
    argv, _, _ = COMMANDS[name]
    return main([*argv(inputs, out), "--out", str(out), *extra])


def _plant(out: Path, kind: str, *, complete: bool) -> None:
    run = RunFolder(out, kind=kind)
    run.write_json("old_table.json", {"old": True})
    if complete:
        run.finish({})


def _mtimes(folder: Path) -> dict[Path, int]:
    return {path: path.stat().st_mtime_ns for path in folder.rglob("*")}


def test_every_folder_writing_command_is_covered() -> None:
    from babelscope.cli.main import build_parser, subparsers

    writers = {
        parser.prog.removeprefix("babelscope ")
        for parser in subparsers(build_parser())
        if "--overwrite" in parser._option_string_actions
    }
    assert writers == set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_a_complete_run_is_refused_then_replaced_with_overwrite(
    name: str, inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    _plant(out, COMMANDS[name][1], complete=True)
    before = _mtimes(out)
    assert _run(name, inputs, out) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "holds a complete" in err and REACHED not in err
    assert "--overwrite" in err and "--out DIR" in err
    assert _mtimes(out) == before and is_complete(out)

    assert _run(name, inputs, out, "--overwrite") == 2
    assert REACHED in capsys.readouterr().err  # got past the folder, to the model
    assert not is_complete(out) and not (out / "old_table.json").exists()  # at most a new run's
    # in-progress manifest (commands that open their folder before loading the model)


@pytest.mark.parametrize("name", COMMANDS)
def test_an_unfinished_run_resumes_or_starts_over(
    name: str, inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, kind, resumable = COMMANDS[name]
    out = tmp_path / "run"
    _plant(out, kind, complete=False)
    assert _run(name, inputs, out) == 2
    assert REACHED in capsys.readouterr().err
    assert (out / "old_table.json").exists() == resumable
    assert not is_complete(out)


@pytest.mark.parametrize("name", COMMANDS)
def test_a_folder_that_is_no_run_is_refused(
    name: str, inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert _run(name, inputs, out, "--overwrite") == 2
    err = capsys.readouterr().err
    assert "holds no babelscope run" in err and REACHED not in err
    assert (out / "notes.txt").read_text() == "mine"
