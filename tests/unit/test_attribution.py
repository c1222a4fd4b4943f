"""Token-to-language attribution on hand-made vocabularies, one per marker style."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from babelscope.errors import ConfigError, LanguageError
from babelscope.languages.attribution import (
    OTHER,
    SOURCE_KEY,
    BoundaryStyle,
    PrefixIndex,
    PrefixRule,
    PromptTokenSets,
    Vocabulary,
    cached_soft_attribution,
    detect_style,
    empty_sets,
    filter_collisions,
    find_collisions,
    soft_language_matrix,
    tokenizer_hash,
)
from babelscope.languages.attribution import cache as cache_module
from babelscope.languages.attribution._bytes import bytes_to_unicode

# ----------------------------------------------------------------------------- fixtures


def gpt2_byte_table() -> dict[int, str]:
    """GPT-2's bytes_to_unicode, written out independently of the package."""
    bs = list(range(ord("!"), ord("~") + 1))
    bs += list(range(ord("¡"), ord("¬") + 1))
    bs += list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs), strict=True))


BYTE_TABLE = gpt2_byte_table()


def bl(text: str | bytes) -> str:
    """The byte-level raw string of ``text`` (a leading space becomes ``Ġ``)."""
    data = text.encode() if isinstance(text, str) else text
    return "".join(BYTE_TABLE[b] for b in data)


SP_SPECIAL = ["<unk>", "<s>", "</s>"]
SP_BYTES = [f"<0x{b:02X}>" for b in range(256)]
SP_WORDS = [
    "▁", "▁l", "▁li", "▁liv", "▁livre", "l", "li", "liv", "livre", "re", "▁Livre",
    "▁b", "▁bu", "▁bus", "bus", "▁bo", "▁book", "▁bouquin", "b",
    "书", "▁书", "▁the", "the", "▁le", "的", "の", "▁книга", "к", "▁к",
    ",", "▁123", "xqzv", "▁犬",
]  # fmt: skip
SP_TOKENS = SP_SPECIAL + SP_BYTES + SP_WORDS


def sp_id(token: str) -> int:
    return SP_TOKENS.index(token)


def sp_ids(*tokens: str) -> frozenset[int]:
    return frozenset(sp_id(t) for t in tokens)


@pytest.fixture(scope="module")
def sp_vocab() -> Vocabulary:
    return Vocabulary.from_tokens(SP_TOKENS, special_ids=range(3))


@pytest.fixture(scope="module")
def sp_index(sp_vocab: Vocabulary) -> PrefixIndex:
    return PrefixIndex(sp_vocab)


BL_TEXTS: list[str | bytes] = [
    *(bytes([b]) for b in range(256)),
    " livre", " li", " liv", "li", "liv", "livre", " l",
    "书".encode()[:2], "书", " 书", "书".encode()[1:],
    " the", " le", " bus", "bus", "\n", " книга",
]  # fmt: skip
BL_TOKENS = ["<|endoftext|>", *(bl(t) for t in BL_TEXTS), "<|im_start|>"]


def bl_id(text: str | bytes) -> int:
    return BL_TOKENS.index(bl(text))


@pytest.fixture(scope="module")
def bl_vocab() -> Vocabulary:
    return Vocabulary.from_tokens(
        BL_TOKENS, special_ids=[0, len(BL_TOKENS) - 1], literal_ids=[0, len(BL_TOKENS) - 1]
    )


SPACE_TOKENS = ["<pad>", " livre", " li", "li", "liv", " l", "l", " book", "book", " ", "书"]


@pytest.fixture(scope="module")
def space_vocab() -> Vocabulary:
    return Vocabulary.from_tokens(SPACE_TOKENS, special_ids=[0])


# ----------------------------------------------------------------------------- vocabulary


