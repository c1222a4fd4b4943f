"""Activation patching on smollm2-135m: one setup, a few pairs — table shape, probabilities in
[0, 1], the identity and the last-layer known answer on a real model, and the CLI run folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from babelscope.analyses.patching import PatchSetup, patching_experiment
from babelscope.analyses.patching._forward import last_position_states, patched_final_log_probs
from babelscope.models.handle import ModelHandle
from babelscope.runs import is_complete

pytestmark = pytest.mark.slow


def test_patching_on_smollm2(smollm2: ModelHandle, tmp_path: Path) -> None:
    setup = PatchSetup.make("de:it", "fr:zh")
    layers = [0, 10, 20, 30]
    result = patching_experiment(
        [smollm2], setup, layers=layers, n_pairs=4, shots=3, progress=False
    )
    (run,) = result.runs
    assert run.probs.shape == (4, len(layers), 4)
    assert np.isfinite(run.probs).all() and (run.probs >= 0).all() and (run.probs <= 1).all()
    # Two different sets of one pair are disjoint, so their sum is a probability too.
    assert (run.probs.sum(-1) <= 1 + 1e-5).all()
    frame = result.to_frame()
    assert len(frame) == 4 * len(layers) and (frame.n == 4).all()
    # Patching the last layer returns the source prompt's own answer.
    np.testing.assert_allclose(run.probs[:, -1], run.source_baseline, atol=1e-4)

    sources = run.pairs.source_text.tolist()
    states = last_position_states(smollm2, sources, [15, 30])
    expected = patched_final_log_probs(smollm2, sources, 30, states[:, 1])
    identity = patched_final_log_probs(smollm2, sources, 15, states[:, 0])
    scale = expected.exp()
    torch.testing.assert_close(identity.exp(), scale, atol=1e-4, rtol=0)
    with torch.no_grad():
        tok = smollm2.tokenizer(sources[0], return_tensors="pt")
        plain = torch.log_softmax(smollm2.model(**tok).logits[0, -1].float(), -1)
    torch.testing.assert_close(expected[0].exp(), plain.exp(), atol=1e-4, rtol=0)

    from babelscope.report.sections.patching import write_patching_run

    report = write_patching_run(tmp_path / "run", result)
    assert report.is_file() and is_complete(tmp_path / "run")
    assert (tmp_path / "run" / "plots" / "patching_layers.png").is_file()
    assert (tmp_path / "run" / "patching.parquet").is_file()
