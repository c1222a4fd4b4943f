"""Per-prompt token sets (Wendler's prefix rule, via languages.attribution) and the collision
rule: a prompt whose target set shares tokens with another measured language is dropped, and
the counts are reported."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from babelscope.analyses.latent.prompts import LatentPrompt
from babelscope.languages.attribution import (
    CollisionReport,
    PrefixIndex,
    PrefixRule,
    PromptTokenSets,
    Vocabulary,
    filter_collisions,
)

# Case variants on: the lexicon is lower-cased, but models write "Monday" and "Montag".
DEFAULT_RULE = PrefixRule(case_variants=True)


@dataclass
class PreparedPrompts:
    """Prompts that survived the collision rule, with their token ids per measured language."""

    prompts: list[LatentPrompt]
    token_ids: list[dict[str, list[int]]]  # per kept prompt: language -> ids
    report: CollisionReport
    all_prompts: list[LatentPrompt]
    all_token_ids: list[dict[str, list[int]]]  # per built prompt, kept or not

    @property
    def n_dropped(self) -> int:
        return self.report.n_dropped

    @property
    def n_empty(self) -> int:
        return self.report.n_empty

    def status(self, index: int) -> str:
        if index in self.report.dropped:
            langs = ",".join(sorted(self.report.dropped[index]))
            return f"dropped: collides with {langs}"
        if index in self.report.empty:
            return f"dropped: no prefix tokens for {','.join(self.report.empty[index])}"
        return "kept"


def prepare(
    prompts: Sequence[LatentPrompt],
    index: PrefixIndex,
    *,
    rule: PrefixRule = DEFAULT_RULE,
) -> PreparedPrompts:
    """Build token sets for every prompt and apply the collision rule (target vs each other
    measured language)."""
    sets: list[PromptTokenSets] = []
    ids: list[dict[str, list[int]]] = []
    for prompt in prompts:
        per_lang = {lang: index.ids(words, rule=rule) for lang, words in prompt.answers.items()}
        ids.append({lang: sorted(v) for lang, v in per_lang.items()})
        sets.append(
            PromptTokenSets(
                target=per_lang[prompt.target],
                latent={k: v for k, v in per_lang.items() if k != prompt.target},
            )
        )
    report = filter_collisions(sets)
    kept = list(report.kept)
    return PreparedPrompts(
        prompts=[prompts[i] for i in kept],
        token_ids=[ids[i] for i in kept],
        report=report,
        all_prompts=list(prompts),
        all_token_ids=ids,
    )


def prefix_index(tokenizer: object, rule: PrefixRule = DEFAULT_RULE) -> PrefixIndex:
    return PrefixIndex(Vocabulary.from_tokenizer(tokenizer), rule)
