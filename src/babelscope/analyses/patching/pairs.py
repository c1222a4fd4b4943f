"""Prompt pairs for cross-lingual activation patching (Dumas et al. 2024).

A *source* prompt translates concept A from S1 into T1 (``Deutsch: "Buch" - Italiano: "``); a
*target* prompt translates another concept B from S2 into T2 (``Français: "chat" - 中文: "``).
Both come from the latent analysis's prompt builder, so the template is Wendler's.

Each pair is measured on 2·M token sets: A and B, each in T2, T1 and any extra language. A pair
is kept only when all those sets are pairwise disjoint — a token shared by A-in-T2 and
B-in-T2 (Chinese 星期一 / 星期二 share ``星期``) cannot be credited to either concept — and the
number dropped is reported. Pairs use each source and each target prompt at most once, so
the 95% intervals are over independent prompts.
"""

from __future__ import annotations

import itertools
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from babelscope.analyses.latent import DEFAULT_RULE, LatentPrompt, build_prompts
from babelscope.data.lexicon import Lexicon
from babelscope.errors import ConfigError
from babelscope.languages.attribution import PrefixIndex
from babelscope.languages.registry import resolve_language


@dataclass(frozen=True)
class Direction:
    """A translation direction ``source → target`` (FLORES codes)."""

    source: str
    target: str

    @classmethod
    def parse(cls, text: str) -> Direction:
        """``"de:it"`` (any code :func:`resolve_language` accepts) → ``Direction``."""
        parts = [part.strip() for part in str(text).split(":")]
        if len(parts) != 2 or not all(parts):
            raise ConfigError(
                f"bad translation direction {text!r}", fix="write SRC:TGT, e.g. de:it"
            )
        source, target = (resolve_language(part).code for part in parts)
        if source == target:
            raise ConfigError(
                f"direction {text!r} translates a language into itself",
                fix="give two different languages, e.g. de:it",
            )
        return cls(source, target)

    def __str__(self) -> str:
        return f"{self.source}→{self.target}"


@dataclass(frozen=True)
class PatchSetup:
    """Source direction S1→T1 (concept A) patched into target direction S2→T2 (concept B)."""

    source: Direction
    target: Direction
    extra: tuple[str, ...] = ()  # extra measured languages (FLORES codes), e.g. English

    @classmethod
    def make(cls, source: str, target: str, extra: Sequence[str] = ()) -> PatchSetup:
        src, tgt = Direction.parse(source), Direction.parse(target)
        if src.target == tgt.target:
            raise ConfigError(
                f"source and target prompts both translate into {src.target}",
                fix="patch into another output language (e.g. --pair de:it --into fr:zh): "
                "the test is whether A arrives in T2 rather than T1",
            )
        codes = [resolve_language(code).code for code in extra]
        extras = tuple(c for c in dict.fromkeys(codes) if c not in (src.target, tgt.target))
        return cls(src, tgt, extras)

    @property
    def languages(self) -> list[str]:
        """Measured languages: T2, T1, then the extras."""
        return [self.target.target, self.source.target, *self.extra]

    def series(self) -> list[tuple[str, str, str]]:
        """``(label, concept, language)`` for each measured set; the label names the role
        (``A in T2``) and, for extras, the code (``A in eng_Latn``)."""
        roles = ["T2", "T1", *self.extra]
        return [
            (f"{concept} in {role}", concept, language)
            for concept in ("A", "B")
            for role, language in zip(roles, self.languages, strict=True)
        ]

    def __str__(self) -> str:
        return f"{self.source} into {self.target}"


@dataclass(frozen=True)
class PromptPair:
    """One source prompt (concept A) and one target prompt (concept B ≠ A)."""

    pair_id: int
    source: LatentPrompt
    target: LatentPrompt
    token_ids: dict[str, list[int]]  # series label -> prefix token ids

    @property
    def concept_a(self) -> str:
        return self.source.concept

    @property
    def concept_b(self) -> str:
        return self.target.concept


@dataclass
class PairSelection:
    """Kept pairs and how many candidates were looked at and dropped (callers report these)."""

    pairs: list[PromptPair]
    n_source_prompts: int
    n_target_prompts: int
    n_collisions: int  # candidate pairs skipped because two measured sets share a token
    n_empty: int  # prompts (either side) dropped because a measured word has no prefix token


def build_side_prompts(
    lexicon: Lexicon, setup: PatchSetup, *, shots: int = 4, seed: int = 0
) -> tuple[list[LatentPrompt], list[LatentPrompt]]:
    """Translation prompts for every concept with words in all measured languages: the source
    side (S1→T1) and the target side (S2→T2). Tokenizer-independent."""
    measured = setup.languages
    sources = build_prompts(
        lexicon,
        task="translation",
        source=setup.source.source,
        target=setup.source.target,
        measured=measured,
        shots=shots,
        seed=seed,
    )
    targets = build_prompts(
        lexicon,
        task="translation",
        source=setup.target.source,
        target=setup.target.target,
        measured=measured,
        shots=shots,
        seed=seed + 1,  # other shots than the source prompts of the same concepts
    )
    return sources, targets


def select_pairs(
    setup: PatchSetup,
    sources: Sequence[LatentPrompt],
    targets: Sequence[LatentPrompt],
    index: PrefixIndex,
    *,
    n_pairs: int | None,
    seed: int = 0,
) -> PairSelection:
    """Pair source and target prompts of different concepts in a seeded random order, keeping
    pairs whose measured token sets are pairwise disjoint, until ``n_pairs`` (or all)."""
    series = setup.series()
    src_ids = [_ids_by_language(p, setup.languages, index) for p in sources]
    tgt_ids = [_ids_by_language(p, setup.languages, index) for p in targets]
    order = list(itertools.product(range(len(sources)), range(len(targets))))
    random.Random(zlib.crc32(f"{seed}|{setup}".encode())).shuffle(order)
    # A prompt with an empty set can never be measured: drop it once, not once per partner.
    used_src = {i for i, ids in enumerate(src_ids) if not all(ids.values())}
    used_tgt = {j for j, ids in enumerate(tgt_ids) if not all(ids.values())}
    empty = len(used_src) + len(used_tgt)
    pairs: list[PromptPair] = []
    collisions = 0
    for i, j in order:
        if n_pairs is not None and len(pairs) >= n_pairs:
            break
        if i in used_src or j in used_tgt or sources[i].concept == targets[j].concept:
            continue
        sets = {
            label: (src_ids[i] if concept == "A" else tgt_ids[j])[language]
            for label, concept, language in series
        }
        if not _disjoint(list(sets.values())):
            collisions += 1
            continue
        used_src.add(i)
        used_tgt.add(j)
        pairs.append(
            PromptPair(
                pair_id=len(pairs),
                source=sources[i],
                target=targets[j],
                token_ids={label: sorted(ids) for label, ids in sets.items()},
            )
        )
    return PairSelection(pairs, len(sources), len(targets), collisions, empty)


def _ids_by_language(
    prompt: LatentPrompt, languages: Sequence[str], index: PrefixIndex
) -> dict[str, frozenset[int]]:
    return {lang: index.ids(prompt.answers[lang], rule=DEFAULT_RULE) for lang in languages}


def _disjoint(sets: Sequence[frozenset[int]]) -> bool:
    seen: set[int] = set()
    for ids in sets:
        if seen & ids:
            return False
        seen |= ids
    return True
