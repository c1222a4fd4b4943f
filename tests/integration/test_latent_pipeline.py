"""The latent-language pipeline end to end on a tiny random model: the last layer's language
mass must equal the model's own next-token probability on the same token set."""

from __future__ import annotations

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
        target = prompt.answers["deu_Latn"][0]
        target_ids = tok.convert_tokens_to_ids([target, target.upper()])
        assert bool(run.correct[row]) == (int(probs.argmax()) in target_ids)
    frame = result.to_frame()
    assert len(frame) == sum(len(r.languages) * len(r.layers) for r in result.runs)
    assert frame["mean"].between(0, 1).all()
    summary = result.summary_frame()
    assert summary.n_prompts.tolist() == [8, 8]
    assert summary.n_dropped_collision.sum() == 0
