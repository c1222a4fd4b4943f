"""Latent-language metrics on cases with known answers (no model)."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
import torch

from babelscope.analyses.latent.measure import _SetMass
from babelscope.analyses.latent.prompts import LatentPrompt
from babelscope.analyses.latent.result import LatentResult, PairRun, role
from babelscope.analyses.latent.stats import call_latent, mean_interval, pair_interval
from babelscope.analyses.latent.token_sets import first_token_id, first_token_ids, prepare
from babelscope.lens.logit_lens import LensBatch


def _batch(probs: list[list[float]]) -> LensBatch:
    """One prompt, one row of probabilities per layer."""
    tensor = torch.tensor(probs, dtype=torch.float32).clamp_min(1e-30)
    return LensBatch(indices=[0], layers=list(range(len(probs))), log_probs=tensor.log()[None])


def test_mass_is_the_sum_over_each_token_set_and_entropy_is_in_bits() -> None:
    ids = [{"fra_Latn": [1, 2], "eng_Latn": [3]}]
    reducer = _SetMass(ids, ["fra_Latn", "eng_Latn"], [[1]])
    uniform = [0.25, 0.25, 0.25, 0.25]
    peaked = [0.0, 0.7, 0.1, 0.2]
    out = reducer(_batch([uniform, peaked]))[0]  # [L, M + 4]
    torch.testing.assert_close(out[:, 0], torch.tensor([0.5, 0.8]))
    torch.testing.assert_close(out[:, 1], torch.tensor([0.25, 0.2]))
    torch.testing.assert_close(out[:, 2], torch.tensor([0.0, 0.0]))  # nothing shared
    torch.testing.assert_close(out[:, 3], torch.tensor([0.25, 0.0]), atol=1e-6, rtol=0)  # other
    expected_bits = -(0.7 * math.log2(0.7) + 0.1 * math.log2(0.1) + 0.2 * math.log2(0.2))
    torch.testing.assert_close(out[:, 4], torch.tensor([2.0, expected_bits]))
    assert out[0, 5] == 1.0  # the last layer's top token (id 1) is the answer's first token


def test_overlapping_source_and_english_sets_are_counted_once() -> None:
    """fra {nov, novembre} and eng {nov, November}: "nov" goes to shared, never to both."""
    from babelscope.languages.attribution import PrefixIndex, Vocabulary

    tokens = ["<unk>", "▁nov", "▁novembre", "▁November", "▁x", "▁xx"]
    index = PrefixIndex(Vocabulary.from_tokens(tokens, special_ids=[0]))
    prompt = LatentPrompt(
        prompt_id=0,
        task="translation",
        source="fra_Latn",
        target="zho_Hans",
        concept="november",
        query="novembre",
        text="t",
        answers={"zho_Hans": ("xx",), "fra_Latn": ("novembre",), "eng_Latn": ("november",)},
    )
    prepared = prepare([prompt], index)
    assert prepared.statuses == ["kept"]
    assert prepared.shared_between == ["fra_Latn/eng_Latn"]
    ids = prepared.token_ids[0]
    assert ids == {"zho_Hans": [5], "fra_Latn": [2], "eng_Latn": [3], "shared": [1]}
    probs = [0.0, 0.4, 0.3, 0.1, 0.05, 0.15]  # nov, novembre, November, x, xx
    reducer = _SetMass(prepared.token_ids, ["zho_Hans", "fra_Latn", "eng_Latn"], [[5]])
    out = reducer(_batch([probs]))[0, 0]
    assert out[:3].tolist() == pytest.approx([0.15, 0.3, 0.1])
    assert out[3] == pytest.approx(0.4)  # shared: "▁nov", once
    assert out[4] == pytest.approx(0.05)  # other: "▁x"
    assert float(out[:5].sum()) == pytest.approx(1.0, abs=1e-6)
    # the old rule summed 0.4 + 0.3 for French and 0.4 + 0.1 for English: 1.2 > 1
    assert prepare([prompt], index, overlap="drop").statuses == [
        "dropped: overlap fra_Latn/eng_Latn"
    ]


def test_overlapping_sets_are_refused_by_the_reducer() -> None:
    with pytest.raises(ValueError, match="disjoint"):
        _SetMass([{"a": [1, 2], "b": [2]}], ["a", "b"], [[1]])


def test_wrong_final_answer_is_counted_wrong() -> None:
    reducer = _SetMass([{"fra_Latn": [1], "eng_Latn": [3]}], ["fra_Latn", "eng_Latn"], [[1]])
    out = reducer(_batch([[0.1, 0.2, 0.1, 0.6]]))[0]
    assert out[0, 5] == 0.0


def test_mean_interval_known_answer() -> None:
    mean, lower, upper, n = mean_interval(np.array([1.0, 2.0, 3.0, 4.0]))
    half = 1.959963984540054 * np.std([1, 2, 3, 4], ddof=1) / 2
    assert (mean, n) == (2.5, 4)
    assert lower == pytest.approx(2.5 - half) and upper == pytest.approx(2.5 + half)


def test_pair_interval_is_a_t_interval_over_pair_means() -> None:
    mean, lower, upper, n = pair_interval(np.array([0.1, 0.2, 0.3]))
    half = 4.302652729911275 * 0.1 / math.sqrt(3)  # t(0.975, 2) × sd / √3
    assert n == 3 and mean == pytest.approx(0.2)
    assert (lower, upper) == pytest.approx((0.2 - half, 0.2 + half))


def test_pair_level_interval_is_wider_than_the_prompt_pooled_one() -> None:
    """Five pairs whose true means differ (between-pair variance), 60 prompts each: pooling
    300 prompts as independent gives a narrow interval that misses how far the pairs spread."""
    rng = np.random.default_rng(0)
    pair_means = rng.normal(0.2, 0.08, size=5)
    prompts = [np.clip(rng.normal(mu, 0.05, size=60), 0, 1) for mu in pair_means]
    _, p_lo, p_hi, _ = mean_interval(np.concatenate(prompts))
    _, q_lo, q_hi, n_pairs = pair_interval(np.array([p.mean() for p in prompts]))
    assert n_pairs == 5
    assert (q_hi - q_lo) > 3 * (p_hi - p_lo)


def _call(means: dict[str, np.ndarray], lowers: dict[str, np.ndarray] | None = None, **kw):  # type: ignore[no-untyped-def]
    layers = list(range(len(next(iter(means.values())))))
    lowers = lowers if lowers is not None else means
    kw.setdefault("n_layers", len(layers) - 1)
    return call_latent(layers, means, lowers, **kw)


def test_english_pivot_then_target_is_detected() -> None:
    means = {
        "zho_Hans": np.array([0, 0, 0, 0, 0, 0.05, 0.2, 0.6, 0.9]),
        "eng_Latn": np.array([0, 0, 0, 0.1, 0.4, 0.5, 0.3, 0.1, 0.02]),
        "fra_Latn": np.array([0, 0, 0, 0, 0.01, 0.02, 0.01, 0.0, 0.0]),
    }
    call = _call(means, target="zho_Hans", candidates=["eng_Latn"], copy="fra_Latn")
    assert call.latent == ("eng_Latn",)
    assert not call.dual
    assert call.crossover_layer == 7  # target stays ahead of English from layer 7 on
    assert call.window == (2, 6)  # L/4 = 2 up to the layer before the crossover
    assert call.peak_layers["eng_Latn"] == 5
    assert call.reason.startswith("latent: eng_Latn lower bound 0.500")


def test_mass_after_the_crossover_is_not_latent() -> None:
    """English peaks only once the target already leads: outside the window, no call."""
    means = {
        "zho_Hans": np.array([0, 0, 0, 0.1, 0.5, 0.6, 0.7, 0.8, 0.9]),
        "eng_Latn": np.array([0, 0, 0, 0.0, 0.02, 0.2, 0.3, 0.1, 0.0]),
    }
    call = _call(means, target="zho_Hans", candidates=["eng_Latn"])
    assert call.crossover_layer == 3 and call.window == (2, 2)
    assert call.latent == () and "no call" in call.reason


def test_latent_call_needs_the_lower_bound_to_reach_the_threshold() -> None:
    """Mean 0.08 ≥ 0.05, but the lower bound 0.02 is not: no call, and the reason says why."""
    target = np.array([0, 0, 0, 0, 0, 0, 0, 0.5, 0.9])
    eng_mean = np.array([0, 0, 0, 0.05, 0.08, 0.06, 0.03, 0.01, 0.0])
    eng_lower = eng_mean - 0.06
    call = _call(
        {"zho_Hans": target, "eng_Latn": eng_mean},
        {"zho_Hans": target, "eng_Latn": eng_lower},
        target="zho_Hans",
        candidates=["eng_Latn"],
    )
    assert call.latent == ()
    assert call.peaks["eng_Latn"] == pytest.approx(0.08)
    assert "lower bound 0.020 < 0.05" in call.reason and call.reason.startswith("no call")
    # the same curve with a tight interval is called
    tight = _call(
        {"zho_Hans": target, "eng_Latn": eng_mean},
        {"zho_Hans": target, "eng_Latn": eng_mean - 0.01},
        target="zho_Hans",
        candidates=["eng_Latn"],
    )
    assert tight.latent == ("eng_Latn",)


def test_copying_is_not_a_latent_language() -> None:
    """The source word peaks mid-stack (it is in the prompt): reported as copy, never latent."""
    means = {
        "zho_Hans": np.array([0, 0, 0, 0, 0, 0, 0.1, 0.6, 0.9]),
        "fra_Latn": np.array([0, 0, 0.2, 0.5, 0.7, 0.6, 0.3, 0.1, 0.03]),
        "eng_Latn": np.zeros(9),
    }
    call = _call(means, target="zho_Hans", candidates=["eng_Latn"], copy="fra_Latn")
    assert call.latent == () and call.copy_peak == pytest.approx(0.7)
    assert call.crossover_layer == 7
    no_candidates = _call(means, target="zho_Hans", candidates=[], copy="fra_Latn")
    assert "absent from the prompt" in no_candidates.reason


def test_tiny_curves_have_no_crossover() -> None:
    means = {"eng_Latn": np.array([1e-4, 1e-4, 1e-3, 0.01, 0.02]), "rus_Cyrl": np.zeros(5)}
    call = _call(means, target="eng_Latn", candidates=["rus_Cyrl"], n_layers=4)
    assert call.latent == () and call.crossover_layer is None and call.window == (1, 3)


def test_two_substantial_languages_make_a_dual_latent() -> None:
    means = {
        "jpn_Jpan": np.array([0, 0, 0, 0, 0, 0.0, 0.1, 0.5, 0.8]),
        "eng_Latn": np.array([0, 0, 0, 0.1, 0.3, 0.3, 0.2, 0.1, 0.0]),
        "zho_Hans": np.array([0, 0, 0, 0.1, 0.25, 0.2, 0.1, 0.0, 0.0]),
    }
    call = _call(means, target="jpn_Jpan", candidates=["eng_Latn", "zho_Hans"])
    assert call.latent == ("eng_Latn", "zho_Hans") and call.dual


def test_role_never_puts_an_english_source_into_the_english_curve() -> None:
    eng_yor = _run(np.zeros((2, 3, 3), dtype=np.float32), source="eng_Latn", target="yor_Latn")
    assert role("eng_Latn", eng_yor) == "copy" and eng_yor.candidates == ["fra_Latn"]
    fra_zho = _run(np.zeros((2, 3, 3), dtype=np.float32))
    assert [role(lang, fra_zho) for lang in fra_zho.languages] == ["target", "copy", "English"]
    assert fra_zho.candidates == ["eng_Latn"]
    rus_eng = _run(np.zeros((2, 3, 3), dtype=np.float32), source="rus_Cyrl", target="eng_Latn")
    assert role("eng_Latn", rus_eng) == "target"


def test_overview_pools_english_only_where_it_is_absent_from_the_prompt() -> None:
    """eng→yor's English curve is the copied query (0.9): it must not raise the English line."""
    mass = np.zeros((4, 3, 3), dtype=np.float32)
    mass[:, :, 2] = 0.1  # English, absent from the prompt
    mass[:, :, 1] = 0.3  # French, the source
    copy = np.zeros((4, 3, 3), dtype=np.float32)
    copy[:, :, 1] = 0.9  # eng→yor: languages are [yor, eng, fra]; eng is the source
    runs = [_run(mass), _run(copy, source="eng_Latn", target="yor_Latn")]
    roles = LatentResult(runs=runs).role_frame()
    roles = roles[roles.subset == "all"]
    english = roles[roles.role == "English"]
    assert english["mean"].tolist() == pytest.approx([0.1] * 3)
    assert set(english.n_pairs) == {1}
    copies = roles[(roles.role == "copy") & (roles.layer == 1)]
    assert copies["mean"].item() == pytest.approx(0.6) and copies.n_pairs.item() == 2


