"""The latent-language pipeline end to end on a tiny random model: the last layer's language
mass must equal the model's own next-token probability on the same token set, the measured
masses + shared + other must be 1, and accuracy must be strict."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from babelscope import wrap_model
from babelscope.analyses.latent import Pair, latent_language
from babelscope.data.lexicon import Lexicon

from tiny_models import build_tiny, tiny_tokenizer

pytestmark = pytest.mark.integration

# One-letter words: whole-word tokens of the character-level tiny tokenizer.
FRA, DEU, ENG = "abcdefgh", "ijklmnop", "qrstuvwx"
LEXICON = Lexicon(
    {f"c{i}": {"fra_Latn": [FRA[i]], "deu_Latn": [DEU[i]], "eng_Latn": [ENG[i]]} for i in range(8)},
    version="tiny",
)


@pytest.mark.parametrize("family", ["llama", "gemma2", "gpt2"])
def test_last_layer_mass_equals_model_probability(family: str) -> None:
    handle = wrap_model(build_tiny(family), tiny_tokenizer(), name=family)
    pairs = [Pair.make("translation", "fra_Latn", "deu_Latn"), Pair.make("repetition", "fr", "fr")]
    result = latent_language([handle], pairs, lexicon=LEXICON, shots=2, progress=False)
    assert [len(r.prompt_ids) for r in result.runs] == [8, 8]
    run = result.runs[0]
    assert run.languages == ["deu_Latn", "fra_Latn", "eng_Latn"]
    prompts = run.prompts.set_index("prompt_id")
    tok = handle.tokenizer
    for row, pid in enumerate(run.prompt_ids):
        prompt = prompts.loc[pid]
        with torch.no_grad():
            logits = handle.model(**tok(prompt.text, return_tensors="pt")).logits[0, -1]
        probs = torch.softmax(logits.float(), -1)
        for m, lang in enumerate(run.languages):
            word = prompt.answers[lang][0]  # case variants count too ("Monday" for "monday")
            ids = tok.convert_tokens_to_ids([word, word.upper()])
            expected = float(probs[ids].sum())
            assert run.mass[row, -1, m] == pytest.approx(expected, abs=1e-5)
        # strict: only the target word's own first token ("C" for "c" does not count)
        target = prompt.answers["deu_Latn"][0]
        assert bool(run.correct[row]) == (int(probs.argmax()) == tok.convert_tokens_to_ids(target))
    for r in result.runs:
        series = r.series()
        total = sum(series.values())  # [N, L]: languages + shared + other
        np.testing.assert_allclose(total, 1.0, atol=1e-5)
    frame = result.to_frame()
    frame = frame[frame.subset == "all"]
    assert len(frame) == sum((len(r.languages) + 2) * len(r.layers) for r in result.runs)
    assert frame["mean"].between(0, 1).all()
    summary = result.summary_frame()
    assert summary.n_prompts.tolist() == [8, 8]
    assert summary.n_dropped_collision.sum() == 0


# French and English write the same word for c0..c3 ("bus"-style overlap): their token sets
# are identical, so every such token must go to the shared bucket, counted once.
SHARED_LEXICON = Lexicon(
    {
        f"c{i}": {
            "fra_Latn": [FRA[i]],
            "deu_Latn": [DEU[i]],
            "eng_Latn": [FRA[i] if i < 4 else ENG[i]],
        }
        for i in range(8)
    },
    version="tiny-shared",
)


def test_source_english_overlap_goes_to_the_shared_bucket() -> None:
    handle = wrap_model(build_tiny("llama"), tiny_tokenizer(), name="llama")
    pair = Pair.make("translation", "fra_Latn", "deu_Latn")
    result = latent_language([handle], [pair], lexicon=SHARED_LEXICON, shots=2, progress=False)
    run = result.runs[0]
    assert len(run.prompt_ids) == 8  # the target (German) is disjoint: nothing dropped
    prompts = run.prompts.set_index("prompt_id")
    tok = handle.tokenizer
    series = run.series()
    fra, eng = run.languages.index("fra_Latn"), run.languages.index("eng_Latn")
    for row, pid in enumerate(run.prompt_ids):
        prompt = prompts.loc[pid]
        with torch.no_grad():
            logits = handle.model(**tok(prompt.text, return_tensors="pt")).logits[0, -1]
        probs = torch.softmax(logits.float(), -1)
        word = prompt.answers["fra_Latn"][0]
        p_word = float(probs[tok.convert_tokens_to_ids([word, word.upper()])].sum())
        overlapping = int(prompt.concept[1:]) < 4
        assert (prompt.shared_between == "fra_Latn/eng_Latn") == overlapping
        if overlapping:  # counted once, in shared, and for neither language
            assert series["shared"][row, -1] == pytest.approx(p_word, abs=1e-5)
            assert run.mass[row, -1, fra] == 0 and run.mass[row, -1, eng] == 0
        else:
            assert series["shared"][row, -1] == 0
            assert run.mass[row, -1, fra] == pytest.approx(p_word, abs=1e-5)
    total = sum(series.values())
    np.testing.assert_allclose(total, 1.0, atol=1e-5)
    summary = result.summary_frame().iloc[0]
    assert summary.shared_between == '{"fra_Latn/eng_Latn": 4}'
    assert summary.peak_shared > 0

    dropped = latent_language(
        [handle], [pair], lexicon=SHARED_LEXICON, shots=2, overlap="drop", progress=False
    )
    assert len(dropped.runs[0].prompt_ids) == 4
    assert dropped.summary_frame().n_dropped_collision.item() == 4


def test_min_prefix_chars_measures_words_written_one_letter_a_token() -> None:
    """The character-level tokenizer writes "ab" as a, b: under the 2-character rule the word
    has no prefix token and the prompt is dropped; --min-prefix-chars 1 measures it."""
    two = Lexicon(
        {
            f"c{i}": {"fra_Latn": [FRA[i]], "deu_Latn": [DEU[i] + "z"], "eng_Latn": [ENG[i]]}
            for i in range(8)
        },
        version="tiny-two",
    )
    handle = wrap_model(build_tiny("llama"), tiny_tokenizer(), name="llama")
    pair = Pair.make("translation", "fra_Latn", "deu_Latn")
    strict = latent_language([handle], [pair], lexicon=two, shots=2, progress=False)
    assert strict.summary_frame().n_dropped_empty.item() == 8
    loose = latent_language(
        [handle], [pair], lexicon=two, shots=2, min_prefix_chars=1, progress=False
    )
    assert len(loose.runs[0].prompt_ids) == 8
    assert loose.settings["prefix_rule"]["min_prefix_chars"] == 1