def test_package_byte_table_is_gpt2s() -> None:
    assert bytes_to_unicode() == BYTE_TABLE
    assert BYTE_TABLE[ord(" ")] == "Ġ"
    assert BYTE_TABLE[ord("\n")] == "Ċ"


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        (SP_TOKENS, BoundaryStyle.SENTENCEPIECE),
        (BL_TOKENS, BoundaryStyle.BYTE_LEVEL),
        (SPACE_TOKENS, BoundaryStyle.SPACE),
        (["a", "b", "ab"], BoundaryStyle.SPACE),
    ],
)
def test_style_detection(tokens: Sequence[str], expected: BoundaryStyle) -> None:
    assert detect_style(tokens) is expected
    assert Vocabulary.from_tokens(tokens).style is expected


def test_style_override_changes_decoding() -> None:
    vocab = Vocabulary.from_tokens(["▁li", "Ġli"], style="space")
    assert vocab.style is BoundaryStyle.SPACE
    assert vocab.data == ("▁li".encode(), "Ġli".encode())
    assert not vocab.boundary.any()


def test_sentencepiece_surfaces(sp_vocab: Vocabulary) -> None:
    i = sp_id("▁livre")
    assert sp_vocab.data[i] == b" livre"
    assert sp_vocab.boundary[i]
    assert sp_vocab.surface(i) == "livre"
    assert sp_vocab.text(i) == " livre"
    j = sp_id("livre")
    assert not sp_vocab.boundary[j]
    assert sp_vocab.surface(j) == "livre"
    assert sp_vocab.surface(sp_id("▁")) == ""


def test_sentencepiece_byte_fallback(sp_vocab: Vocabulary) -> None:
    e4 = sp_id("<0xE4>")
    assert sp_vocab.byte_fallback[e4]
    assert sp_vocab.data[e4] == b"\xe4"
    assert not sp_vocab.complete[e4]
    assert sp_vocab.surface(e4) is None
    a = sp_id("<0x61>")
    assert sp_vocab.complete[a]
    assert sp_vocab.surface(a) == "a"
    assert int(sp_vocab.byte_fallback.sum()) == 256


def test_special_tokens_flagged(sp_vocab: Vocabulary, bl_vocab: Vocabulary) -> None:
    assert sp_vocab.special[:3].all()
    assert not sp_vocab.special[3:].any()
    assert bl_vocab.special[0]
    assert bl_vocab.data[-1] == b"<|im_start|>"


def test_byte_level_decodes_to_utf8_bytes(bl_vocab: Vocabulary) -> None:
    i = bl_id(" livre")
    assert bl_vocab.raw[i] == "Ġlivre"
    assert bl_vocab.data[i] == b" livre"
    assert bl_vocab.boundary[i]
    assert bl_vocab.surface(i) == "livre"
    han = bl_id("书")
    assert bl_vocab.raw[han] == "ä¹¦"
    assert bl_vocab.surface(han) == "书"
    half = bl_id("书".encode()[:2])
    assert bl_vocab.data[half] == b"\xe4\xb9"
    assert not bl_vocab.complete[half]
    assert bl_vocab.surface(half) is None
    assert bl_vocab.surface(bl_id("\n")) == "\n"
    assert bl_vocab.surface(bl_id(" книга")) == "книга"
    assert not bl_vocab.byte_fallback.any()


def test_plain_space_surfaces(space_vocab: Vocabulary) -> None:
    i = SPACE_TOKENS.index(" livre")
    assert space_vocab.boundary[i]
    assert space_vocab.surface(i) == "livre"
    assert space_vocab.surface(SPACE_TOKENS.index(" ")) == ""


def test_fingerprint_is_content_based() -> None:
    a = Vocabulary.from_tokens(["▁a", "b"])
    assert a.fingerprint() == Vocabulary.from_tokens(["▁a", "b"]).fingerprint()
    assert a.fingerprint() != Vocabulary.from_tokens(["▁a", "c"]).fingerprint()


# ----------------------------------------------------------------------------- prefix sets


def test_livre_prefixes_sentencepiece(sp_index: PrefixIndex) -> None:
    # "▁l", "l" and the byte token <0x6C> are one-letter Latin prefixes: excluded by default.
    assert sp_index.ids("livre") == sp_ids("▁li", "▁liv", "▁livre", "li", "liv", "livre")


