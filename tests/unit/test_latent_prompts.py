"""Prompt builders: the Wendler template, determinism, and clear errors."""

from __future__ import annotations

import pytest

from babelscope.analyses.latent.prompts import build_prompt_set, build_prompts
from babelscope.data.lexicon import Lexicon
from babelscope.errors import DataError

WORDS = {
    "flower": {"fra_Latn": ["fleur"], "zho_Hans": ["花"], "eng_Latn": ["flower"]},
    "mountain": {"fra_Latn": ["montagne"], "zho_Hans": ["山"], "eng_Latn": ["mountain"]},
    "book": {"fra_Latn": ["livre"], "zho_Hans": ["书"], "eng_Latn": ["book"]},
    "water": {"fra_Latn": ["eau"], "zho_Hans": ["水"], "eng_Latn": ["water"]},
    "fire": {"fra_Latn": ["feu"], "zho_Hans": ["火"], "eng_Latn": ["fire"]},
    "monday": {"fra_Latn": ["lundi"], "zho_Hans": ["星期一"], "eng_Latn": ["monday"]},
    "tuesday": {"fra_Latn": ["mardi"], "zho_Hans": ["星期二"], "eng_Latn": ["tuesday"]},
    "wednesday": {"fra_Latn": ["mercredi"], "zho_Hans": ["星期三"], "eng_Latn": ["wednesday"]},
}


@pytest.fixture
def lexicon() -> Lexicon:
    return Lexicon(WORDS, version="test")


def test_translation_prompt_follows_wendler_template(lexicon: Lexicon) -> None:
    prompts = build_prompts(
        lexicon, task="translation", source="fr", target="zh", measured=["eng_Latn"], shots=2
    )
    assert len(prompts) == len(WORDS)
    first = prompts[0]
    lines = first.text.split("\n")
    assert len(lines) == 3
    assert lines[-1] == f'Français: "{first.query}" - 简体中文: "'
    assert all(line.endswith('"') and ' - 简体中文: "' in line for line in lines[:-1])
    assert first.answers["eng_Latn"] == tuple(WORDS[first.concept]["eng_Latn"])
    assert first.query not in "\n".join(lines[:-1])  # the query is not among the shots


def test_prompts_are_deterministic_given_the_seed(lexicon: Lexicon) -> None:
    kwargs = dict(task="translation", source="fra_Latn", target="zho_Hans", measured=[])
    a = build_prompts(lexicon, seed=3, **kwargs)  # type: ignore[arg-type]
    b = build_prompts(lexicon, seed=3, **kwargs)  # type: ignore[arg-type]
    c = build_prompts(lexicon, seed=4, **kwargs)  # type: ignore[arg-type]
    assert [p.text for p in a] == [p.text for p in b]
    assert [p.text for p in a] != [p.text for p in c]


def test_cloze_asks_for_the_successor(lexicon: Lexicon) -> None:
    prompts = build_prompts(
        lexicon, task="cloze", source="zho_Hans", target="zho_Hans", measured=[], shots=1
    )
    by_query = {p.query: p.answers["zho_Hans"][0] for p in prompts}
    assert by_query["星期一"] == "星期二" and by_query["星期二"] == "星期三"


def test_too_few_shared_concepts_is_a_clear_error(lexicon: Lexicon) -> None:
    with pytest.raises(DataError, match="--latent"):
        build_prompts(
            lexicon, task="translation", source="fra_Latn", target="zho_Hans", measured=["yor_Latn"]
        )


def _first_two(word: str) -> str:
    """A stand-in tokenizer whose first token is the word's first two characters."""
    return word[:2]


def test_shots_never_share_a_first_token_with_the_answer(lexicon: Lexicon) -> None:
    kwargs = dict(task="translation", source="fr", target="zh", measured=[], shots=3)
    free = build_prompt_set(lexicon, **kwargs)  # type: ignore[arg-type]
    ruled = build_prompt_set(lexicon, first_token=_first_two, **kwargs)  # type: ignore[arg-type]
    assert ruled.n_dropped_shots == 0
    for prompt in ruled.prompts:
        answer = prompt.answers["zho_Hans"][0]
        shot_words = [line.rsplit('"', 2)[-2] for line in prompt.text.split("\n")[:-1]]
        assert len(shot_words) == 3
        assert all(w[:2] != answer[:2] for w in shot_words), (answer, shot_words)
    clashes = sum(
        any(
            line.rsplit('"', 2)[-2][:2] == p.answers["zho_Hans"][0][:2]
            for line in p.text.split("\n")[:-1]
        )
        for p in free.prompts
    )
    assert clashes > 0  # without the rule 星期一 does appear before 星期二
    assert ruled.n_shots_changed >= clashes
    # same random stream: prompts without a clash keep their shots
    same = sum(a.text == b.text for a, b in zip(free.prompts, ruled.prompts, strict=True))
    assert same == len(free.prompts) - ruled.n_shots_changed


def test_prompts_without_enough_eligible_shots_are_dropped_and_counted(lexicon: Lexicon) -> None:
    # 8 concepts, 3 of them weekdays sharing 星期: a weekday answer has 5 eligible shots
    built = build_prompt_set(
        lexicon,
        task="translation",
        source="fr",
        target="zh",
        measured=[],
        shots=6,
        first_token=_first_two,
    )
    assert sorted(built.dropped_concepts) == ["monday", "tuesday", "wednesday"]
    assert built.n_dropped_shots == 3 and len(built.prompts) == 5
