"""The two bundled real models: cache round trip, capture parity and the lens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from babelscope.capture import capture
from babelscope.data.flores import FloresDataset
from babelscope.lens.logit_lens import iter_last_position_lens, top_tokens
from babelscope.models import cache
from babelscope.models.fast_tokenizer import load_fast_tokenizer
from babelscope.models.handle import ModelHandle
from state_tolerance import assert_states_close
from tokenizer_parity import assert_same_tokenizer

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
            where = f"prompt {i}, layer {layer}"
            assert_states_close(
                unbatched.tokens[layer][i], hf[layer][0], same_shapes=True, msg=where
            )
            # Padded batches use other matmul shapes: equal up to float32 reduction order, whose
            # error scales with the layer's largest activation (gemma's reach 1e5).
            assert_states_close(padded.tokens[layer][i], hf[layer][0], same_shapes=False, msg=where)
        last = bundled.final_norm(unbatched.tokens[bundled.n_layers][i])
        assert_states_close(last, hf[-1][0], same_shapes=True)


def test_gemma_lens_finds_the_french_word_in_mid_layers(gemma: ModelHandle) -> None:
    result = top_tokens(gemma, PROMPTS[0], k=3)
    mid = [
        toks for layer, toks in zip(result.layers, result.tokens, strict=True) if 12 <= layer <= 16
    ]
    assert any("liv" in tok for toks in mid for tok in toks)


# 21 scripts/languages: Latin with diacritics, Cyrillic, Greek, CJK (simplified, traditional,
# Japanese, Korean), Arabic, Hebrew, Devanagari, Tamil, Thai, Myanmar, Khmer, Ethiopic.
TOKENIZER_LANGS = [
    "eng_Latn", "fra_Latn", "vie_Latn", "yor_Latn", "swh_Latn", "rus_Cyrl", "ell_Grek",
    "zho_Hans", "zho_Hant", "jpn_Jpan", "kor_Hang", "arb_Arab", "heb_Hebr", "hin_Deva",
    "tam_Taml", "tha_Thai", "mya_Mymr", "khm_Khmr", "amh_Ethi", "urd_Arab", "ben_Beng",
]  # fmt: skip


def test_fast_tokenizer_equals_from_pretrained(bundled: ModelHandle, shared_data: Path) -> None:
    from transformers import AutoTokenizer

    flores = FloresDataset.open(shared_data / "flores200_dev.tar.xz")
    texts = [line for lang in TOKENIZER_LANGS for line in flores.sentences(lang, "dev")[:4]]
    texts += [*PROMPTS, "  two  spaces\n\nand\ttabs ", "", bundled.tokenizer.bos_token + "x"]
    entry = cache.lookup(bundled.model_hash)
    assert entry is not None
    fast = load_fast_tokenizer(entry)
    assert fast is not None  # the fast path applies to our own cache entries
    assert_same_tokenizer(fast, AutoTokenizer.from_pretrained(entry), texts)
