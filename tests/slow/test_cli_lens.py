"""``babelscope lens`` and ``models`` on the bundled models, in-process through ``main``."""

from __future__ import annotations

import json

import pytest

from babelscope.cli.main import main

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("model", "blocks"), [("smollm2-135m", 30), ("gemma-3-270m", 18)])
def test_lens_prints_every_layer(
    model: str, blocks: int, capsys: pytest.CaptureFixture[str]
) -> None:
    prompt = 'Français: "livre" - 中文: "'
    assert main(["lens", "--model", model, "--prompt", prompt, "--top-k", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [row["layer"] for row in data["layers"]] == list(range(blocks + 1))
    for row in data["layers"]:
        probs = [t["prob"] for t in row["top"]]
        assert len(probs) == 2 and probs[0] >= probs[1] and 0 <= probs[0] <= 1


def test_layer_out_of_range_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["lens", "--model", "smollm2-135m", "--prompt", "hi", "--layers", "31"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.count("\n") == 0 and "0..30" in err


def test_models_lists_both_as_cached(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["gemma-3-270m"]["cached"] and rows["smollm2-135m"]["cached"]
    assert rows["gemma-3-270m"]["bytes"] > 500 * 2**20
