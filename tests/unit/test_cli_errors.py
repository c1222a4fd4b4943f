"""CLI behaviour that needs no model: instant help, one-line errors with exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from babelscope.cli.main import main


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys; from babelscope.cli.main import build_parser; build_parser(); "
        "heavy = [m for m in ('torch', 'transformers', 'pandas') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["lens", "--model", "no-such-model", "--prompt", "x"], "bundled alias"),
        (["lens", "--model", "smollm2-135m", "--prompt", "   "], "prompt is empty"),
        (["lens", "--model", "smollm2-135m", "--prompt", "x", "--dtype", "int3"], "float32"),
        (["lens", "--model", "smollm2-135m", "--prompt", "x", "--device", "tpu9"], "cpu"),
        (["lens", "--model", "smollm2-135m", "--prompt", "x", "--top-k", "0"], "--top-k"),
    ],
)
def test_user_errors_exit_2_with_one_line(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("babelscope: error:") and "\n" not in err and needle in err


@pytest.mark.parametrize("content", [b"not a gguf at all", b"GGUF\x03\x00\x00\x00garbage"])
def test_corrupt_gguf_is_rejected(
    tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(content)
    assert main(["lens", "--model", str(bad), "--prompt", "x"]) == 2
    err = capsys.readouterr().err
    assert "GGUF" in err and "re-download" in err


def test_debug_shows_the_traceback() -> None:
    from babelscope.errors import ModelNotFoundError

    with pytest.raises(ModelNotFoundError):
        main(["--debug", "lens", "--model", "no-such-model", "--prompt", "x"])


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["latent", "--model", "smollm2-135m", "--source", "frx", "--target", "zh"], "fra_Latn"),
        (["latent", "--model", "smollm2-135m", "--pair", "translation:fr"], "TASK:SRC:TGT"),
        (["latent", "--model", "smollm2-135m", "--task", "poetry", "--target", "fr"], "cloze"),
        (["latent", "--model", "smollm2-135m"], "--target"),
        (["latent", "--source", "fr", "--target", "zh"], "--model"),
        (
            ["latent", "--model", "smollm2-135m", "--target", "fr", "--min-prefix-chars", "0"],
            "--min-prefix-chars",
        ),
    ],
)
def test_latent_rejects_bad_input_before_loading(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and needle in err


def test_malformed_lexicon_is_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "words.tsv"
    bad.write_text("concept\tlanguage\tword\nbook\tfra_Latn\n")
    argv = [
        "latent",
        "--model",
        "smollm2-135m",
        "--source",
        "fr",
        "--target",
        "de",
        "--lexicon",
        str(bad),
        "--out",
        str(tmp_path / "out"),
    ]
    assert main(argv) == 2
    assert "line 2" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
