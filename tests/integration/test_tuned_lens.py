"""The tuned lens on tiny random models: it starts as the logit lens, its last layer is the
model's own head, the coarse loss tracks the full KL, training lowers the KL on held-out text,
and a stopped run resumes to exactly the weights an uninterrupted run reaches."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from scipy.stats import spearmanr

from babelscope import wrap_model
from babelscope.errors import ConfigError, DataError
from babelscope.lens.divergence import coarse_target, kl_coarse, kl_full
from babelscope.lens.logit_lens import LogitLens
from babelscope.lens.train import LensTrainSettings, layer_states, train_tuned_lens
from babelscope.lens.training_data import HeldOut, round_robin
from babelscope.lens.tuned import TunedLens

from tiny_models import build_tiny, tiny_tokenizer

pytestmark = pytest.mark.integration

LETTERS = "abcdefghijklmnopqrstuvwx"


def _texts(n: int = 40) -> dict[str, list[str]]:
    rng = torch.Generator().manual_seed(1)
    out: dict[str, list[str]] = {}
    for k, lang in enumerate(["aaa_Latn", "bbb_Latn", "ccc_Latn"]):
        alphabet = LETTERS[8 * k : 8 * k + 8]
        rows = []
        for _ in range(n):
            idx = torch.randint(0, 8, (12,), generator=rng).tolist()
            rows.append("".join(alphabet[i] for i in idx))
        out[lang] = rows
    return out


def _handle(family: str = "llama", seed: int = 0, sharpen: float = 1.0):  # type: ignore[no-untyped-def]
    name = f"{family}-{seed}"
    handle = wrap_model(build_tiny(family, seed=seed), tiny_tokenizer(), name=name)
    if sharpen != 1.0:
        # Random tiny models predict nearly uniformly (KLs of 1e-3 nats); a larger head makes
        # the layers disagree enough for training to have something to fit.
        with torch.no_grad():
            handle.unembed.weight.mul_(sharpen)
    return handle


@pytest.mark.parametrize("family", ["llama", "gemma2", "gpt2"])
def test_untrained_tuned_lens_equals_logit_lens_and_last_layer_is_the_head(family: str) -> None:
    handle = _handle(family)
    lens, logit = TunedLens(handle), LogitLens(handle)
    states, _ = layer_states(handle, ["abcdefg", "hijk"], max_length=64)
    with torch.no_grad():
        for layer, hidden in enumerate(states):
            assert torch.equal(lens(hidden, layer), logit(hidden))
        # Perturb every translator: the last layer still decodes exactly as the model's head.
        for translator in lens.translators:
            translator.weight.normal_()
        last = lens(states[-1], handle.n_layers)
        ids = tiny_tokenizer()(["abcdefg"], return_tensors="pt")
        logits = handle.model(**ids).logits[0, 1:]
        torch.testing.assert_close(last[: logits.shape[0]], logits, atol=1e-4, rtol=1e-4)
        assert not torch.allclose(lens(states[1], 1), logit(states[1]))


def test_coarse_kl_is_exact_when_nothing_is_lumped_and_a_lower_bound_otherwise() -> None:
    torch.manual_seed(0)
    handle = _handle()
    logit = LogitLens(handle)
    states, _ = layer_states(handle, ["abcdefgh", "ijklmnop"], max_length=64)
    with torch.no_grad():
        final = logit.log_probs(states[-1])
        hidden = states[1] * 3.0
        full = kl_full(final, logit(hidden))
        everything = coarse_target(final, top_k=final.shape[-1])
        assert everything.rest_ids.numel() == 0
        exact = kl_coarse(logit.unembed, hidden, everything, rest_samples=1)
        torch.testing.assert_close(exact, full, atol=1e-5, rtol=1e-5)
        # All rest tokens sampled: the rest bucket is exact, so data processing gives ≤ full.
        some = coarse_target(final, top_k=4)
        coarse = kl_coarse(logit.unembed, hidden, some, rest_samples=10_000)
        assert bool((coarse <= full + 1e-6).all())
        assert float(coarse.mean()) > 0


def test_coarse_loss_tracks_full_kl_across_checkpoints(tmp_path: Path) -> None:
    handle = _handle(sharpen=20.0)
    texts = _texts()
    held = HeldOut(5)
    eval_texts = [texts[lang][i] for lang in texts for i in held.eval_ids(40)]
    states, _ = layer_states(handle, eval_texts, max_length=64)
    logit = LogitLens(handle)
    final = logit.log_probs(states[-1]).detach()
    target = coarse_target(final, top_k=8)
    full_curve, coarse_curve = [], []

    def measure(lens: TunedLens) -> None:
        with torch.no_grad():
            full = [kl_full(final, lens(states[layer], layer)).mean() for layer in range(3)]
            gen = torch.Generator().manual_seed(0)
            coarse = [
                kl_coarse(
                    logit.unembed,
                    lens.translate(states[layer], layer),
                    target,
                    rest_samples=32,
                    generator=gen,
                ).mean()
                for layer in range(3)
            ]
        full_curve.append(float(sum(full)))
        coarse_curve.append(float(sum(coarse)))

    settings = LensTrainSettings(
        tokens=10**9, batch_sentences=6, lr=1e-2, top_k=8, rest_samples=32, checkpoint_every=2
    )
    lens = TunedLens(handle)
    measure(lens)
    out = tmp_path / "lens"
    for _ in range(6):
        lens, _ = train_tuned_lens(handle, texts, out, settings=settings, stop_after_steps=2)
        measure(lens)
    rho = spearmanr(full_curve, coarse_curve).statistic
    assert rho >= 0.9, (full_curve, coarse_curve)
    # Training on the coarse loss lowers the exact held-out KL.
    assert full_curve[-1] < 0.8 * full_curve[0]


def test_stopped_training_resumes_to_the_same_weights(tmp_path: Path) -> None:
    handle = _handle()
    texts = _texts(20)
    settings = LensTrainSettings(
        tokens=10**9, batch_sentences=5, lr=1e-2, top_k=6, rest_samples=16, checkpoint_every=1
    )
    whole, run = train_tuned_lens(handle, texts, tmp_path / "a", settings=settings)
    assert (tmp_path / "a" / "manifest.json").is_file()
    assert not (tmp_path / "a" / "checkpoint.pt").exists()
    _part, first = train_tuned_lens(
        handle, texts, tmp_path / "b", settings=settings, stop_after_steps=3
    )
    assert first.steps == 3 and not (tmp_path / "b" / "manifest.json").exists()
    with pytest.raises(DataError):
        TunedLens.load(tmp_path / "b", handle)  # unfinished: no manifest yet
    resumed, second = train_tuned_lens(handle, texts, tmp_path / "b", settings=settings)
    assert second.resumed_from == 3 and second.steps == run.steps - 3
    for key, value in whole.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[key]), key
    assert run.losses_bits == second.losses_bits


def test_saved_lens_round_trips_and_refuses_another_model(tmp_path: Path) -> None:
    handle = _handle()
    settings = LensTrainSettings(tokens=50, batch_sentences=4, top_k=4, rest_samples=8)
    lens, _ = train_tuned_lens(
        handle,
        _texts(10),
        tmp_path,
        settings=settings,
        provenance={"data": "flores200:x", "data_hash": "abc"},
    )
    loaded = TunedLens.load(tmp_path, handle)
    for key, value in lens.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key])
    assert loaded.provenance["data_hash"] == "abc"
    assert loaded.provenance["settings"]["top_k"] == 4
    other = _handle(seed=1)
    with pytest.raises(ConfigError, match="trained for model"):
        TunedLens.load(tmp_path, other)
    # A checkpoint made with other settings is refused, not silently mixed in.
    grow = LensTrainSettings(tokens=10**9, batch_sentences=4)
    train_tuned_lens(handle, _texts(10), tmp_path / "c", settings=grow, stop_after_steps=1)
    with pytest.raises(ConfigError, match="other settings"):
        other_batch = LensTrainSettings(tokens=10**9, batch_sentences=5)
        train_tuned_lens(handle, _texts(10), tmp_path / "c", settings=other_batch)


def test_round_robin_balances_languages_and_never_yields_held_out_ids() -> None:
    texts = _texts(20)
    held = HeldOut(5)
    stream = list(round_robin(texts, held.train_ids(20), seed=3))
    assert len(stream) == 3 * 16
    first_round = [lang for lang, _, _ in stream[:3]]
    assert sorted(first_round) == sorted(texts)
    assert not any(held.is_held_out(i) for _, i, _ in stream)
    assert stream == list(round_robin(texts, held.train_ids(20), seed=3))
    assert math.isclose(len(held.eval_ids(20)) / 20, 0.2)


def test_evaluation_uses_exact_kl_and_a_trained_lens_beats_the_logit_lens(tmp_path: Path) -> None:
    from babelscope.lens.evaluate import compare_to_logit, evaluate_lenses

    handle = _handle(sharpen=20.0)
    texts = _texts()
    settings = LensTrainSettings(tokens=10**9, batch_sentences=6, lr=1e-2, top_k=8, rest_samples=32)
    lens, _ = train_tuned_lens(handle, texts, tmp_path, settings=settings)
    logit = LogitLens(handle)
    held = HeldOut(5)
    eval_texts = {lang: [rows[i] for i in held.eval_ids(40)] for lang, rows in texts.items()}
    frame = evaluate_lenses(
        handle,
        eval_texts,
        {"logit": lambda h, _layer: logit(h), "tuned": lens},
        positions_per_language=10_000,  # every position: the cell below is checked exactly
    )
    assert len(frame) == 3 * 2 * (handle.n_layers + 1)
    last = frame[frame.layer == handle.n_layers]
    assert last.kl_bits.abs().max() < 1e-5 and (last.top1_agreement == 1.0).all()
    # Known answer: the frame's KL for one cell equals a direct computation.
    states, _ = layer_states(handle, eval_texts["aaa_Latn"], max_length=128)
    with torch.no_grad():
        final = logit.log_probs(states[-1])
        direct = float(kl_full(final, logit(states[1])).mean()) / math.log(2)
    cell = frame[(frame.language == "aaa_Latn") & (frame.lens == "logit") & (frame.layer == 1)]
    assert int(cell.n_positions.iloc[0]) == len(final)
    assert float(cell.kl_bits.iloc[0]) == pytest.approx(direct, rel=1e-4)
    verdict = compare_to_logit(frame)
    assert verdict.all_better.all(), verdict


def test_latent_language_through_a_tuned_lens() -> None:
    """At init the tuned lens reproduces the logit-lens masses exactly; trained translators
    change the inner layers but never the last (which is the model's own head)."""
    import numpy as np

    from babelscope.analyses.latent import Pair, latent_language
    from babelscope.data.lexicon import Lexicon

    fra, deu = "abcdefgh", "ijklmnop"
    lexicon = Lexicon(
        {f"c{i}": {"fra_Latn": [fra[i]], "deu_Latn": [deu[i]], "eng_Latn": [LETTERS[16 + i]]}
         for i in range(8)},
        version="tiny",
    )  # fmt: skip
    handle = _handle(sharpen=5.0)
    pairs = [Pair.make("translation", "fra_Latn", "deu_Latn")]

    def run(lens):  # type: ignore[no-untyped-def]
        return latent_language(
            [handle], pairs, lexicon=lexicon, shots=2, progress=False, lens=lens
        ).runs[0]

    plain = run(None)
    fresh = TunedLens(handle)
    at_init = run(lambda _h: fresh)
    np.testing.assert_array_equal(at_init.mass, plain.mass)
    trained = TunedLens(handle)
    with torch.no_grad():
        for translator in trained.translators:
            translator.weight.normal_(std=0.5)
    moved = run(lambda _h: trained)
    np.testing.assert_allclose(moved.mass[:, -1], plain.mass[:, -1], atol=1e-6)
    assert np.abs(moved.mass[:, 1:-1] - plain.mass[:, 1:-1]).max() > 1e-4


def test_refining_some_layers_keeps_every_other_translator(tmp_path: Path) -> None:
    handle = _handle()
    texts = _texts(20)
    base = LensTrainSettings(tokens=60, batch_sentences=4, lr=1e-2, top_k=4, rest_samples=8)
    first, _ = train_tuned_lens(handle, texts, tmp_path / "base", settings=base)
    refine = LensTrainSettings(
        tokens=60, batch_sentences=4, lr=1e-2, top_k=4, rest_samples=8, seed=1,
        layers=(1,), init_from=str(tmp_path / "base"),
    )  # fmt: skip
    refined, run = train_tuned_lens(handle, texts, tmp_path / "refined", settings=refine)
    assert run.steps > 0
    before, after = first.state_dict(), refined.state_dict()
    for key, value in before.items():
        if key.startswith("translators.1."):
            assert not torch.equal(value, after[key]), key  # the refined layer moved
        else:
            assert torch.equal(value, after[key]), key  # every other one is bit-identical
    manifest = json.loads((tmp_path / "refined" / "manifest.json").read_text())
    assert manifest["settings"]["layers"] == [1] and len(manifest["init_sha256"]) == 64
    with pytest.raises(ConfigError):
        LensTrainSettings(layers=(99,)).trained_layers(handle.n_layers)