def test_min_prefix_chars_override(sp_index: PrefixIndex) -> None:
    got = sp_index.ids("livre", rule=PrefixRule(min_prefix_chars=1))
    assert got == sp_ids("▁l", "l", "<0x6C>", "▁li", "▁liv", "▁livre", "li", "liv", "livre")
    strict = sp_index.ids("livre", rule=PrefixRule(min_prefix_chars=4))
    assert strict == sp_ids("▁livre", "livre")


def test_one_letter_whole_word_is_kept(sp_index: PrefixIndex) -> None:
    assert sp_index.ids("b") == sp_ids("▁b", "b", "<0x62>")


def test_boundary_switches(sp_index: PrefixIndex) -> None:
    only_marked = PrefixRule(without_boundary=False)
    assert sp_index.ids("livre", rule=only_marked) == sp_ids("▁li", "▁liv", "▁livre")
    only_bare = PrefixRule(with_boundary=False)
    assert sp_index.ids("livre", rule=only_bare) == sp_ids("li", "liv", "livre")


def test_chinese_in_byte_fallback_vocabulary(sp_index: PrefixIndex) -> None:
    # <0xE4> opens four thousand Han characters: a bare lead byte never counts
    assert sp_index.ids("书") == sp_ids("书", "▁书")
    assert sp_index.ids("犭") == frozenset()
    assert sp_index.ids("书", rule=PrefixRule(min_prefix_chars=0)) == sp_ids("<0xE4>", "书", "▁书")


def test_cyrillic_single_letter_and_lead_byte_do_not_count(sp_index: PrefixIndex) -> None:
    assert sp_index.ids("книга") == sp_ids("▁книга")
    # one-letter words are whole words: the letter counts, its lead byte does not
    assert sp_index.ids("к") == sp_ids("к", "▁к")


def test_chinese_in_byte_level_vocabulary(bl_vocab: Vocabulary) -> None:
    index = PrefixIndex(bl_vocab)
    # the two-byte partial narrows 书 to 64 characters and counts; the bare lead byte does not
    expected = {bl_id("书".encode()[:2]), bl_id("书"), bl_id(" 书")}
    assert index.ids("书") == frozenset(expected)
    assert bl_id(b"\xe4") not in index.ids("书")
    assert bl_id("书".encode()[1:]) not in index.ids("书")


def test_livre_prefixes_byte_level(bl_vocab: Vocabulary) -> None:
    index = PrefixIndex(bl_vocab)
    expected = {bl_id(t) for t in (" li", " liv", " livre", "li", "liv", "livre")}
    assert index.ids("livre") == frozenset(expected)


def test_livre_prefixes_plain_space(space_vocab: Vocabulary) -> None:
    index = PrefixIndex(space_vocab)
    expected = {SPACE_TOKENS.index(t) for t in (" livre", " li", "li", "liv")}
    assert index.ids("livre") == frozenset(expected)


def test_synonyms_are_unioned(sp_index: PrefixIndex) -> None:
    both = sp_index.ids(["livre", "bouquin"])
    assert both == sp_index.ids("livre") | sp_index.ids("bouquin")
    assert sp_id("▁bouquin") in both
    assert sp_id("▁bo") in both


def test_case_variants(sp_index: PrefixIndex) -> None:
    assert sp_id("▁Livre") not in sp_index.ids("livre")
    assert sp_id("▁Livre") in sp_index.ids("livre", rule=PrefixRule(case_variants=True))
    assert sp_id("▁livre") in sp_index.ids("Livre", rule=PrefixRule(case_variants=True))


def test_matches_describe_each_prefix(sp_index: PrefixIndex) -> None:
    matches = {m.token_id: m for m in sp_index.matches("书", rule=PrefixRule(min_prefix_chars=0))}
    assert matches[sp_id("<0xE4>")].partial
    assert matches[sp_id("▁书")].boundary
    assert matches[sp_id("书")].whole_word


