"""The two bundled real models: cache round trip, capture parity and the lens."""

from __future__ import annotations

import json

import pytest
import torch

from babelscope.capture import capture
from babelscope.lens.logit_lens import iter_last_position_lens, top_tokens
from babelscope.models import cache
from babelscope.models.handle import ModelHandle

pytestmark = pytest.mark.slow

PROMPTS = ['Français: "livre" - 中文: "', "The capital of France is", "Ẹ kú àárọ̀, ọ̀rẹ́ mi"]


def test_known_shapes(smollm2: ModelHandle, gemma: ModelHandle) -> None:
    assert (smollm2.n_layers, smollm2.vocab_size, smollm2.text_config.model_type) == (
        30,
        49152,
        "llama",
    )
    assert (gemma.n_layers, gemma.vocab_size, gemma.text_config.model_type) == (
        18,
        262144,
        "gemma3_text",
    )
    assert gemma.softcap is None  # Gemma 3 leaves final-logit softcapping unset


def test_cache_entry_is_complete_and_keyed_by_content(bundled: ModelHandle) -> None:
    entry = cache.lookup(bundled.model_hash)
    assert entry is not None
    marker = json.loads((entry / cache.MARKER).read_text())
    assert marker["source_sha256"] == bundled.model_hash
    assert (entry / "model.safetensors").is_file()
    assert "quantization_config" not in json.loads((entry / "config.json").read_text())


def test_last_layer_lens_reproduces_logits(bundled: ModelHandle) -> None:
    rows = []
    for prompt in PROMPTS:
        enc = bundled.tokenizer(prompt, return_tensors="pt")
        with torch.no_grad():
            rows.append(bundled.model(**enc).logits[0, -1].float())
    expected = torch.log_softmax(torch.stack(rows), -1)
    (batch,) = list(iter_last_position_lens(bundled, PROMPTS, layers=[-1]))
    got = torch.empty_like(batch.log_probs[:, 0])
    got[batch.indices] = batch.log_probs[:, 0]
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=0)


@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_capture_matches_hf_hidden_states(bundled: ModelHandle, padding_side: str) -> None:
    unbatched = capture(bundled, PROMPTS, pooling="none", batch_size=1)
    padded = capture(bundled, PROMPTS, pooling="none", batch_size=3, padding_side=padding_side)
    for i, prompt in enumerate(PROMPTS):
        enc = bundled.tokenizer(prompt, return_tensors="pt")
        with torch.no_grad():
            hf = bundled.model(**enc, output_hidden_states=True).hidden_states
        for layer in range(bundled.n_layers):
            torch.testing.assert_close(unbatched.tokens[layer][i], hf[layer][0], atol=1e-5, rtol=0)
            # Padded batches use other matmul shapes: equal up to float32 reduction order.
            torch.testing.assert_close(padded.tokens[layer][i], hf[layer][0], atol=1e-3, rtol=1e-3)
        last = bundled.final_norm(unbatched.tokens[bundled.n_layers][i])
        torch.testing.assert_close(last, hf[-1][0], atol=1e-5, rtol=0)


def test_gemma_lens_finds_the_french_word_in_mid_layers(gemma: ModelHandle) -> None:
    result = top_tokens(gemma, PROMPTS[0], k=3)
    mid = [
        toks for layer, toks in zip(result.layers, result.tokens, strict=True) if 12 <= layer <= 16
    ]
    assert any("liv" in tok for toks in mid for tok in toks)
