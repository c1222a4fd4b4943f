"""Attribution on real Hugging Face tokenizers trained in-process (no downloads).

Three tiny tokenizers, one per marker style, are trained on a few multilingual sentences and
wrapped in ``transformers.PreTrainedTokenizerFast``. The checks: the style is detected, and
every complete token decodes (with the tokenizer's own ``decode``) to the text
:class:`Vocabulary` computed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from babelscope.languages.attribution import (
    BoundaryStyle,
    PrefixIndex,
    PrefixRule,
    Vocabulary,
    cached_soft_attribution,
    is_logographic,
    tokenizer_hash,
)

pytestmark = pytest.mark.integration

tokenizers = pytest.importorskip("tokenizers")
transformers = pytest.importorskip("transformers")

CORPUS = [
    "The book is on the table and the dog sleeps under it.",
    "Le livre est sur la table et le chien dort dessous.",
    "Das Buch liegt auf dem Tisch und der Hund schläft darunter.",
    "Книга лежит на столе, а собака спит под ним.",
    "书在桌子上，狗在下面睡觉。",
    "本はテーブルの上にあり、犬はその下で寝ています。",
    "Ìwé wà lórí tábìlì, ajá sì ń sùn lábẹ́ rẹ̀.",
] * 20


def _wrap(backend: Any, **special: str) -> Any:
    return transformers.PreTrainedTokenizerFast(tokenizer_object=backend, **special)


def byte_level_tokenizer() -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=["<|endoftext|>"],
        show_progress=False,
    )
    backend.train_from_iterator(CORPUS, trainer=trainer)
    return _wrap(backend, eos_token="<|endoftext|>")


def sentencepiece_tokenizer() -> Any:
    """Gemma-style: ``▁`` for spaces, BPE with byte fallback ``<0x..>`` tokens."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    backend = Tokenizer(models.BPE())
    backend.normalizer = normalizers.Replace(" ", "▁")
    backend.pre_tokenizer = pre_tokenizers.Split("▁", behavior="merged_with_next")
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<pad>", "<eos>", "<bos>"],
        limit_alphabet=60,
        show_progress=False,
    )
    backend.train_from_iterator(CORPUS, trainer=trainer)
    spec = json.loads(backend.to_str())
    vocab: dict[str, int] = spec["model"]["vocab"]
    for byte in range(256):
        vocab.setdefault(f"<0x{byte:02X}>", len(vocab))
    spec["model"]["byte_fallback"] = True
    spec["decoder"] = json.loads(
        decoders.Sequence(
            [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()]
        ).__getstate__()
    )
    rebuilt = Tokenizer.from_str(json.dumps(spec))
    return _wrap(rebuilt, pad_token="<pad>", eos_token="<eos>", bos_token="<bos>")


def plain_space_tokenizer() -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    backend = Tokenizer(models.BPE(unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Split(" ", behavior="merged_with_next")
    backend.decoder = decoders.Fuse()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<unk>"], show_progress=False)
    backend.train_from_iterator(CORPUS, trainer=trainer)
    return _wrap(backend, unk_token="<unk>")


BUILDERS: dict[BoundaryStyle, Callable[[], Any]] = {
    BoundaryStyle.BYTE_LEVEL: byte_level_tokenizer,
    BoundaryStyle.SENTENCEPIECE: sentencepiece_tokenizer,
    BoundaryStyle.SPACE: plain_space_tokenizer,
}


@pytest.fixture(scope="module", params=list(BUILDERS), ids=lambda s: s.value)
def trained(request: pytest.FixtureRequest) -> tuple[BoundaryStyle, Any]:
    style: BoundaryStyle = request.param
    return style, BUILDERS[style]()


def test_style_is_detected(trained: tuple[BoundaryStyle, Any]) -> None:
    style, tok = trained
    assert Vocabulary.from_tokenizer(tok).style is style


def test_surfaces_round_trip_through_decode(trained: tuple[BoundaryStyle, Any]) -> None:
    _, tok = trained
    vocab = Vocabulary.from_tokenizer(tok)
    assert len(vocab) == len(tok)
    checked = 0
    for token_id in range(len(vocab)):
        if vocab.special[token_id] or not vocab.complete[token_id]:
            continue
        decoded = tok.decode([token_id], clean_up_tokenization_spaces=False)
        assert decoded == vocab.text(token_id), (token_id, vocab.raw[token_id])
        checked += 1
    assert checked > 0.9 * (len(vocab) - int(vocab.special.sum()) - int((~vocab.complete).sum()))
    for special_id in tok.all_special_ids:
        assert vocab.special[special_id]


def test_first_tokens_of_words_are_in_prefix_sets(trained: tuple[BoundaryStyle, Any]) -> None:
    """The tokenizer's own first token of a word is in its prefix set (one-letter prefixes of
    alphabetic scripts, and bare lead bytes, only once the minimum-length rule is relaxed)."""
    _, tok = trained
    vocab = Vocabulary.from_tokenizer(tok)
    index = PrefixIndex(vocab, PrefixRule(min_prefix_chars=0))
    strict = PrefixIndex(vocab)
    for text in (" table", " livre", " Книга", "书", " собака", "犬"):
        first = tok.encode(text, add_special_tokens=False)[0]
        if not vocab.surface_bytes(first):  # a bare marker token
            continue
        word = text.strip()
        assert first in index.ids(word), (word, vocab.raw[first])
        surface = vocab.surface_bytes(first)
        one_letter = surface == word[:1].encode() and not is_logographic(word[0])
        lead_byte = len(surface) == 1 and surface[0] >= 0xC0
        assert (first in strict.ids(word)) != (one_letter or lead_byte), (word, vocab.raw[first])


def test_byte_fallback_for_unseen_character() -> None:
    tok = sentencepiece_tokenizer()
    vocab = Vocabulary.from_tokenizer(tok)
    ids = tok.encode("鑫", add_special_tokens=False)
    assert [vocab.raw[i] for i in ids] == ["<0xE9>", "<0x91>", "<0xAB>"]
    # the lead byte <0xE9> opens thousands of Han characters: it is no evidence for 鑫
    assert PrefixIndex(vocab).ids("鑫") == frozenset()
    assert PrefixIndex(vocab, PrefixRule(min_prefix_chars=0)).ids("鑫") == frozenset({ids[0]})


def test_hash_and_cache_on_a_real_tokenizer(tmp_path: Path) -> None:
    tok = byte_level_tokenizer()
    assert tokenizer_hash(tok) == tokenizer_hash(byte_level_tokenizer())
    assert tokenizer_hash(tok) != tokenizer_hash(sentencepiece_tokenizer())
    soft = cached_soft_attribution(tok, ["eng_Latn", "rus_Cyrl"], cache_dir=tmp_path)
    again = cached_soft_attribution(tok, ["eng_Latn", "rus_Cyrl"], cache_dir=tmp_path)
    assert (soft.matrix == again.matrix).all()
    the = tok.convert_tokens_to_ids("Ġthe")
    assert soft.matrix[the].argmax() == 0
