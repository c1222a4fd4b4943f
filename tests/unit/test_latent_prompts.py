"""Prompt builders: the Wendler template, determinism, and clear errors."""

from __future__ import annotations

import pytest

from babelscope.analyses.latent.prompts import build_prompts
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
