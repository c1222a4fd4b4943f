"""Patching prompt pairs and CLI errors, without a model: directions, the collision rule,
one use per prompt, and one-line exit-2 errors."""

from __future__ import annotations

import pytest

from babelscope.analyses.latent.token_sets import prefix_index
from babelscope.analyses.patching import Direction, PatchSetup
from babelscope.analyses.patching.pairs import build_side_prompts, select_pairs
from babelscope.cli.main import main
from babelscope.data.lexicon import Lexicon
from babelscope.errors import ConfigError

from tiny_models import tiny_tokenizer


def test_direction_parses_any_code_and_rejects_bad_ones() -> None:
    assert Direction.parse("de:it") == Direction("deu_Latn", "ita_Latn")
    assert str(Direction.parse("fra_Latn:zh")) == "fra_Latn→zho_Hans"
    for bad in ("de", "de:it:fr", ":it", "de:de"):
        with pytest.raises(ConfigError):
            Direction.parse(bad)


def test_setup_series_and_same_output_language_is_refused() -> None:
    setup = PatchSetup.make("de:it", "fr:zh", extra=["en", "it"])
    assert setup.languages == ["zho_Hans", "ita_Latn", "eng_Latn"]  # "it" is T1 already
    labels = [label for label, _, _ in setup.series()]
    assert labels == [
        "A in T2",
        "A in T1",
        "A in eng_Latn",
        "B in T2",
        "B in T1",
        "B in eng_Latn",
    ]
    with pytest.raises(ConfigError, match="both translate into"):
        PatchSetup.make("de:zh", "fr:zh")


def _lexicon(zh: str) -> Lexicon:
    deu, ita, fra = "abcdefgh", "ijklmnop", "qrstuvwx"
    return Lexicon(
        {
            f"c{i}": {"de": [deu[i]], "it": [ita[i]], "fr": [fra[i]], "zh": [zh[i]]}
            for i in range(8)
        },
        version="test",
    )


def test_pairs_use_each_prompt_once_with_different_concepts() -> None:
    setup = PatchSetup.make("de:it", "fr:zh")
    sources, targets = build_side_prompts(_lexicon("01234567"), setup, shots=2, seed=3)
    index = prefix_index(tiny_tokenizer())
    selection = select_pairs(setup, sources, targets, index, n_pairs=None, seed=3)
    pairs = selection.pairs
    assert len(pairs) >= 7  # 8 concepts; a derangement may leave the last one unmatched
    assert len({p.concept_a for p in pairs}) == len(pairs) == len({p.concept_b for p in pairs})
    assert all(p.concept_a != p.concept_b for p in pairs)
    assert selection.n_collisions == 0 and selection.n_empty == 0
    first = pairs[0]
    assert first.source.text.endswith('Italiano: "') and first.target.text.endswith('中文: "')
    again = select_pairs(setup, sources, targets, index, n_pairs=3, seed=3).pairs
    assert [(p.concept_a, p.concept_b) for p in again] == [
        (p.concept_a, p.concept_b) for p in pairs[:3]
    ]


def test_pairs_whose_sets_share_a_token_are_skipped() -> None:
    # Five concepts share one Chinese word (token "0"): A in T2 and B in T2 would both be
    # credited with it, so no pair of two of them may be kept.
    shared = {"c0", "c1", "c2", "c3", "c4"}
    setup = PatchSetup.make("de:it", "fr:zh")
    sources, targets = build_side_prompts(_lexicon("00000567"), setup, shots=2, seed=0)
    index = prefix_index(tiny_tokenizer())
    selection = select_pairs(setup, sources, targets, index, n_pairs=None, seed=0)
    assert selection.n_collisions > 0
    assert selection.pairs  # pairs with at most one of them survive
    for pair in selection.pairs:
        assert not {pair.concept_a, pair.concept_b} <= shared


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["patch", "--model", "m", "--pair", "de"], "SRC:TGT"),
        (["patch", "--model", "m", "--pair", "de:xx_Nope"], "xx_Nope"),
        (["patch", "--model", "m", "--pair", "de:zh", "--into", "fr:zh"], "both translate"),
        (["patch", "--model", "m", "--pair", "de:it", "--pair", "de:fr"], "--into"),
        (["patch", "--model", "m", "--prompts", "0"], "--prompts"),
        (["patch"], "no model"),
    ],
)
def test_cli_user_errors_exit_2_with_one_line(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("babelscope: error:") and "\n" not in err and needle in err
