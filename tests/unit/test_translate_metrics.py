"""Translation scoring on known strings: sacrebleu parity, the copy control, off-target by
script and LID, NaN where undefined, exemplar disjointness, bad settings."""

from __future__ import annotations

import math

import numpy as np
import pytest

from babelscope import chrf
from babelscope.analyses.translate.controls import control
from babelscope.analyses.translate.exemplars import ExemplarPlan, check_disjoint, plan_exemplars
from babelscope.analyses.translate.prompts import Exemplar, build_prompt, language_tag
from babelscope.analyses.translate.scoring import score_cell
from babelscope.analyses.translate.settings import TranslateSettings
from babelscope.errors import ConfigError

HYPS = [
    "The cat sleeps on the sofa.",
    "Children play in the garden while it rains.",
    "",
    "A new tool sorts cells by type.",
]
REFS = [
    "The cat is sleeping on the couch.",
    "The children play in the garden when it rains.",
    "Scientists announced a new diagnostic tool.",
    "A new diagnostic tool can sort cells by type.",
]
SOURCES = [
    "Le chat dort sur le canapé.",
    "Les enfants jouent dans le jardin quand il pleut.",
    "Des scientifiques ont annoncé un nouvel outil de diagnostic.",
    "Un nouvel outil de diagnostic peut trier les cellules par type.",
]


def _score(hyps: list[str], **kwargs: object) -> dict[str, float]:
    n = len(hyps)
    defaults: dict[str, object] = {
        "copy": [False] * n,
        "off_target": [0.0] * n,
        "empty": [not h for h in hyps],
        "hit_cap": [False] * n,
        "replicates": 200,
    }
    return score_cell(hyps, REFS, SOURCES, **{**defaults, **kwargs})  # type: ignore[arg-type]


def test_corpus_chrf_pp_matches_sacrebleu_on_fixed_strings() -> None:
    from sacrebleu.metrics import CHRF

    expected_pp = CHRF(word_order=2).corpus_score(HYPS, [REFS]).score
    expected = CHRF().corpus_score(HYPS, [REFS]).score
    out = _score(HYPS)
    assert out["chrf_pp"] == pytest.approx(expected_pp, abs=1e-9)
    assert out["chrf"] == pytest.approx(expected, abs=1e-9)
    # a corpus score is not the mean of sentence scores
    mean = np.mean(
        [CHRF(word_order=2).sentence_score(h, [r]).score for h, r in zip(HYPS, REFS, strict=True)]
    )
    assert abs(out["chrf_pp"] - mean) > 1.0
    assert out["chrf_pp_lo"] <= out["chrf_pp"] <= out["chrf_pp_hi"]
    assert out["copy_baseline"] == pytest.approx(
        CHRF(word_order=2).corpus_score(SOURCES, [REFS]).score, abs=1e-9
    )
    assert out["empty_rate"] == pytest.approx(0.25)
    assert out["length_ratio"] == pytest.approx(sum(map(len, HYPS)) / sum(map(len, REFS)))
    assert "nw:2" in chrf.signature(2) and "nw:0" in chrf.signature(0)


def test_a_copy_hypothesis_has_copy_rate_one_and_equals_the_copy_baseline() -> None:
    copies = [control(s, s, "eng_Latn") for s in SOURCES]
    assert all(c.copy and c.copy_chrf == pytest.approx(100.0) for c in copies)
    out = _score(list(SOURCES), copy=[c.copy for c in copies], empty=[False] * 4)
    assert out["copy_rate"] == 1.0 and out["copy_rate_lo"] == 1.0
    assert out["chrf_pp"] == pytest.approx(out["copy_baseline"], abs=1e-9)
    assert out["clean_chrf_pp"] == 0.0  # every output was a copy: all counted as empty


