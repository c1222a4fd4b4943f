"""``--words`` on ``babelscope latent`` and ``babelscope demo``: which word set reaches the
analysis (the model loader and the analysis are replaced, so no model is loaded)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import babelscope.analyses.latent as latent_package
from babelscope.cli.main import main
from babelscope.data.lexicon import Lexicon
from babelscope.models import loader


class _StopError(Exception):
    """Raised by the fake analysis once it has seen the lexicon."""


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    captured: dict[str, Any] = {}

    def fake_latent_language(models: Any, pairs: Any, *, lexicon: Lexicon, **_: Any) -> None:
        captured["lexicon"] = lexicon
        raise _StopError

    monkeypatch.setattr(latent_package, "latent_language", fake_latent_language)
    monkeypatch.setattr(loader, "load_model", lambda spec, **_: spec)
    return captured


def _latent(tmp_path: Path, *extra: str) -> list[str]:
    return [
        "latent", "--model", "m", "--source", "fr", "--target", "zh",
        "--out", str(tmp_path / "out"), *extra,
    ]  # fmt: skip


def test_default_is_nouns(tmp_path: Path, seen: dict[str, Any]) -> None:
    with pytest.raises(_StopError):
        main(_latent(tmp_path))
    assert seen["lexicon"].version.startswith("nouns-")
    assert seen["lexicon"].words("dog", "fr") == ["chien"]


def test_words_calendar(tmp_path: Path, seen: dict[str, Any]) -> None:
    with pytest.raises(_StopError):
        main(_latent(tmp_path, "--words", "calendar"))
    assert seen["lexicon"].words("monday", "fr") == ["lundi"]
    assert "dog" not in seen["lexicon"].concepts()


def test_words_file_alone_and_lexicon_merged(tmp_path: Path, seen: dict[str, Any]) -> None:
    mine = tmp_path / "mine.tsv"
    mine.write_text("concept\tlanguage\tword\nbook\tfr\tlivre\nbook\tzh\t书\n", encoding="utf-8")
    with pytest.raises(_StopError):
        main(_latent(tmp_path, "--words", str(mine)))
    assert seen["lexicon"].concepts() == ["book"]
    with pytest.raises(_StopError):
        main(_latent(tmp_path, "--words", "nouns", "--lexicon", str(mine)))
    assert {"book", "dog"} <= set(seen["lexicon"].concepts())


def test_demo_takes_words(tmp_path: Path, seen: dict[str, Any]) -> None:
    with pytest.raises(_StopError):
        main(["demo", "--out", str(tmp_path / "demo"), "--words", "calendar"])
    assert "monday" in seen["lexicon"].concepts()


@pytest.mark.parametrize("command", ["latent", "demo"])
def test_missing_words_file_exits_2_with_one_line(
    tmp_path: Path, seen: dict[str, Any], command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "missing.tsv")
    argv = _latent(tmp_path) if command == "latent" else ["demo", "--out", str(tmp_path / "d")]
    assert main([*argv, "--words", missing]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "missing.tsv" in err and "--words nouns" in err
    assert "lexicon" not in seen and not (tmp_path / "out").exists()
