"""Overlapping token sets between measured languages.

:func:`disjoint_sets` is the rule the latent analysis uses: every pair of measured sets is
checked (source against English too, not only the target against the rest) and tokens held by
two or more languages move to one ``shared`` bucket, so no probability is counted twice.

The older collision rule below drops prompts whose target and latent-language sets overlap.

When the target word and a latent-language word share prefix tokens (French "bus" and
English "bus", or "▁bu" under both), probability on a shared token cannot be credited to
either language, and the prompt would make the latent language look present. Wendler et al.
drop such prompts; callers must report how many were dropped.

A prompt whose target set, or one of whose latent sets, is empty cannot be measured either
(the word has no prefix token under the rule in ``prefixes.py``); :func:`filter_collisions`
drops it too and lists it separately.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

SOURCE_KEY = "<source>"
"""Key under which an overlap between target and source sets is reported."""


@dataclass(frozen=True)
class PromptTokenSets:
    """The token id sets of one prompt.

    Attributes:
        target: prefix ids of the expected answer in the target language.
        latent: latent language code -> prefix ids of the answer in that language.
        source: prefix ids of the word in the prompt's source language (may be empty).
    """

    target: frozenset[int]
    latent: Mapping[str, frozenset[int]]
    source: frozenset[int] = frozenset()


def find_collisions(
    sets: PromptTokenSets, *, include_source: bool = False
) -> dict[str, frozenset[int]]:
    """Latent language -> ids it shares with the target set; only overlapping languages appear.

    With ``include_source`` an overlap between target and source is reported under
    :data:`SOURCE_KEY`. An empty dict means the prompt is clean."""
    overlaps: dict[str, frozenset[int]] = {}
    for language, ids in sets.latent.items():
        shared = sets.target & ids
        if shared:
            overlaps[language] = shared
    if include_source:
        shared = sets.target & sets.source
        if shared:
            overlaps[SOURCE_KEY] = shared
    return overlaps


@dataclass(frozen=True)
class CollisionReport:
    """Which prompts survive the collision rule.

    Attributes:
        kept: indices of clean prompts, in input order.
        dropped: index of each colliding prompt -> its overlaps (see :func:`find_collisions`).
        empty: index of each prompt dropped for an empty target or latent set -> the names of
            the empty sets (``"target"`` or a latent language).
    """

    kept: tuple[int, ...]
    dropped: Mapping[int, Mapping[str, frozenset[int]]] = field(default_factory=dict)
    empty: Mapping[int, tuple[str, ...]] = field(default_factory=dict)

    @property
    def n_dropped(self) -> int:
        """How many prompts were dropped for collisions; callers report this."""
        return len(self.dropped)

    @property
    def n_empty(self) -> int:
        """How many prompts were dropped for an empty token set; callers report this too."""
        return len(self.empty)

    def dropped_by_language(self) -> dict[str, int]:
        """Language -> number of dropped prompts it collided in."""
        counts: dict[str, int] = {}
        for overlaps in self.dropped.values():
            for language in overlaps:
                counts[language] = counts.get(language, 0) + 1
        return counts


def empty_sets(sets: PromptTokenSets) -> tuple[str, ...]:
    """Names of the empty sets of one prompt: ``"target"`` and/or latent languages."""
    names = ("target",) if not sets.target else ()
    return names + tuple(language for language, ids in sets.latent.items() if not ids)


def filter_collisions(
    prompts: Sequence[PromptTokenSets], *, include_source: bool = False, drop_empty: bool = True
) -> CollisionReport:
    """Apply :func:`find_collisions` (and, with ``drop_empty``, :func:`empty_sets`) to every
    prompt; keep the clean ones. A prompt that is both empty and colliding counts as empty."""
    kept: list[int] = []
    dropped: dict[int, dict[str, frozenset[int]]] = {}
    empty: dict[int, tuple[str, ...]] = {}
    for index, sets in enumerate(prompts):
        missing = empty_sets(sets) if drop_empty else ()
        overlaps = find_collisions(sets, include_source=include_source)
        if missing:
            empty[index] = missing
        elif overlaps:
            dropped[index] = overlaps
        else:
            kept.append(index)
    return CollisionReport(kept=tuple(kept), dropped=dropped, empty=empty)


SHARED = "shared"
"""Name of the bucket holding tokens that belong to two or more measured languages."""


@dataclass(frozen=True)
class DisjointSets:
    """Measured token sets made disjoint: every token belongs to one language or to ``shared``.

    Attributes:
        exclusive: language -> the ids only that language's word starts with.
        shared: ids that two or more measured languages' words start with.
        overlaps: ``(language_a, language_b)`` (in input order) -> the ids both sets hold; only
            overlapping pairs appear. Every pair is checked, not just target versus the others:
            French ``novembre`` and English ``November`` share ``▁nov`` whichever of them is the
            target.
    """

    exclusive: Mapping[str, frozenset[int]]
    shared: frozenset[int]
    overlaps: Mapping[tuple[str, str], frozenset[int]]


def disjoint_sets(sets: Mapping[str, frozenset[int]]) -> DisjointSets:
    """Split measured token sets so that no id is counted for two languages.

    With ``sets`` = {fra: {▁nov, ▁novembre}, eng: {▁nov, ▁November}} the result is
    exclusive = {fra: {▁novembre}, eng: {▁November}}, shared = {▁nov}: summing the lens
    probability over each exclusive set, the shared set and the rest of the vocabulary gives
    exactly 1."""
    names = list(sets)
    overlaps: dict[tuple[str, str], frozenset[int]] = {}
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            both = sets[first] & sets[second]
            if both:
                overlaps[(first, second)] = both
    shared = frozenset().union(*overlaps.values()) if overlaps else frozenset()
    exclusive = {name: frozenset(ids - shared) for name, ids in sets.items()}
    return DisjointSets(exclusive=exclusive, shared=shared, overlaps=overlaps)
