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
