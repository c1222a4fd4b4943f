"""The steering task's prompts: repeat an English FLORES sentence, in plain text.

Unsteered, a model repeats the English sentence (LFS 0, chrF++ vs English high); steered well,
it writes the same sentence in the target language (LFS 1, chrF++ vs the target's FLORES
reference high). One demonstration line pair shows the format, so small base models continue
with one line and stop, and instruct models read it as an instruction; no chat template, so
the same text serves both kinds::

    Sentence: <demo English sentence>
    Repeat: <demo English sentence>

    Sentence: <English sentence>
    Repeat:

The **prompting** baseline is the same text with the last cue naming the target language
(``Repeat in French:``), i.e. the instruction CLaS-Bench's prompting baseline gives.

Sentence ids are split once, deterministically (a seeded permutation of the English sentences
no longer than ``max_chars``): a demo id, a *choose* half (pick each method's layer and α)
and a *report* half (numbers shown), disjoint. Every other id is free for fitting steering
vectors (:meth:`PromptSplit.fit_ids`), so no prompt's sentence was seen by the vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from babelscope.errors import ConfigError

REPEAT_TEMPLATE = "Sentence: {demo}\nRepeat: {demo}\n\nSentence: {sentence}\nRepeat:"
PROMPTING_TEMPLATE = (
    "Sentence: {demo}\nRepeat: {demo}\n\nSentence: {sentence}\nRepeat in {language}:"
)
SPLITS = ("choose", "report")


@dataclass(frozen=True)
class PromptSplit:
    """Sentence ids (FLORES line numbers) of the demo, the choose half and the report half."""

    demo: int
    choose: tuple[int, ...]
    report: tuple[int, ...]
    seed: int
    max_chars: int

    def ids(self, split: str) -> tuple[int, ...]:
        if split not in SPLITS:
            raise ConfigError(f"unknown prompt split {split!r}", fix="use choose or report")
        return self.choose if split == "choose" else self.report

    def fit_ids(self, n_sentences: int) -> list[int]:
        """Every sentence id of a split of ``n_sentences`` not used by a prompt (for fitting)."""
        used = {self.demo, *self.choose, *self.report}
        return [i for i in range(n_sentences) if i not in used]

    def to_dict(self) -> dict[str, object]:
        return {
            "demo": self.demo,
            "choose": list(self.choose),
            "report": list(self.report),
            "seed": self.seed,
            "max_chars": self.max_chars,
            "template": REPEAT_TEMPLATE,
            "prompting_template": PROMPTING_TEMPLATE,
        }


def split_prompts(
    english: Sequence[str], n: int, *, seed: int = 0, max_chars: int = 120
) -> PromptSplit:
    """``n`` prompt sentences per half from ``english`` (all FLORES English lines of a split):
    a seeded permutation of the ids whose sentence has at most ``max_chars`` characters (long
    sentences cost generation time and get cut at ``max_new_tokens``)."""
    if n < 1:
        raise ConfigError(f"--prompts {n} is too few", fix="use 10 or more prompts per half")
    eligible = np.array([i for i, s in enumerate(english) if 0 < len(s.strip()) <= max_chars])
    if len(eligible) < 2 * n + 1:
        raise ConfigError(
            f"only {len(eligible)} English sentences of ≤ {max_chars} characters for "
            f"2 × {n} prompts and a demo",
            fix=f"use --prompts {max(1, (len(eligible) - 1) // 2)} or fewer",
        )
    order = eligible[np.random.default_rng(seed).permutation(len(eligible))]
    ids = [int(i) for i in order[: 2 * n + 1]]
    return PromptSplit(
        demo=ids[0],
        choose=tuple(sorted(ids[1 : n + 1])),
        report=tuple(sorted(ids[n + 1 :])),
        seed=seed,
        max_chars=max_chars,
    )


def repeat_prompt(sentence: str, demo: str) -> str:
    """The steering prompt for one English ``sentence`` (``demo``: the demonstration)."""
    return REPEAT_TEMPLATE.format(demo=demo.strip(), sentence=sentence.strip())


def prompting_prompt(sentence: str, demo: str, language: str) -> str:
    """The prompting baseline: the cue names ``language`` (an English language name)."""
    return PROMPTING_TEMPLATE.format(
        demo=demo.strip(), sentence=sentence.strip(), language=language
    )
