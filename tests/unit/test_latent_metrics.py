"""Latent-language metrics on cases with known answers (no model)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from babelscope.analyses.latent.measure import _SetMass
from babelscope.analyses.latent.result import LatentResult, PairRun
from babelscope.analyses.latent.stats import call_latent, mean_interval
from babelscope.lens.logit_lens import LensBatch


def _batch(probs: list[list[float]]) -> LensBatch:
    """One prompt, one row of probabilities per layer."""
    tensor = torch.tensor(probs, dtype=torch.float32).clamp_min(1e-30)
    return LensBatch(indices=[0], layers=list(range(len(probs))), log_probs=tensor.log()[None])


def test_mass_is_the_sum_over_each_token_set_and_entropy_is_in_bits() -> None:
    ids = [{"fra_Latn": [1, 2], "eng_Latn": [3]}]
    reducer = _SetMass(ids, ["fra_Latn", "eng_Latn"])
    uniform = [0.25, 0.25, 0.25, 0.25]
    peaked = [0.0, 0.7, 0.1, 0.2]
    out = reducer(_batch([uniform, peaked]))[0]  # [L, M + 2]
    torch.testing.assert_close(out[:, 0], torch.tensor([0.5, 0.8]))
    torch.testing.assert_close(out[:, 1], torch.tensor([0.25, 0.2]))
    expected_bits = -(0.7 * math.log2(0.7) + 0.1 * math.log2(0.1) + 0.2 * math.log2(0.2))
    torch.testing.assert_close(out[:, 2], torch.tensor([2.0, expected_bits]))
    assert out[0, 3] == 1.0  # the last layer's top token (id 1) is in the target set


def test_wrong_final_answer_is_counted_wrong() -> None:
    reducer = _SetMass([{"fra_Latn": [1], "eng_Latn": [3]}], ["fra_Latn", "eng_Latn"])
    out = reducer(_batch([[0.1, 0.2, 0.1, 0.6]]))[0]
    assert out[0, 3] == 0.0


def test_mean_interval_known_answer() -> None:
    mean, lower, upper, n = mean_interval(np.array([1.0, 2.0, 3.0, 4.0]))
    half = 1.959963984540054 * np.std([1, 2, 3, 4], ddof=1) / 2
    assert (mean, n) == (2.5, 4)
    assert lower == pytest.approx(2.5 - half) and upper == pytest.approx(2.5 + half)


def test_english_pivot_then_target_is_detected() -> None:
    layers = list(range(9))
    means = {
        "zho_Hans": np.array([0, 0, 0, 0, 0, 0.05, 0.2, 0.6, 0.9]),
        "eng_Latn": np.array([0, 0, 0, 0.1, 0.4, 0.5, 0.3, 0.1, 0.02]),
        "fra_Latn": np.array([0, 0, 0, 0, 0.01, 0.02, 0.01, 0.0, 0.0]),
    }
    call = call_latent(layers, means, "zho_Hans", n_layers=8)
    assert call.latent == ("eng_Latn",)
    assert not call.dual
    assert call.crossover_layer == 7  # target stays ahead of English from layer 7 on
    assert call.peak_layers["eng_Latn"] == 5


def test_tiny_curves_have_no_crossover() -> None:
    layers = [0, 1, 2, 3, 4]
    means = {"eng_Latn": np.array([1e-4, 1e-4, 1e-3, 0.01, 0.02]), "rus_Cyrl": np.zeros(5)}
    call = call_latent(layers, means, "eng_Latn", n_layers=4)
    assert call.latent == () and call.crossover_layer is None


def test_two_substantial_languages_make_a_dual_latent() -> None:
    layers = list(range(9))
    means = {
        "jpn_Jpan": np.array([0, 0, 0, 0, 0, 0.0, 0.1, 0.5, 0.8]),
        "eng_Latn": np.array([0, 0, 0, 0.1, 0.3, 0.3, 0.2, 0.1, 0.0]),
        "zho_Hans": np.array([0, 0, 0, 0.1, 0.25, 0.2, 0.1, 0.0, 0.0]),
    }
    call = call_latent(layers, means, "jpn_Jpan", n_layers=8)
    assert call.latent == ("eng_Latn", "zho_Hans") and call.dual


def _run(mass: np.ndarray) -> PairRun:
    n = mass.shape[0]
    prompts = pd.DataFrame(
        {
            "prompt_id": range(n),
            "task": "translation",
            "source": "fra_Latn",
            "target": "zho_Hans",
            "concept": "x",
            "query": "<script>alert(1)</script>",
            "text": "t",
            "answers": [{"zho_Hans": ["书"]}] * n,
            "status": "kept",
            "n_target_tokens": 1,
            "correct": True,
        }
    )
    return PairRun(
        model="m",
        task="translation",
        source="fra_Latn",
        target="zho_Hans",
        languages=["zho_Hans", "fra_Latn", "eng_Latn"],
        layers=[0, 1, 2],
        n_layers=2,
        vocab_size=256,
        mass=mass,
        entropy_bits=np.full(mass.shape[:2], 8.0, dtype=np.float32),
        correct=np.ones(n, dtype=bool),
        prompt_ids=list(range(n)),
        prompts=prompts,
    )


def test_frames_have_one_row_per_language_and_layer_with_intervals() -> None:
    rng = np.random.default_rng(0)
    mass = rng.uniform(0, 0.3, size=(5, 3, 3)).astype(np.float32)
    result = LatentResult(runs=[_run(mass)])
    frame = result.to_frame()
    assert len(frame) == 3 * 3
    row = frame[(frame.language == "eng_Latn") & (frame.layer == 1)].iloc[0]
    assert row["mean"] == pytest.approx(float(mass[:, 1, 2].mean()), rel=1e-6)
    assert row.lower < row["mean"] < row.upper and row.n == 5
    ent = result.entropy_frame()
    assert ent.fraction_of_max.tolist() == pytest.approx([1.0, 1.0, 1.0])  # 8 bits of log2(256)


def test_save_and_load_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from babelscope.runs import RunFolder

    mass = np.random.default_rng(1).uniform(0, 0.3, size=(4, 3, 3)).astype(np.float32)
    result = LatentResult(runs=[_run(mass)], models={"m": {"n_layers": 2}}, settings={"seed": 0})
    result.save(RunFolder(tmp_path))
    back = LatentResult.load(tmp_path)
    pd.testing.assert_frame_equal(back.to_frame(), result.to_frame())
    np.testing.assert_array_equal(back.runs[0].mass, mass)
    assert back.settings == {"seed": 0}


def test_latent_report_escapes_prompt_and_token_text(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from html.parser import HTMLParser

    from babelscope.report.html import Report
    from babelscope.report.sections.latent import add_latent_sections

    mass = np.random.default_rng(2).uniform(0, 0.3, size=(3, 3, 3)).astype(np.float32)
    run = _run(mass)
    run.prompts["text"] = '<script>alert(1)</script></td><td>"▁<s>'
    report = Report("t")
    add_latent_sections(report, LatentResult(runs=[run]))
    html = report.render()

    class Tags(HTMLParser):
        scripts = 0

        def handle_starttag(self, tag: str, attrs: object) -> None:
            self.scripts += tag == "script"

    parser = Tags()
    parser.feed(html)
    assert parser.scripts == 0
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "latent-summary" in html and "latent-prompts" in html