def test_off_target_by_script_then_lid_nan_where_undefined() -> None:
    # wrong script: Latin letters for a Devanagari target, Cyrillic for French
    assert control("The children play in the garden.", "x", "hin_Deva").off_target == 1.0
    russian = control("Дети играют в саду, когда идёт дождь.", "x", "fra_Latn")
    assert russian.off_target == 1.0 and russian.output_script == "Cyrl"
    # right script, wrong language: lid.176 decides
    german = control("Die Kinder spielen im Garten, wenn es regnet.", "x", "fra_Latn")
    assert german.script_ok == 1.0 and german.off_target == 1.0
    french = control("Les enfants jouent dans le jardin quand il pleut.", "x", "fra_Latn")
    assert french.off_target == 0.0
    # right script, lid.176 has no Hausa label: undefined, never 0
    hausa = control("Yara suna wasa a lambu lokacin da ake ruwan sama.", "x", "hau_Latn")
    assert math.isnan(hausa.off_target)
    empty = control("  ", "x", "fra_Latn")
    assert empty.empty and math.isnan(empty.off_target)
    out = _score(HYPS, off_target=[1.0, math.nan, math.nan, 0.0])
    assert out["off_target_rate"] == 0.5 and out["off_target_n"] == 2.0
    none = _score(HYPS, off_target=[math.nan] * 4)
    assert math.isnan(none["off_target_rate"])
    # off-target outputs count as empty in the clean score
    dropped = _score(HYPS, off_target=[1.0, 0.0, 0.0, 0.0])
    assert dropped["clean_chrf_pp"] == pytest.approx(chrf.corpus(["", *HYPS[1:]], REFS), abs=1e-9)


def test_exemplars_never_come_from_the_scored_sentences() -> None:
    for seed in range(20):
        plan = plan_exemplars(
            split="dev",
            split_size=30,
            exemplar_split="dev",
            exemplar_split_size=30,
            sentences=20,
            shots=5,
            seed=seed,
            unlabeled=True,
        )
        assert not set(plan.scored) & set(plan.exemplars + plan.unlabeled)
        assert not set(plan.exemplars) & set(plan.unlabeled)
        assert len(plan.exemplars) == len(plan.unlabeled) == 5
    other = plan_exemplars(
        split="devtest",
        split_size=30,
        exemplar_split="dev",
        exemplar_split_size=10,
        sentences=30,
        shots=4,
        seed=0,
    )
    assert other.exemplar_split == "dev" and not other.same_split
    planted = ExemplarPlan("dev", (0, 1, 2), "dev", 10, (2, 5))
    with pytest.raises(AssertionError, match="also scored"):
        check_disjoint(planted)
    with pytest.raises(ConfigError, match="larger than the exemplar pool"):
        plan_exemplars(
            split="dev",
            split_size=30,
            exemplar_split="dev",
            exemplar_split_size=30,
            sentences=20,
            shots=6,
            seed=0,
            unlabeled=True,
        )


def test_tags_are_autonyms_with_an_english_fallback_and_the_template() -> None:
    assert language_tag("fra_Latn").text == "français"
    assert language_tag("hin_Deva").source == "autonym"
    fallback = language_tag("ace_Arab")
    assert fallback.source == "english" and fallback.text.startswith("Acehnese")
    fr, en = language_tag("fra_Latn"), language_tag("eng_Latn")
    prompt = build_prompt([Exemplar(fr, "Bonjour\nà tous", en, "Hello all")], fr, "Merci", en)
    assert prompt == "français: Bonjour à tous\nEnglish: Hello all\n\nfrançais: Merci\nEnglish:"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"directions": ("xx-fr",)}, "unknown --direction 'xx-fr'"),
        ({"promptings": ("fewshot",)}, "unknown --prompting"),
        ({"shots": 0}, "--shots 0"),
        ({"cap_factor": math.nan}, "--cap-factor"),
    ],
)
def test_bad_settings_are_config_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("+", r"\+")):
        TranslateSettings(**kwargs)  # type: ignore[arg-type]


def test_settings_round_trip_and_the_cap_rule() -> None:
    settings = TranslateSettings(languages=("fra_Latn",))
    assert TranslateSettings.from_dict(settings.to_dict()) == settings
    assert settings.cap(10) == 23 and TranslateSettings(cap_factor=2.0).cap(3) == 14
