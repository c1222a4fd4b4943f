"""Per-prompt token sets (Wendler's prefix rule, via languages.attribution), made disjoint, and
the first token of each answer (what strict accuracy and the shot rule compare).

Disjointness. Every pair of measured sets is checked — target against each other language and
source against English too (French ``novembre`` and English ``November`` share ``▁nov``). With
``overlap="shared"`` (default) a token shared by two or more measured languages is counted once,
in a ``shared`` bucket, so for every prompt and layer the measured masses + shared + other = 1;
a prompt whose target keeps no token of its own is dropped (its P(target) would be 0 by
construction). With ``overlap="drop"`` every prompt with any overlap is dropped, as Wendler et
al. drop target collisions. Prompts with an empty set for any measured language are dropped
either way; all counts are reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from babelscope.analyses.latent.prompts import LatentPrompt
from babelscope.errors import ConfigError
from babelscope.languages.attribution import (
    SHARED,
    PrefixIndex,
    PrefixRule,
    Vocabulary,
    disjoint_sets,
)

# Case variants on: the lexicon is lower-cased, but models write "Monday" and "Montag".
DEFAULT_RULE = PrefixRule(case_variants=True)

Overlap = Literal["shared", "drop"]
OVERLAPS: tuple[str, ...] = get_args(Overlap)


def check_overlap(overlap: str) -> Overlap:
    if overlap not in OVERLAPS:
        raise ConfigError(f"unknown overlap rule {overlap!r}", fix="use --overlap shared or drop")
    return overlap  # type: ignore[return-value]


@dataclass
class PreparedPrompts:
    """Prompts that survived the rules, with their disjoint token ids per measured language
    (plus the ``shared`` bucket under :data:`SHARED`)."""

    prompts: list[LatentPrompt]
    token_ids: list[dict[str, list[int]]]  # per kept prompt: language | "shared" -> ids
    statuses: list[str]  # per built prompt: "kept" or "dropped: …"
    shared_between: list[str]  # per built prompt: "fra_Latn/eng_Latn;…" ("" when disjoint)
    all_prompts: list[LatentPrompt]
    all_token_ids: list[dict[str, list[int]]]  # per built prompt, before the split
    overlap: Overlap = "shared"
    kept_index: list[int] = field(default_factory=list)

    @property
    def n_dropped(self) -> int:
        return sum(s.startswith("dropped: overlap") for s in self.statuses)

    @property
    def n_empty(self) -> int:
        return sum(s.startswith("dropped: no prefix") for s in self.statuses)

    def status(self, index: int) -> str:
        return self.statuses[index]


def prepare(
    prompts: Sequence[LatentPrompt],
    index: PrefixIndex,
    *,
    rule: PrefixRule = DEFAULT_RULE,
    overlap: str = "shared",
) -> PreparedPrompts:
    """Build token sets for every prompt and make them disjoint (see the module docstring)."""
    mode = check_overlap(overlap)
    kept: list[int] = []
    ids: list[dict[str, list[int]]] = []
    kept_ids: list[dict[str, list[int]]] = []
    statuses: list[str] = []
    between: list[str] = []
    for number, prompt in enumerate(prompts):
        per_lang = {lang: index.ids(words, rule=rule) for lang, words in prompt.answers.items()}
        ids.append({lang: sorted(v) for lang, v in per_lang.items()})
        split = disjoint_sets(per_lang)
        between.append(";".join(f"{a}/{b}" for a, b in split.overlaps))
        empty = [lang for lang, v in per_lang.items() if not v]
        if empty:
            statuses.append(f"dropped: no prefix tokens for {','.join(empty)}")
        elif split.overlaps and mode == "drop":
            statuses.append(f"dropped: overlap {between[-1]}")
        elif not split.exclusive[prompt.target]:
            partners = sorted({b if a == prompt.target else a for a, b in split.overlaps})
            statuses.append(f"dropped: overlap, target tokens all shared with {','.join(partners)}")
        else:
            statuses.append("kept")
            kept.append(number)
            row = {lang: sorted(v) for lang, v in split.exclusive.items()}
            row[SHARED] = sorted(split.shared)
            kept_ids.append(row)
    return PreparedPrompts(
        prompts=[prompts[i] for i in kept],
        token_ids=kept_ids,
        statuses=statuses,
        shared_between=between,
        all_prompts=list(prompts),
        all_token_ids=ids,
        overlap=mode,
        kept_index=kept,
    )


def prefix_index(tokenizer: object, rule: PrefixRule = DEFAULT_RULE) -> PrefixIndex:
    return PrefixIndex(Vocabulary.from_tokenizer(tokenizer), rule)


def _encode(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer.encode(text, add_special_tokens=False))


def first_token_id(tokenizer: Any, context: str, word: str) -> int | None:
    """The first token the model writes for ``word`` right after ``context``.

    Tokenises ``context + word`` and takes the first token past ``context``'s own tokens, so
    SentencePiece dummy prefixes and boundary merges come out as they do in the prompt. When
    the word's first characters merge into the context's last token (the ids of ``context`` are
    not a prefix of the joint ids), the word is tokenised alone. ``None`` for an empty word."""
    if not word:
        return None
    base = _encode(tokenizer, context)
    joint = _encode(tokenizer, context + word)
    if len(joint) > len(base) and joint[: len(base)] == base:
        return joint[len(base)]
    alone = _encode(tokenizer, word)
    return alone[0] if alone else None


def first_token_ids(tokenizer: Any, context: str, words: Sequence[str]) -> frozenset[int]:
    """First tokens of several words (a primary word and its listed synonyms) after
    ``context``: the answers strict accuracy accepts."""
    found = (first_token_id(tokenizer, context, word) for word in words)
    return frozenset(i for i in found if i is not None)