def _run(mass: np.ndarray, *, source: str = "fra_Latn", target: str = "zho_Hans") -> PairRun:
    n = mass.shape[0]
    languages = list(dict.fromkeys([target, source, "eng_Latn", "fra_Latn"]))[:3]
    prompts = pd.DataFrame(
        {
            "prompt_id": range(n),
            "task": "translation",
            "source": source,
            "target": target,
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
        source=source,
        target=target,
        languages=languages,
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
    # 2 subsets (all, correct) × (3 languages + shared + other) × 3 layers
    assert len(frame) == 2 * 5 * 3
    frame = frame[frame.subset == "all"]
    row = frame[(frame.language == "eng_Latn") & (frame.layer == 1)].iloc[0]
    assert row["mean"] == pytest.approx(float(mass[:, 1, 2].mean()), rel=1e-6)
    assert row.lower < row["mean"] < row.upper and row.n == 5
    ent = result.entropy_frame()
    assert ent.fraction_of_max.tolist() == pytest.approx([1.0, 1.0, 1.0])  # 8 bits of log2(256)


def test_save_and_load_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from babelscope.runs import RunFolder

    rng = np.random.default_rng(1)
    mass = rng.uniform(0, 0.3, size=(4, 3, 3)).astype(np.float32)
    run = _run(mass)
    run.shared = rng.uniform(0, 0.05, size=(4, 3)).astype(np.float32)
    run.other = (1 - mass.sum(-1) - run.shared).astype(np.float32)
    run.counts = {"n_shots_changed": 2, "n_dropped_shots": 1}
    result = LatentResult(runs=[run], models={"m": {"n_layers": 2}}, settings={"seed": 0})
    result.save(RunFolder(tmp_path))
    back = LatentResult.load(tmp_path)
    pd.testing.assert_frame_equal(back.to_frame(), result.to_frame())
    pd.testing.assert_frame_equal(back.summary_frame(), result.summary_frame())
    np.testing.assert_array_equal(back.runs[0].mass, mass)
    np.testing.assert_array_equal(back.runs[0].shared, run.shared)
    assert back.runs[0].counts == run.counts
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


class _GreedyTokenizer:
    """Longest-match tokenizer over a fixed vocabulary (enough for first-token answers)."""

    vocab: ClassVar[dict[str, int]] = {
        "星期": 1,
        "星": 2,
        "期": 3,
        "二": 4,
        "一": 5,
        "中文": 6,
        ":": 7,
        " ": 8,
        '"': 9,
    }

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        ids, i = [], 0
        while i < len(text):
            for size in (2, 1):
                if text[i : i + size] in self.vocab:
                    ids.append(self.vocab[text[i : i + size]])
                    i += size
                    break
            else:
                raise ValueError(text[i])
        return ids


def test_strict_accuracy_is_the_first_token_of_the_target_word() -> None:
    tok = _GreedyTokenizer()
    context = '中文: "'
    assert first_token_id(tok, context, "星期二") == 1  # 星期, not 星
    assert first_token_ids(tok, context, ["星期二", "二"]) == frozenset({1, 4})  # + a synonym
    assert first_token_id(tok, context, "") is None
    answers = [first_token_ids(tok, context, ["星期二"])]
    reducer = _SetMass([{"zho_Hans": [1, 2], "eng_Latn": [3]}], ["zho_Hans", "eng_Latn"], answers)
    # top-1 is 星 (id 2): a prefix of the answer, in the target set, but not its first token
    lenient = reducer(_batch([[0.0, 0.2, 0.5, 0.1, 0.2]]))[0]
    assert lenient[0, 0] == pytest.approx(0.7) and lenient[0, -1] == 0.0
    right = reducer(_batch([[0.0, 0.5, 0.2, 0.1, 0.2]]))[0]
    assert right[0, -1] == 1.0


def test_correct_subset_averages_only_correctly_answered_prompts() -> None:
    mass = np.zeros((4, 3, 3), dtype=np.float32)
    mass[:, :, 0] = np.array([0.9, 0.7, 0.1, 0.3])[:, None]
    run = _run(mass)
    run.correct = np.array([True, True, False, False])
    frame = LatentResult(runs=[run]).to_frame()
    target = frame[(frame.language == "zho_Hans") & (frame.layer == 2)].set_index("subset")
    assert target.loc["all", "mean"] == pytest.approx(0.5)
    assert target.loc["correct", "mean"] == pytest.approx(0.8)
    assert target.loc["correct", "n"] == 2
    summary = LatentResult(runs=[run]).summary_frame().iloc[0]
    assert summary.accuracy == 0.5 and summary.n_correct == 2


def test_report_warns_next_to_the_overview_when_the_shared_bucket_is_large() -> None:
    from babelscope.report.html import Report
    from babelscope.report.sections.latent import add_latent_sections

    mass = np.full((3, 3, 3), 0.1, dtype=np.float32)
    small, large = _run(mass), _run(mass.copy())
    small.shared = np.full((3, 3), 0.01, dtype=np.float32)
    large.shared = np.full((3, 3), 0.2, dtype=np.float32)
    html = {}
    for name, run in (("small", small), ("large", large)):
        report = Report("t")
        add_latent_sections(report, LatentResult(runs=[run]))
        html[name] = report.render()
        assert LatentResult(runs=[run]).summary_frame().shared_large.item() == (name == "large")
    assert "Caution: in 1 of 1 runs the shared bucket" in html["large"]
    assert "Caution" not in html["small"]


def test_a_pair_without_kept_prompts_round_trips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The demo has pairs a tokenizer cannot measure (0 kept prompts); reloading its folder for
    `babelscope report` or a sweep's combined report must not fail on them."""
    from babelscope.runs import RunFolder

    rng = np.random.default_rng(2)
    full = _run(rng.uniform(0, 0.3, size=(3, 3, 3)).astype(np.float32))
    empty = _run(np.zeros((0, 3, 3), dtype=np.float32), target="kor_Hang")
    LatentResult(runs=[full, empty], models={"m": {"n_layers": 2}}).save(RunFolder(tmp_path))
    back = LatentResult.load(tmp_path)
    assert [len(run.prompt_ids) for run in back.runs] == [3, 0]
    np.testing.assert_array_equal(back.runs[0].mass, full.mass)