def test_special_and_empty_tokens_never_match(sp_index: PrefixIndex) -> None:
    assert sp_index.ids("<unk>") == frozenset()
    assert sp_id("▁") not in sp_index.ids("livre", rule=PrefixRule(min_prefix_chars=0))
    assert sp_index.ids("  ") == frozenset()


# One hand-made SentencePiece vocabulary per script family: the word, its one-character
# prefix, its two-character prefix, and the byte-fallback tokens of its first character.
SCRIPT_WORDS = {
    "Latn": "livre",
    "Cyrl": "книга",
    "Grek": "βιβλίο",
    "Armn": "գիրք",
    "Geor": "წიგნი",
    "Arab": "كتاب",
    "Hebr": "ספר",
    "Deva": "किताब",
    "Beng": "বই",
    "Taml": "புத்தகம்",
    "Thai": "หนังสือ",
    "Ethi": "መጽሐፍ",
    "Kana": "ほんや",
    "Hang": "책방",
    "Hani": "书本",
}


def _script_vocab(word: str) -> tuple[Vocabulary, dict[str, int]]:
    lead = word.encode()[:1]
    tokens = [
        "<unk>",
        *SP_BYTES,
        "▁" + word[:1],
        word[:1],
        "▁" + word[:2],
        "▁" + word,
        "▁xy",
    ]
    vocab = Vocabulary.from_tokens(tokens, special_ids=[0])
    names = {
        "one": tokens.index("▁" + word[:1]),
        "one_bare": tokens.index(word[:1]),
        "two": tokens.index("▁" + word[:2]),
        "whole": tokens.index("▁" + word),
        "lead": tokens.index(f"<0x{lead[0]:02X}>"),
    }
    return vocab, names


@pytest.mark.parametrize("script", sorted(SCRIPT_WORDS))
def test_prefix_rule_per_script_family(script: str) -> None:
    """One-character prefixes count only for Han and Hangul syllables; lead bytes never."""
    word = SCRIPT_WORDS[script]
    vocab, t = _script_vocab(word)
    got = PrefixIndex(vocab).ids(word)
    assert {t["two"], t["whole"]} <= got
    assert t["lead"] not in got or word.isascii()  # an ASCII "byte" is a whole letter
    one_char = {t["one"], t["one_bare"]}
    if script in ("Hani", "Hang"):
        assert one_char <= got
    else:
        assert not one_char & got, script
    # the single character as a whole word always counts (but not its lead byte)
    single = PrefixIndex(vocab).ids(word[:1])
    assert one_char <= single
    assert word.isascii() or t["lead"] not in single


def test_hangul_jamo_is_alphabetic_but_syllables_are_not() -> None:
    from babelscope.languages.attribution import is_logographic

    syllable, jamo = "\uccb5", "\u110e"  # 책 (precomposed) and ᄎ (a conjoining letter)
    assert is_logographic(syllable) and is_logographic("书")
    assert not is_logographic(jamo) and not is_logographic("ほ") and not is_logographic("к")
    assert PrefixRule().min_chars_for(jamo + "\u1162") == 2
    assert PrefixRule().min_chars_for(syllable) == 1


# ----------------------------------------------------------------------------- collisions


def test_bus_collides_between_french_and_english(sp_index: PrefixIndex) -> None:
    bus = PromptTokenSets(target=sp_index.ids("bus"), latent={"eng_Latn": sp_index.ids("bus")})
    book = PromptTokenSets(target=sp_index.ids("livre"), latent={"eng_Latn": sp_index.ids("book")})
    overlaps = find_collisions(bus)
    assert overlaps == {"eng_Latn": sp_ids("▁bu", "▁bus", "bus")}
    assert find_collisions(book) == {}
    report = filter_collisions([bus, book])
    assert report.kept == (1,)
    assert report.n_dropped == 1
    assert report.dropped_by_language() == {"eng_Latn": 1}


