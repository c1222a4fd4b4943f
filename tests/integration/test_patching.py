"""Activation patching on tiny random models: identity, the last-layer known answer, scoped
hooks, batching with left padding, and the pipeline's table and save/load round trip."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch

from babelscope import wrap_model
from babelscope.analyses.patching import PatchingResult, PatchSetup, patching_experiment
from babelscope.analyses.patching._forward import last_position_states, patched_final_log_probs
from babelscope.data.lexicon import Lexicon
from babelscope.models.handle import ModelHandle

from tiny_models import build_tiny, tiny_tokenizer

pytestmark = pytest.mark.integration

FAMILIES = ["llama", "gemma2", "gpt2", "gemma3_text", "bloom", "gpt_neox", "xglm"]
# Different lengths, so left padding is exercised.
PROMPTS = ['a: "b" - c: "', 'hello: "x" - yy: "zz" - w: "', 'q: "', "some text here: 1 2 3"]
SOURCES = ['de: "k" - it: "', 'x: "y" - z: "w" - u: "', 'mn: "', "abc def: 9 8 7 6"]


def _handle(family: str) -> ModelHandle:
    return wrap_model(build_tiny(family), tiny_tokenizer(), name=family)


def _plain_log_probs(handle: ModelHandle, text: str) -> torch.Tensor:
    """The unmodified model, one prompt, no padding."""
    with torch.no_grad():
        logits = handle.model(**handle.tokenizer(text, return_tensors="pt")).logits[0, -1]
    return torch.log_softmax(logits.float(), -1)


@pytest.mark.parametrize("family", FAMILIES)
def test_patching_a_prompts_own_state_is_the_identity(family: str) -> None:
    handle = _handle(family)
    layers = list(range(handle.n_layers + 1))
    states = last_position_states(handle, PROMPTS, layers)
    assert states.shape == (len(PROMPTS), len(layers), handle.hidden_size)
    expected = torch.stack([_plain_log_probs(handle, p) for p in PROMPTS])
    for li, layer in enumerate(layers):
        got = patched_final_log_probs(handle, PROMPTS, layer, states[:, li])
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("family", FAMILIES)
def test_patching_the_last_layer_gives_the_source_prompts_distribution(family: str) -> None:
    handle = _handle(family)
    top = handle.n_layers
    states = last_position_states(handle, SOURCES, [top])[:, 0]
    got = patched_final_log_probs(handle, PROMPTS, top, states)
    expected = torch.stack([_plain_log_probs(handle, p) for p in SOURCES])
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    # ... and a middle layer really changes the target's output (the test can fail).
    middle = last_position_states(handle, SOURCES, [1])[:, 0]
    moved = patched_final_log_probs(handle, PROMPTS, 1, middle)
    unpatched = torch.stack([_plain_log_probs(handle, p) for p in PROMPTS])
    assert (moved - unpatched).abs().max() > 1e-3


@pytest.mark.parametrize("layer", [0, 2])
def test_hooks_are_removed_when_the_forward_raises(layer: int) -> None:
    handle = _handle("llama")
    blocks = handle.blocks

    def explode(*_args: object) -> None:
        raise RuntimeError("boom")

    trap = blocks[-1].register_forward_hook(explode)
    states = torch.zeros(len(PROMPTS), handle.hidden_size)
    try:
        with pytest.raises(RuntimeError, match="boom"):
            patched_final_log_probs(handle, PROMPTS, layer, states)
    finally:
        trap.remove()
    assert all(not b._forward_hooks and not b._forward_pre_hooks for b in blocks)
    # The model is back to normal afterwards.
    after = patched_final_log_probs(
        handle, PROMPTS[:1], handle.n_layers, last_position_states(handle, PROMPTS[:1], [3])[:, 0]
    )
    torch.testing.assert_close(after[0], _plain_log_probs(handle, PROMPTS[0]), atol=1e-5, rtol=0)


@pytest.mark.parametrize("family", ["llama", "gpt2"])
def test_batched_equals_unbatched_with_left_padding(family: str) -> None:
    handle = _handle(family)
    states = last_position_states(handle, SOURCES, [2])[:, 0]
    batched = patched_final_log_probs(handle, PROMPTS, 2, states, batch_size=16)
    single = torch.cat(
        [
            patched_final_log_probs(handle, [p], 2, states[i : i + 1], batch_size=1)
            for i, p in enumerate(PROMPTS)
        ]
    )
    torch.testing.assert_close(batched, single, atol=1e-5, rtol=1e-5)
    one_state = last_position_states(handle, SOURCES, [2], batch_size=1)[:, 0]
    torch.testing.assert_close(one_state, states, atol=1e-5, rtol=1e-5)


def test_bad_patch_states_are_a_user_error() -> None:
    from babelscope.errors import ConfigError

    handle = _handle("llama")
    with pytest.raises(ConfigError, match="expected"):
        patched_final_log_probs(handle, PROMPTS, 1, torch.zeros(2, handle.hidden_size))
    with pytest.raises(ConfigError, match="out of range"):
        patched_final_log_probs(handle, PROMPTS, 9, torch.zeros(4, handle.hidden_size))


# One-letter words: whole-word tokens of the character-level tiny tokenizer; the four measured
# alphabets are disjoint even with case variants.
DEU, ITA, FRA, ZHO = "abcdefgh", "ijklmnop", "qrstuvwx", "01234567"
LEXICON = Lexicon(
    {
        f"c{i}": {"deu_Latn": [DEU[i]], "ita_Latn": [ITA[i]], "fra_Latn": [FRA[i]], "zh": [ZHO[i]]}
        for i in range(8)
    },
    version="tiny",
)


def test_pipeline_table_known_answers_and_round_trip(tmp_path: Path) -> None:
    handle = _handle("llama")
    setup = PatchSetup.make("de:it", "fr:zh")
    result = patching_experiment(
        [handle], setup, lexicon=LEXICON, shots=2, n_pairs=6, progress=False
    )
    (run,) = result.runs
    assert run.series == ["A in T2", "A in T1", "B in T2", "B in T1"]
    assert run.probs.shape == (6, handle.n_layers + 1, 4)
    pairs = run.pairs
    assert (pairs.concept_a != pairs.concept_b).all()
    assert pairs.concept_a.is_unique and pairs.concept_b.is_unique
    for row, pair in pairs.iterrows():
        # The patched run's last layer is the source prompt's own output ...
        source = _plain_log_probs(handle, pair.source_text).exp()
        a_in_t2 = pair["words A in T2"]
        ids = handle.tokenizer.convert_tokens_to_ids([a_in_t2])
        assert run.probs[row, -1, 0] == pytest.approx(float(source[ids].sum()), abs=1e-5)
        assert run.source_baseline[row] == pytest.approx(run.probs[row, -1], abs=1e-5)
        # ... and the unpatched target measures the target prompt's own answer.
        target = _plain_log_probs(handle, pair.target_text).exp()
        b_ids = handle.tokenizer.convert_tokens_to_ids([pair["words B in T2"]])
        assert run.target_baseline[row, 2] == pytest.approx(float(target[b_ids].sum()), abs=1e-5)
    frame = result.to_frame()
    assert len(frame) == 4 * (handle.n_layers + 1)
    assert frame["mean"].between(0, 1).all() and (frame.n == 6).all()
    assert (frame.lower <= frame["mean"]).all() and (frame["mean"] <= frame.upper).all()
    result.save(tmp_path / "run")
    back = PatchingResult.load(tmp_path / "run")
    pd.testing.assert_frame_equal(back.to_frame(), frame, atol=1e-6)
    pd.testing.assert_frame_equal(back.baseline_frame(), result.baseline_frame(), atol=1e-6)
    pd.testing.assert_frame_equal(back.summary_frame(), result.summary_frame())
    assert result.findings() and "6 pairs" in result.findings()[0]
    # The figure draws the table: each series' line is its per-layer mean.
    (ax,) = [a for a in result.plot().axes if a.get_lines()]
    drawn = {line.get_label(): list(line.get_ydata()) for line in ax.get_lines()}
    for series, part in frame.groupby("series"):
        if series in drawn:
            assert drawn[series] == pytest.approx(part.sort_values("layer")["mean"].tolist())
    assert {"A in T2", "B in T2", "A in T1"} <= set(drawn)


def test_patching_run_folder_joins_the_combined_report(tmp_path: Path) -> None:
    import json

    from babelscope.report.combined import combined_report
    from babelscope.report.sections.patching import write_patching_run

    handle = _handle("llama")
    setup = PatchSetup.make("de:it", "fr:zh")
    result = patching_experiment([handle], setup, lexicon=LEXICON, shots=2, n_pairs=4)
    write_patching_run(tmp_path / "run", result)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["kind"] == "patching" and manifest["status"] == "complete"
    assert "report.html" in manifest["files"] and list(manifest)[-1] == "status"
    html = combined_report([tmp_path / "run"]).write(tmp_path / "all.html").read_text()
    assert "Activation patching: concept or language?" in html
    assert result.findings()[0].split(":")[0] in html
