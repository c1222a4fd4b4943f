"""Which sentences are scored and which may serve as exemplars — never the same ones.

Exemplars come from another split when the dataset has one (``dev`` exemplars when scoring
``devtest``), else from the scored split's other sentences: the scored sentences are ids
``0 … N-1`` and the exemplar pool is every other id. The exemplars are drawn once (seeded) and
shared by every language, direction and prompting mode, so the modes differ only in *which
language* the exemplars are in, and FLORES's parallelism makes them the same sentences.
LDP's English→X exemplars need *unlabeled* X sentences to back-translate; they are drawn from
the pool too, disjoint from the X→English exemplars (whose English side is in the
back-translation prompt: translating the same sentence again would copy it, not translate).
:func:`check_disjoint` is the guard every prompt builder calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from babelscope.errors import ConfigError


@dataclass(frozen=True)
class ExemplarPlan:
    """Scored sentence ids of ``split`` and the chosen exemplar ids of ``exemplar_split``."""

    split: str
    scored: tuple[int, ...]
    exemplar_split: str
    pool_size: int
    exemplars: tuple[int, ...]
    unlabeled: tuple[int, ...] = ()  # LDP en-xx: X sentences back-translated to English

    @property
    def same_split(self) -> bool:
        return self.split == self.exemplar_split

    def to_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "scored_ids": list(self.scored),
            "exemplar_split": self.exemplar_split,
            "pool": "other split"
            if not self.same_split
            else f"ids {len(self.scored)}… of the same split (disjoint from the scored ids)",
            "pool_size": self.pool_size,
            "exemplar_ids": list(self.exemplars),
            "unlabeled_ids": list(self.unlabeled),
        }


def plan_exemplars(
    *,
    split: str,
    split_size: int,
    exemplar_split: str,
    exemplar_split_size: int,
    sentences: int,
    shots: int,
    seed: int,
    unlabeled: bool = False,
) -> ExemplarPlan:
    """Score ids ``0 … sentences-1`` of ``split``; draw ``shots`` exemplar ids (seeded, without
    replacement) from ``exemplar_split`` — from the ids after the scored ones when it is the
    same split — and, with ``unlabeled``, ``shots`` more for LDP's back-translation. A
    ``ConfigError`` when ``--sentences`` or ``--shots`` do not fit."""
    if sentences > split_size:
        raise ConfigError(
            f"--sentences {sentences} is more than FLORES {split} has ({split_size})",
            fix=f"use --sentences ≤ {split_size}",
        )
    scored = tuple(range(sentences))
    pool = (
        np.arange(sentences, split_size)
        if exemplar_split == split
        else np.arange(exemplar_split_size)
    )
    needed = shots * (2 if unlabeled else 1)
    if needed > len(pool):
        where = (
            f"the {len(pool)} {split} sentences not scored"
            if exemplar_split == split
            else f"FLORES {exemplar_split} ({len(pool)} sentences)"
        )
        raise ConfigError(
            f"--shots {shots} is larger than the exemplar pool: {where}"
            + (f" (LDP en-xx needs {needed}: exemplars + unlabeled)" if unlabeled else ""),
            fix=f"use --shots ≤ {len(pool) // (2 if unlabeled else 1)} or fewer --sentences",
        )
    chosen = [int(i) for i in np.random.default_rng(seed).choice(pool, size=needed, replace=False)]
    plan = ExemplarPlan(
        split, scored, exemplar_split, len(pool), tuple(chosen[:shots]), tuple(chosen[shots:])
    )
    check_disjoint(plan)
    return plan


def check_disjoint(plan: ExemplarPlan) -> None:
    """Raise when an exemplar is one of the scored sentences (same split, shared id)."""
    if plan.same_split:
        shared = sorted(set(plan.scored) & set(plan.exemplars + plan.unlabeled))
        if shared:
            raise AssertionError(f"exemplar ids {shared} are also scored sentence ids")
    if set(plan.exemplars) & set(plan.unlabeled):
        raise AssertionError("LDP's unlabeled sentences overlap its exemplars")