def test_empty_sets_are_dropped_and_counted(sp_index: PrefixIndex) -> None:
    clean = PromptTokenSets(target=sp_index.ids("livre"), latent={"eng_Latn": sp_index.ids("book")})
    no_target = PromptTokenSets(
        target=sp_index.ids("ọjọ́"), latent={"eng_Latn": sp_index.ids("day")}
    )
    assert empty_sets(no_target) == ("target", "eng_Latn")
    report = filter_collisions([no_target, clean])
    assert report.kept == (1,)
    assert report.empty == {0: ("target", "eng_Latn")}
    assert (report.n_empty, report.n_dropped) == (1, 0)
    assert filter_collisions([no_target], drop_empty=False).kept == (0,)


def test_source_overlap_only_when_asked() -> None:
    sets = PromptTokenSets(
        target=frozenset({1, 2}), latent={"eng_Latn": frozenset({3})}, source=frozenset({2})
    )
    assert find_collisions(sets) == {}
    assert find_collisions(sets, include_source=True) == {SOURCE_KEY: frozenset({2})}


# ----------------------------------------------------------------------------- soft attribution

LANGS = ["eng_Latn", "fra_Latn", "zho_Hans", "jpn_Jpan", "rus_Cyrl", "yor_Latn"]


@pytest.fixture(scope="module")
def sp_soft(sp_vocab: Vocabulary) -> np.ndarray:
    return soft_language_matrix(sp_vocab, LANGS).matrix


def col(name: str) -> int:
    return [*LANGS, OTHER].index(name)


def test_soft_rows_are_distributions(sp_soft: np.ndarray) -> None:
    assert sp_soft.shape == (len(SP_TOKENS), len(LANGS) + 1)
    assert sp_soft.dtype == np.float32
    np.testing.assert_allclose(sp_soft.sum(axis=1), 1.0, atol=1e-5)
    assert (sp_soft >= 0).all()


def test_soft_cyrillic_is_never_french(sp_soft: np.ndarray) -> None:
    row = sp_soft[sp_id("▁книга")]
    assert row[col("fra_Latn")] == 0.0
    assert row[col("eng_Latn")] == 0.0
    assert row[col("rus_Cyrl")] > 0.9


def test_soft_the_is_english(sp_soft: np.ndarray) -> None:
    for token in ("▁the", "the"):
        row = sp_soft[sp_id(token)]
        assert int(row.argmax()) == col("eng_Latn")
        assert row[col("eng_Latn")] > 0.9
    assert int(sp_soft[sp_id("▁le")].argmax()) == col("fra_Latn")


def test_soft_han_and_kana(sp_soft: np.ndarray) -> None:
    de = sp_soft[sp_id("的")]
    assert int(de.argmax()) == col("zho_Hans")
    assert de[col("zho_Hans")] > 0.5
    assert de[col("rus_Cyrl")] == 0.0
    assert sp_soft[sp_id("の"), col("jpn_Jpan")] == 1.0


def test_soft_neutral_tokens_are_other(sp_soft: np.ndarray) -> None:
    for token in ("<unk>", "<s>", "▁", ",", "▁123", "<0x20>", "<0xB9>"):
        assert sp_soft[sp_id(token), col(OTHER)] == 1.0, token


def test_soft_partial_bytes_use_script(sp_soft: np.ndarray) -> None:
    han_lead = sp_soft[sp_id("<0xE4>")]
    assert han_lead[col("zho_Hans")] == pytest.approx(han_lead[col("jpn_Jpan")])
    assert han_lead[col("zho_Hans")] > 0.0
    assert han_lead[col("eng_Latn")] == 0.0
    cyrillic_lead = sp_soft[sp_id("<0xD0>")]
    assert cyrillic_lead[col("rus_Cyrl")] > 0.0
    assert cyrillic_lead[col("fra_Latn")] == 0.0


def test_soft_unknown_fragment_is_script_only(sp_soft: np.ndarray) -> None:
    row = sp_soft[sp_id("xqzv")]
    assert row[col("eng_Latn")] == 0.0
    assert row[col("yor_Latn")] == pytest.approx(row[col(OTHER)])


