"""Steering prompts: deterministic, disjoint choose/report halves and fitting ids."""

from __future__ import annotations

import pytest

from babelscope.analyses.steering.prompts import prompting_prompt, repeat_prompt, split_prompts
from babelscope.errors import ConfigError

SENTENCES = [f"Sentence number {i} is here." if i % 7 else "x" * 300 for i in range(100)]


def test_split_is_deterministic_disjoint_and_leaves_fit_ids() -> None:
    a = split_prompts(SENTENCES, 10, seed=3)
    assert a == split_prompts(SENTENCES, 10, seed=3)
    assert a != split_prompts(SENTENCES, 10, seed=4)
    used = {a.demo, *a.choose, *a.report}
    assert len(a.choose) == len(a.report) == 10 and len(used) == 21
    assert all(len(SENTENCES[i]) <= 120 for i in used)  # long sentences never prompt
    fit = a.fit_ids(len(SENTENCES))
    assert not used & set(fit) and len(fit) == 100 - 21


def test_too_many_prompts_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="--prompts"):
        split_prompts(SENTENCES, 60)


def test_templates() -> None:
    plain = repeat_prompt(" The sky is blue. ", "Hello there.")
    assert (
        plain
        == "Sentence: Hello there.\nRepeat: Hello there.\n\nSentence: The sky is blue.\nRepeat:"
    )
    asked = prompting_prompt("The sky is blue.", "Hello there.", "French")
    assert asked.endswith("Repeat in French:") and asked[: -len(" in French:")] == plain[:-1]


def test_default_layers_sit_in_the_later_half() -> None:
    from babelscope.analyses.steering.api import default_layers

    assert default_layers(18) == [9, 13, 15]  # gemma-3-270m
    assert default_layers(30) == [15, 21, 26]  # smollm2-135m
    assert default_layers(2) == [1, 2]  # never layer 0, never past the last block
