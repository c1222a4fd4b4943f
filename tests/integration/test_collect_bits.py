"""Bits per character is one computation: steering's fluency (:func:`bits_per_char`) and the
ranking's text table both score text through :func:`babelscope.collect.next_token.next_token_bits`
inside :func:`~babelscope.collect.forward.forward_texts`, and give the same numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from test_rank_support import flores_dir, synthetic_corpus, tiny_model_dir

import babelscope.collect.forward as forward_module
from babelscope import load_model, wrap_model
from babelscope.analyses.ranking import RankSettings, run_rank
from babelscope.collect import bits_per_char, forward_texts
from babelscope.data.flores import FloresDataset
from babelscope.models.handle import ModelHandle

from tiny_models import build_tiny, tiny_tokenizer

pytestmark = pytest.mark.integration
__all__ = ["flores_dir", "tiny_model_dir"]  # fixtures used by name below


@pytest.fixture(scope="module", params=["llama", "gpt2", "gemma3_text"])
def family_handle(request: pytest.FixtureRequest) -> ModelHandle:
    return wrap_model(build_tiny(request.param), tiny_tokenizer(), name=request.param)


@pytest.fixture(scope="module")
def handle(tiny_model_dir: Path) -> ModelHandle:
    return load_model(str(tiny_model_dir), progress=False)


def test_bits_per_char_matches_a_hand_computation(family_handle: ModelHandle) -> None:
    handle = family_handle
    texts = ["hello world", "", "abc"]
    got = bits_per_char(handle, texts)
    assert np.isnan(got[1])
    for i in (0, 2):
        ids = handle.tokenizer(texts[i], return_tensors="pt")["input_ids"]  # BOS + chars
        with torch.no_grad():
            logp = torch.log_softmax(handle.model(input_ids=ids).logits[0, :-1].double(), -1)
        nll = -logp.gather(1, ids[0, 1:, None]).sum() / np.log(2)
        assert got[i] == pytest.approx(float(nll) / len(texts[i]), rel=1e-5)


def test_bits_per_char_equals_the_rankings_forward_bit_for_bit(handle: ModelHandle) -> None:
    texts = synthetic_corpus(9)["fra_Latn"]
    spec = RankSettings().forward_spec(handle.n_layers)  # the ranking's own shard spec
    ranked = forward_texts(handle, texts, spec, text_metrics=True)
    expected = ranked["nll_bits"].numpy() / ranked["scored_chars"].double().numpy()
    assert np.array_equal(bits_per_char(handle, texts), expected)


def test_ranking_and_fluency_run_the_same_bits_function(
    handle: ModelHandle, flores_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    original = forward_module.next_token_bits

    def spy(*args: Any) -> Any:
        calls.append(caller)
        return original(*args)

    monkeypatch.setattr(forward_module, "next_token_bits", spy)
    caller = "rank"
    settings = RankSettings(sentences=6, shard_size=8, probe_max_iter=50, bootstrap=0)
    dataset = FloresDataset.open(flores_dir)
    run = run_rank(
        handle,
        dataset,
        languages=["fra_Latn"],
        settings=settings,
        store_dir=tmp_path / "store",
        progress=False,
    )
    caller = "steer"
    texts = dataset.sentences("fra_Latn", "dev", 6)
    per_text = bits_per_char(handle, texts)
    assert "rank" in calls and "steer" in calls
    # the ranking's per-language bits per character is the character-weighted mean of the
    # per-text numbers steering's fluency reads
    chars = np.array([len(t) for t in texts], dtype=float)  # BOS: every character is scored
    row = run.result.text.set_index("language").loc["fra_Latn"]
    assert row["bits_per_char"] == pytest.approx(
        float((per_text * chars).sum() / chars.sum()), rel=1e-12
    )