def test_soft_padding_and_mass(sp_vocab: Vocabulary) -> None:
    soft = soft_language_matrix(sp_vocab, ["eng_Latn", "fra_Latn"], n_rows=len(sp_vocab) + 3)
    assert soft.columns == ("eng_Latn", "fra_Latn", OTHER)
    assert (soft.matrix[len(sp_vocab) :, -1] == 1.0).all()
    probs = np.full((2, 5, soft.matrix.shape[0]), 1.0 / soft.matrix.shape[0])
    mass = soft.mass(probs)
    assert mass.shape == (2, 5, 3)
    np.testing.assert_allclose(mass.sum(-1), 1.0, atol=1e-5)
    with pytest.raises(ConfigError):
        soft.mass(np.ones(len(sp_vocab)))


def test_soft_rejects_bad_language_lists(sp_vocab: Vocabulary) -> None:
    with pytest.raises(LanguageError):
        soft_language_matrix(sp_vocab, ["french"])
    with pytest.raises(ConfigError):
        soft_language_matrix(sp_vocab, ["fra_Latn", "fra_Latn"])
    with pytest.raises(ConfigError):
        soft_language_matrix(sp_vocab, ["fra_Latn"], n_rows=2)


# ----------------------------------------------------------------------------- caching


class _AddedToken:
    def __init__(self, content: str, special: bool) -> None:
        self.content = content
        self.special = special


class FakeTokenizer:
    """The parts of a Hugging Face tokenizer that attribution reads."""

    def __init__(self, tokens: Sequence[str], special_ids: Sequence[int]) -> None:
        self._vocab = {token: i for i, token in enumerate(tokens)}
        self.all_special_ids = list(special_ids)
        self.all_special_tokens = [tokens[i] for i in special_ids]
        self.added_tokens_decoder = {i: _AddedToken(tokens[i], True) for i in special_ids}

    def get_vocab(self) -> dict[str, int]:
        return dict(self._vocab)


def test_tokenizer_hash_tracks_content() -> None:
    a = FakeTokenizer(SP_TOKENS, [0, 1, 2])
    assert tokenizer_hash(a) == tokenizer_hash(FakeTokenizer(SP_TOKENS, [0, 1, 2]))
    assert tokenizer_hash(a) != tokenizer_hash(FakeTokenizer(SP_TOKENS, [0, 1]))
    assert tokenizer_hash(a) != tokenizer_hash(FakeTokenizer([*SP_TOKENS, "▁new"], [0, 1, 2]))
    assert len(tokenizer_hash(a)) == 64


def test_soft_cache_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BABELSCOPE_CACHE", str(tmp_path))
    tok = FakeTokenizer(SP_TOKENS, [0, 1, 2])
    first = cached_soft_attribution(tok, ["eng_Latn", "fra_Latn"])
    folder = tmp_path / "tokenizers" / tokenizer_hash(tok)
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 2
    assert files[0].endswith(".json")
    assert files[1].endswith(".npy")
    manifest = json.loads((folder / files[0]).read_text())
    assert manifest["languages"] == ["eng_Latn", "fra_Latn"]
    assert manifest["shape"] == [len(SP_TOKENS), 3]

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the cached matrix should have been loaded")

    monkeypatch.setattr(cache_module, "soft_language_matrix", refuse)
    second = cached_soft_attribution(tok, ["eng_Latn", "fra_Latn"])
    np.testing.assert_array_equal(first.matrix, second.matrix)
    assert second.languages == ("eng_Latn", "fra_Latn")
    with pytest.raises(AssertionError):
        cached_soft_attribution(tok, ["eng_Latn", "rus_Cyrl"])


def test_soft_cache_dir_argument(tmp_path: Path) -> None:
    tok = FakeTokenizer(SP_TOKENS, [0, 1, 2])
    result = cached_soft_attribution(tok, ["rus_Cyrl"], cache_dir=tmp_path)
    assert result.matrix.shape == (len(SP_TOKENS), 2)
    written = list(tmp_path.rglob("*"))
    assert not [p for p in written if p.name.endswith(".tmp")]
    assert len([p for p in written if p.suffix == ".npy"]) == 1
